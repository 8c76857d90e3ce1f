-- wrk script for bench/run.sh: POSTs one order-select body, optionally with a unique JWT per
-- request, and prints a machine-readable summary (incl. p99.9) from done().
--
-- Environment (read in each thread's init):
--   BENCH_BODY    file with the JSON request body (required)
--   BENCH_PATH    request path (default /cds-services/vcf-imaging-select)
--   BENCH_TOKENS  file of JWTs, one per line (optional). Each wrk thread takes its own contiguous
--                 slice and walks it once; after the slice is used up it wraps around, and the
--                 server answers the replayed jti with 401, counted as non-2xx in the summary
--                 (run.sh sizes the pool so that does not happen, and reports it if it does).

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local function read_file(name)
  local f = assert(io.open(name, "rb"), "cannot open " .. name)
  local data = f:read("*a")
  f:close()
  return data
end

local tokens = nil
local first, last, next_index = 0, 0, 0
local wrapped = 0

function init(args)
  wrk.method = "POST"
  wrk.path = os.getenv("BENCH_PATH") or "/cds-services/vcf-imaging-select"
  wrk.body = read_file(assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set"))
  wrk.headers["Content-Type"] = "application/json"
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
  if tokens == nil then
    return wrk.format()
  end
  local token = tokens[next_index]
  next_index = next_index + 1
  if next_index > last then
    next_index = first
    wrapped = wrapped + 1
  end
  wrk.headers["Authorization"] = "Bearer " .. token
  return wrk.format()
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f " ..
    "max_ms=%.3f non2xx=%d connect_err=%d read_err=%d write_err=%d timeout=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
