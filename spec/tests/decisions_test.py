"""spec/decisions.md: every decision ID cited in the project is defined
there, once; every clause ID it names is in spec/clauses.json; its links
resolve.

Run by ctest (spec_decisions). Python 3 standard library only.
"""

import json
import os
import re
import unittest
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DECISIONS = REPO / "spec" / "decisions.md"
TEXT = DECISIONS.read_text(encoding="utf-8")
REGISTRY = json.loads((REPO / "spec" / "clauses.json").read_text(encoding="utf-8"))

DECISION_ID = re.compile(r"\bD-[A-Z]+-[0-9]+\b")
HEADING = re.compile(r"^#{2,3} (.+)$", re.MULTILINE)
SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".py", ".md", ".txt", ".cmake", ".sh"}


def defined_decisions():
    return [m.group(0) for h in HEADING.findall(TEXT) if (m := re.match(r"D-[A-Z]+-[0-9]+(?=:)", h))]


def project_files():
    """Every source or document of the checkout, build trees excluded."""
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
        for name in files:
            path = Path(root, name)
            if path.suffix in SOURCE_SUFFIXES:
                yield path


def github_anchor(heading):
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


class Decisions(unittest.TestCase):
    def test_each_decision_is_defined_once(self):
        self.assertEqual([d for d, n in Counter(defined_decisions()).items() if n > 1], [])

    def test_every_cited_decision_is_defined(self):
        defined = set(defined_decisions())
        for path in project_files():
            cited = set(DECISION_ID.findall(path.read_text(encoding="utf-8", errors="replace")))
            with self.subTest(path=str(path.relative_to(REPO))):
                self.assertEqual(sorted(cited - defined), [])

    def test_every_named_clause_is_in_the_registry(self):
        known = {c["id"] for part in ("clauses", "untestable", "draft_only") for c in REGISTRY[part]}
        named = set(re.findall(r"`([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+(?:-\*)?)`", TEXT))
        unknown = []
        for name in sorted(named):
            if name.startswith("D-"):
                continue
            if name.endswith("-*"):
                if not any(k.startswith(name[:-1]) for k in known):
                    unknown.append(name)
            elif name not in known:
                unknown.append(name)
        self.assertEqual(unknown, [])

    def test_links_resolve(self):
        anchors = {github_anchor(h) for h in HEADING.findall(TEXT)}
        broken = [a for a in re.findall(r"\]\(#([^)]+)\)", TEXT) if a not in anchors]
        self.assertEqual(broken, [])


if __name__ == "__main__":
    unittest.main()
