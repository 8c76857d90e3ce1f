# shellcheck shell=bash
# Shell helpers shared by bench/run.sh and bench/pg_instances.sh (sourced, not run).

# settle: waits until the kernel has written back dirty pages (an earlier phase's audit or
# database files), so that writeback does not run during the next measurement. At most ~60 s.
settle() {
  sync
  local dirty
  for _ in $(seq 1 120); do
    dirty="$(awk '/^(Dirty|Writeback):/ {s += $2} END {print s}' /proc/meminfo)"
    ((dirty < 65536)) && return 0
    sleep 0.5
  done
}

load1() { cut -d' ' -f1 /proc/loadavg; }
