#!/usr/bin/env python3
"""Import the ACR Appropriateness Criteria evidence table for vertebral compression
fractures (PDF-extracted text) into cards/criteria.json.

Approach: the seed's line layout is unreliable (procedure names, categories, RRLs and SOE
wrap across lines; page breaks insert blank or space-only lines; a "[ped]" footnote marker
floats between the RRLs and the numbers). So layout is ignored except for the structural
anchors: the header lines before "Variant 1:", the "Variant N:" lines, the table header
that follows each of them, and "Appendix Key" (start of the non-data appendix).
Each variant's table body is flattened into one single-spaced token stream (a line ending
in "-" is glued to the next one without a space, so "x-" + "y" gives "x-y") and
rows are consumed back to back by one anchored regular expression:

    NAME CATEGORY [(Disagreement)] SOE RRL-ADULT RRL-PEDS [[ped]] RATING MEDIAN T1..T9
    [References Study Quality (N (PMID) QUALITY)...]

Every character of the stream must be consumed, every value is range-checked and the
totals are compared with the known shape of the document; anything unexpected aborts
with a non-zero exit status and a message naming the variant and row.

"version" is "sha256:" + SHA-256 of json.dumps(variants, ensure_ascii=False,
separators=(",", ":")) in UTF-8, i.e. the compact form RapidJSON's Writer produces, so the
C++ loader can detect hand edits.

Usage: tools/import_criteria.py [--seed PATH] [--out PATH|-] [--check]
"""
import argparse
import difflib
import hashlib
import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED_NAME = "acr-ac-vertebral-compression-fractures.txt"
DEFAULT_SEED = os.path.join(REPO, "..", "shared", "seed", SEED_NAME)
DEFAULT_OUT = os.path.join(REPO, "cards", "criteria.json")
GENERATOR = "tools/import_criteria.py"

# Known shape of the document; a mismatch means the seed changed or the parser drifted.
EXPECTED_ROWS = (10, 11, 10, 11, 5, 6, 6, 6, 6)
EXPECTED_ROWS_WITH_REFS = 57
EXPECTED_PHASES = ("imaging",) * 4 + ("treatment",) * 5

CATEGORY = r"Usually appropriate|May be appropriate|Usually not appropriate"
SOE = r"Strong|Moderate|Limited|Expert Consensus|Expert Opinion"
RRL = r"[O☢]+ \S+ mSv|Varies|N/A"
QUALITY = r"[1-4]|Good"
# The name may not contain digits, parentheses or brackets, so a malformed row can never be
# silently swallowed into the next row's name.
ROW = re.compile(
    rf"(?P<name>[^\d()\[\]]+?)"
    rf" (?P<category>{CATEGORY})(?P<disagreement> \(Disagreement\))?"
    rf" (?P<soe>{SOE})"
    rf" (?P<adult>{RRL}) (?P<peds>{RRL})(?: \[ped\])?"
    rf"(?P<numbers>(?: \d+){{11}})"
    rf"(?: References Study Quality(?P<refs>(?: \d+ \(-?\d+\) (?:{QUALITY}))+))?"
    rf"(?: |$)")
REF = re.compile(rf"(\d+) \((-?\d+)\) ({QUALITY})")
VARIANT_LINE = re.compile(r"Variant (\d+):(.*)")
TABLE_HEADER = re.compile(
    r"(.*?) Procedure Appropriateness Category SOE Adults RRL Peds RRL Rating Median"
    r" Final Tabulations 1 2 3 4 5 6 7 8 9 (.*)")
URL = re.compile(r"https?://\S+")


class SeedError(Exception):
    pass


def flatten(lines):
    """Join lines into one single-spaced string; a trailing '-' glues to the next line."""
    out = ""
    for line in lines:
        line = " ".join(line.split())
        if not line:
            continue
        out += line if (not out or out.endswith("-")) else " " + line
    return out


def category_for(rating):
    return ("Usually not appropriate", "May be appropriate", "Usually appropriate")[(rating - 1) // 3]


def parse_row(m, where):
    nums = [int(x) for x in m["numbers"].split()]
    rating, median, tab = nums[0], nums[1], nums[2:]
    if not (1 <= rating <= 9 and 1 <= median <= 9) or len(tab) != 9:
        raise SeedError(f"{where}: rating/median/tabulation out of range: {nums}")
    disagreement = m["disagreement"] is not None
    if not disagreement and m["category"] != category_for(rating):
        raise SeedError(f"{where}: category {m['category']!r} does not match rating {rating}")
    refs = [{"n": int(n), "pmid": pmid, "quality": q}
            for n, pmid, q in REF.findall(m["refs"] or "")]
    return {
        "name": m["name"],
        "category": m["category"],
        "disagreement": disagreement,
        "soe": m["soe"],
        "rrlAdult": m["adult"],
        "rrlPediatric": m["peds"],
        "rating": rating,
        "median": median,
        "tabulation": tab,
        "references": refs,
    }


def parse_variant(number, lines):
    where = f"variant {number}"
    m = TABLE_HEADER.fullmatch(flatten(lines))
    if not m:
        raise SeedError(f"{where}: table header not found")
    text, body = m[1].strip(), m[2]
    low = text.lower()
    phase = "treatment" if "treatment" in low else "imaging" if "imaging" in low else None
    if not text or phase is None:
        raise SeedError(f"{where}: cannot determine text/phase from {text!r}")
    rows, pos = [], 0
    while pos < len(body):
        row_where = f"{where}, row {len(rows) + 1}"
        m = ROW.match(body, pos)
        if not m:
            after = f" (after {rows[-1]['name']!r})" if rows else ""
            raise SeedError(f"{row_where}{after}: cannot parse near {body[pos:pos + 120]!r}")
        rows.append(parse_row(m, row_where))
        pos = m.end()
    return {"number": number, "text": text, "phase": phase, "procedures": rows}


def parse_seed(raw):
    lines = raw.decode("utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if VARIANT_LINE.fullmatch(line.strip())]
    end = next((i for i, line in enumerate(lines) if line.strip() == "Appendix Key"), None)
    if not starts or end is None or end < starts[-1]:
        raise SeedError("variant lines or 'Appendix Key' not found")
    header = [line.strip() for line in lines[:starts[0]] if line.strip()]
    if len(header) < 2:
        raise SeedError(f"expected publisher and title lines before variant 1, got {header}")
    urls = URL.findall("\n".join(lines[end:]))
    if not urls:
        raise SeedError("no URL found in the appendix")

    variants = []
    for k, start in enumerate(starts):
        number = int(VARIANT_LINE.fullmatch(lines[start].strip())[1])
        if number != k + 1:
            raise SeedError(f"variant {number} found where variant {k + 1} was expected")
        stop = starts[k + 1] if k + 1 < len(starts) else end
        first = VARIANT_LINE.fullmatch(lines[start].strip())[2]
        variants.append(parse_variant(number, [first] + lines[start + 1:stop]))

    counts = tuple(len(v["procedures"]) for v in variants)
    with_refs = sum(1 for v in variants for p in v["procedures"] if p["references"])
    phases = tuple(v["phase"] for v in variants)
    if counts != EXPECTED_ROWS:
        raise SeedError(f"rows per variant {counts}, expected {EXPECTED_ROWS}")
    if with_refs != EXPECTED_ROWS_WITH_REFS:
        raise SeedError(f"{with_refs} rows with references, expected {EXPECTED_ROWS_WITH_REFS}")
    if phases != EXPECTED_PHASES:
        raise SeedError(f"phases {phases}, expected {EXPECTED_PHASES}")
    return header[0], " ".join(header[1:]), urls[-1], variants


def render(seed_path):
    with open(seed_path, "rb") as f:
        raw = f.read()
    publisher, title, url, variants = parse_seed(raw)
    canonical = json.dumps(variants, ensure_ascii=False, separators=(",", ":"))
    doc = {
        "title": title,
        "publisher": publisher,
        "source": os.path.basename(seed_path),
        "sourceSha256": hashlib.sha256(raw).hexdigest(),
        "url": url,
        "generator": GENERATOR,
        "version": "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        "variants": variants,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", default=DEFAULT_SEED, help="ACR evidence table text file")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output JSON file, '-' for stdout")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 with a unified diff if --out differs")
    args = ap.parse_args(argv)
    try:
        text = render(args.seed)
    except (SeedError, OSError, UnicodeDecodeError) as e:
        print(f"import_criteria: error: {e}", file=sys.stderr)
        return 2
    if args.check:
        if args.out == "-":
            ap.error("--check needs a file for --out")
        try:
            with open(args.out, encoding="utf-8", newline="") as f:
                current = f.read()
        except OSError as e:
            print(f"import_criteria: error: {e}", file=sys.stderr)
            return 2
        if current != text:
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(True), text.splitlines(True),
                f"{args.out} (committed)", f"{args.out} (regenerated)"))
            print(f"import_criteria: {args.out} is out of date; re-run {GENERATOR}",
                  file=sys.stderr)
            return 1
        return 0
    if args.out == "-":
        sys.stdout.buffer.write(text.encode("utf-8"))
    else:
        with open(args.out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
