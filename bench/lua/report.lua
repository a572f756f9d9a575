-- Shared by every scenario: one JSON line with the figures run.sh collects.
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status or 0
  local sent = 0
  for _, t in ipairs(threads) do
    sent = sent + (t:get("posted") or 0)
  end
  io.write(string.format(
    '{"rps": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "requests": %d, "non2xx": %d, "socket_errors": %d, "posted": %d}\n',
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    sent))
end

-- Reads a file of lines into a table.
function lines_of(path)
  local t = {}
  local f = assert(io.open(path, "r"))
  for line in f:lines() do
    if #line > 0 then t[#t + 1] = line end
  end
  f:close()
  return t
end
