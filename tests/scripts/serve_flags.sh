#!/usr/bin/env bash
# `vcf-cds serve` flags that change what a clinician sees, through the real binary:
# --quiet-when-appropriate, --evidence-base-url and --repeat-window-hours; and a refused
# --fhir-origin-concurrency 0.
set -euo pipefail
bin=${VCF_CDS_BINARY:?}
cd "${VCF_CDS_SOURCE_DIR:-$(dirname "$0")/../..}"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
pid=""
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; pid=""; }
trap 'stop; rm -rf "$tmp"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start() {  # flags...
  stop
  rm -rf "$tmp/data"
  "$bin" serve --listen "127.0.0.1:$port" --allow-unauthenticated --data-dir "$tmp/data" \
    --log-level warn "$@" >"$tmp/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; fail "serve $* did not start"; }
    sleep 0.05
  done
  fail "serve $* not healthy"
}
post() {  # service body-file -> response on stdout
  curl -s -X POST -H 'Content-Type: application/json' --data-binary @"$2" \
    "http://127.0.0.1:$port/cds-services/$1"
}

# The Sandbox fixture as a firm Usually appropriate order (lumbar MRI without contrast, back pain
# documented), and the same order at order-sign.
python3 - tests/fixtures/hooks/order-select-pama.json "$tmp" <<'PY'
import json, sys
select = json.load(open(sys.argv[1]))
order = select["context"]["draftOrders"]["entry"][0]["resource"]
order["code"] = {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "72148"}]}
json.dump(select, open(sys.argv[2] + "/select.json", "w"))
sign = json.loads(json.dumps(select))
sign["hook"] = "order-sign"
sign["hookInstance"] = "sign-" + sign["hookInstance"]
del sign["context"]["selections"]
json.dump(sign, open(sys.argv[2] + "/sign.json", "w"))
PY
count() {  # json field-path -> length
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(len(d.get(sys.argv[2], [])))' "$1" "$2"
}

start
out=$(post vcf-imaging-select "$tmp/select.json")
[ "$(count "$out" cards)" -eq 1 ] || fail "default: a firm Usually appropriate order gets its short card: $out"
python3 -c 'import json,sys; c=json.loads(sys.argv[1])["cards"][0]; assert "\n" not in c["detail"], c["detail"]' "$out" \
  || fail "default: the card is one line"
[ "$(count "$out" systemActions)" -eq 1 ] || fail "default: PAMA action sent"
signed=$(post vcf-order-sign "$tmp/sign.json")
[ "$(count "$signed" cards)" -eq 0 ] || fail "default: order-sign right after order-select shows no second card"
[ "$(count "$signed" systemActions)" -eq 1 ] || fail "default: order-sign still sends the PAMA action"

start --quiet-when-appropriate
out=$(post vcf-imaging-select "$tmp/select.json")
[ "$(count "$out" cards)" -eq 0 ] || fail "--quiet-when-appropriate: no card: $out"
[ "$(count "$out" systemActions)" -eq 1 ] || fail "--quiet-when-appropriate: PAMA action still sent"

start --repeat-window-hours 0 --evidence-base-url https://cds.hospital.org/
post vcf-imaging-select "$tmp/select.json" >/dev/null
signed=$(post vcf-order-sign "$tmp/sign.json")
[ "$(count "$signed" cards)" -eq 1 ] || fail "--repeat-window-hours 0: order-sign shows the card again"
python3 - "$signed" <<'PY' || fail "--evidence-base-url: link and auc-applied under the site's base"
import json, sys
d = json.loads(sys.argv[1])
link = d["cards"][0]["links"][0]["url"]
assert link.startswith("https://cds.hospital.org/criteria/acr-vcf/variant/"), link
auc = [e["valueUri"] for e in d["systemActions"][0]["resource"]["extension"]
       if e["url"].endswith("pama-rating-auc-applied")]
assert auc == [link], (auc, link)
PY

stop
set +e
timeout 10 "$bin" serve --listen "127.0.0.1:$port" --allow-unauthenticated --data-dir "$tmp/data" \
  --repeat-window-hours -1 >"$tmp/bad.log" 2>&1
code=$?
set -e
[ "$code" -eq 2 ] || fail "a negative --repeat-window-hours is a usage error (exit $code)"
grep -q -- "--repeat-window-hours must be 0 or more" "$tmp/bad.log" || fail "the usage error names the flag"
set +e
timeout 10 "$bin" serve --listen "127.0.0.1:$port" --allow-unauthenticated --data-dir "$tmp/data" \
  --fhir-origin-concurrency 0 >"$tmp/bad.log" 2>&1
code=$?
set -e
[ "$code" -eq 2 ] || fail "--fhir-origin-concurrency 0 is a usage error (exit $code)"
grep -q -- "--fhir-origin-concurrency" "$tmp/bad.log" || fail "the usage error names --fhir-origin-concurrency"
echo "serve flags: ok"
