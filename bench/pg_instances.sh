#!/usr/bin/env bash
# bench/pg_instances.sh — issue #22: appends from several instances to one PostgreSQL trail.
# The trail is one hash chain; every instance's writer locks the chain-head row
# (SELECT … FOR UPDATE) once per group-commit batch, so two instances take turns batch by batch.
# This measures what that costs. It starts a throwaway PostgreSQL (tools/pg_test_server.sh: fsync
# off, so the figures are the lock and the CPU, not a disk), then per round three phases:
#   one       ONE `vcf-cds serve --database-url` instance, one wrk with C connections, T threads;
#   shared    TWO instances on the same database (one chain, one head lock), each driven by its
#             own wrk with C/2 connections and T/2 threads: the same total offered load;
#   separate  the control: TWO instances as in `shared`, but each on a database of its own, so
#             the same processes compete for the same cores with no lock in common. shared against
#             separate is the cost of the shared head lock; separate against one is the cost of
#             running a second process on the same cores (--no-control leaves it out);
# each for the small and the large request of bench/make_requests.py, D seconds each, closed loop,
# --allow-unauthenticated (no JWT: the shared jti ledger is not part of this question).
# Every other round runs the phases in reverse order, so drift of the machine (other jobs on the
# same cores) does not favour one. Every phase writes fresh databases of its own, so no phase
# appends to a longer trail than another.
#
# While wrk runs, one PostgreSQL session samples pg_stat_activity every 50 ms (a single backend
# looping server side: a psql process per sample would itself cost CPU on the cores measured)
# and counts, for the audit writers (application_name vcf-cds-audit), how often a writer is inside
# a transaction and how often it waits on the chain-head row lock (wait_event_type = 'Lock' in
# the SELECT … FROM audit_chain_head … FOR UPDATE; a check with every lock wait counted found no
# other). Reported per writer as a share of wall time.
# /metrics gives each instance's consults answered 200 and audit transactions (commits): their
# ratio is the mean batch size.
#
# At the end `vcf-cds audit verify --database-url` runs on every phase's database and must report
# "chain ok" with exactly the consults the instances answered 200 (minus joined retries, which
# the run never sends: each wrk run has its own hookInstance range, BENCH_ID_OFFSET).
#
# usage: bench/pg_instances.sh [--duration S] [--connections N] [--wrk-threads N] [--rounds N]
#                              [--no-control] [--no-build] [--jobs N]
# Defaults: 20 s, 32 connections, 2 wrk threads, 2 rounds: 12 runs of 20 s, about 5 minutes.
# Environment: BENCH_PORT (first of two ports, default 18560; run.sh uses 18480).
# Results: build/bench/pg-instances/ (results.tsv, table.txt, logs).
#
# Written on its own rather than sourcing run.sh: run.sh's helpers keep one server in one global
# and run its whole benchmark when sourced; the few lines shared (settle, the RESULT fields) are
# repeated here so run.sh stays as it is.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
BUILD="$ROOT/build/bench"
OUT="$BUILD/pg-instances"
DURATION=20 CONNECTIONS=32 WRK_THREADS=2 ROUNDS=2 BUILD_IT=1 JOBS=1 CONTROL=1
while (($#)); do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --wrk-threads) WRK_THREADS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --no-build) BUILD_IT=0; shift ;;
    --no-control) CONTROL=0; shift ;;
    --jobs) JOBS="$2"; shift 2 ;;
    -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
    *) echo "pg_instances.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
PORT="${BENCH_PORT:-18560}"
SERVICE_PATH=/cds-services/vcf-imaging-select
command -v wrk >/dev/null || { echo "pg_instances.sh: wrk missing (tools/setup.sh installs it)" >&2; exit 1; }
command -v psql >/dev/null || { echo "pg_instances.sh: psql missing (Debian postgresql-client)" >&2; exit 1; }
((CONNECTIONS % 2 == 0)) || { echo "pg_instances.sh: --connections must be even" >&2; exit 1; }

if ((BUILD_IT)); then
  # The same configuration as run.sh, so both share build/bench (and its ccache entries).
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVCF_CDS_BENCH=ON \
    -DCMAKE_CXX_FLAGS="-Wno-error=restrict -Wno-error=format-truncation -Wno-error=stringop-overflow -Wno-error=stringop-overread -Wno-error=array-bounds -Wno-error=maybe-uninitialized" >/dev/null
  ninja -C "$BUILD" -j"$JOBS" vcf-cds
fi
VCF_CDS="$BUILD/vcf-cds"
rm -rf "$OUT"; mkdir -p "$OUT"
python3 "$ROOT/bench/make_requests.py" "$OUT" >/dev/null

# ---- PostgreSQL ---------------------------------------------------------------------------------
# pg_test_server.sh wants its directory under the temp directory (under root the server runs as
# another user, which must reach it).
PGDIR="$(mktemp -d "${TMPDIR:-/tmp}/vcf-cds-pg-instances.XXXXXX")"
SERVER_PIDS=()
stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  done
  SERVER_PIDS=()
}
cleanup() {
  stop_servers
  "$ROOT/tools/pg_test_server.sh" stop "$PGDIR" || true
  rm -rf "$PGDIR"
}
trap cleanup EXIT
PG_URL="$("$ROOT/tools/pg_test_server.sh" start "$PGDIR")"
PG_BASE="${PG_URL%/*}"   # postgresql://vcf_cds@127.0.0.1:PORT
psql_q() { psql -X -q -At -d "$PG_URL" -c "$1"; }
echo "== PostgreSQL $(psql_q 'SHOW server_version') at $PG_URL (fsync off)"


# Modes: one (1 instance), shared (2 instances, one database: one chain, one head lock) and
# separate (2 instances, a database each: the same processes and CPU, but no lock in common).
instances_of() { [[ "$1" == one ]] && echo 1 || echo 2; }
# db_of ROUND MODE I: the database instance I of that phase writes to.
db_of() { if [[ "$2" == separate ]]; then echo "r$1_$2_$3"; else echo "r$1_$2"; fi; }

# start_servers ROUND MODE: the phase's instances of the real service on ports PORT, PORT+1.
start_servers() {
  local round="$1" mode="$2" n i port db
  n="$(instances_of "$mode")"
  for ((i = 0; i < n; i++)); do
    port=$((PORT + i)) db="$(db_of "$round" "$mode" "$i")"
    (cd "$ROOT" && exec "$VCF_CDS" serve --listen "127.0.0.1:$port" --data-dir "$OUT/data-$i" \
      --database-url "$PG_BASE/$db" --allow-unauthenticated) >"$OUT/r$round-$mode-server$i.log" 2>&1 &
    SERVER_PIDS+=($!)
  done
  for ((i = 0; i < n; i++)); do
    port=$((PORT + i))
    local ok=0
    for _ in $(seq 1 200); do
      if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" == 200 ]]; then
        ok=1; break
      fi
      kill -0 "${SERVER_PIDS[$i]}" 2>/dev/null || { cat "$OUT/r$round-$mode-server$i.log" >&2; exit 1; }
      sleep 0.05
    done
    ((ok)) || { echo "pg_instances.sh: instance $i did not become healthy" >&2; exit 1; }
  done
}

# metric PORT NAME_AND_LABELS: one sample's value from /metrics (0 when absent).
metric() {
  curl -s --max-time 5 "http://127.0.0.1:$1/metrics" |
    awk -v k="$2" 'index($0, k) == 1 { v += $NF } END { printf "%d\n", v }'
}
calls_200() {
  curl -s --max-time 5 "http://127.0.0.1:$1/metrics" |
    awk '/^vcf_cds_requests_total\{endpoint="call",/ && /status="200"/ { v += $NF } END { printf "%d\n", v }'
}
commits() { metric "$1" 'vcf_cds_audit_commits_total'; }
joined() { metric "$1" 'vcf_cds_consult_retries_joined_total'; }

# Each wrk run gets its own hookInstance range (report.lua: BENCH_ID_OFFSET + thread number), so
# no two requests of the whole run look like retries of one call.
WRK_SEQ=0
next_offset() { WRK_SEQ=$((WRK_SEQ + 1)); echo $((WRK_SEQ * 16)); }

warm_up() {  # warm_up N: 1 s unmeasured per instance, small body (its consults count as recorded)
  local n="$1" i pids=()
  for ((i = 0; i < n; i++)); do
    BENCH_ID_OFFSET="$(next_offset)" BENCH_BODY="$OUT/small.json" BENCH_PATH="$SERVICE_PATH" \
      wrk -t1 -c4 -d1s -s "$ROOT/bench/report.lua" "http://127.0.0.1:$((PORT + i))$SERVICE_PATH" \
      >/dev/null 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}" || true
}

# sample_locks ROUND_PREFIX SECONDS: one backend samples pg_stat_activity every 50 ms for the
# audit writers of the phase's databases (names starting with the prefix) and prints "samples in_txn lock" (writer-samples inside a transaction / waiting on a lock).
# pg_stat_clear_snapshot() makes each iteration see the current state rather than the first one.
sample_locks() {
  psql -X -q -d "$PG_URL" -v ON_ERROR_STOP=1 -c "DO \$\$
DECLARE
  stop_at timestamptz := clock_timestamp() + interval '$2 seconds';
  n bigint := 0; t bigint := 0; l bigint := 0; ti int; li int;
BEGIN
  WHILE clock_timestamp() < stop_at LOOP
    PERFORM pg_stat_clear_snapshot();
    SELECT count(*) FILTER (WHERE state IN ('active', 'idle in transaction')),
           count(*) FILTER (WHERE wait_event_type = 'Lock' AND query LIKE '%audit_chain_head%FOR UPDATE%')
      INTO ti, li FROM pg_stat_activity
      WHERE datname LIKE '$1%' AND application_name = 'vcf-cds-audit' AND backend_type = 'client backend';
    n := n + 1; t := t + ti; l := l + li;
    PERFORM pg_sleep(0.05);
  END LOOP;
  RAISE NOTICE 'LOCKSAMPLE % % %', n, t, l;
END \$\$;" 2>&1 | sed -n 's/.*LOCKSAMPLE //p'
}

RESULTS="$OUT/results.tsv"
printf 'round\tmode\trequest\trps\tp99_ms\traw_p99_ms\tnon2xx\tsock_err\tin_txn_pct\tlock_wait_pct\tconsults_per_commit\tload1\n' >"$RESULTS"
EXPECTED="$OUT/expected.tsv"   # database, consults answered 200 (minus joined retries)
: >"$EXPECTED"

# measure ROUND MODE REQUEST: a wrk process per instance, all at once, C/N connections each.
measure() {
  local round="$1" mode="$2" request="$3" i pids=() sampler n
  n="$(instances_of "$mode")"
  local db="r${round}_$mode"   # the phase's database, or the prefix of its two
  local conns=$((CONNECTIONS / n)) threads=$((WRK_THREADS / n))
  ((threads >= 1)) || threads=1
  settle
  local load; load="$(load1)"
  local c0=0 k0=0
  for ((i = 0; i < n; i++)); do
    c0=$((c0 + $(calls_200 $((PORT + i))))); k0=$((k0 + $(commits $((PORT + i)))))
  done
  sample_locks "$db" "$DURATION" >"$OUT/locks-$db-$request.txt" &
  sampler=$!
  for ((i = 0; i < n; i++)); do
    BENCH_ID_OFFSET="$(next_offset)" BENCH_CONNECTIONS="$conns" BENCH_BODY="$OUT/$request.json" \
      BENCH_PATH="$SERVICE_PATH" wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency \
      -s "$ROOT/bench/report.lua" "http://127.0.0.1:$((PORT + i))$SERVICE_PATH" \
      >"$OUT/wrk-$db-$request-$i.txt" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  wait "$sampler" || true
  local c1=0 k1=0
  for ((i = 0; i < n; i++)); do
    c1=$((c1 + $(calls_200 $((PORT + i))))); k1=$((k1 + $(commits $((PORT + i)))))
  done
  # Sum the instances' rates; p99 is the worse instance's (percentiles do not add up).
  local rps=0 p99=0 raw99=0 non2xx=0 sock=0 line
  for ((i = 0; i < n; i++)); do
    line="$(grep '^RESULT' "$OUT/wrk-$db-$request-$i.txt")"
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    rps="$(awk -v a="$rps" -v b="$(field rps)" 'BEGIN {print a + b}')"
    p99="$(awk -v a="$p99" -v b="$(field p99_ms)" 'BEGIN {print (b > a ? b : a)}')"
    raw99="$(awk -v a="$raw99" -v b="$(field raw_p99_ms)" 'BEGIN {print (b + 0 > a ? b : a)}')"
    non2xx=$((non2xx + $(field non2xx)))
    sock=$((sock + $(field connect_err) + $(field read_err) + $(field write_err) + $(field timeout)))
  done
  local samples in_txn lock
  read -r samples in_txn lock <"$OUT/locks-$db-$request.txt" || true
  local txn_pct lock_pct per_commit
  txn_pct="$(awk -v s="${samples:-0}" -v t="${in_txn:-0}" -v n="$n" 'BEGIN {printf "%.1f", s ? 100 * t / (s * n) : -1}')"
  lock_pct="$(awk -v s="${samples:-0}" -v l="${lock:-0}" -v n="$n" 'BEGIN {printf "%.1f", s ? 100 * l / (s * n) : -1}')"
  per_commit="$(awk -v c=$((c1 - c0)) -v k=$((k1 - k0)) 'BEGIN {printf "%.1f", k ? c / k : 0}')"
  printf '%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$mode" "$request" "$rps" "$p99" \
    "$raw99" "$non2xx" "$sock" "$txn_pct" "$lock_pct" "$per_commit" "$load" >>"$RESULTS"
  printf '  round %s, %-8s %-5s: %6.0f consults/s  p99 %s ms (raw %s)  writer in txn %s%%  waiting on lock %s%%  %s consults/commit  samples %s  load %s\n' \
    "$round" "$mode" "$request" "$rps" "$p99" "$raw99" "$txn_pct" "$lock_pct" "$per_commit" "${samples:-0}" "$load"
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cat /proc/loadavg)"
MODES=(one shared separate)
((CONTROL)) || MODES=(one shared)
echo "== $ROUNDS rounds x (${MODES[*]}) x (small, large), ${DURATION}s each, $CONNECTIONS connections, $WRK_THREADS wrk threads in all"
for ((round = 1; round <= ROUNDS; round++)); do
  order=("${MODES[@]}")
  if ((round % 2 == 0)); then  # every other round backwards
    order=(); for ((i = ${#MODES[@]} - 1; i >= 0; i--)); do order+=("${MODES[$i]}"); done
  fi
  for mode in "${order[@]}"; do
    n="$(instances_of "$mode")"
    dbs=()
    for ((i = 0; i < n; i++)); do dbs+=("$(db_of "$round" "$mode" "$i")"); done
    mapfile -t dbs < <(printf '%s\n' "${dbs[@]}" | sort -u)
    for db in "${dbs[@]}"; do psql_q "CREATE DATABASE $db" >/dev/null; done
    echo "== round $round: $mode, $n instance(s) on database(s) ${dbs[*]}"
    start_servers "$round" "$mode"
    warm_up "$n"
    measure "$round" "$mode" small
    measure "$round" "$mode" large
    # Consults answered 200 per database (a retry joined to an earlier record adds none).
    declare -A recorded=()
    for ((i = 0; i < n; i++)); do
      db="$(db_of "$round" "$mode" "$i")"
      recorded[$db]=$(( ${recorded[$db]:-0} + $(calls_200 $((PORT + i))) - $(joined $((PORT + i))) ))
    done
    for db in "${dbs[@]}"; do printf '%s\t%s\n' "$db" "${recorded[$db]}" >>"$EXPECTED"; done
    unset recorded
    stop_servers   # a clean stop: each instance drains its queue first
  done
done

# ---- every phase's trail must verify with exactly the consults answered 200 ---------------------
echo "== audit verify"
failed=0
while read -r db expected; do
  got="$("$VCF_CDS" audit verify --database-url "$PG_BASE/$db" 2>&1)" || true
  heads="$(psql -X -q -At -d "$PG_BASE/$db" -c 'SELECT seq FROM audit_chain_head WHERE id = 1')"
  echo "  $db: $got (expected $expected; head seq $heads)"
  [[ "$got" == "chain ok: $expected records" ]] || failed=1
done <"$EXPECTED"

echo
echo "== results (consults/s summed over instances; p99: the worse instance's; lock wait and in txn: % of each writer's time)"
awk -F'\t' 'NR == 1 {next}
  { rows[NR] = $0 }
  END {
    printf "%-5s %-6s %-9s %10s %9s %9s %7s %8s %9s %10s %5s\n", "round", "req", "mode",
      "consults/s", "p99 ms", "raw p99", "non2xx", "in txn%", "lock wait%", "per commit", "load"
    for (i = 2; i <= NR; i++) {
      split(rows[i], f, "\t")
      printf "%-5s %-6s %-9s %10.0f %9.2f %9s %7d %8s %9s %10s %5s\n", f[1], f[3], f[2], f[4], f[5],
        f[6], f[7] + f[8], f[9], f[10], f[11], f[12]
    }
    print ""
  }' "$RESULTS" | tee "$OUT/table.txt"
# Ratios within a round (the same minutes of the machine): shared/one is the question of issue #22;
# separate/one and shared/separate split it into "a second process on the same cores" and "the
# two writers sharing one head lock".
ratios() {  # ratios A B LABEL
  awk -F'\t' -v a="$1" -v b="$2" -v label="$3" 'NR > 1 { r[$1 "\t" $3, $2] = $4; req[$3] = 1; rounds[$1] = 1 }
    END {
      for (q in req) {
        line = ""; s = 0; m = 0
        for (rd = 1; rd in rounds; rd++) {
          x = r[rd "\t" q, a]; y = r[rd "\t" q, b]
          if (x > 0 && y > 0) { line = line sprintf(" %.2f", x / y); s += x / y; m++ }
        }
        if (m) printf "ratio %s, %-5s (rounds 1..%d):%s; mean %.2f\n", label, q, m, line, s / m
      }
    }' "$RESULTS" | sort
}
{
  ratios shared one "2 instances one trail / 1 instance"
  ((CONTROL)) && ratios separate one "2 instances two trails / 1 instance"
  ((CONTROL)) && ratios shared separate "one trail / two trails, 2 instances"
} | tee -a "$OUT/table.txt"
if ((failed)); then
  echo "pg_instances.sh: audit verify did not report the expected records" | tee -a "$OUT/table.txt" >&2
  exit 1
fi
echo "audit verify: every phase's chain ok with the expected record count" | tee -a "$OUT/table.txt"
echo "== done: $OUT (load $(cat /proc/loadavg))"
