#!/usr/bin/env bash
# bench/trim_burst.sh — memory after a burst of heavy calls: does RSS come back?
# Starts `vcf-cds serve` (durable SQLite audit in a fresh data dir), sends one small call to warm
# up, reads VmRSS (idle), sends CALLS concurrent heavy calls (heavy.json of bench/make_requests.py: 100
# selected draft orders, 4,900 back pain Conditions) with curl, waits SETTLE seconds after the
# last answer, then reads VmRSS and VmHWM from /proc/PID/status and vcf_cds_memory_trims_total.
#
# usage: bench/trim_burst.sh BINARY PORT [extra serve flags...]
# Environment: CALLS (default 12), BURSTS (default 1: bursts one after another, RSS after each),
#              LOG_LEVEL (default warn; debug: the server's log, each trim with its duration, is
#              copied to TRIM_LOG, default /dev/null),
#              SETTLE (seconds, default 3). Prints one line of key=value per burst.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$1" PORT="$2"; shift 2
CALLS="${CALLS:-12}" BURSTS="${BURSTS:-1}" SETTLE="${SETTLE:-3}"
WORK="$(mktemp -d)"
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true
  cp "$WORK/serve.log" "${TRIM_LOG:-/dev/null}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
python3 "$ROOT/bench/make_requests.py" "$WORK" >/dev/null
# A hookInstance of its own for each call: a repeated one is joined to the first as a retry.
hook_instance=$(grep -o '"hookInstance":"[^"]*"' "$WORK/heavy.json" | cut -d'"' -f4)
for burst in $(seq "$BURSTS"); do
  for i in $(seq "$CALLS"); do
    sed "s/$hook_instance/$hook_instance-$burst-$i/" "$WORK/heavy.json" >"$WORK/heavy.$burst.$i.json"
  done
done
cd "$ROOT"
"$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --allow-unauthenticated \
  --log-level "${LOG_LEVEL:-warn}" "$@" 2>"$WORK/serve.log" &
PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT/cds-services/vcf-imaging-select"
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"; }
trims() { curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1 == "vcf_cds_memory_trims_total" { print $2 }'; }
curl -s -o /dev/null -w '' -H 'Content-Type: application/json' --data-binary @"$WORK/small.json" "$URL"
sleep 1
idle=$(kb VmRSS)
for burst in $(seq "$BURSTS"); do
  pids=()
  for i in $(seq "$CALLS"); do
    curl -s -o "$WORK/out.$i" -w '%{http_code} %{size_download}\n' -H 'Content-Type: application/json' \
      --data-binary @"$WORK/heavy.$burst.$i.json" "$URL" >"$WORK/code.$i" &
    pids+=($!)
  done
  wait "${pids[@]}"
  codes=$(cat "$WORK"/code.* | awk '{print $1}' | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
  bytes=$(head -1 "$WORK/code.1" | awk '{print $2}')
  sleep "$SETTLE"
  echo "burst=$burst idle_rss_kb=$idle after_rss_kb=$(kb VmRSS) hwm_kb=$(kb VmHWM)" \
    "trims=$(trims) codes=[${codes% }] response_bytes=$bytes"
done
