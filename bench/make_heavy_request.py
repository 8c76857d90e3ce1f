#!/usr/bin/env python3
"""Writes heavy.json, the order-select body of the issue #23 memory measurement.

  make_heavy_request.py OUT_DIR [CONDITIONS]

heavy.json: tests/fixtures/hooks/order-select-pama.json with 100 draft lumbar-spine MRI
            ServiceRequests (CPT 72149, the most `max_draft_orders` allows), all selected, and
            a patient whose prefetch holds CONDITIONS (default 4,900) Low back pain Conditions
            (SNOMED 279039007, each with its own id and onset), as long problem lists plus
            encounter diagnoses can produce. Procedures and Observations are empty Bundles,
            so nothing is fetched from a FHIR server. Sized to pass the service's default limits
            (1 MiB body, 5,000 entries per prefetch key, 500,000 JSON values); the script
            fails if the body would exceed 1 MiB. Deterministic (no clock, no randomness).
"""
import copy
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "hooks", "order-select-pama.json")
BODY_LIMIT = 1024 * 1024  # vcf-cds serve --body-limit default
SCT = "http://snomed.info/sct"


def condition(i):
    return {"resource": {
        "resourceType": "Condition",
        "id": "c%d" % i,
        "code": {"coding": [{"system": SCT, "code": "279039007"}]},
        "onsetDateTime": "20%02d-%02d-%02d" % (10 + i % 16, 1 + i % 12, 1 + i % 28),
    }}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 4900
    os.makedirs(out, exist_ok=True)
    with open(FIXTURE) as f:
        base = json.load(f)
    doc = copy.deepcopy(base)
    template = base["context"]["draftOrders"]["entry"][0]
    entries = []
    for i in range(100):
        entry = copy.deepcopy(template)
        entry["resource"]["id"] = "sr-%03d" % i
        entries.append(entry)
    doc["context"]["draftOrders"]["entry"] = entries
    doc["context"]["selections"] = ["ServiceRequest/sr-%03d" % i for i in range(100)]
    conditions = [condition(i) for i in range(count)]
    doc["prefetch"] = {
        "patient": base["prefetch"]["patient"],
        "conditions": {"resourceType": "Bundle", "type": "searchset", "total": count,
                       "entry": conditions},
        "procedures": {"resourceType": "Bundle", "type": "searchset", "total": 0},
        "observations": {"resourceType": "Bundle", "type": "searchset", "total": 0},
    }
    text = json.dumps(doc, separators=(",", ":"))
    if len(text) > BODY_LIMIT:
        sys.exit("heavy.json would be %d bytes, over the 1 MiB body limit: pass fewer "
                 "conditions" % len(text))
    with open(os.path.join(out, "heavy.json"), "w") as f:
        f.write(text)
    print("heavy.json: %d bytes, 100 selected draft orders, %d Conditions" % (len(text), count))


if __name__ == "__main__":
    main()
