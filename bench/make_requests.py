#!/usr/bin/env python3
"""Writes the two order-select bodies bench/run.sh and decision_bench use.

  make_requests.py OUT_DIR

small.json: tests/fixtures/hooks/order-select-pama.json (the CDS Hooks PAMA order, CPT 72149)
            with its draft order only: no prefetch at all is *not* usable (the service would try
            the FHIR server), so prefetch is sent as explicit "no data" (null / empty Bundles).
large.json: the same draft order with a realistic chart in prefetch: Patient, 50 Conditions
            (VCF, osteoporosis, back pain plus common unrelated problems, ICD-10 and SNOMED
            codings, clinical status, onset) and 20 Procedures (augmentation, spine
            surgery, unrelated) -> about 20 KB. Deterministic (no clock, no randomness).
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

    for name, doc in (("small.json", small), ("large.json", large)):
        text = json.dumps(doc, separators=(",", ":"))
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
        print("%s: %d bytes" % (name, len(text)))


if __name__ == "__main__":
    main()
