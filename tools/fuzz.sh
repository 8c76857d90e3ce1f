#!/usr/bin/env bash
# Fuzzes the request path (tests/fuzz/README.md): builds build/fuzz with clang + libFuzzer +
# ASan/UBSan, then runs request_fuzzer for N seconds (default 60) on a throwaway copy of the seed
# corpus. Fails on any crash, leak, timeout or sanitizer report; the input is kept in
# build/fuzz/artifacts/ — copy it to tests/fuzz/regressions/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-60}
jobs=${VCF_CDS_JOBS:-$(nproc)}
clangxx=$(command -v clang++ || command -v clang++-14)  # Debian's clang-14 has only the suffix

cmake -S "$root" -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$clangxx" -DVCF_CDS_FUZZ=ON >/dev/null
cmake --build build/fuzz -j "$jobs" --target request_fuzzer

corpus=$(mktemp -d /tmp/vcf-cds-fuzz-XXXXXX)
trap 'rm -rf "$corpus"' EXIT
# Seeds: the hook fixtures (real Sandbox/EHR calls) and every past regression.
cp tests/fixtures/hooks/*.json "$corpus"/
find tests/fuzz/regressions -type f ! -name '.*' -exec cp {} "$corpus"/ \;
mkdir -p build/fuzz/artifacts

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions="$root/tests/fuzz/ubsan.supp" \
  build/fuzz/tests/fuzz/request_fuzzer "$corpus" -dict=tests/fuzz/request.dict \
  -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$root/build/fuzz/artifacts/"
