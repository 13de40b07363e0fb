"""The loopbench figures the results site charts (tools/results_site.py),
read from results/ in one shape whatever wrote them.

A bench table is a dict:

    {"title": "loopbench: ...", "source": "results/bench-reference-epoll.md",
     "rows": [{"probe": "ping_pong (per round trip)", "loop": "reference-epoll",
               "median_ns": 28110.0, "baseline_ns": 30600.0, "ratio": 0.92,
               "goal": "<= 1.05x", "goal_ratio": 1.05, "met": true}, ...]}

median_ns / baseline_ns are the loop's and the baseline's medians (null when
the figure is not a time), ratio is loop / baseline in the same run, goal is
the goal as the bench states it, goal_ratio the bound when the goal is a
ratio (the chart draws it), met true / false / null (no goal). Two sources:

- results/bench/*.json holding such a dict, or a cross-loop sweep as
  `bench/report.py --json` writes it (format "loopbench-sweep/1", see
  bench/README.md), read as two tables: every loop's probes over their
  baselines, and the reference loop's goals;
- results/bench-*.md, the tables `make bench` publishes: the first table
  whose header starts "| probe | backend | loop (median) | baseline
  (median) | ratio | goal |" is read, the loop named by the file
  (bench-<adapter>-<backend>.md) and the table's backend column.

Python 3 standard library only.
"""

import json
import re
import sys
from pathlib import Path

UNIT_NS = {"ns": 1.0, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}
HEADER = ("probe", "backend", "loop (median)", "baseline (median)", "ratio", "goal")


def load(results_dir):
    """Every bench table under results_dir, JSON sweeps first, in name order."""
    results_dir = Path(results_dir)
    tables = []
    for path in sorted((results_dir / "bench").glob("*.json")):
        table = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(table, dict) and str(table.get("format", "")).startswith("loopbench-sweep/"):
            tables.extend(from_sweep(table, f"results/bench/{path.name}"))
        elif isinstance(table, dict) and "rows" in table:
            table.setdefault("source", f"results/bench/{path.name}")
            tables.append(table)
        else:
            skipped(path, 'no "rows"')
    for path in sorted(results_dir.glob("bench-*.md")):
        table = from_markdown(path.read_text(encoding="utf-8"), path.stem.removeprefix("bench-"))
        if table["rows"]:
            table["source"] = f"results/{path.name}"
            tables.append(table)
        else:
            skipped(path, "no table with the header " + " | ".join(HEADER))
    return tables


def skipped(path, why):
    """Says so when a bench file is not in a shape this reads, rather than leaving its figures out unseen."""
    print(f"results_site: {path} is not a bench table ({why}): left off the bench page", file=sys.stderr)


def from_markdown(text, loop):
    """The first bench table of a `make bench` report, as a bench table."""
    lines = text.splitlines()
    title = next((line.lstrip("# ") for line in lines if line.startswith("# ")), loop)
    adapter = loop.split("-")[0]
    rows, in_table = [], False
    for line in lines:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if tuple(cells[: len(HEADER)]) == HEADER:
            in_table = True
            continue
        if not in_table:
            continue
        if not line.startswith("|"):
            break
        if set(line) <= set("|-: "):
            continue
        probe, backend, median, baseline, ratio, goal, verdict = (cells + [""] * 7)[:7]
        rows.append(
            {
                "probe": probe,
                "loop": f"{adapter}-{backend}",
                "median_ns": nanoseconds(median),
                "baseline_ns": nanoseconds(baseline),
                # A row comparing the loop with itself (10000 fds / 1 fd) states its ratio as the loop's figure.
                "ratio": times(ratio) if ratio else times(median),
                "goal": goal,
                "goal_ratio": times(goal.removeprefix("<=").strip()) if goal else None,
                "met": {"met": True, "missed": False}.get(verdict),
            }
        )
    return {"title": title, "rows": rows}


def from_sweep(sweep, source):
    """A loopbench sweep (bench/report.py --json) as bench tables: its rows, then its goals."""
    machine = sweep.get("machine", {})
    when = f'{sweep.get("generated", "")}, {machine.get("num_cpus", "?")} cores, load {machine.get("load_avg", ["?"])[0]}'

    def probe_name(row):
        return "/".join(part for part in (row["probe"], row.get("size", ""), row.get("metric", "")) if part)

    rows = [
        {
            "probe": probe_name(row),
            "loop": row["loop"],
            "median_ns": row["median"] * UNIT_NS[row["unit"]] if row.get("unit") in UNIT_NS else None,
            "baseline_ns": row["baseline"] * UNIT_NS[row["unit"]]
            if row.get("unit") in UNIT_NS and row.get("baseline") is not None
            else None,
            "ratio": row.get("ratio"),
            "goal": None,
            "goal_ratio": None,
            "met": None,
        }
        for row in sweep.get("rows", [])
        if not row.get("skipped")
    ]
    goals = [
        {
            "probe": goal["goal"],
            "loop": sweep.get("reference", ""),
            "median_ns": None,
            "baseline_ns": None,
            "ratio": goal.get("value"),
            "goal": f'<= {goal["limit"]}x' if goal.get("limit") is not None else None,
            "goal_ratio": goal.get("limit"),
            "met": {"met": True, "missed": False}.get(goal.get("outcome")),
        }
        for goal in sweep.get("goals", [])
    ]
    return [
        {"title": f"Cross-loop sweep ({when})", "source": source, "rows": rows},
        {"title": f"Goals of {sweep.get('reference', 'the reference loop')} ({when})", "source": source, "rows": goals},
    ]


def nanoseconds(cell):
    match = re.fullmatch(r"([0-9.]+)\s*(ns|us|µs|ms|s)", cell)
    return float(match[1]) * UNIT_NS[match[2]] if match else None


def times(cell):
    match = re.fullmatch(r"([0-9.]+)x", cell)
    return float(match[1]) if match else None
