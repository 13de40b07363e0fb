#!/usr/bin/env python3
"""Regenerates spec/clauses.json from the clause catalog (a maintainer script).

    tools/import_clauses.py [--check] [CATALOG]

CATALOG defaults to ../shared/pep/clauses.md beside the checkout; its
clauses-summary.md must sit next to it. The script parses every table row of
the catalog, maps the catalog's level, tier and origin notation to the
registry's vocabulary (spec/schema/clauses.schema.json), and fails loudly
when the counts differ from the summary's section 1 (totals, per tier, per
origin, and every row of the per-area table).

With --check it writes nothing and fails if spec/clauses.json is not what the
catalog generates; without the catalog it reports itself skipped (ctest's
SKIP_RETURN_CODE), since a user's clone has no ../shared.

Python 3 standard library only.
"""

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pep_sources

REGISTRY = pep_sources.REPO_ROOT / "spec" / "clauses.json"
SOURCE = "PEP 3156 final text (python/peps peps/pep-3156.rst @ b39aefe66)"
# One word or several joined by "-" (the catalog has SLEEP and SHIELD).
ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")

TIERS = {
    "R": "required",
    "R/E": "required-except-embedded",
    "O-IO": "optional-io",
    "O-PIPE": "optional-pipes",
    "O-SIG": "optional-signals",
    "O-IO/O-PIPE/O-SIG": "optional-all",
    "P": "policy",
    "L": "library",
    "X": "extra",
}

# The catalog's level suffixes. "(protocol)" marks an obligation on the
# user's protocol code, which is the API's caller; "(impl. for ...)" is an
# implied reading like "(impl.)".
QUALIFIERS = [
    (re.compile(r"^caller$"), "caller"),
    (re.compile(r"^protocol$"), "caller"),
    (re.compile(r"^impl\.( for .+)?$"), "impl"),
    (re.compile(r"^as written; disputed$"), "disputed"),
    (re.compile(r"^vestigial$"), "vestigial"),
    (re.compile(r"^litmus test$"), "litmus"),
]

# "MUST/MAY": a MUST with a permitted exception inside it (the clause's
# statement says which); it counts as MUST in the catalog's totals.
LEVELS = {"MUST": "MUST", "SHOULD": "SHOULD", "MAY": "MAY", "MUST/MAY": "MUST"}

ORIGIN = re.compile(r"^(S·[dc](?:\+001)?|F1[346])( Δ)?$")


class CatalogError(Exception):
    pass


def split_row(line):
    """The cells of a markdown table row (the catalog escapes no '|')."""
    return [cell.strip() for cell in line.strip().split("|")[1:-1]]


def unquote(cell, what):
    if len(cell) < 2 or cell[0] != '"' or cell[-1] != '"':
        raise CatalogError(f"{what}: expected a double-quoted PEP text, got {cell!r}")
    return cell[1:-1]


def split_line_ref(cell, marker, clause_id):
    """'text (Lnnn)' (or '(seed Lnnn)' for marker 'seed L') -> (text, nnn)."""
    match = re.fullmatch(rf"(.+) \({marker}(\d+)\)", cell)
    if not match:
        raise CatalogError(f"{clause_id}: expected '... ({marker}<line>)', got {cell!r}")
    return match.group(1), int(match.group(2))


def parse_id(cell):
    match = re.fullmatch(r"`([^`]+)`", cell)
    if not match or not ID_PATTERN.match(match.group(1)):
        raise CatalogError(f"malformed clause ID cell {cell!r}")
    return match.group(1)


def parse_level(cell, clause_id):
    match = re.fullmatch(r"(MUST/MAY|MUST|SHOULD|MAY)(?: \((.+)\))?", cell)
    if not match:
        raise CatalogError(f"{clause_id}: unknown level {cell!r}")
    qualifiers = []
    if match.group(2):
        for pattern, qualifier in QUALIFIERS:
            if pattern.match(match.group(2)):
                qualifiers.append(qualifier)
                break
        else:
            raise CatalogError(f"{clause_id}: unknown level qualifier {match.group(2)!r}")
    return LEVELS[match.group(1)], qualifiers


def parse_testable(cells, area, clause_id):
    """One row of an area table: ID | PEP § (line) | Level | Tier | Origin |
    Final wording since | Testable statement | PEP text (exact) | Seed → final."""
    section, line = split_line_ref(cells[1], "L", clause_id)
    level, qualifiers = parse_level(cells[2], clause_id)
    if cells[3] not in TIERS:
        raise CatalogError(f"{clause_id}: unknown tier {cells[3]!r}")
    origin = ORIGIN.match(cells[4])
    if not origin:
        raise CatalogError(f"{clause_id}: unknown origin {cells[4]!r}")
    return {
        "id": clause_id,
        "area": area,
        "section": section,
        "line": line,
        "level": level,
        "level_text": cells[2],
        "qualifiers": qualifiers,
        "tier": TIERS[cells[3]],
        "origin": "seed-draft" if origin.group(1).startswith("S") else "final",
        "origin_detail": origin.group(1),
        "changed_since_draft": origin.group(2) is not None,
        "final_wording_since": cells[5].replace("`", ""),
        "statement": cells[6],
        "quote": unquote(cells[7], clause_id),
        "seed_to_final": cells[8],
    }


def parse_untestable(cells, clause_id):
    """ID | Obligation | "PEP text" (Lnnn)."""
    quote, line = split_line_ref(cells[2], "L", clause_id)
    return {"id": clause_id, "line": line, "statement": cells[1], "quote": unquote(quote, clause_id)}


def parse_draft_only(cells, clause_id):
    """ID | Draft requirement | "Seed draft text" (seed Lnnn) | Fate."""
    quote, line = split_line_ref(cells[2], "seed L", clause_id)
    return {"id": clause_id, "origin": "seed-draft", "seed_line": line, "statement": cells[1],
            "quote": unquote(quote, clause_id), "fate": cells[3]}


def parse_catalog(text):
    """The registry's content: areas, clauses, untestable, draft_only, and
    the per-heading counts the catalog's table of contents announces."""
    registry = {"areas": [], "clauses": [], "untestable": [], "draft_only": []}
    announced = {}
    kind = area = None
    for number, line in enumerate(text.splitlines(), 1):
        heading = re.match(r"^## (.+)$", line)
        if heading:
            title = heading.group(1)
            area_heading = re.fullmatch(r"([A-Z]+): (.+)", title)
            if area_heading:
                kind, area = "clauses", area_heading.group(1)
                registry["areas"].append({"id": area, "title": area_heading.group(2)})
            elif title.startswith("Normative but not black-box testable"):
                kind, area = "untestable", None
            elif title.startswith("Draft-only clauses"):
                kind, area = "draft_only", None
            else:
                kind, area = None, None
            continue
        contents = re.match(r"^- \[(?:([A-Z]+): .+|(Normative but).+|(Draft-only).+)\]\(#[^)]+\) \((\d+)\)$", line)
        if contents:
            key = contents.group(1) or ("untestable" if contents.group(2) else "draft_only")
            announced[key] = int(contents.group(4))
            continue
        if not line.startswith("| `"):
            continue
        if kind is None:
            raise CatalogError(f"line {number}: clause row outside a clause table")
        cells = split_row(line)
        clause_id = parse_id(cells[0])
        expected_cells = {"clauses": 9, "untestable": 3, "draft_only": 4}[kind]
        if len(cells) != expected_cells:
            raise CatalogError(f"line {number}: {clause_id} has {len(cells)} cells, expected {expected_cells}")
        if kind == "clauses":
            registry["clauses"].append(parse_testable(cells, area, clause_id))
        elif kind == "untestable":
            registry["untestable"].append(parse_untestable(cells, clause_id))
        else:
            registry["draft_only"].append(parse_draft_only(cells, clause_id))
    return registry, announced


# --- Checks against the summary ----------------------------------------------

def summary_counts(summary):
    """What clauses-summary.md section 1 says, as {check name: number}."""
    section = summary.split("## 1. Counts", 1)[1].split("\n## ", 1)[0]
    expected = {}

    def grab(pattern, names):
        match = re.search(pattern, section)
        if not match:
            raise CatalogError(f"summary section 1 no longer matches {pattern!r}")
        for name, value in zip(names, match.groups()):
            expected[name] = int(value)

    grab(r"\*\*(\d+) testable clauses\*\* \(MUST (\d+), SHOULD (\d+), MAY (\d+)\), plus (\d+) "
         r"normative-but-untestable obligations and (\d+) draft-only",
         ["testable", "level MUST", "level SHOULD", "level MAY", "untestable", "draft_only"])
    grab(r"By tier: R (\d+), R/E (\d+), O-IO (\d+), O-PIPE (\d+), O-SIG (\d+), plus (\d+) clause that "
         r"covers all optional categories \(TIER-OPTIONAL-NIE\), P (\d+), L (\d+), X (\d+)\.",
         [f"tier {t}" for t in ["required", "required-except-embedded", "optional-io", "optional-pipes",
                                "optional-signals", "optional-all", "policy", "library", "extra"]])
    grab(r"\*\*(\d+) already in the seed draft\*\* \((\d+) in passages visible in the 003 diff, (\d+) only "
         r"in sections 003 leaves unchanged; \*\*(\d+) of the \d+ changed meaning\*\*\)\. \*\*(\d+) appear "
         r"only in the final PEP\*\*: (\d+) by acceptance \(2013-11-20\), (\d+) added 2013-11-24\.\.2014-02-24, "
         r"(\d+) from the 2016 edits",
         ["origin seed-draft", "origin S·d", "origin S·c", "changed", "origin final",
          "origin F13", "origin F14", "origin F16"])

    tier_columns = ["required", "required-except-embedded", "optional-io", "optional-pipes",
                    "optional-signals", "policy", "library", "extra"]
    rows = [line for line in section.splitlines() if re.match(r"^\| [A-Z]+ ", line)]
    if len(rows) != 20:
        raise CatalogError(f"summary's area table has {len(rows)} rows, expected 20")
    for row in rows:
        cells = split_row(row)
        area = cells[0].split()[0]
        expected[f"{area} clauses"] = int(cells[1])
        for tier, cell in zip(tier_columns, cells[2:10]):
            all_optional = re.fullmatch(r"\((\d+) for all three optional categories\)", cell)
            if all_optional:
                expected[f"{area} tier optional-all"] = int(all_optional.group(1))
            else:
                expected[f"{area} tier {tier}"] = int(cell or 0)
        must, should, may = (int(n) for n in cells[10].split("/"))
        expected.update({f"{area} level MUST": must, f"{area} level SHOULD": should, f"{area} level MAY": may})
        seed = re.fullmatch(r"(\d+) \((\d+)\)", cells[11]) if cells[11] else None
        expected[f"{area} origin seed-draft"] = int(seed.group(1)) if seed else 0
        expected[f"{area} changed"] = int(seed.group(2)) if seed else 0
        for origin, cell in zip(["F13", "F14", "F16"], cells[12:15]):
            expected[f"{area} origin {origin}"] = int(cell or 0)
    return expected


def registry_counts(registry):
    """The same checks, counted from the parsed catalog."""
    counts = Counter()
    counts["testable"] = len(registry["clauses"])
    counts["untestable"] = len(registry["untestable"])
    counts["draft_only"] = len(registry["draft_only"])
    for clause in registry["clauses"]:
        for scope in ("", f"{clause['area']} "):
            counts[f"{scope}level {clause['level']}"] += 1
            counts[f"{scope}tier {clause['tier']}"] += 1
            counts[f"{scope}origin {clause['origin']}"] += 1
            counts[f"{scope}changed"] += clause["changed_since_draft"]
        counts[f"{clause['area']} clauses"] += 1
        counts[f"origin {clause['origin_detail'].removesuffix('+001')}"] += 1
        if clause["origin"] == "final":
            counts[f"{clause['area']} origin {clause['origin_detail']}"] += 1
    return counts


def verify(registry, announced, summary):
    problems = []
    counts = registry_counts(registry)
    for name, number in sorted(summary_counts(summary).items()):
        if counts[name] != number:
            problems.append(f"{name}: the summary says {number}, the catalog has {counts[name]}")
    for key, number in sorted(announced.items()):
        have = counts[f"{key} clauses"] if key.isupper() else counts[key]
        if have != number:
            problems.append(f"{key}: the table of contents says {number}, the catalog has {have}")
    every_id = [c["id"] for part in ("clauses", "untestable", "draft_only") for c in registry[part]]
    problems += [f"duplicate ID {i}" for i, n in Counter(every_id).items() if n > 1]
    if problems:
        raise CatalogError("the catalog does not match its summary:\n  " + "\n  ".join(problems))


def render(registry):
    document = {"version": 1, "source": SOURCE, **registry}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("catalog", nargs="?", help="path to clauses.md (default: ../shared/pep/clauses.md)")
    parser.add_argument("--check", action="store_true", help="fail if spec/clauses.json is out of date")
    args = parser.parse_args()

    catalog = pep_sources.source("clauses.md", args.catalog)
    summary = catalog.with_name("clauses-summary.md")
    if args.check:
        pep_sources.skip_unless_present(catalog, args.catalog)
    for path in (catalog, summary):
        if not path.is_file():
            sys.exit(f"import_clauses: {pep_sources.label(path, args.catalog)} not found")

    try:
        registry, announced = parse_catalog(catalog.read_text(encoding="utf-8"))
        verify(registry, announced, summary.read_text(encoding="utf-8"))
    except CatalogError as error:
        sys.exit(f"import_clauses: {error}")
    output = render(registry)

    if args.check:
        if REGISTRY.read_text(encoding="utf-8") != output:
            sys.exit("import_clauses: spec/clauses.json is out of date; run tools/import_clauses.py")
        print(f"import_clauses: spec/clauses.json matches {pep_sources.label(catalog, args.catalog)}")
        return
    REGISTRY.write_text(output, encoding="utf-8")
    levels = Counter(c["level"] for c in registry["clauses"])
    print(f"import_clauses: wrote {REGISTRY.relative_to(pep_sources.REPO_ROOT)}: "
          f"{len(registry['clauses'])} testable (MUST {levels['MUST']}, SHOULD {levels['SHOULD']}, "
          f"MAY {levels['MAY']}), {len(registry['untestable'])} untestable, "
          f"{len(registry['draft_only'])} draft-only")


if __name__ == "__main__":
    main()
