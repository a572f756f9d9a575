-- POST the GraphQL request bodies of a fixed list (one JSON document a line) in turn.
dofile("bench/lua/report.lua")
local bodies, i

function init(args)
  bodies = lines_of(args[1])
  i = ((id or 1) * 7919) % #bodies
end

function request()
  i = i % #bodies + 1
  return wrk.format("POST", "/graphql", {["Content-Type"] = "application/json"}, bodies[i])
end
