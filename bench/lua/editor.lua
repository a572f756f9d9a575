-- An editor's loop: create and publish an article, again and again (titles are numbered).
dofile("bench/lua/report.lua")
local token, n

function init(args)
  token = args[1]
  n = 0
end

function request()
  n = n + 1
  local body = string.format(
    '{"title":"Bench story %d-%d","body":"A paragraph of **Markdown** for the bench.","tags":["topic-1"],"status":"published"}',
    id or 0, n)
  return wrk.format("POST", "/api/v1/articles",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
