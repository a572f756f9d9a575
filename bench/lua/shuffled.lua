-- GET the paths of a fixed list in a random order (a crawler or a real audience, not one
-- walk in turn): each request picks one line of the list. The list is fixed; only the order
-- varies. With "post" as the second argument, the lines are GraphQL bodies to POST.
dofile("bench/lua/report.lua")
local lines, post

function init(args)
  lines = lines_of(args[1])
  post = args[2] == "post"
  math.randomseed(42 + (id or 1))
end

function request()
  local line = lines[math.random(#lines)]
  if post then
    return wrk.format("POST", "/graphql", {["Content-Type"] = "application/json"}, line)
  end
  return wrk.format("GET", line)
end
