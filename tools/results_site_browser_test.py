#!/usr/bin/env python3
"""The results site in a real browser (ctest results_site_browser): headless
Chromium opens the generated index and, through its link, the cases of
the matrix's first failing cell. The DOM it renders must hold the matrix
with the very counts the JSON reports give, an SVG chart, and that cell's
cases as the report lists them; the browser must log no console message (a
failed load, a CSP refusal); a screenshot of the index is kept for a
reader.

    python3 tools/results_site_browser_test.py SITE_DIR RESULTS_DIR SCREENSHOT.png

Exit status 0 when it holds, 1 with what differs, 77 (ctest's
SKIP_RETURN_CODE) with the reason when no chromium is installed.
Python 3 standard library only.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

SKIP = 77
# Generous for a loaded 2-core machine, where one page takes Chromium ~10 s; a safety net, not a synchronisation.
BROWSER_SECONDS = 90


class Rendered(HTMLParser):
    """What the test reads from a rendered DOM: the matrix rows' counts, the
    case rows and the charts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.counts = {}  # loop -> {outcome: number shown}
        self.case_rows = []
        self.category_links = []  # (the cell's class, href) of each matrix cell linking to its cases
        self.cell_class = ""
        self.charts = 0
        self.loop = None
        self.outcome = None
        self.in_cases = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg" and attrs.get("role") == "img":
            self.charts += 1
        if tag == "table":
            self.in_cases = attrs.get("id") == "cases"
        if tag == "tr" and "data-loop" in attrs:
            self.loop = attrs["data-loop"]
            self.counts[self.loop] = {}
        if tag == "tr" and self.in_cases and "id" in attrs:
            self.case_rows.append(attrs["id"])
        if tag == "td":
            self.cell_class = attrs.get("class") or ""
        if tag == "a" and self.loop and "--" in attrs.get("href", ""):
            self.category_links.append((self.cell_class, attrs["href"]))
        self.outcome = attrs.get("data-outcome")

    def handle_data(self, data):
        if self.outcome and self.loop:
            self.counts[self.loop][self.outcome] = int(data)
            self.outcome = None


def render(chromium, url, profile, screenshot=None):
    """(DOM text, console lines) of the page as headless Chromium renders it."""
    command = [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--dump-dom"]
    if screenshot:
        command += ["--hide-scrollbars", "--window-size=1280,900", f"--screenshot={screenshot}"]
    done = subprocess.run(command + [url], capture_output=True, text=True, timeout=BROWSER_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    parsed = Rendered()
    parsed.feed(done.stdout)
    return parsed, console


def expected_counts(results_dir):
    """{loop: {outcome: count}} from each report's own summary."""
    expected = {}
    for path in sorted(Path(results_dir).glob("*.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        if "loopcert" not in report.get("results", {}).get("extra", {}):
            continue
        summary = report["results"]["summary"]
        expected[path.stem] = {"pass": summary["passed"], "fail": summary["failed"],
                               "unsupported": summary["skipped"], "unresolved": summary["other"]}
    return expected


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    site_dir, results_dir, screenshot = (Path(a).resolve() for a in argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("SKIP: no chromium on PATH (tools/bootstrap.sh installs Debian's chromium)")
        return SKIP
    failures = []
    # A DBus session bus is not needed and, absent, only costs Chromium retries.
    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    with tempfile.TemporaryDirectory() as profile:
        index, console = render(chromium, (site_dir / "index.html").as_uri(), profile, screenshot)
        failures += [f"index.html console: {line}" for line in console]
        expected = expected_counts(results_dir)
        if index.counts != expected:
            failures.append(f"the matrix shows {index.counts}, the reports say {expected}")
        if index.charts < 1:
            failures.append("index.html rendered no SVG chart")
        # The cases behind the first failing cell, as a reader would click through to them.
        links = [href for css, href in index.category_links if css == "failing"] or [h for _, h in index.category_links]
        case_page = site_dir / links[0]
        cases, console = render(chromium, case_page.as_uri(), profile)
        failures += [f"{case_page.name} console: {line}" for line in console]
        loop, _, category = case_page.stem.partition("--")
        report = json.loads((results_dir / f"{loop}.json").read_text(encoding="utf-8"))
        want = sorted(t["extra"]["caseId"] for t in report["results"]["tests"] if t["extra"]["category"] == category)
        if cases.case_rows != want:
            failures.append(f"{case_page.name} shows cases {cases.case_rows}, the report has {want}")
    if not screenshot.is_file():
        failures.append(f"no screenshot at {screenshot}")
    for failure in failures:
        print(failure)
    if failures:
        return 1
    print(f"results_site_browser: the matrix of {len(expected)} loops and {case_page.name} rendered as the reports "
          f"say, no console message; screenshot {screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
