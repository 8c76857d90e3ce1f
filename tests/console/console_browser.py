#!/usr/bin/env python3
"""Console end-to-end checks, driven by tests/scripts/console_browser.sh.

  console_browser.py seed OUT.ndjson
      writes the audit trail the test imports with `vcf-cds audit import`.
  console_browser.py run --base URL --token T --summary ALL.json --summary-range RANGE.json
                         --artifacts DIR [--chromium PATH] [--chromedriver PATH]
      1. the JSON endpoints over HTTP (auth, criteria, try, audit, traversal);
      2. the pages in headless Chromium through chromedriver (webdriver.py): the explorer
         (9 variants, 71 rows), a "try it" case and its card, the Markdown renderer, the
         dashboard numbers against `vcf-cds audit summary --json`, one consult's record;
         screenshots go to DIR.
Exit 0 when every check passes, 1 otherwise (each failure is printed).
"""

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webdriver  # noqa: E402

CPT = "http://www.ama-assn.org/go/cpt"
UNA = "Usually not appropriate"
FAILURES = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        FAILURES.append(message)
    return condition


# ---- seed ------------------------------------------------------------------------------------

def card(n, summary, indicator, suggestions):
    return {
        "uuid": f"card-{n}", "summary": summary, "indicator": indicator,
        "source": {"label": "ACR Appropriateness Criteria®: Management of Vertebral Compression Fractures"},
        "detail": f"**Variant** seeded consult {n}\n\n- rating from the seed\n\n```\n1 | ██ 2\n```\n",
        "suggestions": [{"uuid": f"s-{n}{c}", "label": label, "actions": []}
                        for c, label in zip("ab", suggestions)],
        "overrideReasons": [{"code": "clinical-judgement", "display": "Clinical judgement"}],
    }


def seed(path):
    rows = [  # n, time, user, variant, procedure, category, rating, suggestions
        (1, "2024-05-01T08:00:00Z", "doc-1", 1, "CT spine area of interest with IV contrast", UNA, 3,
         ["Order MRI spine area of interest without IV contrast (lumbar spine) instead"]),
        (2, "2024-05-01T09:30:00Z", "doc-2", 1, "MRI spine area of interest without IV contrast",
         "Usually appropriate", 9, []),
        (3, "2024-05-01T11:00:00Z", "doc-1", 2, "Bone scan whole body", "May be appropriate", 5, []),
        (4, "2024-05-02T08:15:00Z", "doc-3", 4, "FDG-PET/CT skull base to mid-thigh", UNA, 2,
         ["Order MRI spine area of interest without IV contrast (thoracic spine) instead"]),
        (5, "2024-05-02T10:00:00Z", "doc-1", 1, "CT spine area of interest with IV contrast", UNA, 3,
         ["Order MRI spine area of interest without IV contrast (lumbar spine) instead"]),
        (6, "2024-05-02T14:00:00Z", "doc-2", 0, "", "", 0, []),
        (7, "2024-05-03T09:00:00Z", "doc-2", 5, "Percutaneous vertebral augmentation", UNA, 2,
         ["Order Medical management only instead"]),
        (8, "2024-05-03T10:00:00Z", "doc-3", 7, "Percutaneous vertebral augmentation",
         "Usually appropriate", 8, []),
        (9, "2024-05-04T07:00:00Z", "doc-1", 1, "MRI spine area of interest with IV contrast", UNA, 3,
         ["Order MRI spine area of interest without IV contrast (lumbar spine) instead",
          "Order CT spine area of interest without IV contrast (lumbar spine) instead"]),
        (10, "2024-05-04T12:00:00Z", "doc-4", 3, "MRI spine area of interest without IV contrast",
         "Usually appropriate", 9, []),
    ]
    feedback = {  # card n -> (outcome, reason code, display, time)
        1: ("accepted", "", "", "2024-05-01T08:05:00Z"),
        4: ("overridden", "clinical-judgement", "Clinical judgement", "2024-05-02T08:20:00Z"),
        5: ("overridden", "patient-preference", "Patient preference", "2024-05-02T10:02:00Z"),
        7: ("overridden", "", "", "2024-05-03T09:01:00Z"),
        9: ("accepted", "", "", "2024-05-04T07:03:00Z"),
    }
    with open(path, "w") as out:
        for n, time_, user, variant, procedure, category, rating, suggestions in rows:
            has_card = variant != 0
            summary = f"{procedure}: {category} ({rating}/9), ACR VCF variant {variant}"
            record = {
                "kind": "consult", "consult_id": f"urn:uuid:7d3f0a10-0000-4000-8000-{n:012d}",
                "time": time_, "service_id": "vcf-imaging-select", "hook": "order-select",
                "hook_instance": f"h{n}", "client_iss": "https://sandbox.cds-hooks.org",
                "client_sub": "sandbox", "client_tenant": "", "identifier_mode": "plain",
                "user_id": f"Practitioner/{user}", "patient_id": f"Patient/pat-{n % 4}",
                "encounter_id": "", "order_ref": f"ServiceRequest/sr-{n}",
                "order_codes": [{"system": CPT, "code": "72149"}], "procedure_row": procedure,
                "variant": variant, "category": category, "rating": rating, "median": rating,
                "pama_rating": "no-criteria-apply" if not has_card else
                ("not-appropriate" if rating <= 3 else "appropriate"),
                "facts": [{"fact": "vcf", "source": f"Condition/vcf-{n}", "code": "M48.50XA"},
                          {"fact": "back_pain", "source": f"Condition/pain-{n}", "code": "279039007"}],
                "candidates": [variant] if has_card else [], "assumptions": [],
                "card_uuid": f"card-{n}" if has_card else "",
                "suggestion_uuids": [f"s-{n}{c}" for c in "ab"[:len(suggestions)]],
                "card": card(n, summary, "warning" if category == UNA else "info", suggestions)
                if has_card else "",
                "knowledge_version": "sha256:seed", "service_version": "0.1.0", "latency_ms": 1.5 + n,
            }
            out.write(json.dumps(record) + "\n")
            if n in feedback:
                outcome, code, display, when = feedback[n]
                out.write(json.dumps({
                    "kind": "feedback", "service_id": "vcf-imaging-select", "card_uuid": f"card-{n}",
                    "outcome": outcome,
                    "accepted_suggestions": [f"s-{n}a"] if outcome == "accepted" else [],
                    "override_reason_system": "https://vcf-cds.example.org/fhir/CodeSystem/vcf-cds" if code else "",
                    "override_reason_code": code, "override_reason_display": display,
                    "user_comment": "discussed with the patient" if code == "patient-preference" else "",
                    "outcome_timestamp": when, "received_time": when,
                    "client_iss": "", "client_sub": "", "client_tenant": ""}) + "\n")
        out.write(json.dumps({
            "kind": "feedback", "service_id": "vcf-imaging-select", "card_uuid": "never-sent",
            "outcome": "accepted", "accepted_suggestions": ["x"], "override_reason_system": "",
            "override_reason_code": "", "override_reason_display": "", "user_comment": "",
            "outcome_timestamp": "2024-05-04T13:00:00Z", "received_time": "2024-05-04T13:00:00Z",
            "client_iss": "", "client_sub": "", "client_tenant": ""}) + "\n")


# ---- HTTP ------------------------------------------------------------------------------------

class Http:
    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.token = token

    def request(self, method, path, body=None, token=None, raw_path=False):
        parsed = urllib.parse.urlsplit(self.base)
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        headers = {}
        if token is not False:
            headers["Authorization"] = f"Bearer {token or self.token}"
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        return response.status, dict(response.getheaders()), payload

    def json(self, method, path, body=None):
        status, headers, payload = self.request(method, path, body)
        return status, (json.loads(payload) if payload else None)


def http_checks(h, summary):
    status, headers, body = h.request("GET", "/console/", token=False)
    check(status == 200 and b"<html" in body, "GET /console/ serves index.html without a token")
    check("script-src 'self'" in headers.get("Content-Security-Policy", ""), "pages carry a CSP")
    status, headers, _ = h.request("GET", "/console", token=False)
    check(status == 308 and headers.get("Location") == "/console/", "GET /console redirects to /console/")
    status, headers, body = h.request("GET", "/console/api/criteria", token=False)
    check(status == 401 and not body, "API without a token: 401, empty body")
    check(headers.get("WWW-Authenticate", "").startswith("Bearer"), "401 names the Bearer scheme")
    check(h.request("GET", "/console/api/criteria", token="wrong")[0] == 401, "API with a wrong token: 401")
    for path in ("/console/../CMakeLists.txt", "/console/%2e%2e/CMakeLists.txt",
                 "/console/..%2f..%2fCMakeLists.txt", "/console/example-codes.json/../../README.md"):
        check(h.request("GET", path, token=False)[0] == 404, f"traversal {path}: 404")

    status, headers, _ = h.request("GET", "/console/api/criteria")
    check(headers.get("Cache-Control") == "no-store", "API answers are not cached")
    status, criteria = h.json("GET", "/console/api/criteria")
    check(status == 200 and len(criteria["variants"]) == 9, "criteria: 9 variants")
    check(sum(len(v["rows"]) for v in criteria["variants"]) == 71, "criteria: 71 rows")

    case = {"facts": {"vcf": True, "newVcf": True, "symptoms": "unknown", "malignancy": False},
            "order": {"system": CPT, "code": "72149"}}
    status, tried = h.json("POST", "/console/api/try", case)
    check(status == 200 and UNA in tried["response"]["cards"][0]["summary"], "try: card says Usually not appropriate")
    check(tried["decision"]["headline"]["variant"] == 1, "try: variant 1")
    status, bad = h.json("POST", "/console/api/try", {"facts": {"symptoms": "maybe"}, "order": case["order"]})
    check(status == 400 and bad["issue"][0]["expression"] == ["facts.symptoms"], "try: bad input names the field")

    status, api_summary = h.json("GET", "/console/api/audit/summary")
    check(status == 200 and api_summary["rows"] == summary["rows"],
          "audit summary rows equal `vcf-cds audit summary --json`")
    check(api_summary["totals"]["unknownCardFeedback"] == summary["unknownCardFeedback"],
          "unknown-card feedback equals the CLI's")
    status, consults = h.json("GET", "/console/api/audit/consults?limit=1000")
    check(consults["total"] == sum(r["rated"] for r in summary["rows"]), "consult list total = rated orders")
    one = urllib.parse.quote(consults["consults"][0]["consultId"], safe="")
    status, record = h.json("GET", f"/console/api/audit/consults/{one}")
    check(status == 200 and record["chain"]["ok"] and record["recordVerified"], "one consult: chain verified")
    return api_summary


# ---- browser ---------------------------------------------------------------------------------

MARKDOWN_CASES = r"""
const done = arguments[arguments.length - 1];
import(new URL('markdown.js', document.baseURI).href).then(({ renderMarkdown }) => {
  // markdown-it ends blocks with a newline; the markup, not the layout, is under test.
  const md = (text) => renderMarkdown(text).replace(/\n/g, '');
  const results = [];
  const expect = (name, ok) => results.push([name, !!ok]);
  expect('escapes raw HTML', md('<img src=x onerror=alert(1)>') === '<p>&lt;img src=x onerror=alert(1)&gt;</p>');
  expect('escapes raw HTML blocks', md('<div onclick=x>\n*a*\n</div>') === '<p>&lt;div onclick=x&gt;<em>a</em>&lt;/div&gt;</p>');
  expect('no javascript: links', !md('[x](javascript:alert(1))').includes('<a'));
  expect('no entity-smuggled javascript: links', !md('[x](javascript&#58;alert)').includes('<a'));
  expect('https links', md('[PMID 1](https://pubmed.ncbi.nlm.nih.gov/1/)') === '<p><a href="https://pubmed.ncbi.nlm.nih.gov/1/" rel="noopener noreferrer" target="_blank">PMID 1</a></p>');
  expect('no relative links', !md('[x](/console/api/criteria)').includes('<a'));
  expect('headings start at h3', md('# a') === '<h3>a</h3>');
  expect('bold and italic', md('**b** and *i*') === '<p><strong>b</strong> and <em>i</em></p>');
  expect('lists', md('- a\n- b') === '<ul><li>a</li><li>b</li></ul>');
  expect('numbered lists', md('1. a\n2. b') === '<ol><li>a</li><li>b</li></ol>');
  expect('code blocks stay literal', md('```\n**x** <b>\n```') === '<pre><code>**x** &lt;b&gt;</code></pre>');
  expect('inline code', md('`a*b*`') === '<p><code>a*b*</code></p>');
  expect('entities are text, never markup', md('&lt;b&gt; &amp;') === '<p>&lt;b&gt; &amp;</p>');
  expect('backslash escapes', md('\\*not italic\\*') === '<p>*not italic*</p>');
  expect('paragraphs', md('a\n\nb') === '<p>a</p><p>b</p>');
  expect('quotes escaped in hrefs', !md('[x](https://a.b/"onmouseover=1)').includes('"onmouseover'));
  done(results);
}).catch((e) => done([['import markdown.js: ' + e, false]]));
"""

LABELS = """
return [...document.querySelectorAll('input, select, textarea')]
  .filter((e) => e.type !== 'hidden' && e.offsetParent !== null)
  .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map((e) => e.id || e.name);
"""


def number(session, css):
    return int(session.run(f"return document.querySelector({json.dumps(css)}).textContent.trim();"))


def explorer(session, base, token, out):
    session.get(f"{base}/console/explorer.html#token={urllib.parse.quote(token)}")
    counts = session.wait_for(
        "const v = document.querySelectorAll('#variants section.variant').length;"
        "const r = document.querySelectorAll('#variants tr.row').length;"
        "return v ? [v, r] : null;", what="the explorer tables")
    check(counts == [9, 71], f"explorer renders 9 variants and 71 rows (got {counts})")
    check(session.run("return location.hash") == "", "the token is removed from the address bar")
    charts = session.run("return document.querySelectorAll('#variants svg.votes[role=img]').length")
    check(charts == 71, f"one vote histogram per row ({charts})")
    links = session.run("return document.querySelectorAll('#variants a[href^=\"https://pubmed.ncbi.nlm.nih.gov/\"]').length")
    check(links > 100, f"references link to PubMed ({links} links)")
    check(session.run("return document.body.textContent.includes('PMID -3194747 (as published)')"),
          "negative PMIDs shown as written, unlinked")
    check(session.run("return document.querySelectorAll('#variants .badge.cat-una').length") > 0,
          "categories shown as labelled badges")
    check(session.run(LABELS) == [], "every visible form control has a label")
    session.run("document.activeElement.blur(); window.scrollTo(0, 0);")
    session.press(webdriver.TAB)
    check(session.run("return document.activeElement.classList.contains('skip-link')"),
          "keyboard: Tab reaches the skip link first")
    session.screenshot(os.path.join(out, "console-explorer.png"))
    session.screenshot(os.path.join(out, "console-explorer-variant-1.png"), "section.variant[data-variant='1']")

    results = session.run_async(MARKDOWN_CASES)
    for name, ok in results:
        check(ok, f"markdown: {name}")


def try_it(session, out):
    state = session.run("const f = document.getElementById('try-form').elements;"
                        "return [f.vcf.checked, f.newVcf.checked, f.symptoms.value, f.malignancy.checked];")
    check(state == [True, True, "unknown", False], f"try form defaults: VCF new, symptoms unknown ({state})")
    option = session.find("#f-order option[data-code='72149']")
    session.s("POST", f"/element/{option}/click", {})
    check(session.run("const o = document.getElementById('f-order'); return o.selectedOptions[0].dataset.code") == "72149",
          "order CPT 72149 selected")
    session.click("#try-run")
    summary = session.wait_for("const s = document.querySelector('#try-result .cds-card .card-summary');"
                               "return s && s.textContent;", what="the card")
    check(UNA in summary, f"card summary says Usually not appropriate: {summary}")
    labels = session.run("return [...document.querySelectorAll('#try-result .suggestion-label')].map((e) => e.textContent)")
    # Alternatives name the region; questions ("answer → rating") are about the patient.
    alternatives = [label for label in labels if "→" not in label]
    check(alternatives and all("lumbar" in label for label in alternatives),
          f"alternatives keep the lumbar region: {labels}")
    check(session.run("return document.querySelector('.decision-variant').dataset.variant") == "1", "decision: variant 1")
    check(session.run("return document.querySelector('.pama-rating').textContent").startswith("not-appropriate"),
          "PAMA rating not-appropriate shown")
    detail = session.run("const d = document.querySelector('#try-result .card-detail');"
                         "return {strong: d.querySelectorAll('strong').length, pre: d.querySelectorAll('pre code').length,"
                         " links: d.querySelectorAll('a[href^=\"https://pubmed\"]').length, items: d.querySelectorAll('ul > li').length,"
                         " raw: d.textContent.includes('**')};")
    check(detail["strong"] > 0 and detail["pre"] == 1 and detail["links"] > 0 and detail["items"] > 0
          and not detail["raw"],
          f"card detail rendered from Markdown: {detail}")
    session.screenshot(os.path.join(out, "console-try-card.png"), "#try-result")

    # Bad input from the form: "Other code" with no code → the field is named and focused.
    session.run("const o = document.getElementById('f-order'); o.value = 'other';"
                "o.dispatchEvent(new Event('change'));")
    session.click("#try-run")
    message = session.wait_for("const s = document.getElementById('try-status');"
                               "return s.getAttribute('role') === 'alert' && s.textContent;", what="the error")
    check("order.code" in message, f"bad input: error names order.code ({message})")
    check(session.run("return document.activeElement.id") == "f-code", "bad input: focus moves to the code field")


def dashboard(session, base, summary, summary_range, out):
    session.get(f"{base}/console/dashboard.html")
    expected_rows = len(summary["rows"])
    session.wait_for("return document.querySelectorAll('#rows tr.summary-row').length === arguments[0]"
                     " && document.querySelectorAll('#consults tr[data-consult]').length > 0",
                     expected_rows, what="the dashboard")
    totals = {key: sum(r[key] for r in summary["rows"]) for key in
              ("rated", "usuallyNotAppropriate", "accepted", "overridden")}
    shown = {key: number(session, f"[data-metric='{key}'] dd") for key in
             ("consults", "usuallyNotAppropriate", "accepted", "overridden", "unknownCardFeedback")}
    check(shown["consults"] == totals["rated"], f"dashboard consults {shown['consults']} = CLI rated {totals['rated']}")
    for key in ("usuallyNotAppropriate", "accepted", "overridden"):
        check(shown[key] == totals[key], f"dashboard {key} {shown[key]} = CLI {totals[key]}")
    check(shown["unknownCardFeedback"] == summary["unknownCardFeedback"], "dashboard unknown-card feedback = CLI")
    table = session.run("""
      return [...document.querySelectorAll('#rows tr.summary-row')].map((tr) => {
        const f = (name) => Number(tr.querySelector(`[data-field=${name}]`).textContent);
        return {variant: Number(tr.dataset.variant), procedure: tr.dataset.procedure, rated: f('rated'),
                usuallyNotAppropriate: f('usuallyNotAppropriate'), accepted: f('accepted'), overridden: f('overridden')};
      });""")
    cli = [{k: r[k] for k in ("variant", "procedure", "rated", "usuallyNotAppropriate", "accepted", "overridden")}
           for r in summary["rows"]]
    missing = [r for r in cli if r not in table]
    extra = [r for r in table if r not in cli]
    check(len(table) == len(cli) and not missing and not extra,
          f"per variant/procedure table equals `vcf-cds audit summary --json` rows (missing {missing}, extra {extra})")
    check(session.run("return document.querySelector('#chain .chain-ok') !== null"), "chain status shown as verified")
    check(session.run(LABELS) == [], "dashboard: every visible form control has a label")
    session.screenshot(os.path.join(out, "console-dashboard.png"))

    # Date range 2024-05-02 .. 2024-05-03 (inclusive) = CLI --from 05-02 --to 05-04.
    session.run("document.getElementById('from').value = '2024-05-02';"
                "document.getElementById('to').value = '2024-05-03';")
    session.click("#range button[type=submit]")
    session.wait_for("return document.getElementById('dashboard-status').textContent.includes('2024-05-02')",
                     what="the filtered dashboard")
    expected = sum(r["rated"] for r in summary_range["rows"])
    session.wait_for("return document.querySelector(\"[data-metric='consults'] dd\").textContent.trim() === arguments[0]",
                     str(expected), what="filtered totals")
    check(number(session, "[data-metric='consults'] dd") == expected, f"date range: {expected} consults as the CLI says")
    session.screenshot(os.path.join(out, "console-dashboard-range.png"))
    session.click("#range-clear")
    session.wait_for("return document.getElementById('dashboard-status').textContent.includes('whole trail')",
                     what="the whole trail again")

    # One consult: full record, facts with sources, card, feedback, chain status.
    session.click("#una-list button.open")
    session.wait_for("const d = document.getElementById('consult-dialog');"
                     "return d.open && d.querySelector('#consult-body dl.fields') !== null", what="the consult")
    body = session.run("return document.getElementById('consult-body').textContent")
    check("Verified" in body and "Condition/vcf-" in body and "Feedback" in body,
          "consult record: chain status, facts with sources, feedback")
    check(session.run("return document.querySelector('#consult-body .cds-card') !== null"), "consult record: card rendered")
    check(session.run("return document.activeElement.id") == "consult-close", "dialog: focus on Close")
    session.screenshot(os.path.join(out, "console-consult.png"), "#consult-dialog")
    session.press("\ue00c")  # Escape
    check(session.run("return !document.getElementById('consult-dialog').open"), "dialog: Escape closes it")
    check(session.run("return document.activeElement.classList.contains('open')"), "dialog: focus returns to the opener")


def run(args):
    summary = json.load(open(args.summary))
    summary_range = json.load(open(args.summary_range))
    out = webdriver.artifacts_dir(args.artifacts)
    http_checks(Http(args.base, args.token), summary)

    driver = webdriver.ChromeDriver(args.chromedriver, os.path.join(out, "console-chromedriver.log"))
    session = None
    try:
        with tempfile.TemporaryDirectory() as profile:
            session = webdriver.Session(driver.url, args.chromium, profile)
            for step in (lambda: explorer(session, args.base, args.token, out),
                         lambda: try_it(session, out),
                         lambda: dashboard(session, args.base, summary, summary_range, out)):
                try:
                    step()
                except (webdriver.WebDriverError, KeyError, TypeError, ValueError) as e:
                    check(False, f"browser step failed: {type(e).__name__}: {e}")
                    session.screenshot(os.path.join(out, f"console-failure-{int(time.time())}.png"))
            # The one expected failure: the deliberate 400 of the bad-input try-it case.
            errors = [entry for entry in session.browser_log() if entry.get("level") == "SEVERE"
                      and not ("/console/api/try" in entry.get("message", "") and " 400 " in entry.get("message", ""))]
            check(not errors, f"no errors in the browser console {errors[:3]}")
            session.quit()
            session = None
    finally:
        if session:
            session.quit()
        driver.stop()
    print(f"screenshots in {out}")
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("console browser test: all checks passed")
    return 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("seed")
    s.add_argument("output")
    r = sub.add_parser("run")
    r.add_argument("--base", required=True)
    r.add_argument("--token", required=True)
    r.add_argument("--summary", required=True)
    r.add_argument("--summary-range", required=True)
    r.add_argument("--artifacts", required=True)
    r.add_argument("--chromium", default="/usr/bin/chromium")
    r.add_argument("--chromedriver", default="chromedriver")
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.output)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
