#!/usr/bin/env bash
# bench/trim_ab.sh — issue #23 A/B: bench/trim_burst.sh (BURSTS=2) in 3 rounds, alternating the
# order of: on (this tree's build/bench/vcf-cds, defaults), off (the same with
# --trim-after-bytes 0) and base (another build, BASE_BINARY, defaults). One line per burst.
#
# usage: bench/trim_ab.sh BASE_BINARY [PORT]   (build build/bench first, as bench/run.sh does)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BASE="$1" PORT="${2:-18731}"
THIS="$ROOT/build/bench/vcf-cds"
for round in 1 2 3; do
  case $round in 1) order="on off base" ;; 2) order="off base on" ;; 3) order="base on off" ;; esac
  for side in $order; do
    case $side in
      on) out=$(BURSTS=2 "$ROOT/bench/trim_burst.sh" "$THIS" "$PORT") ;;
      off) out=$(BURSTS=2 "$ROOT/bench/trim_burst.sh" "$THIS" "$PORT" --trim-after-bytes 0) ;;
      base) out=$(BURSTS=2 "$ROOT/bench/trim_burst.sh" "$BASE" "$PORT") ;;
    esac
    while read -r line; do
      echo "round=$round side=$side $line load=$(cut -d' ' -f1 /proc/loadavg)"
    done <<<"$out"
  done
done
