#!/usr/bin/env bash
# Re-runs tools/import_criteria.py on the ACR seed into a temp file and fails with a
# unified diff if the committed cards/criteria.json differs (hand edit or stale import).
# Seed: $VCF_CDS_SEED if set, else ../shared/seed/... relative to the repo root.
set -euo pipefail

root="${VCF_CDS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$root"
seed="${VCF_CDS_SEED:-$root/../shared/seed/acr-ac-vertebral-compression-fractures.txt}"

if [[ ! -f "$seed" ]]; then
  echo "FAIL: seed not found: $seed (set VCF_CDS_SEED)" >&2
  exit 1
fi

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

python3 tools/import_criteria.py --seed "$seed" --out "$tmp"

if ! diff -u --label "cards/criteria.json (committed)" --label "cards/criteria.json (regenerated)" \
     cards/criteria.json "$tmp"; then
  echo "FAIL: cards/criteria.json differs from a fresh import of $seed;" \
       "re-run tools/import_criteria.py and commit the result" >&2
  exit 1
fi
echo "OK: cards/criteria.json is reproducible from $(basename "$seed")"
