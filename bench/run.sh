#!/usr/bin/env bash
# bench/run.sh — load benchmark. Builds Release into build/bench (-DVCF_CDS_BENCH=ON),
# starts each server on loopback and drives it with wrk (closed loop: 32 connections, 2 threads)
# using bench/report.lua, for a small and a large order-select request:
#   (a) canned    vcf_cds_canned_server: http::Server returning a fixed body (the HTTP ceiling)
#   (b) pipeline  vcf_cds_pipeline_server: app::make_handlers, no audit store
#   (c) serve     vcf-cds serve --allow-unauthenticated, durable SQLite group commit on disk
#   (d) rs384     vcf-cds serve --trust-issuer (RS384 JWT, one unique jti per request)
#   (e) es384     vcf-cds serve --trust-issuer (ES384 JWT, one unique jti per request)
# plus `openssl speed ecdsap384` for the ES384 reference and the decision micro benchmark.
# Every request carries a hookInstance of its own (bench/report.lua): the service joins a repeated
# one to the first record as a retry, which would measure no audit write at all.
# Latency: p50/p99/p99.9 are wrk's, which it corrects for coordinated omission (a pause counts as
# if requests had kept arriving during it); raw p99/p99.9 are the requests as measured
# (bench/report.lua undoes the correction). The targets are judged on wrk's figures.
# For (c) the table also has the trail's bytes per consult: growth of audit.sqlite3 + its WAL
# during the wrk run, divided by the consults recorded in it.
# Two more parts for (c), after the table:
#   heavy     the heavy request (bench/make_requests.py: 100 selected orders, 4,900 Conditions,
#             ~1 MB) --heavy-calls times one after the other (default 20), then --heavy-burst at
#             once (default 12), with curl:
#             HTTP status, response bytes, audit bytes and consults per call, server VmHWM, and
#             VmRSS once idle after the burst.
#   openloop  small and large at a fixed --openloop-rate (default 1,000 req/s) for
#             --openloop-duration s (default 30) with wrk on a send schedule over
#             --openloop-connections (default 64): p50/p99/p99.9 and the rate achieved.
#
# usage: bench/run.sh [--duration S] [--connections N] [--wrk-threads N] [--token-cap N]
#                     [--only PARTS] [--heavy-calls N] [--heavy-burst N] [--openloop-rate R]
#                     [--openloop-duration S] [--openloop-connections N]
#                     [--soak S] [--ab DIR [--rounds N]] [--no-build] [--no-micro] [--jobs N]
#   --only PARTS  comma list of load (openssl, (a)-(e) with wrk, micro benchmark), heavy,
#                 openloop; default all three.
#   --soak S   only the soak: (c) with the large request for S seconds (documented: --soak 600),
#              VmRSS sampled every 5 s; reports RSS at start and end.
#   --ab DIR   only (c), A/B: this tree against another checkout DIR (its build/bench built
#              the same way), alternating which goes first, --rounds N times (default 3).
# Environment: BENCH_PORT (base port, default 18480). Results: build/bench/bench-run/ (results.tsv,
# heavy.tsv, openloop.tsv, table.txt with all three tables, wrk-*.txt, server logs).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
BUILD="$ROOT/build/bench"
OUT="$BUILD/bench-run"
DURATION=10 CONNECTIONS=32 WRK_THREADS=2 TOKEN_CAP=150000 SOAK=0 BUILD_IT=1 MICRO=1 JOBS=1
AB="" ROUNDS=3 ONLY=load,heavy,openloop HEAVY_CALLS=20 HEAVY_BURST=12
OPENLOOP_RATE=1000 OPENLOOP_DURATION=30 OPENLOOP_CONNECTIONS=64
while (($#)); do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --wrk-threads) WRK_THREADS="$2"; shift 2 ;;
    --token-cap) TOKEN_CAP="$2"; shift 2 ;;
    --soak) SOAK="$2"; shift 2 ;;
    --ab) AB="$(cd "$2" && pwd)"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --heavy-calls) HEAVY_CALLS="$2"; shift 2 ;;
    --heavy-burst) HEAVY_BURST="$2"; shift 2 ;;
    --openloop-rate) OPENLOOP_RATE="$2"; shift 2 ;;
    --openloop-duration) OPENLOOP_DURATION="$2"; shift 2 ;;
    --openloop-connections) OPENLOOP_CONNECTIONS="$2"; shift 2 ;;
    --no-build) BUILD_IT=0; shift ;;
    --no-micro) MICRO=0; shift ;;
    --jobs) JOBS="$2"; shift 2 ;;
    -h|--help) sed -n '2,39p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
for part in ${ONLY//,/ }; do
  case "$part" in load|heavy|openloop) ;; *) echo "run.sh: unknown part $part in --only" >&2; exit 1 ;; esac
done
part() { [[ ",$ONLY," == *",$1,"* ]]; }
PORT="${BENCH_PORT:-18480}"
SERVER_THREADS="$(nproc)"   # vcf-cds serve's default --threads is the core count
SERVICE_PATH=/cds-services/vcf-imaging-select
command -v wrk >/dev/null || { echo "run.sh: wrk missing (tools/setup.sh installs it)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "run.sh: sqlite3 missing (tools/setup.sh installs it)" >&2; exit 1; }

if ((BUILD_IT)); then
  # GCC 12 at -O3 (Release) emits false positives the default -O2 build does not (e.g.
  # -Wrestrict in src/audit/schema.cpp:97): keep them as warnings so -Werror cannot stop a bench.
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVCF_CDS_BENCH=ON \
    -DCMAKE_CXX_FLAGS="-Wno-error=restrict -Wno-error=format-truncation -Wno-error=stringop-overflow -Wno-error=stringop-overread -Wno-error=array-bounds -Wno-error=maybe-uninitialized" >/dev/null
  ninja -C "$BUILD" -j"$JOBS" vcf-cds vcf_cds_canned_server vcf_cds_pipeline_server \
    vcf_cds_mint_tokens vcf_cds_decision_bench
fi
mkdir -p "$OUT"
python3 "$ROOT/bench/make_requests.py" "$OUT" >/dev/null
RESULTS="$OUT/results.tsv"
printf 'config\trequest\trps\tp50_ms\tp99_ms\tp999_ms\tnon2xx\tsock_err\tidle_rss_kib\tpeak_rss_kib\tload1\traw_p99_ms\traw_p999_ms\tconsults\ttrail_bytes\ttrail_b_per_consult\twal_growth_bytes\n' >"$RESULTS"
# report.lua needs the connection count to undo wrk's coordinated-omission correction (raw_*).
export BENCH_CONNECTIONS="$CONNECTIONS"

SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  # A stopped server's audit files are not read again; removed, their dirty pages are never
  # written back, which would otherwise take CPU from the rows after it (and a soak leaves ~40 GB).
  rm -rf "$OUT"/data-*
}
trap stop_server EXIT

# start_server NAME CMD...: runs from the source tree (embedded default paths), waits for /healthz.
start_server() {
  local name="$1"; shift
  (cd "$ROOT" && exec "$@") >"$OUT/$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" == 200 ]]; then
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/$name.log" >&2; exit 1; }
    sleep 0.05
  done
  echo "run.sh: $name did not become healthy" >&2; exit 1
}
status_kib() { awk -v k="$2:" '$1==k {print $2}' "/proc/$1/status"; }

# The audit trail of a data dir: bytes of the database and its WAL, and the consults recorded
# in it. The WAL counts because it is disk the trail holds: it is not truncated while the server
# runs and grows to a steady size (~64 MiB) early on, so a short run's growth includes some of
# that (wal_growth_bytes says how much). The count comes from the file itself (a reader beside
# the running server is safe in WAL mode; -readonly so that it can never checkpoint or write).
file_bytes() { if [[ -f "$1" ]]; then stat -c %s "$1"; else echo 0; fi; }
trail_bytes() { echo $(( $(file_bytes "$1/audit.sqlite3") + $(file_bytes "$1/audit.sqlite3-wal") )); }
consults_in() {
  [[ -f "$1/audit.sqlite3" ]] || { echo 0; return; }
  sqlite3 -readonly "$1/audit.sqlite3" 'SELECT COUNT(*) FROM audit_consults'
}
TRAIL_DIR=""  # set while a wrk_run's server writes a SQLite trail there
# wrk_run CONFIG REQUEST BODY_FILE [TOKEN_FILE]: appends one results row. With TRAIL_DIR set,
# the row also has the consults the run recorded and the trail's growth during it.
wrk_run() {
  local config="$1" request="$2" body="$3" tokens="${4:-}"
  settle
  local load; load="$(load1)"
  local bytes0=0 consults0=0 wal0=0
  if [[ -n "$TRAIL_DIR" ]]; then
    bytes0="$(trail_bytes "$TRAIL_DIR")"; consults0="$(consults_in "$TRAIL_DIR")"
    wal0="$(file_bytes "$TRAIL_DIR/audit.sqlite3-wal")"
  fi
  BENCH_BODY="$body" BENCH_TOKENS="$tokens" BENCH_WRK_THREADS="$WRK_THREADS" BENCH_PATH="$SERVICE_PATH" \
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/report.lua" \
    "http://127.0.0.1:$PORT$SERVICE_PATH" >"$OUT/wrk-$config-$request.txt" 2>&1
  local line; line="$(grep '^RESULT' "$OUT/wrk-$config-$request.txt")"
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  local sock=$(( $(field connect_err) + $(field read_err) + $(field write_err) + $(field timeout) ))
  local consults=- bytes=- per_consult=- wal=- trail=""
  if [[ -n "$TRAIL_DIR" ]]; then
    consults=$(( $(consults_in "$TRAIL_DIR") - consults0 ))
    bytes=$(( $(trail_bytes "$TRAIL_DIR") - bytes0 ))
    wal=$(( $(file_bytes "$TRAIL_DIR/audit.sqlite3-wal") - wal0 ))
    per_consult="$(awk -v b="$bytes" -v n="$consults" 'BEGIN {print (n > 0 ? int(b / n + 0.5) : "-")}')"
    trail=" consults=$consults trail_bytes=$bytes trail_b_per_consult=$per_consult wal_growth=$wal"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$config" \
    "$request" "$(field rps)" "$(field p50_ms)" "$(field p99_ms)" "$(field p999_ms)" "$(field non2xx)" \
    "$sock" "$IDLE_RSS" "$(status_kib "$SERVER_PID" VmHWM)" "$load" "$(field raw_p99_ms)" \
    "$(field raw_p999_ms)" "$consults" "$bytes" "$per_consult" "$wal" >>"$RESULTS"
  echo "  $config/$request: $(cut -d' ' -f2- <<<"$line") load=$load$trail"
}
warm_up() {  # 1 s unmeasured, small body, no tokens
  BENCH_BODY="$OUT/small.json" BENCH_PATH="$SERVICE_PATH" wrk -t1 -c4 -d1s -s "$ROOT/bench/report.lua" \
    "http://127.0.0.1:$PORT$SERVICE_PATH" >/dev/null 2>&1 || true
}
rps_of() { awk -F'\t' -v c="$1" -v r="$2" '$1==c && $2==r {print $3}' "$RESULTS"; }

# ---- JWT material: keys and JWK Sets from tools/mint_jwt.py (independent of src/auth) ------------
MINT_PY="$ROOT/tools/mint_jwt.py"
RS_ISS="https://ehr.bench.example/rs384" ES_ISS="https://ehr.bench.example/es384"
AUD="http://127.0.0.1:$PORT$SERVICE_PATH"
if [[ ! -f "$OUT/rs.pem" ]]; then python3 "$MINT_PY" keygen --type rsa2048 --out "$OUT/rs.pem"; fi
if [[ ! -f "$OUT/es.pem" ]]; then python3 "$MINT_PY" keygen --type ec-p384 --out "$OUT/es.pem"; fi
python3 "$MINT_PY" jwks "$OUT/rs.pem:rs-bench:RS384" >"$OUT/rs.jwks.json"
python3 "$MINT_PY" jwks "$OUT/es.pem:es-bench:ES384" >"$OUT/es.jwks.json"
mint() {  # mint ALG COUNT FILE
  local key=rs.pem kid=rs-bench iss="$RS_ISS"
  [[ "$1" == ES384 ]] && key=es.pem kid=es-bench iss="$ES_ISS"
  "$BUILD/bench/vcf_cds_mint_tokens" --alg "$1" --key "$OUT/$key" --kid "$kid" --iss "$iss" \
    --aud "$AUD" --count "$2" --out "$3" --threads "$(nproc)"
}
serve_cmd() {  # the real service, embedded defaults except listen/data-dir/auth
  local data="$OUT/data-$1"; rm -rf "$data"; shift
  echo "$BUILD/vcf-cds" serve --listen "127.0.0.1:$PORT" --data-dir "$data" "$@"
}

# soak_latency_sample T: "T,trail bytes,calls,calls <= 25 ms,<= 100 ms,<= 500 ms" from /metrics.
soak_latency_sample() {
  local trail metrics
  trail="$(stat -c %s "$OUT/data-soak/audit.sqlite3" 2>/dev/null || echo 0)"
  metrics="$(curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" | grep 'request_duration_seconds_bucket{endpoint="call"')"
  bucket() { awk -v le="$1" 'index($0, "le=\"" le "\"") { print $NF }' <<<"$metrics"; }
  echo "$1,$trail,$(bucket +Inf),$(bucket 0.025),$(bucket 0.1),$(bucket 0.5)"
}

if ((SOAK > 0)); then
  echo "== soak: (c) serve + large request for ${SOAK}s, load $(load1)"
  # shellcheck disable=SC2046
  start_server soak $(serve_cmd soak --allow-unauthenticated)
  warm_up
  echo "t_s,vmrss_kib,vmhwm_kib,load1" >"$OUT/soak-rss.csv"
  # Every 60 s: the trail's size and the server's own call-duration histogram (cumulative
  # counts), so the tail can be followed minute by minute as the trail grows.
  echo "t_s,trail_bytes,calls,le_0.025,le_0.1,le_0.5" >"$OUT/soak-latency.csv"
  BENCH_BODY="$OUT/large.json" BENCH_PATH="$SERVICE_PATH" \
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${SOAK}s" --latency -s "$ROOT/bench/report.lua" \
    "http://127.0.0.1:$PORT$SERVICE_PATH" >"$OUT/wrk-soak.txt" 2>&1 &
  WRK_PID=$!
  t=0
  while kill -0 "$WRK_PID" 2>/dev/null; do
    echo "$t,$(status_kib "$SERVER_PID" VmRSS),$(status_kib "$SERVER_PID" VmHWM),$(load1)" >>"$OUT/soak-rss.csv"
    ((t % 60 == 0)) && soak_latency_sample "$t" >>"$OUT/soak-latency.csv"
    sleep 5; t=$((t + 5))
  done
  wait "$WRK_PID" || true
  echo "$t,$(status_kib "$SERVER_PID" VmRSS),$(status_kib "$SERVER_PID" VmHWM),$(load1)" >>"$OUT/soak-rss.csv"
  soak_latency_sample "$t" >>"$OUT/soak-latency.csv"
  grep '^RESULT' "$OUT/wrk-soak.txt"
  echo "RSS samples (KiB): first $(sed -n 2p "$OUT/soak-rss.csv"), last $(tail -1 "$OUT/soak-rss.csv")"
  echo "  (second sample is after 5 s of load; see $OUT/soak-rss.csv)"
  echo "per interval: end s, trail GB, calls, % over 25 ms, % over 100 ms, % over 500 ms"
  awk -F, 'NR > 2 && $3 > c { n = $3 - c
      printf "  %5d %6.1f %8d %7.3f %7.3f %7.3f\n", $1, $2 / 1e9, n,
        100 * (n - ($4 - a)) / n, 100 * (n - ($5 - b)) / n, 100 * (n - ($6 - d)) / n }
    NR > 1 { c = $3; a = $4; b = $5; d = $6 }' "$OUT/soak-latency.csv"
  exit 0
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cat /proc/loadavg)"

run_config() {  # run_config NAME TOKEN_PREFIX CMD...
  local name="$1" tokens="$2"; shift 2
  echo "== ($name) $*"
  start_server "$name" "$@"
  if [[ -z "$tokens" ]]; then warm_up; fi
  IDLE_RSS="$(status_kib "$SERVER_PID" VmRSS)"
  wrk_run "$name" small "$OUT/small.json" "${tokens:+$tokens-small.txt}"
  wrk_run "$name" large "$OUT/large.json" "${tokens:+$tokens-large.txt}"
  stop_server
}

if [[ -n "$AB" ]]; then
  [[ -x "$AB/build/bench/vcf-cds" ]] || { echo "run.sh: build $AB/build/bench first" >&2; exit 1; }
  THIS_ROOT="$ROOT"
  for ((round = 1; round <= ROUNDS; round++)); do
    order=(this other); ((round % 2 == 0)) && order=(other this)
    for side in "${order[@]}"; do
      ROOT="$THIS_ROOT"; [[ "$side" == other ]] && ROOT="$AB"
      data="$OUT/data-ab"; rm -rf "$data"
      echo "== (c-$side, round $round) $ROOT"
      start_server "c-$side" "$ROOT/build/bench/vcf-cds" serve --listen "127.0.0.1:$PORT" \
        --data-dir "$data" --allow-unauthenticated
      ROOT="$THIS_ROOT"; warm_up; IDLE_RSS="$(status_kib "$SERVER_PID" VmRSS)"
      TRAIL_DIR="$data"
      wrk_run "c-$side-$round" small "$OUT/small.json"
      wrk_run "c-$side-$round" large "$OUT/large.json"
      TRAIL_DIR=""
      stop_server
    done
  done
  echo; echo "== A/B of (c): requests/s and p99 ms per round (this = $THIS_ROOT, other = $AB)"
  awk -F'\t' 'NR > 1 {print $1, $2, $3 " rps", "p99 " $5 " ms", "peak RSS " $10 " KiB",
    "trail " $16 " B/consult"}' "$RESULTS"
  awk -F'\t' 'NR > 1 {split($1, c, "-"); k = c[2] " " $2; s[k] += $3; t[k] += $16; n[k]++}
    END {for (k in s) printf "mean %s: %.0f rps, %.0f trail B/consult\n", k, s[k] / n[k], t[k] / n[k]}' \
    "$RESULTS" | sort
  exit 0
fi
: >"$OUT/table.txt"

# ---- load: openssl, (a)-(e) with wrk and their table ------------------------------------------
load_part() {
  settle
  echo "== openssl speed -elapsed -seconds 5 ecdsap384"
  openssl speed -elapsed -seconds 5 ecdsap384 >"$OUT/openssl-speed.txt" 2>/dev/null
  OPENSSL_VERIFY="$(awk '/nistp384/ {v=$NF} END {print v}' "$OUT/openssl-speed.txt")"
  echo "  ecdsap384 verify/s = $OPENSSL_VERIFY (one core), load $(load1)"
  # (a) needs the real response bytes: take them from the pipeline server once.
  start_server probe "$BUILD/bench/vcf_cds_pipeline_server" "$PORT" "$SERVER_THREADS"
  curl -s -X POST -H 'Content-Type: application/json' --data-binary @"$OUT/small.json" \
    "http://127.0.0.1:$PORT$SERVICE_PATH" >"$OUT/canned-response.json"
  stop_server

  run_config a-canned "" "$BUILD/bench/vcf_cds_canned_server" "$PORT" "$SERVER_THREADS" "$OUT/canned-response.json"
  run_config b-pipeline "" "$BUILD/bench/vcf_cds_pipeline_server" "$PORT" "$SERVER_THREADS"
  TRAIL_DIR="$OUT/data-c"
  # shellcheck disable=SC2046
  run_config c-serve "" $(serve_cmd c --allow-unauthenticated)
  TRAIL_DIR=""

  # Token pools: one unique jti per request. Sized from (c)'s rate (the JWT runs cannot beat it)
  # with 30% headroom, ES384 additionally by the verify rate of all cores; capped at --token-cap
  # (default 150,000: a pool that runs out shows as non2xx, replayed tokens answered 401).
  pool() {  # pool RATE
    awk -v r="$1" -v d="$DURATION" -v cap="$TOKEN_CAP" \
      'BEGIN {n = int(r * d * 1.3) + 1000; if (n > cap) n = cap; print n}'
  }
  for req in small large; do
    rate_c="$(rps_of c-serve "$req")"
    es_rate="$(awk -v a="$rate_c" -v b="$OPENSSL_VERIFY" -v n="$(nproc)" 'BEGIN {m = b * n; print (a < m ? a : m)}')"
    RS_N="$(pool "$rate_c")"; ES_N="$(pool "$es_rate")"
    echo "== minting $RS_N RS384 and $ES_N ES384 tokens for the $req runs (cap $TOKEN_CAP)"
    mint RS384 "$RS_N" "$OUT/tokens-rs-$req.txt"
    mint ES384 "$ES_N" "$OUT/tokens-es-$req.txt"
    echo "$req RS384=$RS_N ES384=$ES_N cap=$TOKEN_CAP" >>"$OUT/token-pools.txt"
  done
  mint RS384 4 "$OUT/check-rs.txt"; mint ES384 4 "$OUT/check-es.txt"

  check_token() {  # one request with a fresh token must answer 200 (verifies the minting)
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $(head -1 "$1")" --data-binary @"$OUT/small.json" "$AUD")"
    echo "  token check $(basename "$1"): HTTP $code"
    [[ "$code" == 200 ]] || { echo "run.sh: minted token rejected, see $OUT/*.log" >&2; exit 1; }
  }
  # The pools are minted with a 3000 s lifetime (they must outlive the whole run), above the
  # service's 900 s default; the lifetime bound also sizes the jti cache (~624,000 entries here),
  # so up to two pools of TOKEN_CAP tokens fit without a 503.
  JWT_FLAGS=(--jwt-max-lifetime-seconds 3000)
  jwt_config() {  # jwt_config NAME ISSUER KEYS: (d) or (e), tokens and keys named by KEYS (rs|es)
    local name="$1" issuer="$2" keys="$3"
    echo "== ($name) vcf-cds serve --trust-issuer $issuer=$keys.jwks.json"
    # shellcheck disable=SC2046
    start_server "$name" $(serve_cmd "${name%%-*}" --trust-issuer "$issuer=$OUT/$keys.jwks.json" \
      "${JWT_FLAGS[@]}")
    check_token "$OUT/check-$keys.txt"; IDLE_RSS="$(status_kib "$SERVER_PID" VmRSS)"
    wrk_run "$name" small "$OUT/small.json" "$OUT/tokens-$keys-small.txt"
    wrk_run "$name" large "$OUT/large.json" "$OUT/tokens-$keys-large.txt"
    stop_server
  }
  jwt_config d-rs384 "$RS_ISS" rs
  jwt_config e-es384 "$ES_ISS" es

  # ---- table with ratios --------------------------------------------------------------------------
  echo
  echo "== results (ratio = rps / rps of (a) for the same request; (e) also / openssl verify/s;"
  echo "   trail B/c: growth of the SQLite trail and its WAL during the run / consults it recorded)"
  awk -F'\t' -v ov="$OPENSSL_VERIFY" 'NR == 1 {next}
    {rows[NR] = $0; if ($1 == "a-canned") base[$2] = $3}
    END {
      printf "%-11s %-6s %9s %7s %8s %8s %9s %8s %9s %7s %9s %9s %5s %11s\n", "config", "req",
        "req/s", "x(a)", "p50 ms", "p99 ms", "p99.9 ms", "raw p99", "raw p99.9", "non2xx",
        "idle MiB", "peak MiB", "load", "trail B/c"
      for (i = 2; i <= NR; i++) {
        split(rows[i], f, "\t")
        extra = (f[1] == "e-es384") ? sprintf("  x(openssl verify)=%.2f", f[3] / ov) : ""
        printf "%-11s %-6s %9.0f %7.2f %8.2f %8.2f %9.2f %8s %9s %7d %9.1f %9.1f %5s %11s%s\n", f[1],
          f[2], f[3], f[3] / base[f[2]], f[4], f[5], f[6], f[12], f[13], f[7] + f[8], f[9] / 1024,
          f[10] / 1024, f[11], f[16], extra
      }
    }' "$RESULTS" | tee -a "$OUT/table.txt"
  echo "openssl ecdsap384 verify/s (1 core): $OPENSSL_VERIFY" | tee -a "$OUT/table.txt"
}
# ---- heavy: what one call as large as the default limits allow costs (c) ----------------------
# heavy_call PHASE N OUT: heavy call N; prints "PHASE HTTP_CODE RESPONSE_BYTES SECONDS" (code 000
# when curl got no answer). "Expect:" empty: curl would otherwise announce a body this large and
# wait a second for a "100 Continue" before sending it.
heavy_call() {
  curl -s -o "$3" -w "$1 %{http_code} %{size_download} %{time_total}\n" -X POST --max-time 120 \
    -H 'Content-Type: application/json' -H 'Expect:' --data-binary @"$OUT/heavy-body-$2.json" \
    "http://127.0.0.1:$PORT$SERVICE_PATH" || true
}
# heavy_stats PHASE: "calls ok codes response_bytes p50_s max_s" over heavy-calls.txt (response
# bytes: mean of the 200 answers; codes: e.g. 200x20 or 200x11,503x1).
heavy_stats() {
  awk -v p="$1" '$1 == p {print $4, $2, $3}' "$OUT/heavy-calls.txt" | sort -n |
    awk '{t[NR] = $1; c[$2]++; if ($2 == 200) {ok++; b += $3}}
      END {codes = ""; for (k in c) codes = codes (codes == "" ? "" : ",") k "x" c[k]
        printf "%d %d %s %.0f %.3f %.3f\n", NR, ok, codes, (ok ? b / ok : 0), t[int((NR + 1) / 2)], t[NR]}'
}
heavy_part() {
  local data="$OUT/data-c" bytes; bytes="$(stat -c %s "$OUT/heavy.json")"
  echo "== (c) heavy: $bytes B request, $HEAVY_CALLS calls one after the other, then $HEAVY_BURST at once"
  # Each call its own hookInstance (as bench/report.lua does): a repeated one is joined to the
  # first record as a retry and writes nothing.
  local run i; run="$(printf '%08x' $(( $(date +%s) % 4294967296 )))"
  for ((i = 1; i <= HEAVY_CALLS + HEAVY_BURST; i++)); do
    sed "s/\"hookInstance\":\"[^\"]*\"/\"hookInstance\":\"$run-0000-4000-8000-$(printf '%012x' "$i")\"/" \
      "$OUT/heavy.json" >"$OUT/heavy-body-$i.json"
  done
  # shellcheck disable=SC2046
  start_server c-heavy $(serve_cmd c --allow-unauthenticated)
  settle
  local idle_rss b0 c0 b1 c1 b2 c2 hwm1 rss1 hwm2 rss2 pids=()
  idle_rss="$(status_kib "$SERVER_PID" VmRSS)"
  b0="$(trail_bytes "$data")"; c0="$(consults_in "$data")"
  : >"$OUT/heavy-calls.txt"
  for ((i = 1; i <= HEAVY_CALLS; i++)); do
    heavy_call seq "$i" "$( ((i == 1)) && echo "$OUT/heavy-response.json" || echo /dev/null)" \
      >>"$OUT/heavy-calls.txt"
  done
  b1="$(trail_bytes "$data")"; c1="$(consults_in "$data")"
  hwm1="$(status_kib "$SERVER_PID" VmHWM)"; rss1="$(status_kib "$SERVER_PID" VmRSS)"
  for ((i = 1; i <= HEAVY_BURST; i++)); do
    heavy_call burst $((HEAVY_CALLS + i)) /dev/null >"$OUT/heavy-burst-$i.txt" &
    pids+=($!)
  done
  # Not a bare `wait`: the server is a child of this shell too.
  for i in "${pids[@]}"; do wait "$i" || true; done
  cat "$OUT"/heavy-burst-*.txt >>"$OUT/heavy-calls.txt"; rm -f "$OUT"/heavy-burst-*.txt
  hwm2="$(status_kib "$SERVER_PID" VmHWM)"
  # Idle: what the server still holds a few quiet seconds after the burst was answered; by then
  # any commit that was still running when its call was answered has landed in the trail too.
  sleep 5
  rss2="$(status_kib "$SERVER_PID" VmRSS)"
  b2="$(trail_bytes "$data")"; c2="$(consults_in "$data")"
  stop_server
  rm -f "$OUT"/heavy-body-*.json
  local seq burst
  seq="$(heavy_stats seq)"; burst="$(heavy_stats burst)"
  printf 'phase\tcalls\tok\tcodes\tresponse_bytes\tconsults_per_call\taudit_bytes_per_call\taudit_bytes_per_consult\tp50_s\tmax_s\tvmhwm_kib\tvmrss_kib\n' \
    >"$OUT/heavy.tsv"
  # heavy_row PHASE STATS CONSULTS BYTES HWM RSS
  heavy_row() {
    local calls ok codes resp p50 max
    read -r calls ok codes resp p50 max <<<"$2"
    awk -v OFS='\t' -v p="$1" -v n="$calls" -v ok="$ok" -v codes="$codes" -v resp="$resp" \
      -v c="$3" -v b="$4" -v p50="$p50" -v max="$max" -v hwm="$5" -v rss="$6" \
      'BEGIN {print p, n, ok, codes, resp, (n ? c / n : 0), (n ? int(b / n + 0.5) : 0),
        (c ? int(b / c + 0.5) : "-"), p50, max, hwm, rss}' >>"$OUT/heavy.tsv"
  }
  heavy_row seq "$seq" $((c1 - c0)) $((b1 - b0)) "$hwm1" "$rss1"
  heavy_row burst "$burst" $((c2 - c1)) $((b2 - b1)) "$hwm2" "$rss2"
  {
    echo
    echo "== (c) heavy request: $bytes B (100 selected orders, 4,900 Conditions), load $(load1)"
    echo "   audit = growth of the SQLite trail and its WAL / calls; VmHWM after the phase;"
    echo "   VmRSS at its end (burst: 5 s after the last answer); idle before: $((idle_rss / 1024)) MiB"
    awk -F'\t' 'NR == 1 {printf "%-6s %5s %-14s %12s %9s %12s %10s %7s %7s %9s %9s\n", "phase",
        "calls", "codes", "response B", "consults", "audit B/call", "B/consult", "p50 s", "max s",
        "VmHWM MiB", "VmRSS MiB"; next}
      {printf "%-6s %5d %-14s %12s %9.1f %12s %10s %7.3f %7.3f %9.1f %9.1f\n", $1, $2, $4, $5, $6,
        $7, $8, $9, $10, $11 / 1024, $12 / 1024}' "$OUT/heavy.tsv"
  } | tee -a "$OUT/table.txt"
}

# ---- openloop: (c) at a fixed request rate ---------------------------------------------------
# wrk with bench/report.lua's BENCH_RATE schedule, not a closed loop: send times are fixed in
# advance, --openloop-connections of them wait for answers, and a send that finds every
# connection of its thread busy is late (counted). hey (Debian's fixed-rate tool) cannot be used
# for (c): it sends one body over and over, and the service joins a repeated hookInstance to the
# first record, so it would measure retries, not consults written; its per-worker tickers also
# start together, which turns the rate into bursts of all workers at once.
# Latency here is raw (as measured from each send), since the sends follow the schedule.
openloop_part() {
  echo "== (c) open loop: $OPENLOOP_RATE req/s for ${OPENLOOP_DURATION}s, wrk $WRK_THREADS threads," \
    "$OPENLOOP_CONNECTIONS connections"
  # shellcheck disable=SC2046
  start_server c-openloop $(serve_cmd c --allow-unauthenticated)
  warm_up
  printf 'config\trequest\ttarget_rps\tachieved_rps\trequests\tnon2xx\tsock_err\tp50_ms\tp99_ms\tp999_ms\tmax_ms\tlate_sends\tmax_late_ms\tload1\n' \
    >"$OUT/openloop.tsv"
  local req load line
  for req in small large; do
    settle
    load="$(load1)"
    BENCH_BODY="$OUT/$req.json" BENCH_WRK_THREADS="$WRK_THREADS" BENCH_PATH="$SERVICE_PATH" \
      BENCH_RATE="$OPENLOOP_RATE" BENCH_CONNECTIONS="$OPENLOOP_CONNECTIONS" \
      wrk -t"$WRK_THREADS" -c"$OPENLOOP_CONNECTIONS" -d"${OPENLOOP_DURATION}s" --latency \
      -s "$ROOT/bench/report.lua" "http://127.0.0.1:$PORT$SERVICE_PATH" >"$OUT/wrk-openloop-$req.txt" 2>&1
    line="$(grep '^RESULT' "$OUT/wrk-openloop-$req.txt")"
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    printf 'c-serve\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$req" "$OPENLOOP_RATE" \
      "$(field rps)" "$(field requests)" "$(field non2xx)" \
      $(( $(field connect_err) + $(field read_err) + $(field write_err) + $(field timeout) )) \
      "$(field raw_p50_ms)" "$(field raw_p99_ms)" "$(field raw_p999_ms)" "$(field max_ms)" \
      "$(field late_sends)" "$(field max_late_ms)" "$load" >>"$OUT/openloop.tsv"
    echo "  c-serve/$req: $(cut -d' ' -f2- <<<"$line") load=$load"
  done
  stop_server
  {
    echo
    echo "== (c) at a fixed $OPENLOOP_RATE req/s (${OPENLOOP_DURATION}s, $OPENLOOP_CONNECTIONS connections): latency as"
    echo "   measured from each send; late: sends that found no free connection (>1 ms behind)"
    awk -F'\t' 'NR == 1 {printf "%-8s %-6s %8s %9s %7s %8s %8s %9s %8s %6s %10s %5s\n", "config",
        "req", "target/s", "achieved", "non2xx", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "late",
        "max late", "load"; next}
      {printf "%-8s %-6s %8s %9.1f %7d %8.2f %8.2f %9.2f %8.2f %6s %10s %5s\n", $1, $2, $3, $4,
        $6 + $7, $8, $9, $10, $11, $12, $13, $14}' "$OUT/openloop.tsv"
  } | tee -a "$OUT/table.txt"
}

if part load; then load_part; fi
if part heavy; then heavy_part; fi
if part openloop; then openloop_part; fi

if part load && ((MICRO)); then
  stop_server
  settle
  echo "== decision micro benchmark (load $(load1))"
  (cd "$ROOT" && BENCH_REQUEST_DIR="$OUT" "$BUILD/bench/vcf_cds_decision_bench" \
    --benchmark_out="$OUT/decision_bench.json" --benchmark_out_format=json) | tee "$OUT/decision_bench.txt"
fi
echo "== done: $OUT (load $(cat /proc/loadavg))"
