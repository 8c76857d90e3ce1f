#!/usr/bin/env python3
"""Tiny open FHIR R4 test server for the manual CDS Hooks Sandbox check (tests/sandbox/README.md).

Python 3 standard library only. Binds 127.0.0.1 only; answers CORS (`*`, Authorization and
Content-Type allowed) including OPTIONS preflights, because the Sandbox calls it from the browser.

Serves one adult test patient (`vcf-demo-1`) with an active Condition "Compression fracture of
vertebral column" (SNOMED CT 42942008, onset 10 days ago) and an active "Low back pain"
(SNOMED CT 279039007):

  GET  /fhir/metadata                      CapabilityStatement (fhirVersion 4.0.1)
  GET  /fhir/Patient[?_id=|?identifier=]   searchset Bundle
  GET  /fhir/Patient/{id}                  Patient or 404 OperationOutcome
  GET  /fhir/{Condition|Procedure|Observation}?patient=...   searchset Bundle
  POST /fhir/{Condition|Procedure|Observation}/_search       same, form-encoded parameters
  GET  /fhir/{Condition|Procedure|Observation}/{id}          resource or 404
  anything else                            404 (or 405) OperationOutcome

Every request is logged on stderr (method, path, query, status), so a run shows what the Sandbox
and the CDS service actually asked for.

Usage: python3 tests/sandbox/fhir_server.py [--port 8081] [--host 127.0.0.1]
"""

import argparse
import datetime as dt
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATIENT_ID = "vcf-demo-1"
PATIENT2_ID = "vcf-demo-2"
FHIR_MIME = "application/fhir+json; charset=utf-8"


def _today():
    return dt.datetime.now(dt.timezone.utc).date()


def make_resources():
    """Builds the test data; dates are relative to today so the fracture stays 'new'."""
    today = _today()
    onset = (today - dt.timedelta(days=10)).isoformat()
    pain_onset = (today - dt.timedelta(days=12)).isoformat()
    recorded = (today - dt.timedelta(days=9)).isoformat()
    patient = {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "meta": {"lastUpdated": f"{recorded}T09:00:00Z"},
        "active": True,
        "identifier": [{"system": "urn:vcf-cds:test-mrn", "value": "VCF-0001"}],
        "name": [{"use": "official", "family": "Testpatient", "given": ["Vera", "C."],
                  "text": "Vera C. Testpatient"}],
        "gender": "female",
        "birthDate": "1950-04-12",
    }
    clinical_active = {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
        "code": "active", "display": "Active"}]}
    confirmed = {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
        "code": "confirmed", "display": "Confirmed"}]}
    encounter_diag = [{"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
        "code": "encounter-diagnosis", "display": "Encounter Diagnosis"}]}]
    vcf = {
        "resourceType": "Condition",
        "id": "vcf-demo-1-vcf",
        "clinicalStatus": clinical_active,
        "verificationStatus": confirmed,
        "category": encounter_diag,
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "42942008",
                             "display": "Compression fracture of vertebral column"}],
                 "text": "Compression fracture of vertebral column"},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "onsetDateTime": onset,
        "recordedDate": recorded,
    }
    back_pain = {
        "resourceType": "Condition",
        "id": "vcf-demo-1-lbp",
        "clinicalStatus": clinical_active,
        "verificationStatus": confirmed,
        "category": encounter_diag,
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "279039007",
                             "display": "Low back pain"}],
                 "text": "Low back pain"},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "onsetDateTime": pain_onset,
        "recordedDate": recorded,
    }
    # vcf-demo-2: the same new fracture, a history of breast cancer, and no symptoms coded
    # either way: the card asks whether the fracture is painful.
    patient2 = dict(patient, id=PATIENT2_ID, identifier=[
        {"system": "urn:vcf-cds:test-mrn", "value": "VCF-0002"}],
        name=[{"use": "official", "family": "Testpatient", "given": ["Mara"],
               "text": "Mara Testpatient"}])
    vcf2 = dict(vcf, id="vcf-demo-2-vcf", subject={"reference": f"Patient/{PATIENT2_ID}"})
    cancer_history = {
        "resourceType": "Condition",
        "id": "vcf-demo-2-ca",
        "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "resolved", "display": "Resolved"}]},
        "verificationStatus": confirmed,
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "Z85.3",
                             "display": "Personal history of malignant neoplasm of breast"}]},
        "subject": {"reference": f"Patient/{PATIENT2_ID}"},
        "recordedDate": recorded,
    }
    return {
        "Patient": [patient, patient2],
        "Condition": [vcf, back_pain, vcf2, cancer_history],
        "Procedure": [],
        "Observation": [],
    }


def capability_statement():
    searches = ["Condition", "Procedure", "Observation"]
    resources = [{
        "type": "Patient",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [{"name": "_id", "type": "token"},
                        {"name": "identifier", "type": "token"}],
    }] + [{
        "type": t,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [{"name": "patient", "type": "reference"},
                        {"name": "subject", "type": "reference"}],
    } for t in searches]
    return {
        "resourceType": "CapabilityStatement",
        "id": "vcf-cds-test-fhir",
        "status": "active",
        "date": _today().isoformat(),
        "kind": "instance",
        "software": {"name": "vcf-cds tests/sandbox/fhir_server.py", "version": "1"},
        "implementation": {"description": "Open FHIR R4 test server for the CDS Hooks Sandbox check"},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{"mode": "server", "resource": resources}],
    }


def operation_outcome(code, text, severity="error"):
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": text}]}


def searchset(base, rtype, matches, self_url):
    return {
        "resourceType": "Bundle",
        "id": f"search-{rtype.lower()}",
        "meta": {"lastUpdated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")},
        "type": "searchset",
        "total": len(matches),
        "link": [{"relation": "self", "url": self_url}],
        "entry": [{"fullUrl": f"{base}/{rtype}/{r['id']}", "resource": r,
                   "search": {"mode": "match"}} for r in matches],
    }


def _ref_id(value):
    """'Patient/x', 'x' or a full URL ending in Patient/x -> 'x'."""
    value = value.strip()
    if "/" in value:
        return value.rstrip("/").split("/")[-1]
    return value


class Handler(BaseHTTPRequestHandler):
    server_version = "vcf-cds-test-fhir/1"
    protocol_version = "HTTP/1.1"

    # -- plumbing -----------------------------------------------------------------------------
    def log_message(self, fmt, *args):
        sys.stderr.write("[fhir %s] %s\n" % (self.log_date_time_string(), fmt % args))
        sys.stderr.flush()

    def _cors(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers",
                         "Authorization, Content-Type, Accept, Prefer, If-None-Exist")
        self.send_header("Access-Control-Max-Age", "600")

    def _send_json(self, status, body):
        data = json.dumps(body, indent=1).encode("utf-8")
        self.send_response(status)
        self._cors()
        self.send_header("Content-Type", FHIR_MIME)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _base(self):
        host = self.headers.get("Host") or "%s:%d" % self.server.server_address[:2]
        return f"http://{host}/fhir"

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1_000_000:
            return None
        return self.rfile.read(length) if length > 0 else b""

    # -- verbs --------------------------------------------------------------------------------
    def do_OPTIONS(self):
        self.send_response(204)
        self._cors()
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        self._route("GET", url.path, params)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        body = self._read_body()
        if body is None:
            self._send_json(413, operation_outcome("too-costly", "request body too large"))
            return
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and ctype in ("application/x-www-form-urlencoded", ""):
            for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"),
                                              keep_blank_values=True).items():
                params.setdefault(k, []).extend(v)
        self._route("POST", url.path, params)

    # -- routing ------------------------------------------------------------------------------
    def _route(self, method, path, params):
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] != "fhir":
            self._send_json(404, operation_outcome("not-found", f"no such path {path}"))
            return
        parts = parts[1:]
        data = self.server.resources
        base = self._base()
        self_url = base + "/" + "/".join(parts)
        if params:
            self_url += "?" + urllib.parse.urlencode(params, doseq=True)

        if parts == ["metadata"] and method == "GET":
            self._send_json(200, capability_statement())
            return
        if not parts or parts[0] not in data:
            self._send_json(404, operation_outcome(
                "not-supported", f"resource type or path not supported: {path}"))
            return
        rtype = parts[0]
        is_search = (len(parts) == 1 and method == "GET") or \
                    (len(parts) == 2 and parts[1] == "_search" and method == "POST")
        if is_search:
            self._send_json(200, searchset(base, rtype, self._search(rtype, params), self_url))
            return
        if len(parts) == 2 and method == "GET":
            for r in data[rtype]:
                if r["id"] == parts[1]:
                    self._send_json(200, r)
                    return
            self._send_json(404, operation_outcome("not-found", f"{rtype}/{parts[1]} is not known"))
            return
        self._send_json(405 if len(parts) <= 2 else 404,
                        operation_outcome("not-supported", f"{method} {path} is not supported"))

    def _search(self, rtype, params):
        rows = list(self.server.resources[rtype])
        for name, values in params.items():
            name = name.split(":")[0]
            if name in ("_count", "_sort", "sort", "_format", "_summary", "_elements"):
                continue
            if name == "_id":
                wanted = {v for val in values for v in val.split(",")}
                rows = [r for r in rows if r["id"] in wanted]
            elif name in ("patient", "subject"):
                wanted = {_ref_id(v) for val in values for v in val.split(",")}
                rows = [r for r in rows
                        if _ref_id(r.get("subject", {}).get("reference", "")) in wanted]
            elif name == "identifier" and rtype == "Patient":
                wanted = {v.split("|")[-1] for val in values for v in val.split(",")}
                rows = [r for r in rows
                        if any(i.get("value") in wanted for i in r.get("identifier", []))]
            # other parameters are ignored (a test server; the data set is tiny)
        return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1",
                    help="address to bind (default 127.0.0.1; keep it local)")
    ap.add_argument("--port", type=int, default=8081)
    args = ap.parse_args()
    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    httpd.daemon_threads = True
    httpd.resources = make_resources()
    sys.stderr.write(f"FHIR test server on http://{args.host}:{args.port}/fhir "
                     f"(patients {PATIENT_ID}, {PATIENT2_ID})\n")
    sys.stderr.flush()
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
