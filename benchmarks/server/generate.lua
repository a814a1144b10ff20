-- wrk script: POST a plain generate; print requests/s and latency percentiles as JSON.
-- With BENCH_THREADS > 0, each request's body has "{thread}" replaced by a random
-- number in 1..BENCH_THREADS (the memory scenario's threads).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_BODY") or '{"messages":"Say hello."}'

local threads = tonumber(os.getenv("BENCH_THREADS") or "0")
if threads > 0 and wrk.body:find("{thread}", 1, true) then
  local before, after = wrk.body:match("^(.-){thread}(.*)$")
  function request()
    return wrk.format(nil, nil, nil, before .. math.random(threads) .. after)
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests": %d, "errors": %d, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f}\n',
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout,
    summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
