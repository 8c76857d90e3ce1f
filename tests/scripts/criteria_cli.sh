#!/usr/bin/env bash
# `vcf-cds criteria` is how people check what the service believes: list, one variant, JSON.
set -euo pipefail
bin=${VCF_CDS_BINARY:?}
cd "${VCF_CDS_SOURCE_DIR:-$(dirname "$0")/../..}"
fail() { echo "FAIL: $*" >&2; exit 1; }

list=$("$bin" criteria)
[ "$(grep -c '^Variant ' <<<"$list")" -eq 9 ] || fail "list shows 9 variants"
grep -q 'knowledge version sha256:' <<<"$list" || fail "list shows the version"
grep -q 'FDG-PET/CT skull base to mid-thigh' <<<"$list" || fail "list shows clean row names"

table=$("$bin" criteria --variant 2)
grep -q '^Variant 2 (imaging): New symptomatic VCF' <<<"$table" || fail "variant 2 heading"
grep -Eq '^MRI spine area of interest with IV contrast +May be appropriate \(D\) +5 +5 +Expert Opinion' <<<"$table" \
  || fail "variant 2 disagreement row as a table line"
[ "$(grep -c ' mSv\| Varies\| N/A' <<<"$table")" -eq 11 ] || fail "variant 2 has 11 rows"

json=$("$bin" criteria --json)
python3 - "$json" <<'PY' || fail "--json prints the loaded model"
import json, sys
model = json.loads(sys.argv[1])
assert len(model["variants"]) == 9
assert sum(len(v["procedures"]) for v in model["variants"]) == 71
row = [p for p in model["variants"][8]["procedures"] if p["name"] == "Surgical consultation"][0]
assert any(r["pmid"] == "-3121235" for r in row["references"])
PY
one=$("$bin" criteria --variant 9 --json)
python3 -c 'import json,sys; m=json.loads(sys.argv[1]); assert [v["number"] for v in m["variants"]]==[9]' "$one" \
  || fail "--variant 9 --json prints one variant"

if "$bin" criteria --variant 10 >/dev/null 2>&1; then fail "--variant 10 must be rejected"; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed 's/"rating": 9,/"rating": 11,/' cards/criteria.json >"$tmp/criteria.json"
set +e; err=$("$bin" criteria --knowledge "$tmp/criteria.json" 2>&1); rc=$?; set -e
[ "$rc" -eq 3 ] || fail "bad knowledge exits 3 (got $rc)"
grep -q 'variant 1, row 1 .*"rating"' <<<"$err" || fail "bad knowledge names variant, row and field: $err"
echo "criteria_cli: ok"
