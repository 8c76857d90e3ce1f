-- wrk script for bench/run.sh: POSTs one order-select body, optionally with a unique JWT per
-- request, optionally at a fixed rate, and prints a machine-readable summary (incl. p99.9) from
-- done().
--
-- Environment (read in each thread's init):
--   BENCH_BODY    file with the JSON request body (required). Its "hookInstance" value is
--                 replaced per request by a new one, as an EHR sends for every hook call: the
--                 service joins a repeated hookInstance to the first record (a retry), so the
--                 same body sent again would measure joins, not consults written to the trail.
--   BENCH_PATH    request path (default /cds-services/vcf-imaging-select)
--   BENCH_TOKENS  file of JWTs, one per line (optional). Each wrk thread takes its own contiguous
--                 slice and walks it once; after the slice is used up it wraps around, and the
--                 server answers the replayed jti with 401, counted as non-2xx in the summary
--                 (run.sh sizes the pool so that does not happen, and reports it if it does).
--   BENCH_RATE    requests per second for all threads together (optional; needs
--                 BENCH_WRK_THREADS). Each thread hands out send times on a fixed schedule
--                 (threads offset by a share of one interval) to whichever of its connections is
--                 free, and wrk waits until then (delay(), 1 ms resolution). A send that finds its
--                 time already past, because every connection was still waiting for an answer,
--                 goes at once and counts as late: wrk's latency starts at the send, so that wait
--                 is not in it, and late_sends / max_late_ms in the summary say how much was left
--                 out.
--   BENCH_ID_OFFSET  added to the thread number in each hookInstance (default 0): wrk processes
--                 that run at the same time, or one after another against one trail, must not
--                 send the same hookInstance, or the service joins them as retries of one call
--                 (bench/pg_instances.sh gives each wrk run its own offset).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_REALTIME, CLOCK_MONOTONIC = 0, 1
local timespec = ffi.new("bench_timespec")
local function clock_ms(clock)
  ffi.C.clock_gettime(clock, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local counter = 0
local threads = {}
-- Part of every hookInstance: run.sh sends several wrk runs (the warm-up, small, large) to one
-- trail, and the same id with the same body in a later run would be joined as a retry.
local run = math.floor(clock_ms(CLOCK_REALTIME) * 1000) % 0x100000000

function setup(thread)
  thread:set("id", counter)
  thread:set("run", run)
  threads[#threads + 1] = thread
  counter = counter + 1
end

local function read_file(name)
  local f = assert(io.open(name, "rb"), "cannot open " .. name)
  local data = f:read("*a")
  f:close()
  return data
end

-- The body around its hookInstance value; each request puts a fresh id between them.
local body_head, body_tail = nil, nil
local sent = 0

local function split_body(body)
  local key = '"hookInstance"%s*:%s*"'
  local _, value_at = body:find(key)
  assert(value_at, "BENCH_BODY has no hookInstance")
  local value_end = body:find('"', value_at + 1, true)
  return body:sub(1, value_at), body:sub(value_end)
end

local id_offset = 0
local tokens = nil
local first, last, next_index = 0, 0, 0
local wrapped = 0
local interval, next_send = nil, nil
late_sends, max_late_ms = 0, 0  -- globals: done() reads them from each thread

function init(args)
  wrk.method = "POST"
  wrk.path = os.getenv("BENCH_PATH") or "/cds-services/vcf-imaging-select"
  body_head, body_tail = split_body(read_file(assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set")))
  wrk.headers["Content-Type"] = "application/json"
  local rate = tonumber(os.getenv("BENCH_RATE") or "")
  if rate and rate > 0 then
    interval = 1000 * tonumber(os.getenv("BENCH_WRK_THREADS") or "2") / rate
    next_send = clock_ms(CLOCK_MONOTONIC) + 1000 / rate * id
  end
  id_offset = tonumber(os.getenv("BENCH_ID_OFFSET") or "0")
  local token_file = os.getenv("BENCH_TOKENS")
  if token_file and token_file ~= "" then
    local all = {}
    for line in io.lines(token_file) do
      if #line > 0 then all[#all + 1] = line end
    end
    local n = tonumber(os.getenv("BENCH_WRK_THREADS") or "2")
    local per = math.floor(#all / n)
    first = id * per + 1
    last = (id + 1) * per
    next_index = first
    tokens = all
  end
end

function request()
  sent = sent + 1
  -- A version-4-shaped UUID unique per run, thread and request.
  local body = body_head .. string.format("%08x-%04x-4000-8000-%012x", run, id + id_offset, sent) .. body_tail
  if tokens == nil then
    return wrk.format(nil, nil, nil, body)
  end
  local token = tokens[next_index]
  next_index = next_index + 1
  if next_index > last then
    next_index = first
    wrapped = wrapped + 1
  end
  wrk.headers["Authorization"] = "Bearer " .. token
  return wrk.format(nil, nil, nil, body)
end

-- Defined only for a fixed rate: wrk looks for delay() once, at start.
if (tonumber(os.getenv("BENCH_RATE") or "") or 0) > 0 then
  function delay()
    local wait = next_send - clock_ms(CLOCK_MONOTONIC)
    next_send = next_send + interval
    if wait < 0 then
      if wait < -1 then late_sends = late_sends + 1 end
      if -wait > max_late_ms then max_late_ms = -wait end
      return 0
    end
    return math.floor(wait + 0.5)
  end
end

-- wrk (4.x) "corrects" its latency histogram for coordinated omission before done() sees it: every
-- sample longer than twice the mean per-connection interval I (run time / (requests /
-- connections)) gets copies at v - I, v - 2I, ... down to I, as if requests had kept arriving at the
-- mean rate during the wait (wrk.c: stats_correct). That is the latency an open stream of users
-- would have seen, and it is what p50_ms..p999_ms report. But one 0.9 s pause of the server then
-- adds ~32 x 0.9 s / I samples (for 32 connections and I = 1.3 ms, 22,000 of them) and moves
-- p99 from ~2 ms to ~800 ms, although only 32 requests waited. raw_*: the same percentiles of the
-- requests as measured, recovered by undoing the correction (needs BENCH_CONNECTIONS).
local function raw_percentiles(summary, latency, points)
  local connections = tonumber(os.getenv("BENCH_CONNECTIONS") or "")
  local per_connection = connections and math.floor(summary.requests / connections) or 0
  if per_connection == 0 then return nil end
  local interval = math.floor(summary.duration / per_connection)
  -- latency(i): the i-th distinct latency (µs, ascending) and its count; #latency of them.
  local values, counts = {}, {}
  for i = 1, #latency do
    values[i], counts[i] = latency(i)
  end
  -- Longest first: the copies at v came from the raw samples at v + I, v + 2I, ... (v > I), i.e.
  -- from the longer latencies of v's residue class modulo I, already undone.
  local raw, longer, total = {}, {}, 0
  for i = #values, 1, -1 do
    local v, class = values[i], values[i] % interval
    local count = counts[i] - (v > interval and (longer[class] or 0) or 0)
    raw[i] = count
    longer[class] = (longer[class] or 0) + count
    total = total + count
  end
  -- Undone exactly, the raw samples are the requests wrk counted; otherwise report none.
  if total ~= summary.requests then return nil end
  local result, seen, i = {}, 0, 1
  for k, p in ipairs(points) do
    local rank = math.floor(p / 100 * total + 1)  -- wrk's rank: round(p / 100 * n + 0.5)
    while i < #values and seen + raw[i] < rank do
      seen = seen + raw[i]
      i = i + 1
    end
    result[k] = values[i] / 1000
  end
  return result
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local raw = raw_percentiles(summary, latency, {50, 99, 99.9})
  local late, max_late = 0, 0
  for _, thread in ipairs(threads) do
    late = late + (thread:get("late_sends") or 0)
    max_late = math.max(max_late, thread:get("max_late_ms") or 0)
  end
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f " ..
    "max_ms=%.3f non2xx=%d connect_err=%d read_err=%d write_err=%d timeout=%d " ..
    "raw_p50_ms=%s raw_p99_ms=%s raw_p999_ms=%s late_sends=%d max_late_ms=%.1f\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout,
    raw and string.format("%.3f", raw[1]) or "n/a", raw and string.format("%.3f", raw[2]) or "n/a",
    raw and string.format("%.3f", raw[3]) or "n/a", late, max_late))
end
