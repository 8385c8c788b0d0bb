-- wrk script for the closed-loop runs of `python -m pollinate.bench`.
-- The request (method, body, session cookie, CSRF header) comes from the environment so one script
-- serves every endpoint; done() prints one JSON line the harness parses.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
-- Sessions take turns ("|"-separated): one for reads, several writers for rate-limited writes.
local cookies, csrfs = {}, {}
for value in string.gmatch(os.getenv("BENCH_COOKIES") or "", "[^|]+") do
  table.insert(cookies, value)
end
for value in string.gmatch(os.getenv("BENCH_CSRFS") or "", "[^|]+") do
  table.insert(csrfs, value)
end
if #cookies == 1 then
  wrk.headers["Cookie"] = cookies[1]
  if csrfs[1] then wrk.headers["X-CSRFToken"] = csrfs[1] end
elseif #cookies > 1 then
  local turn = 0
  request = function()
    turn = turn % #cookies + 1
    wrk.headers["Cookie"] = cookies[turn]
    wrk.headers["X-CSRFToken"] = csrfs[turn] or ""
    return wrk.format()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
