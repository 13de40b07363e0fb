#!/usr/bin/env python3
"""results/site/: the certified loops as a static site to look at, generated
from the committed reports, never by hand (issue #14, "The results
dashboard").

    python3 tools/results_site.py [--results DIR] [--clauses FILE]
                                  [--expectations DIR] [--out DIR]

Defaults: results/, spec/clauses.json, harness/expectations/ and
results/site/. `make results` runs it, and `make certify-all` after the
matrix. Open results/site/index.html in any browser: every page is plain
HTML with its CSS and its SVG charts inline, no script, no network.

Pages: index.html (the conformance matrix, loops x backends x PEP
categories, each cell linking to cases/<loop>--<category>.html, its cases
with their clauses and messages), clauses.html (each clause of the
registry across the loops), deviations.html (the expectations files'
entries with their reasons, and what each loop did), latency.html (the
four latency probes, p50/p99 per loop) and bench.html (tools/site_bench.py:
loopbench's ratios with the goals drawn in).

Python 3 standard library only.
"""

import argparse
import json
import sys
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import site_bench  # noqa: E402
import site_svg  # noqa: E402
from results_matrix import CATEGORIES, PROBES, format_ns, load_reports, loopcert_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# CTRF status -> (column name, colour): the matrix's counts and the summary chart's parts.
OUTCOMES = (("passed", "pass", "#2e8540"), ("failed", "fail", "#c0392b"),
            ("skipped", "unsupported", "#8a8f98"), ("other", "unresolved", "#d68910"))
# A clause's status in a report, as the clauses page shows it (a short word keeps 19 loops on a screen).
CLAUSE_STATUS = {"passed": "pass", "failed": "FAIL", "skipped": "skip", "untested": "-"}
PAGES = (("index.html", "Matrix"), ("clauses.html", "Clauses"), ("deviations.html", "Deviations"),
         ("latency.html", "Latency"), ("bench.html", "Bench"))
STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:80rem;padding:0 1rem 3rem;color:#1b1b1b}
nav{display:flex;gap:1.2rem;padding:.8rem 0;border-bottom:1px solid #ccc;margin-bottom:1rem}
table{border-collapse:collapse;margin:.8rem 0}th,td{border:1px solid #ccc;padding:.25rem .45rem;vertical-align:top}
th{background:#f2f2f2;text-align:left}.compact{font-size:.82em}.compact th[id]{white-space:nowrap}
th.section{background:#dde3ea;font-size:1.1em}td.num{text-align:right}.counts{font-size:.8em;color:#555}
.conforming,.passed{background:#e3f4e6}.failing,.failed{background:#fbe2df}.other,.unresolved{background:#fdf0d5}
.unsupported,.skipped,.untested,.not-implemented{background:#eef0f2}.msg{white-space:pre-wrap;font-size:.85em}
.chart text{font-size:11px;fill:#1b1b1b}.chart .tick{fill:#555;font-size:10px}.chart .grid{stroke:#ddd}
.chart .goal{stroke:#111;stroke-width:2;stroke-dasharray:4 2}code{font-size:.9em}
"""


class Loop:
    """One certified loop: its report and what the pages need from it."""

    def __init__(self, adapter, backend, report):
        self.adapter, self.backend, self.report = adapter, backend, report
        self.name = adapter if backend == "-" else f"{adapter}-{backend}"
        self.loopcert = loopcert_of(report)
        self.tests = report["results"]["tests"]
        self.by_case = {t["extra"]["caseId"]: t for t in self.tests}

    def case_page(self, category):
        return f"cases/{self.name}--{category}.html"

    def counts(self, tests):
        return [sum(1 for t in tests if t["status"] == status) for status, _, _ in OUTCOMES]

    def in_category(self, category):
        return [t for t in self.tests if t["extra"].get("category") == category]


def page(title, body, depth=0):
    up = "../" * depth
    links = " ".join(f'<a href="{up}{href}">{label}</a>' for href, label in PAGES)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style></head>'
            f'<body><nav aria-label="Pages">{links}</nav>'
            f"<main><h1>{escape(title)}</h1>\n{body}\n</main></body></html>\n")


def table(header, rows, attributes=""):
    head = "".join(f'<th scope="col">{cell}</th>' for cell in header)
    return f"<table{attributes}><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"


def css_class(status):
    return status.split(" ")[0].replace("not", "not-implemented") if status else ""


def index_page(loops):
    chart = site_svg.stacked(
        "outcomes", "Cases by outcome, per loop",
        "For each certified loop, how many conformance cases passed, failed, were unsupported or unresolved.",
        [(name, colour) for _, name, colour in OUTCOMES],
        [(loop.name, loop.counts(loop.tests)) for loop in loops])
    shown = [c for c in CATEGORIES if any(c in loop.loopcert.get("categories", {}) for loop in loops)]
    rows = []
    for loop in loops:
        verdict = loop.loopcert["verdict"]
        counts = " / ".join(f'<span data-outcome="{name}">{count}</span>'
                            for (_, name, _), count in zip(OUTCOMES, loop.counts(loop.tests)))
        cells = [f'<th scope="row"><a href="cases/{loop.name}.html">{escape(loop.adapter)}</a></th>',
                 f"<td>{escape(loop.backend)}</td>",
                 f'<td class="{verdict}"><strong>{verdict}</strong><br><span class="counts">{counts}</span></td>']
        for category in shown:
            standing = loop.loopcert.get("categories", {}).get(category)
            if standing is None:
                cells.append("<td></td>")
                continue
            passed, failed, skipped, other = loop.counts(loop.in_category(category))
            cells.append(f'<td class="{css_class(standing["status"])}"><a href="{loop.case_page(category)}">'
                         f'{escape(standing["summary"])}</a><br><span class="counts" title="pass / fail / unsupported">'
                         f"{passed} / {failed + other} / {skipped}</span></td>")
        rows.append(f'<tr data-loop="{loop.name}">{"".join(cells)}</tr>')
    header = ["adapter", "backend", "verdict: " + " / ".join(name for _, name, _ in OUTCOMES)] + shown
    body = f"""<p>Every loop certified by loopcert, generated by <code>tools/results_site.py</code> from the reports in
<code>results/</code> ({len(loops)} loops). A loop is conforming when every required clause passes; the optional
categories (io, pipes, signals) may be unsupported (harness/README.md, "Outcomes and the verdict").</p>
<h2>Conformance matrix</h2>
<p>One row per loop (adapter and backend), one column per PEP category. A category cell says where the loop stands
and counts its cases as pass / fail / unsupported; it links to those cases, their clauses and messages.</p>
{table(header, rows, ' id="matrix" class="compact"')}
<h2>Outcomes</h2>
{chart}"""
    return page("PEP 3156 loops, certified", body)


def loop_page(loop):
    reasons = "".join(f"<li>{escape(r)}</li>" for r in loop.loopcert.get("verdictReasons", [])) or "<li>none</li>"
    rows = []
    for category, standing in loop.loopcert.get("categories", {}).items():
        rows.append(f'<tr><th scope="row"><a href="../{loop.case_page(category)}">{category}</a></th>'
                    f'<td class="{css_class(standing["status"])}">{escape(standing["summary"])}</td></tr>')
    body = f"""<p>{escape(loop.loopcert["adapter"].get("description", ""))}</p>
<p>Verdict: <strong>{loop.loopcert["verdict"]}</strong></p>
<h2>Categories</h2>{table(["category", "standing"], rows)}<h2>Why this verdict</h2><ul>{reasons}</ul>"""
    latency = loop.loopcert.get("latency", {})
    measured = [(probe, latency[probe]) for probe in PROBES if probe in latency]
    if measured:
        title = f"{loop.name}: p50 and p99 per probe"
        body += "<h2>Latency</h2>" + latency_figures("latency", title, "probe", measured)
    return page(f"{loop.name}", body, depth=1)


def cases_page(loop, category):
    rows = []
    for test in sorted(loop.in_category(category), key=lambda t: t["extra"]["caseId"]):
        case_id = test["extra"]["caseId"]
        clauses = " ".join(f'<a href="../clauses.html#{tag}">{tag}</a>' for tag in test.get("tags", []))
        message = escape(test.get("message", ""))
        expected = test["extra"].get("expected")
        if expected:
            message += f'<br><em>Expected deviation ({expected["outcome"]}):</em> {escape(expected["reason"])}'
        rows.append(f'<tr id="{case_id}" class="{test["status"]}"><th scope="row"><code>{case_id}</code></th>'
                    f'<td>{test["rawStatus"]}</td><td>{test["extra"].get("level", "")}</td>'
                    f'<td>{test["extra"].get("tier", "")}</td><td>{clauses}</td><td class="msg">{message}</td></tr>')
    passed, failed, skipped, other = loop.counts(loop.in_category(category))
    body = (f'<p>Loop <a href="{loop.name}.html">{loop.name}</a>, category {category}: {passed} pass, '
            f"{failed + other} fail, {skipped} unsupported.</p>"
            + table(["case", "outcome", "level", "tier", "clauses", "message"], rows, ' id="cases"'))
    return page(f"{loop.name}: {category}", body, depth=1)


def clauses_page(loops, registry):
    header = ["clause", "level", "tier"] + [f"{escape(loop.adapter)}<br>{escape(loop.backend)}" for loop in loops]
    rows, section = [], None
    for clause in registry["clauses"]:
        if clause["section"] != section:
            section = clause["section"]
            rows.append(f'<tr><th colspan="{len(header)}" scope="colgroup" class="section">{escape(section)}</th></tr>')
        cells = [f'<th scope="row" id="{clause["id"]}" title="{escape(clause["statement"])}">{clause["id"]}</th>',
                 f'<td>{clause["level"]}</td><td>{clause["tier"]}</td>']
        cells += [clause_cell(loop, loop.loopcert["clauses"].get(clause["id"])) for loop in loops]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    failed = [(clause, sum(loop.loopcert["clauses"].get(clause["id"], {}).get("status") == "failed" for loop in loops))
              for clause in registry["clauses"]]
    failed_somewhere = ", ".join(f'<a href="#{clause["id"]}">{clause["id"]}</a> ({clause["level"]}, {count} loops)'
                                 for clause, count in failed if count) or "none"
    body = f"""<p>Failed by at least one loop: {failed_somewhere}.</p>
<p>Each clause of the registry (<code>spec/clauses.json</code>), in the order of the PEP's sections: its
level, its tier and where each loop stands on it (the status loopcert gives the clause from its cases: pass, FAIL,
skip when unsupported, - when no case of the loop tests it). A failure links to the clause's first failing case;
hovering a clause ID shows its statement.</p>
{table(header, rows, ' id="clauses" class="compact"')}"""
    return page("Clauses across loops", body)


def clause_cell(loop, standing):
    status = standing["status"] if standing else "untested"
    shown = CLAUSE_STATUS.get(status, status)
    failing = [c for c in (standing or {}).get("cases", [])
               if loop.by_case.get(c, {}).get("status") in ("failed", "other")]
    if failing:
        test = loop.by_case[failing[0]]
        shown = f'<a href="{loop.case_page(test["extra"]["category"])}#{failing[0]}">{shown}</a>'
    return f'<td class="{status}">{shown}</td>'


def deviations_page(loops, expectations_dir):
    parts = []
    for path in sorted(Path(expectations_dir).glob("*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        rows = []
        for case_id, entry in sorted(entries.get("expectations", {}).items()):
            observed = []
            for loop in loops:
                test = loop.by_case.get(case_id)
                if test and test["extra"].get("expected") == entry:
                    observed.append(f'<a href="{loop.case_page(test["extra"]["category"])}#{case_id}">'
                                    f'{loop.name}</a>: {test["rawStatus"]}')
            rows.append(f'<tr><th scope="row"><code>{case_id}</code></th><td>{entry["outcome"]}</td>'
                        f'<td>{escape(entry["reason"])}</td><td>{"<br>".join(observed) or "no report"}</td></tr>')
        applies = ", ".join(f"<code>{escape(a)}</code>" for a in as_list(entries.get("adapter", [])))
        parts.append(f"<h2><code>harness/expectations/{path.name}</code></h2><p>For {applies}.</p>"
                     + table(["case", "expected", "reason and evidence", "observed"], rows))
    body = """<p>A loop's expectations file lists the failures that are the library's genuine deviations from the
PEP, each with its reason and evidence (the library's source or docs, file and line). An expected deviation still
counts as a failure in the verdict.</p>""" + ("\n".join(parts) or "<p>No expectations file.</p>")
    return page("Deviations", body)


def as_list(value):
    return value if isinstance(value, list) else [value]


def latency_page(loops):
    parts = []
    for probe in PROBES:
        measured = [(loop.name, loop.loopcert["latency"][probe]) for loop in loops
                    if probe in loop.loopcert.get("latency", {})]
        if measured:
            parts.append(f'<h2 id="{probe}">{probe}</h2>'
                         + latency_figures(f"latency-{probe}", f"{probe}: p50 and p99 per loop", "loop", measured))
    body = """<p>loopcert's latency probes (harness/README.md, "Latency"), measured on the machine that certified:
they never decide conformance. "early" counts timers that fired before their deadline.</p>""" + (
        "\n".join(parts) or "<p>No report carries latency figures.</p>")
    return page("Latency", body)


def latency_figures(chart_id, title, what, measured):
    """A chart of p50 and p99 and the table of every percentile, for (label, probe statistics) pairs."""
    chart = site_svg.bars(
        chart_id, title, f"{title}, in nanoseconds on a logarithmic scale.",
        ("p50", "p99"), [(label, [stats["p50"], stats["p99"]], None) for label, stats in measured],
        format_ns, log=True)
    rows = [f'<tr><th scope="row">{label}</th>' + "".join(
        f'<td class="num">{format_ns(stats[key])}</td>' for key in ("p50", "p90", "p99", "max"))
        + f'<td class="num">{stats["count"]}</td><td class="num">{stats["early"]}</td></tr>'
        for label, stats in measured]
    return chart + table([what, "p50", "p90", "p99", "max", "samples", "early"], rows)


def bench_page(tables):
    parts = []
    for number, bench in enumerate(tables):
        charted = [row for row in bench["rows"] if row.get("ratio") is not None]
        groups = {}
        for row in charted:
            groups.setdefault(row["probe"], []).append(row)
        one_loop = all(len(rows) == 1 for rows in groups.values())
        charts = [bench_chart(f"bench-{number}", bench["title"], charted, "probe")] if one_loop else [
            bench_chart(f"bench-{number}-{index}", probe, rows, "loop")
            for index, (probe, rows) in enumerate(groups.items())]
        rows = [f'<tr class="{ {True: "passed", False: "failed"}.get(row.get("met"), "")}">'
                f'<th scope="row">{escape(row["probe"])}</th><td>{escape(row["loop"])}</td>'
                f'<td class="num">{figure(row.get("median_ns"))}</td>'
                f'<td class="num">{figure(row.get("baseline_ns"))}</td>'
                f'<td class="num">{ratio(row.get("ratio"))}</td><td>{escape(row.get("goal") or "")}</td>'
                f'<td>{ {True: "met", False: "missed"}.get(row.get("met"), "")}</td></tr>' for row in bench["rows"]]
        parts.append(f'<h2>{escape(bench["title"])}</h2><p>From <code>{escape(bench["source"])}</code>.</p>'
                     + "".join(charts)
                     + table(["probe", "loop", "loop median", "baseline median", "ratio", "goal", ""], rows))
    body = """<p>loopbench's medians of pooled rounds: each loop's figure over its baseline in the same run (the ratio
is what compares; bench/README.md). The dashed line on a bar is its goal; shorter is better.</p>""" + (
        "\n".join(parts) or "<p>No bench report in results/ yet: run <code>make bench</code>.</p>")
    return page("Bench", body)


def bench_chart(chart_id, title, rows, label_key):
    return site_svg.bars(
        chart_id, f"{title}: loop / baseline",
        "Each probe's median over its baseline's in the same run; a dashed line marks the goal where there is one.",
        ("ratio",), [(row[label_key], [row["ratio"]], row.get("goal_ratio")) for row in rows], ratio)


def figure(ns):
    return format_ns(ns) if ns is not None else ""


def ratio(value):
    return f"{value:.2f}x" if value is not None else ""


def site(results_dir, clauses_file, expectations_dir):
    """{relative path: page text} for the whole site."""
    loops = [Loop(*entry) for entry in load_reports(results_dir)]
    registry = json.loads(Path(clauses_file).read_text(encoding="utf-8"))
    pages = {
        "index.html": index_page(loops),
        "clauses.html": clauses_page(loops, registry),
        "deviations.html": deviations_page(loops, expectations_dir),
        "latency.html": latency_page(loops),
        "bench.html": bench_page(site_bench.load(results_dir)),
    }
    for loop in loops:
        pages[f"cases/{loop.name}.html"] = loop_page(loop)
        for category in loop.loopcert.get("categories", {}):
            pages[loop.case_page(category)] = cases_page(loop, category)
    return pages


def write(pages, out_dir):
    """Replaces the site's pages in out_dir (only .html files this script writes)."""
    out_dir = Path(out_dir)
    for stale in list(out_dir.glob("*.html")) + list(out_dir.glob("cases/*.html")):
        stale.unlink()
    for relative, text in pages.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=ROOT / "results", type=Path)
    parser.add_argument("--clauses", default=ROOT / "spec" / "clauses.json", type=Path)
    parser.add_argument("--expectations", default=ROOT / "harness" / "expectations", type=Path)
    parser.add_argument("--out", type=Path, help="default: RESULTS/site")
    args = parser.parse_args(argv)
    pages = site(args.results, args.clauses, args.expectations)
    out_dir = args.out or args.results / "site"
    write(pages, out_dir)
    size = sum(len(text.encode()) for text in pages.values())
    print(f"results_site: {len(pages)} pages, {size // 1024} KiB in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
