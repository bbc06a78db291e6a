-- The mixed workload for wrk (benchmarks/load_bench.py): list and detail reads, audited
-- writes, KPI summaries and exports, as one administrator (BENCH_TOKEN). Each connection
-- waits BENCH_DELAY_MS between requests, so the rate is steady rather than flat out.
-- Logins with 2FA run beside wrk, from Python (TOTP codes need HMAC).

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = os.getenv("BENCH_TOKEN")
  customers = tonumber(os.getenv("BENCH_CUSTOMERS") or "10")
  pause = tonumber(os.getenv("BENCH_DELAY_MS") or "100")
  exports = tonumber(os.getenv("BENCH_EXPORT_EVERY") or "50")
  sent = 0
  server_errors = 0
  statuses = {}
  math.randomseed(os.time() + id)
end

local function headers(json)
  local h = { ["Authorization"] = "Bearer " .. token }
  if json then h["Content-Type"] = "application/json" end
  return h
end

function request()
  sent = sent + 1
  local n = sent % 10
  if sent % exports == 0 then
    return wrk.format("GET", "/api/v1/audit/export?entity_type=customer&entity_id="
      .. math.random(1, customers), headers(false))
  elseif n == 0 or n == 5 then
    local body = string.format('{"name": "Load %d-%d-%d"}', id, sent, math.random(1, 1000000000))
    return wrk.format("POST", "/api/v1/customers", headers(true), body)
  elseif n == 1 or n == 6 then
    return wrk.format("GET", "/api/v1/analytics/summary", headers(false))
  elseif n % 2 == 0 then
    return wrk.format("GET", "/api/v1/customers/" .. math.random(1, customers), headers(false))
  else
    return wrk.format("GET", "/api/v1/customers?page_size=20", headers(false))
  end
end

function delay()
  return pause
end

function response(status, headers, body)
  if status >= 500 then server_errors = server_errors + 1 end
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local errors = 0
  local by_status = {}
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("server_errors")
    for status, count in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(by_status) do table.insert(parts, status .. ":" .. count) end
  io.write(string.format(
    "RESULT requests=%d seconds=%.1f p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f max_ms=%.1f "
    .. "server_errors=%d connect_errors=%d timeouts=%d statuses=%s\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors, summary.errors.connect, summary.errors.timeout, table.concat(parts, ",")))
end
