#!/usr/bin/env bash
# The whole test suite, as CI runs it: install packages, then build and run every test twice —
# an optimised build with -Werror, and a Debug build under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

tools/setup.sh
jobs=${VCF_CDS_JOBS:-$(nproc)}

# A throwaway PostgreSQL server for the shared-audit-store tests (stopped on exit).
pg_dir=$(mktemp -d /tmp/vcf-cds-pg-XXXXXX)
cleanup() { tools/pg_test_server.sh stop "$pg_dir" >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap cleanup EXIT
if [ -x tools/pg_test_server.sh ]; then
  VCF_CDS_TEST_PG_URL=$(tools/pg_test_server.sh start "$pg_dir")
  export VCF_CDS_TEST_PG_URL
fi

run_suite() {  # name, extra cmake args...
  local name=$1; shift
  cmake -S "$root" -B "build/$name" -G Ninja "$@" >/dev/null
  cmake --build "build/$name" -j "$jobs"
  ctest --test-dir "build/$name" --output-on-failure -j "$jobs" --timeout 300
}

run_suite test -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite asan -DCMAKE_BUILD_TYPE=Debug -DVCF_CDS_SANITIZE=ON
tools/fuzz.sh "${VCF_CDS_FUZZ_SECONDS:-60}"
