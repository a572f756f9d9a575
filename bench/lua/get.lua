-- GET the paths of a fixed list in turn (each thread starts at its own place in it).
dofile("bench/lua/report.lua")
local paths, i

function init(args)
  paths = lines_of(args[1])
  i = ((id or 1) * 7919) % #paths
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
