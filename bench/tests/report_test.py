"""bench/report.py on made-up loopbench results: medians, ratios, goals,
and rounds pooled across files.

Run by ctest (bench_report_unit). Python 3 standard library only.
"""

import contextlib
import importlib.util
import io
import json
import tempfile
import unittest
from pathlib import Path

REPORT = Path(__file__).resolve().parents[1] / "report.py"
spec = importlib.util.spec_from_file_location("report", REPORT)
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)


def run(name, ns_per_item):
    """One repetition as loopbench's JSON has it: `ns_per_item` a callback."""
    return {"run_name": name, "run_type": "iteration", "items_per_second": 1e9 / ns_per_item}


def results_file(directory, file_name, runs):
    path = Path(directory) / file_name
    path.write_text(json.dumps({"context": {"loop": "epoll"}, "benchmarks": runs}))
    return str(path)


def table_of(*paths):
    """(exit status, printed table) of report.py --strict over `paths`."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = report.main(["--strict", *paths])
    return status, out.getvalue()


def row(table, probe):
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0].startswith(probe):
            return cells
    raise AssertionError(f"no row for {probe}:\n{table}")


class ReportTest(unittest.TestCase):
    def test_median_ratio_and_goal(self):
        with tempfile.TemporaryDirectory() as d:
            path = results_file(d, "one.json", [
                run("chained_dispatch/loop", 110), run("chained_dispatch/loop", 112),
                run("chained_dispatch/loop", 900),  # one slow repetition does not move a median
                run("chained_dispatch/baseline", 100), run("chained_dispatch/baseline", 100),
                run("chained_dispatch/baseline", 100)])
            status, table = table_of(path)
        cells = row(table, "chained_dispatch (per callback)")
        self.assertEqual(cells[2:7], ["112.0 ns", "100.0 ns", "1.12x", "<= 1.15x", "met"])
        self.assertEqual(status, 0)

    def test_rounds_in_several_files_are_pooled(self):
        # Round 1 ran in a slow minute (every loop repetition 1.3x), round 3
        # in part of one. Pooled, the median is the middle of all nine
        # repetitions, neither round 1's (which misses the goal) nor the
        # last file's.
        with tempfile.TemporaryDirectory() as d:
            rounds = [[run("chained_dispatch/loop", ns) for ns in loop] +
                      [run("chained_dispatch/baseline", 100) for _ in loop]
                      for loop in ([130, 131, 132], [105, 106, 107], [104, 105, 140])]
            paths = [results_file(d, f"round-{i}.json", runs) for i, runs in enumerate(rounds, 1)]
            alone, first = table_of(paths[0])
            pooled, table = table_of(*paths)
        self.assertEqual(row(first, "chained_dispatch")[6], "missed")
        self.assertEqual(alone, 1)
        self.assertEqual(row(table, "chained_dispatch")[2:7], ["107.0 ns", "100.0 ns", "1.07x", "<= 1.15x", "met"])
        self.assertEqual(pooled, 0)

    def test_handle_alone_rows_follow_each_size(self):
        with tempfile.TemporaryDirectory() as d:
            path = results_file(d, "timers.json", [
                run("timers_fired/loop/1000", 80), run("timers_fired/baseline/1000", 40),
                run("timers_fired/handle_alone/1000", 60)])
            _, table = table_of(path)
        self.assertEqual(row(table, "timers_fired/1000 (per timer)")[4], "2.00x")
        self.assertEqual(row(table, "timers_fired/1000: the Handle alone")[2:5], ["60.0 ns", "40.0 ns", "1.50x"])


if __name__ == "__main__":
    unittest.main()
