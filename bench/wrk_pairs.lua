-- wrk script: create+confirm PaymentIntent pairs, a fixed number per connection.
--
-- Run with as many threads as connections (-t32 -c32): wrk keeps one Lua state per thread, so
-- with one connection per thread the state below is that connection's (create, then confirm the
-- intent the create answered). Each thread stops itself after its pairs and prints "finished";
-- wrk itself runs until -d or SIGINT, so the caller sends SIGINT once every thread has finished
-- and the rate is computed from the threads' own first-request and last-response times.
--   wrk -t32 -c32 -d600s --timeout 10s -s wrk_pairs.lua http://127.0.0.1:PORT -- PAIRS_PER_CONNECTION RUN_TAG
-- done() prints one line "RESULT {json}": pairs, failures, span, request and pair latency percentiles
-- (both timed here, from request() to response(), the same way bench/pairs_client.py times them).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  target = tonumber(args[1]) or 100
  tag = args[2] or "bench"
  completed, failures, first_failure = 0, 0, ""
  phase, intent = "create", nil
  started_us, finished_us, pair_started_us, request_started_us = 0, 0, 0, 0
  pair_us, request_us = {}, {}
  headers = {
    ["Authorization"] = "Bearer sk_test_bench",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
  create_body = "amount=1980&currency=jpy&payment_method=pm_card_visa"
end

function request()
  -- Stripe's SDKs send an Idempotency-Key with every POST; so does this load.
  local key = tag .. "-" .. thread_id .. "-" .. completed .. "-" .. failures
  request_started_us = now_us()
  if phase == "create" then
    pair_started_us = request_started_us
    if started_us == 0 then started_us = pair_started_us end
    headers["Idempotency-Key"] = key .. "-create"
    return wrk.format("POST", "/v1/payment_intents", headers, create_body)
  end
  headers["Idempotency-Key"] = key .. "-confirm"
  return wrk.format("POST", "/v1/payment_intents/" .. intent .. "/confirm", headers, "")
end

local function fail(status, body)
  failures = failures + 1
  if first_failure == "" then first_failure = status .. " " .. string.sub(body or "", 1, 200) end
  phase = "create"
end

function response(status, resp_headers, body)
  request_us[#request_us + 1] = now_us() - request_started_us
  if phase == "create" then
    intent = status == 200 and string.match(body, '"id":"(pi_[%w]+)"')
    if intent then phase = "confirm" else fail(status, body) end
  elseif status == 200 and string.find(body, '"status":"succeeded"', 1, true) then
    completed = completed + 1
    pair_us[completed] = now_us() - pair_started_us
    phase = "create"
  else
    fail(status, body)
  end
  if completed + failures >= target then
    finished_us = now_us()
    io.write("finished " .. thread_id .. "\n")
    io.flush()
    wrk.thread:stop()
  end
end

local function percentile(sorted, p)
  if #sorted == 0 then return 0 end
  local i = math.max(1, math.ceil(#sorted * p / 100))
  return sorted[i]
end

function done(summary, latency, requests)
  local pairs_done, failed, first = 0, 0, ""
  local first_start, last_end = math.huge, 0
  local all_pairs, all_requests = {}, {}
  for _, thread in ipairs(threads) do
    pairs_done = pairs_done + thread:get("completed")
    failed = failed + thread:get("failures")
    if first == "" then first = thread:get("first_failure") end
    local s, f = thread:get("started_us"), thread:get("finished_us")
    if s > 0 and s < first_start then first_start = s end
    if f == 0 then f = now_us() end  -- stopped by -d or SIGINT before its target
    if f > last_end then last_end = f end
    for _, v in ipairs(thread:get("pair_us")) do table.insert(all_pairs, v) end
    for _, v in ipairs(thread:get("request_us")) do table.insert(all_requests, v) end
  end
  table.sort(all_pairs)
  table.sort(all_requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"pairs": %d, "failures": %d, "requests": %d, "span_us": %d, ' ..
    '"request_p50_us": %d, "request_p99_us": %d, "request_max_us": %d, ' ..
    '"pair_p50_us": %d, "pair_p99_us": %d, "socket_errors": %d, "timeouts": %d, "first_failure": %q}\n',
    pairs_done, failed, summary.requests, last_end - first_start,
    percentile(all_requests, 50), percentile(all_requests, 99), all_requests[#all_requests] or 0,
    percentile(all_pairs, 50), percentile(all_pairs, 99),
    e.connect + e.read + e.write, e.timeout, first))
end
