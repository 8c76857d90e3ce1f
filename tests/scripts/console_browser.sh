#!/usr/bin/env bash
# The review console end to end: seed an audit trail with `vcf-cds audit import`, start
# `vcf-cds serve` with the console on a free loopback port, then tests/console/console_browser.py
# checks the JSON endpoints over HTTP and drives headless Chromium through chromedriver (Debian
# packages `chromium` and `chromium-driver`, installed by tools/setup.sh; no Node, no npm):
# explorer (9 variants, 71 rows), a "try it" case and its card, the dashboard numbers against
# `vcf-cds audit summary --json`, one consult's record. Screenshots: tests/artifacts/console-*.png.
set -euo pipefail
bin=${VCF_CDS_BINARY:?}
src=${VCF_CDS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
artifacts=${VCF_CDS_ARTIFACTS_DIR:-$src/tests/artifacts}
fail() { echo "FAIL: $*" >&2; exit 1; }

if ! "$bin" serve --help 2>&1 | grep -q -- '--console-token'; then
  fail "'vcf-cds serve --help' has no --console-token: the console is not wired into the server yet (src/app/handlers.cpp must route /console to console::console_handle, see include/vcf_cds/console.hpp)"
fi
chromium=${CHROMIUM:-$(command -v chromium || true)}
chromedriver=${CHROMEDRIVER:-$(command -v chromedriver || true)}
[ -n "$chromium" ] || fail "no chromium: run tools/setup.sh (Debian package chromium)"
[ -n "$chromedriver" ] || fail "no chromedriver: run tools/setup.sh (Debian package chromium-driver)"

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

python3 "$src/tests/console/console_browser.py" seed "$tmp/seed.ndjson"
"$bin" audit import --data-dir "$tmp/data" --input "$tmp/seed.ndjson" >/dev/null || fail "audit import"
"$bin" audit summary --data-dir "$tmp/data" --json >"$tmp/summary.json" || fail "audit summary"
"$bin" audit summary --data-dir "$tmp/data" --json --from 2024-05-02T00:00:00Z --to 2024-05-04T00:00:00Z \
  >"$tmp/summary-range.json" || fail "audit summary --from --to"

# Hex, not token_urlsafe: a token starting with '-' reads as an option to both command lines
# (this made the test fail about once in 64 runs).
token=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
# Port 0: the kernel picks a free port and the log line says which. (A port probed free by
# another process first can be taken by someone else before the server binds it.)
"$bin" serve --listen "127.0.0.1:0" --data-dir "$tmp/data" --threads 2 \
  --knowledge "$src/cards/criteria.json" --profiles "$src/fhir-profiles" --card-text "$src/cards/templates" \
  --console-token "$token" --console-dir "$src/deploy/console" --allow-unauthenticated \
  >"$tmp/serve.log" 2>&1 &
server_pid=$!

ready="" port=""
for _ in $(seq 1 150); do
  [ -n "$port" ] || port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\) (.*/\1/p' "$tmp/serve.log" | head -n1)
  if [ -n "$port" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/console/" 2>/dev/null; then
    ready=1
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$ready" ] || { cat "$tmp/serve.log" >&2; fail "the server did not serve /console/ on port $port"; }

mkdir -p "$artifacts"
python3 "$src/tests/console/console_browser.py" run --base "http://127.0.0.1:$port" --token "$token" \
  --summary "$tmp/summary.json" --summary-range "$tmp/summary-range.json" --artifacts "$artifacts" \
  --chromium "$chromium" --chromedriver "$chromedriver" \
  || { tail -n 40 "$tmp/serve.log" >&2; fail "console browser checks (screenshots in $artifacts)"; }
echo "console_browser: ok"
