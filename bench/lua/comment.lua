-- Anonymous comments on a fixed list of articles, each from another reader behind a trusted
-- proxy (X-Forwarded-For cycles through 60,000 fixed addresses, so no reader reaches the
-- comment limits), each body different (so none is judged a repeat).
dofile("bench/lua/report.lua")
local slugs, n

function init(args)
  slugs = lines_of(args[1])
  n = ((id or 1) - 1) * 30000
end

function request()
  n = n + 1
  local a = n % 60000
  local ip = string.format("198.18.%d.%d", math.floor(a / 250), a % 250 + 1)
  local body = string.format(
    '{"author_name":"Reader %d","author_email":"reader@example.com","body":"Comment number %d: the council should publish the figures."}',
    n, n)
  return wrk.format("POST", "/api/v1/articles/" .. slugs[n % #slugs + 1] .. "/comments",
    {["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip}, body)
end

function response(status, headers, body)
  if status == 201 then
    posted = (posted or 0) + 1
  end
end
