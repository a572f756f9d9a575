-- GET the paths of a fixed list in turn, asking for a compressed answer
-- (args: the list, then the Accept-Encoding value, e.g. "gzip" or "br").
dofile("bench/lua/report.lua")
local paths, i, headers

function init(args)
  paths = lines_of(args[1])
  headers = { ["Accept-Encoding"] = args[2] }
  i = ((id or 1) * 7919) % #paths
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end
