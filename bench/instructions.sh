#!/usr/bin/env bash
# bench/instructions.sh: the decision path in instructions a request, not µs.
#
# This VM's speed drifts by ±25 % within minutes, so a 3 % change to the decision path cannot be
# seen in bench/run.sh's µs. Instructions executed are the same on every run: callgrind counts
# them while vcf_cds_decision_bench runs twice, a short and a long run, and the difference over
# the difference in calls is the cost of one more request (start-up, the first call's one-off
# work and the benchmark's own setup cancel out). Needs valgrind and a bench build
# (bench/run.sh builds one into build/bench).
#
# usage: bench/instructions.sh [--build DIR] [--top N] [small|large|record-small|record-large ...]
#   small, large    the decision path (BM_Decision); record-*: plus the audit record the call's
#                   thread drafts when the durable store is on (BM_Record); default: all four
#   --top N   also list the N functions with the most instructions a request (self cost)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build/bench"
TOP=0
REQUESTS=()
while (($#)); do
  case "$1" in
    --build) BUILD="$2"; shift 2 ;;
    --top) TOP="$2"; shift 2 ;;
    small|large|record-small|record-large) REQUESTS+=("$1"); shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "instructions.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
((${#REQUESTS[@]})) || REQUESTS=(small large record-small record-large)
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind missing" >&2; exit 1; }
BENCH="$BUILD/bench/vcf_cds_decision_bench"
[[ -x "$BENCH" ]] || { echo "instructions.sh: $BENCH missing (run bench/run.sh first)" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 "$ROOT/bench/make_requests.py" "$WORK" >/dev/null

for request in "${REQUESTS[@]}"; do
  case "$request" in
    record-*) FILTER="BM_Record/${request#record-}\$" ;;
    *) FILTER="BM_Decision/$request\$" ;;
  esac
  for run in short:0.05 long:0.8; do
    # Run from the source tree: the bench loads cards/ and fhir-profiles/ by relative path.
    (cd "$ROOT" && BENCH_REQUEST_DIR="$WORK" valgrind --tool=callgrind \
      --callgrind-out-file="$WORK/$request.${run%%:*}.cg" "$BENCH" \
      --benchmark_filter="$FILTER" --benchmark_min_time="${run#*:}" \
      >"$WORK/$request.${run%%:*}.log" 2>&1) ||
      { cat "$WORK/$request.${run%%:*}.log" >&2; exit 1; }
  done
  python3 - "$WORK/$request.short.cg" "$WORK/$request.long.cg" "$request" "$TOP" <<'PY'
import re, subprocess, sys

def read(path):
    """Total instructions, calls of decide_once, and self cost by function."""
    lines = open(path).read().split("\n")
    names, calls = {}, 0
    total = next(int(l.split()[1]) for l in lines if l.startswith(("totals:", "summary:")))
    for i, line in enumerate(lines):
        m = re.match(r"^c?fn=\((\d+)\)(?: (.*))?", line)
        if not m:
            continue
        if m.group(2):
            names[m.group(1)] = m.group(2)
        if line.startswith("cfn=") and "decide_once" in names.get(m.group(1), "") \
                and lines[i + 1].startswith("calls="):
            calls += int(lines[i + 1].split("=")[1].split()[0])
    out = subprocess.run(["callgrind_annotate", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    by_function = {}
    for line in out.split("\n"):
        m = re.match(r"^\s*([\d,]+) \([^)]*\)\s+(.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            name = re.sub(r"^\?\?\?:|\s*\[/.*\]$", "", m.group(2))
            by_function[name] = by_function.get(name, 0) + int(m.group(1).replace(",", ""))
    return total, calls, by_function

short_path, long_path, request, top = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t0, c0, f0 = read(short_path)
t1, c1, f1 = read(long_path)
if c1 <= c0:
    sys.exit(f"instructions.sh: the long run made no more calls ({c0}, {c1})")
n = c1 - c0
print(f"{request}: {(t1 - t0) / n:,.0f} instructions a request ({c0} and {c1} calls)")
if top:
    cost = {k: (v - f0.get(k, 0)) / n for k, v in f1.items()}
    for name, v in sorted(cost.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {v:9,.0f}  {name[:110]}")
PY
done
