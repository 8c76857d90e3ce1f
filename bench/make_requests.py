#!/usr/bin/env python3
"""Writes the order-select bodies bench/run.sh and decision_bench use.

  make_requests.py OUT_DIR

small.json: tests/fixtures/hooks/order-select-pama.json (the CDS Hooks PAMA order, CPT 72149)
            with its draft order only: no prefetch at all is *not* usable (the service would try
            the FHIR server), so prefetch is sent as explicit "no data" (null / empty Bundles).
large.json: the same draft order with a realistic chart in prefetch: Patient, 50 Conditions
            (VCF, osteoporosis, back pain plus common unrelated problems, ICD-10 and SNOMED
            codings, clinical status, onset) and 20 Procedures (augmentation, spine
            surgery, unrelated) -> about 20 KB.
heavy.json: one call as large as the service's default limits let through: 100 draft spine
            imaging ServiceRequests (MRI and CT, cervical to lumbar; --max-draft-orders is 100),
            all of them in context.selections, and 4,900 Conditions (VCF, osteoporosis, back
            pain, ICD-10 and SNOMED), as a long problem list plus years of encounter diagnoses
            produce (5,000 entries per prefetch key is the limit). Each Condition carries code
            and subject (one in five an onset), no display or clinicalStatus, so that the body
            stays under --body-limit (1 MiB): about 0.99 MB.
All deterministic (no clock, no randomness).
"""
import copy
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "hooks", "order-select-pama.json")
SCT = "http://snomed.info/sct"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"

# (system, code, display): a few that the VCF value sets recognise, the rest chart noise.
CONDITIONS = [
    (SCT, "42942008", "Compression fracture of vertebral column"),
    (SCT, "64859006", "Osteoporosis"),
    (SCT, "279039007", "Low back pain"),
    (SCT, "161891005", "Backache"),
    (SCT, "38341003", "Hypertensive disorder"),
    (SCT, "44054006", "Diabetes mellitus type 2"),
    (SCT, "55822004", "Hyperlipidemia"),
    (SCT, "49436004", "Atrial fibrillation"),
    (SCT, "13645005", "Chronic obstructive lung disease"),
    (SCT, "195967001", "Asthma"),
    (SCT, "35489007", "Depressive disorder"),
    (SCT, "197480006", "Anxiety disorder"),
    (SCT, "396275006", "Osteoarthritis"),
    (SCT, "40930008", "Hypothyroidism"),
    (SCT, "709044004", "Chronic kidney disease"),
    (SCT, "235595009", "Gastroesophageal reflux disease"),
    (SCT, "84114007", "Heart failure"),
    (SCT, "230690007", "Cerebrovascular accident"),
    (SCT, "26929004", "Alzheimer's disease"),
    (SCT, "271737000", "Anemia"),
    (ICD, "I10", "Essential (primary) hypertension"),
    (ICD, "E11.9", "Type 2 diabetes mellitus without complications"),
    (ICD, "E78.5", "Hyperlipidemia, unspecified"),
    (ICD, "M81.0", "Age-related osteoporosis without current pathological fracture"),
    (ICD, "M54.50", "Low back pain, unspecified"),
]
PROCEDURES = [
    (CPT, "22510", "Percutaneous vertebroplasty, cervicothoracic"),
    (CPT, "22600", "Arthrodesis, posterior, cervical"),
    (CPT, "27447", "Total knee arthroplasty"),
    (CPT, "66984", "Cataract extraction with IOL"),
    (CPT, "45378", "Colonoscopy, diagnostic"),
    (CPT, "43239", "Upper GI endoscopy with biopsy"),
    (CPT, "47562", "Laparoscopic cholecystectomy"),
    (CPT, "33533", "Coronary artery bypass, arterial"),
    (CPT, "93458", "Left heart catheterization"),
    (CPT, "29881", "Knee arthroscopy with meniscectomy"),
]
# Spine imaging orders the procedure rows know (fhir-profiles/ConceptMap-procedure-rows.json).
SPINE_IMAGING = [
    ("72141", "MRI cervical spine without contrast"),
    ("72146", "MRI thoracic spine without contrast"),
    ("72148", "MRI lumbar spine without contrast"),
    ("72142", "MRI cervical spine with contrast"),
    ("72147", "MRI thoracic spine with contrast"),
    ("72149", "MRI lumbar spine with contrast"),
    ("72156", "MRI cervical spine without contrast, followed by contrast"),
    ("72157", "MRI thoracic spine without contrast, followed by contrast"),
    ("72158", "MRI lumbar spine without contrast, followed by contrast"),
    ("72125", "CT cervical spine without contrast"),
    ("72128", "CT thoracic spine without contrast"),
    ("72131", "CT lumbar spine without contrast"),
    ("72126", "CT cervical spine with contrast"),
    ("72129", "CT thoracic spine with contrast"),
    ("72132", "CT lumbar spine with contrast"),
    ("72127", "CT cervical spine without contrast, followed by contrast"),
    ("72130", "CT thoracic spine without contrast, followed by contrast"),
    ("72133", "CT lumbar spine without contrast, followed by contrast"),
]
# Codes of a long back-pain / VCF history: every one counts for some fact.
HEAVY_CONDITIONS = [
    (ICD, "M54.50"), (ICD, "M54.51"), (ICD, "M54.59"), (ICD, "M54.6"), (ICD, "M54.2"),
    (SCT, "279039007"), (SCT, "161891005"), (ICD, "M80.08XA"), (ICD, "M80.08XD"),
    (ICD, "M48.56XA"), (SCT, "42942008"), (ICD, "M81.0"), (SCT, "64859006"), (ICD, "S32.010A"),
]
HEAVY_ORDERS = 100       # hooks::JsonLimits::max_draft_orders
HEAVY_CONDITION_COUNT = 4900  # under max_prefetch_entries (5,000)
BODY_LIMIT = 1024 * 1024  # vcf-cds serve --body-limit default


def coding_block(system, code, display):
    return {"coding": [{"system": system, "code": code, "display": display}]}


def condition(i, system, code, display):
    return {
        "resource": {
            "resourceType": "Condition",
            "id": "cond-%03d" % i,
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "active" if i % 5 else "resolved"}]},
            "code": coding_block(system, code, display),
            "subject": {"reference": "Patient/smart-1288992"},
            "onsetDateTime": "20%02d-%02d-%02d" % (10 + i % 16, 1 + i % 12, 1 + i % 28),
        }
    }


def procedure(i, system, code, display):
    return {
        "resource": {
            "resourceType": "Procedure",
            "id": "proc-%03d" % i,
            "status": "completed",
            "code": coding_block(system, code, display),
            "subject": {"reference": "Patient/smart-1288992"},
            "performedDateTime": "20%02d-%02d-%02d" % (8 + i % 18, 1 + i % 12, 1 + i % 28),
        }
    }


def heavy_order(i):
    code, display = SPINE_IMAGING[i % len(SPINE_IMAGING)]
    return {
        "resource": {
            "resourceType": "ServiceRequest",
            "id": "heavy-order-%03d" % i,
            "status": "draft",
            "intent": "plan",
            "code": {"coding": [{"system": CPT, "code": code, "display": display}],
                     "text": display},
            "subject": {"reference": "Patient/smart-1288992"},
            "reasonCode": [coding_block(SCT, "42942008", "Compression fracture of vertebral column")],
        }
    }


def heavy_condition(i):
    system, code = HEAVY_CONDITIONS[i % len(HEAVY_CONDITIONS)]
    resource = {
        "resourceType": "Condition",
        "id": "hc-%04d" % i,
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/smart-1288992"},
    }
    if i % 5 == 0:
        resource["onsetDateTime"] = "20%02d-%02d-%02d" % (6 + i % 21, 1 + i % 12, 1 + i % 28)
    return {"resource": resource}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    with open(FIXTURE) as f:
        base = json.load(f)

    small = copy.deepcopy(base)
    small["prefetch"] = {
        "patient": base["prefetch"]["patient"],
        "conditions": {"resourceType": "Bundle", "type": "searchset", "total": 0},
        "procedures": {"resourceType": "Bundle", "type": "searchset", "total": 0},
        "observations": None,
    }

    large = copy.deepcopy(base)
    conditions = [condition(i, *CONDITIONS[i % len(CONDITIONS)]) for i in range(50)]
    procedures = [procedure(i, *PROCEDURES[i % len(PROCEDURES)]) for i in range(20)]
    large["prefetch"]["conditions"] = {"resourceType": "Bundle", "type": "searchset",
                                       "total": len(conditions), "entry": conditions}
    large["prefetch"]["procedures"] = {"resourceType": "Bundle", "type": "searchset",
                                       "total": len(procedures), "entry": procedures}

    heavy = copy.deepcopy(base)
    orders = [heavy_order(i) for i in range(HEAVY_ORDERS)]
    heavy["context"]["draftOrders"]["entry"] = orders
    heavy["context"]["selections"] = ["ServiceRequest/" + o["resource"]["id"] for o in orders]
    heavy_conditions = [heavy_condition(i) for i in range(HEAVY_CONDITION_COUNT)]
    heavy["prefetch"]["conditions"] = {"resourceType": "Bundle", "type": "searchset",
                                       "total": len(heavy_conditions), "entry": heavy_conditions}

    for name, doc in (("small.json", small), ("large.json", large), ("heavy.json", heavy)):
        text = json.dumps(doc, separators=(",", ":"))
        if len(text) >= BODY_LIMIT:
            sys.exit("make_requests.py: %s is %d bytes, over the default body limit" %
                     (name, len(text)))
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
        print("%s: %d bytes" % (name, len(text)))


if __name__ == "__main__":
    main()
