#!/usr/bin/env bash
# `vcf-cds audit` is how an auditor checks the trail: import a known trail, verify it, export it
# in every format, filter, summarise, tamper with it, and (when PostgreSQL is available) move it
# into PostgreSQL and verify it there. PostgreSQL: VCF_CDS_TEST_PG_URL, or a throwaway server via
# tools/pg_test_server.sh; with CI=true a missing server fails the test, locally it is skipped.
set -euo pipefail
bin=${VCF_CDS_BINARY:?}
src=${VCF_CDS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d)
pg_started=""
cleanup() {
  [ -n "$pg_started" ] && bash "$src/tools/pg_test_server.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

card='{"uuid":"card-1","summary":"MRI lumbar spine: Usually not appropriate (2)","indicator":"warning"}'
cat >"$tmp/seed.ndjson" <<EOF
{"kind":"consult","consult_id":"urn:uuid:6f1c2a8e-0000-4000-8000-000000000001","time":"2024-05-01T10:00:00Z","service_id":"vcf-order-sign","hook":"order-sign","hook_instance":"h1","client_iss":"https://sandbox.cds-hooks.org","client_sub":"sandbox","client_tenant":"","identifier_mode":"plain","user_id":"Practitioner/doc-1","patient_id":"Patient/pat-1","encounter_id":"","order_ref":"ServiceRequest/sr-1","order_codes":[{"system":"http://www.ama-assn.org/go/cpt","code":"72148"}],"procedure_row":"MRI lumbar spine without IV contrast","variant":5,"category":"Usually not appropriate","rating":2,"median":2,"pama_rating":"not-appropriate","facts":[{"fact":"vcf","source":"Condition/c1"}],"candidates":[5],"assumptions":[],"card_uuid":"card-1","suggestion_uuids":["s-1"],"card":$card,"knowledge_version":"sha256:k","service_version":"0.1.0","latency_ms":3.5}
{"kind":"consult","consult_id":"urn:uuid:6f1c2a8e-0000-4000-8000-000000000002","time":"2024-05-01T11:00:00Z","service_id":"vcf-order-sign","hook":"order-sign","hook_instance":"h2","client_iss":"","client_sub":"","client_tenant":"","identifier_mode":"plain","user_id":"Practitioner/doc-2","patient_id":"Patient/pat-2","encounter_id":"Encounter/e2","order_ref":"ServiceRequest/sr-2","order_codes":[],"procedure_row":"MRI lumbar spine without IV contrast","variant":5,"category":"Usually not appropriate","rating":2,"median":2,"pama_rating":"not-appropriate","facts":[],"candidates":[5],"assumptions":[],"card_uuid":"card-2","suggestion_uuids":[],"card":{"uuid":"card-2"},"knowledge_version":"sha256:k","service_version":"0.1.0","latency_ms":2}
{"kind":"feedback","service_id":"vcf-order-sign","card_uuid":"card-1","outcome":"overridden","accepted_suggestions":[],"override_reason_system":"https://vcf-cds.example.org/fhir/CodeSystem/vcf-cds","override_reason_code":"patient-preference","override_reason_display":"Patient preference","user_comment":"discussed, with \"quotes\", commas","outcome_timestamp":"2024-05-01T10:02:00Z","received_time":"2024-05-01T10:02:01Z","client_iss":"","client_sub":"","client_tenant":""}
{"kind":"consult","consult_id":"urn:uuid:6f1c2a8e-0000-4000-8000-000000000003","time":"2024-05-02T09:00:00Z","service_id":"vcf-order-select","hook":"order-select","hook_instance":"h3","client_iss":"","client_sub":"","client_tenant":"","identifier_mode":"plain","user_id":"Practitioner/doc-1","patient_id":"Patient/pat-1","encounter_id":"","order_ref":"ServiceRequest/sr-3","order_codes":[],"procedure_row":"MRI spine area of interest without IV contrast","variant":2,"category":"Usually appropriate","rating":9,"median":9,"pama_rating":"appropriate","facts":[],"candidates":[2],"assumptions":[],"card_uuid":"card-3","suggestion_uuids":[],"card":"","knowledge_version":"sha256:k","service_version":"0.1.0","latency_ms":1.25}
{"kind":"consult","consult_id":"urn:uuid:6f1c2a8e-0000-4000-8000-000000000004","time":"2024-05-02T10:00:00Z","service_id":"vcf-order-select","hook":"order-select","hook_instance":"h4","client_iss":"","client_sub":"","client_tenant":"","identifier_mode":"plain","user_id":"Practitioner/doc-3","patient_id":"Patient/pat-3","encounter_id":"","order_ref":"ServiceRequest/sr-4","order_codes":[],"procedure_row":"","variant":0,"category":"","rating":0,"median":0,"pama_rating":"no-criteria-apply","facts":[],"candidates":[],"assumptions":[],"card_uuid":"","suggestion_uuids":[],"card":"","knowledge_version":"sha256:k","service_version":"0.1.0","latency_ms":0.5}
{"kind":"feedback","service_id":"vcf-order-select","card_uuid":"card-3","outcome":"accepted","accepted_suggestions":["s-9"],"override_reason_system":"","override_reason_code":"","override_reason_display":"","user_comment":"","outcome_timestamp":"2024-05-02T09:01:00Z","received_time":"2024-05-02T09:01:00Z","client_iss":"","client_sub":"","client_tenant":""}
{"kind":"feedback","service_id":"vcf-order-select","card_uuid":"never-sent","outcome":"accepted","accepted_suggestions":["x"],"override_reason_system":"","override_reason_code":"","override_reason_display":"","user_comment":"","outcome_timestamp":"2024-05-03T00:00:00Z","received_time":"2024-05-03T00:00:00Z","client_iss":"","client_sub":"","client_tenant":""}
EOF

db=(--data-dir "$tmp/data")
out=$("$bin" audit import "${db[@]}" --input "$tmp/seed.ndjson")
[ "$out" = "imported 4 consults and 3 feedback" ] || fail "import reports counts: $out"

out=$("$bin" audit verify "${db[@]}") || fail "verify of an intact trail exits 0"
[ "$out" = "chain ok: 7 records" ] || fail "verify says 'chain ok: 7 records': $out"

# NDJSON: the whole trail in chain order; importing it elsewhere reproduces it exactly.
"$bin" audit export "${db[@]}" --format ndjson >"$tmp/all.ndjson"
[ "$(wc -l <"$tmp/all.ndjson")" -eq 7 ] || fail "ndjson has one line per record"
"$bin" audit import --data-dir "$tmp/copy" --input "$tmp/all.ndjson" >/dev/null
"$bin" audit export --data-dir "$tmp/copy" >"$tmp/copy.ndjson"
cmp -s "$tmp/all.ndjson" "$tmp/copy.ndjson" || fail "export → import → export is stable"
python3 - "$tmp/all.ndjson" <<'PY' || fail "ndjson records"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["seq"] for r in rows] == list(range(1, 8)), [r["seq"] for r in rows]
assert [r["kind"] for r in rows] == ["consult"] * 2 + ["feedback"] + ["consult"] * 2 + ["feedback"] * 2
assert rows[0]["facts"][0]["source"] == "Condition/c1"        # JSON-text fields stay JSON
assert rows[0]["card"]["indicator"] == "warning"
assert rows[2]["known_card"] is True and rows[6]["known_card"] is False
PY

# CSV: one row per consult, the latest feedback beside it, RFC 4180 quoting.
"$bin" audit export "${db[@]}" --format csv >"$tmp/all.csv"
python3 - "$tmp/all.csv" <<'PY' || fail "csv rows"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 4, len(rows)
assert rows[0]["outcome"] == "overridden" and rows[0]["override_reason_code"] == "patient-preference"
assert rows[0]["user_comment"] == 'discussed, with "quotes", commas'
assert rows[2]["outcome"] == "accepted" and rows[3]["outcome"] == ""
assert rows[3]["pama_rating"] == "no-criteria-apply"
PY

# Filters.
count() { "$bin" audit export "${db[@]}" --format csv "$@" | tail -n +2 | wc -l; }
[ "$(count --variant 5)" -eq 2 ] || fail "--variant 5"
[ "$(count --variant 0)" -eq 1 ] || fail "--variant 0 (no criteria apply)"
[ "$(count --patient Patient/pat-1)" -eq 2 ] || fail "--patient"
[ "$(count --user Practitioner/doc-1)" -eq 2 ] || fail "--user"
[ "$(count --from 2024-05-02T00:00:00Z)" -eq 2 ] || fail "--from"
[ "$(count --to 2024-05-01T10:30:00Z)" -eq 1 ] || fail "--to"
[ "$(count --outcome overridden)" -eq 1 ] || fail "--outcome overridden"
[ "$(count --outcome none)" -eq 2 ] || fail "--outcome none"

# FHIR: a structurally valid R4 Bundle of AuditEvents.
"$bin" audit export "${db[@]}" --format fhir >"$tmp/bundle.json"
python3 - "$tmp/bundle.json" "$card" <<'PY' || fail "fhir bundle"
import base64, json, re, sys
b = json.load(open(sys.argv[1]))
assert b["resourceType"] == "Bundle" and b["type"] == "collection"
events = [e["resource"] for e in b["entry"]]
assert len(events) == 7, len(events)
def no_empty(x, path="$"):
    if isinstance(x, dict):
        assert x, path
        for k, v in x.items(): no_empty(v, path + "." + k)
    elif isinstance(x, list):
        assert x, path
        for i, v in enumerate(x): no_empty(v, f"{path}[{i}]")
    elif isinstance(x, str):
        assert x.strip() != "", path
no_empty(b)
for e in events:
    assert e["resourceType"] == "AuditEvent"
    assert re.fullmatch(r"[A-Za-z0-9\-\.]{1,64}", e["id"])
    assert e["type"]["system"] and e["type"]["code"]
    assert e["action"] in "CRUDE" and e["outcome"] in ("0", "4", "8", "12")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", e["recorded"])
    assert e["agent"] and all(isinstance(a["requestor"], bool) and a["who"] for a in e["agent"])
    assert e["source"]["observer"]["display"] == "vcf-cds"
    for ent in e["entity"]:
        assert "name" not in ent or "query" not in ent           # sev-1
        for d in ent.get("detail", []):
            assert isinstance(d["type"], str)
            assert len([k for k in d if k.startswith("value")]) == 1
first = events[0]
assert first["id"] == "6f1c2a8e-0000-4000-8000-000000000001"
assert b["entry"][0]["fullUrl"] == "urn:uuid:6f1c2a8e-0000-4000-8000-000000000001"
assert first["entity"][0]["what"]["reference"] == "ServiceRequest/sr-1"
details = {d["type"]: d for d in first["entity"][0]["detail"]}
assert json.loads(base64.b64decode(details["card"]["valueBase64Binary"])) == json.loads(sys.argv[2])
assert json.loads(details["decision"]["valueString"])["rating"] == 2
assert first["agent"][0]["who"]["identifier"]["value"] == "Practitioner/doc-1"
PY

# Summary: per variant and row, rated, UNA share, overrides with reasons.
summary=$("$bin" audit summary "${db[@]}")
grep -Eq '^5 +MRI lumbar spine without IV contrast +2 +100% +0 +1 +patient-preference Patient preference ×1' \
  <<<"$summary" || fail "summary row for variant 5: $summary"
grep -q '(no criteria apply)' <<<"$summary" || fail "summary shows no-criteria-apply orders"
grep -q '1 feedback for unknown cards' <<<"$summary" || fail "summary counts unknown-card feedback"
"$bin" audit summary "${db[@]}" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
row = [r for r in s["rows"] if r["variant"] == 5][0]
assert row["rated"] == 2 and row["usuallyNotAppropriateShare"] == 1.0 and row["overridden"] == 1
assert row["overrideReasons"] == {"patient-preference Patient preference": 1}
assert s["unknownCardFeedback"] == 1' || fail "summary --json"

# Tampering: one column changed with the sqlite3 tool → exit 1 naming the record.
sqlite3 "$tmp/data/audit.sqlite3" "UPDATE audit_consults SET rating = 9 WHERE seq = 2"
set +e; out=$("$bin" audit verify "${db[@]}"); rc=$?; set -e
[ "$rc" -eq 1 ] || fail "verify of a tampered trail exits 1 (got $rc)"
grep -q 'seq 2 (consult urn:uuid:6f1c2a8e-0000-4000-8000-000000000002)' <<<"$out" \
  || fail "verify names the record: $out"

# Usage and store errors.
set +e
"$bin" audit export "${db[@]}" --format xml >/dev/null 2>&1; rc_format=$?
"$bin" audit verify --data-dir "$tmp/missing" >/dev/null 2>&1; rc_missing=$?
"$bin" audit frobnicate >/dev/null 2>&1; rc_command=$?
set -e
[ "$rc_format" -eq 2 ] || fail "bad --format exits 2 (got $rc_format)"
[ "$rc_missing" -eq 3 ] || fail "missing store exits 3 (got $rc_missing)"
[ "$rc_command" -eq 2 ] || fail "unknown command exits 2 (got $rc_command)"
[ ! -e "$tmp/missing" ] || fail "verify must not create a store"

# PostgreSQL: the same trail moved into PostgreSQL verifies and exports identically.
pg_url=${VCF_CDS_TEST_PG_URL:-}
if [ -z "$pg_url" ]; then
  if pg_url=$(bash "$src/tools/pg_test_server.sh" start "$tmp/pg" 2>"$tmp/pg.err"); then
    pg_started=1
  else
    pg_url=""
  fi
fi
if [ -z "$pg_url" ]; then
  [ "${CI:-}" = "true" ] && fail "CI=true but no PostgreSQL server: $(cat "$tmp/pg.err")"
  echo "audit_cli: PostgreSQL part SKIPPED: $(cat "$tmp/pg.err" 2>/dev/null)" >&2
else
  pgdb="vcf_cds_audit_cli_$$"
  psql "$pg_url" -qc "DROP DATABASE IF EXISTS $pgdb" -c "CREATE DATABASE $pgdb" >/dev/null 2>&1 \
    || fail "create test database"
  pgdb_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$pg_url" "$pgdb")
  "$bin" audit import --database-url "$pgdb_url" --input "$tmp/all.ndjson" >/dev/null \
    || fail "import into PostgreSQL"
  out=$("$bin" audit verify --database-url "$pgdb_url") || fail "PostgreSQL verify exits 0"
  [ "$out" = "chain ok: 7 records" ] || fail "PostgreSQL verify: $out"
  "$bin" audit export --database-url "$pgdb_url" >"$tmp/pg.ndjson"
  cmp -s "$tmp/all.ndjson" "$tmp/pg.ndjson" || fail "PostgreSQL export equals the SQLite export"
  psql "$pg_url" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
fi
echo "audit_cli: ok"
