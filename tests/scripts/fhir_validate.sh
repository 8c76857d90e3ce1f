#!/usr/bin/env bash
# Every FHIR resource the project ships or emits is checked by an independent R4 validator
# (FHIR.js, npm "fhir", pinned in tests/fhir/package.json and installed by tools/setup.sh):
# the fhir-profiles/ files, the suggestion and system-action resources of the golden responses,
# and the AuditEvent Bundle of `vcf-cds audit export --format fhir`. Any error fails; warnings
# (codes outside extensible bindings, e.g. the project's AuditEvent.subtype codes) are shown.
set -euo pipefail
bin=${VCF_CDS_BINARY:?}
src=${VCF_CDS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v node >/dev/null || fail "node is not installed: run tools/setup.sh"
[ -f "$src/tests/fhir/node_modules/fhir/package.json" ] ||
  fail "tests/fhir/node_modules/fhir missing: run tools/setup.sh"
validate() { node "$src/tests/fhir/validate.mjs" "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The validator must reject what it should, or the checks below prove nothing.
echo '{"resourceType":"ServiceRequest","id":"x","status":"draft","intent":"order","subject":{"reference":"Patient/p"},"priority":"soon"}' \
  >"$tmp/bad.ndjson"
echo '{"resourceType":"NamingSystem","name":"X","status":"active","kind":"codesystem","date":"2026-01-01","url":"urn:x","uniqueId":[{"type":"uri","value":"urn:x"}]}' \
  >>"$tmp/bad.ndjson"
if out=$(validate <"$tmp/bad.ndjson"); then fail "validator accepted invalid resources: $out"; fi
grep -q 'ServiceRequest.priority' <<<"$out" || fail "bad priority code not reported: $out"
grep -q 'NamingSystem.url: error: Unexpected property' <<<"$out" || fail "R4 NamingSystem.url not reported: $out"

# 1. Knowledge: every profile file.
shopt -s nullglob
profiles=("$src"/fhir-profiles/*.json)
[ ${#profiles[@]} -gt 0 ] || fail "no fhir-profiles/*.json"
validate "${profiles[@]}" || fail "fhir-profiles/ has invalid FHIR"

# 2. Responses: the resources a card or system action asks the EHR to store.
python3 - "$src"/tests/fixtures/golden/*.response.json >"$tmp/golden.ndjson" <<'PY'
import json, sys
for path in sys.argv[1:]:
    response = json.load(open(path))
    actions = [a for card in response.get("cards", [])
               for s in card.get("suggestions", []) for a in s.get("actions", [])]
    actions += response.get("systemActions", [])
    for action in actions:
        if "resource" in action:
            print(json.dumps(action["resource"]))
PY
[ "$(wc -l <"$tmp/golden.ndjson")" -ge 10 ] || fail "too few golden resources extracted"
validate <"$tmp/golden.ndjson" || fail "golden responses carry invalid FHIR resources"

# 3. Audit: a small trail exported as a FHIR Bundle of AuditEvents.
cat >"$tmp/seed.ndjson" <<'EOF'
{"kind":"consult","consult_id":"urn:uuid:0b7e3c44-0000-4000-8000-000000000001","time":"2026-11-25T10:00:00Z","service_id":"vcf-order-sign","hook":"order-sign","hook_instance":"h1","client_iss":"https://sandbox.cds-hooks.org","client_sub":"sandbox","client_tenant":"","identifier_mode":"plain","user_id":"Practitioner/dr1","patient_id":"Patient/p1","encounter_id":"Encounter/e1","order_ref":"ServiceRequest/o1","order_codes":[{"system":"urn:oid:2.16.840.1.113883.6.12","code":"72148"}],"procedure_row":"MRI spine area of interest without IV contrast","variant":2,"category":"Usually appropriate","rating":7,"median":7,"pama_rating":"appropriate","facts":[{"fact":"vcf","source":"Condition/vcf1"},{"fact":"malignancy","source":"Condition/ca1"}],"candidates":[2],"assumptions":[],"card_uuid":"card-1","suggestion_uuids":[],"card":{"uuid":"card-1","summary":"MRI lumbar: Usually appropriate (7)","indicator":"info"},"knowledge_version":"sha256:k","service_version":"0.1.0","latency_ms":2.5}
{"kind":"consult","consult_id":"urn:uuid:0b7e3c44-0000-4000-8000-000000000002","time":"2026-11-25T10:05:00Z","service_id":"vcf-order-select","hook":"order-select","hook_instance":"h2","client_iss":"","client_sub":"","client_tenant":"","identifier_mode":"plain","user_id":"Practitioner/dr1","patient_id":"Patient/p2","encounter_id":"","order_ref":"ServiceRequest/o9","order_codes":[],"procedure_row":"","variant":0,"category":"","rating":0,"median":0,"pama_rating":"no-criteria-apply","facts":[],"candidates":[],"assumptions":[],"card_uuid":"","suggestion_uuids":[],"card":"","knowledge_version":"sha256:k","service_version":"0.1.0","latency_ms":0.5}
{"kind":"feedback","service_id":"vcf-order-sign","card_uuid":"card-1","outcome":"overridden","accepted_suggestions":[],"override_reason_system":"https://vcf-cds.example.org/fhir/CodeSystem/vcf-cds","override_reason_code":"clinical-judgement","override_reason_display":"Clinical judgement","user_comment":"seen","outcome_timestamp":"2026-11-25T10:01:00Z","received_time":"2026-11-25T10:01:01Z","client_iss":"","client_sub":"","client_tenant":""}
EOF
"$bin" audit import --data-dir "$tmp/data" --input "$tmp/seed.ndjson" >/dev/null || fail "audit import"
"$bin" audit export --data-dir "$tmp/data" --format fhir >"$tmp/audit.json" || fail "audit export --format fhir"
python3 - "$tmp/audit.json" >"$tmp/audit.ndjson" <<'PY'
import json, sys
bundle = json.load(open(sys.argv[1]))
assert bundle["resourceType"] == "Bundle", bundle.get("resourceType")
assert len(bundle["entry"]) == 3, len(bundle["entry"])
for entry in bundle["entry"]:
    print(json.dumps(entry["resource"]))
PY
validate "$tmp/audit.json" || fail "audit FHIR export: invalid Bundle"
validate <"$tmp/audit.ndjson" || fail "audit FHIR export: invalid AuditEvent"
echo "ok: fhir-profiles, golden resources and the audit export are valid FHIR R4"
