#!/usr/bin/env python3
"""Checks every quote in spec/clauses.json against the PEP text (a maintainer check).

    tools/check_quotes.py [FINAL_TEXT]

FINAL_TEXT defaults to ../shared/pep/pep-3156-final.txt beside the checkout;
the seed draft (pep-3156-seed-draft-2013-04-26.txt) is read from the same
folder for the draft-only clauses. Each quote must occur in its text, with
whitespace normalised (quotes keep the reST markup, as the text does), and
one occurrence must span the line the clause cites. A user's clone has no
../shared: the check then reports itself skipped (ctest's SKIP_RETURN_CODE).

Python 3 standard library only.
"""

import argparse
import bisect
import json
import sys

import pep_sources

SEED_DRAFT = "pep-3156-seed-draft-2013-04-26.txt"


class NormalisedText:
    """A text with its whitespace collapsed, remembering each word's line."""

    def __init__(self, text):
        words, self.lines = [], []
        for number, line in enumerate(text.split("\n"), 1):
            for word in line.split():
                words.append(word)
                self.lines.append(number)
        self.text = " ".join(words)
        self.starts, offset = [], 0
        for word in words:
            self.starts.append(offset)
            offset += len(word) + 1

    def line_span(self, start, length):
        """The first and last line of the normalised range [start, start+length)."""
        first = bisect.bisect_right(self.starts, start) - 1
        last = bisect.bisect_right(self.starts, start + length - 1) - 1
        return self.lines[first], self.lines[last]

    def problem(self, quote, line):
        """Why `quote` cited at `line` does not check out, or None."""
        needle = " ".join(quote.split())
        start = self.text.find(needle)
        if start < 0:
            return "quote not found"
        spans = []
        while start >= 0:
            first, last = self.line_span(start, len(needle))
            if first <= line <= last:
                return None
            spans.append(f"L{first}-L{last}")
            start = self.text.find(needle, start + 1)
        return f"cites L{line} but the quote is at {', '.join(spans)}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("final_text", nargs="?", help="path to pep-3156-final.txt")
    args = parser.parse_args()

    final_path = pep_sources.source("pep-3156-final.txt", args.final_text)
    seed_path = final_path.with_name(SEED_DRAFT)
    pep_sources.skip_unless_present(final_path, args.final_text)
    pep_sources.skip_unless_present(seed_path, args.final_text)

    registry = json.loads((pep_sources.REPO_ROOT / "spec" / "clauses.json").read_text(encoding="utf-8"))
    final = NormalisedText(final_path.read_text(encoding="utf-8"))
    seed = NormalisedText(seed_path.read_text(encoding="utf-8"))
    checks = [(final, c, c["line"]) for c in registry["clauses"] + registry["untestable"]]
    checks += [(seed, c, c["seed_line"]) for c in registry["draft_only"]]

    problems = []
    for text, clause, line in checks:
        problem = text.problem(clause["quote"], line)
        if problem:
            problems.append(f"{clause['id']}: {problem}")
    if problems:
        print("check_quotes: quotes that do not match the PEP text:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print(f"check_quotes: all {len(checks)} quotes occur at their cited lines "
          f"({pep_sources.label(final_path, args.final_text)} and {SEED_DRAFT})")


if __name__ == "__main__":
    main()
