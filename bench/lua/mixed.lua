-- 90% GETs from a fixed list, 10% POST .../views on a fixed set of articles; counts the views
-- the server accepted (202) so run.sh can check none was lost.
dofile("bench/lua/report.lua")
local paths, slugs, i, n
posted = 0

function init(args)
  paths = lines_of(args[1])
  slugs = lines_of(args[2])
  i = ((id or 1) * 7919) % #paths
  n = 0
end

function request()
  n = n + 1
  if n % 10 == 0 then
    local slug = slugs[(n / 10) % #slugs + 1]
    return wrk.format("POST", "/api/v1/articles/" .. slug .. "/views")
  end
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function response(status, headers, body)
  if status == 202 then
    posted = posted + 1
  end
end
