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


def latency(name, p50_us, p99_us):
    """One repetition of a latency probe: its counters."""
    return {"run_name": name, "run_type": "iteration", "p50_us": p50_us, "p99_us": p99_us}


def results_file(directory, file_name, runs, **context):
    path = Path(directory) / file_name
    path.write_text(json.dumps({"context": {"loop": "epoll", **context}, "benchmarks": runs}))
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


    def test_native_table_divides_the_adapter_by_the_native_api(self):
        with tempfile.TemporaryDirectory() as d:
            libuv = results_file(d, "libuv.json", [
                run("ping_pong/loop/real_time", 30), run("ping_pong/loop/real_time", 32),
                run("ping_pong/native/real_time", 20), run("ping_pong/native/real_time", 20),
                run("timers_fired/loop/1000", 90), run("timers_fired/native/1000", 30),
                latency("wake_up/loop/real_time", 6, 40), latency("wake_up/native/real_time", 4, 10)],
                native_library="libuv")
            libev = results_file(d, "libev.json", [
                run("ping_pong/loop/real_time", 24), run("ping_pong/native/real_time", 20)],
                native_library="libev")
            status, table = table_of(libuv, libev)
        native = table[table.index("what the contract costs"):]
        self.assertEqual(row(native, "ping_pong (per round trip)")[1:8],
                         ["libev", "epoll", "24.0 ns", "20.0 ns", "1.20x", "<= 1.25x", "met"])
        libuv_ping = [line for line in native.splitlines() if "ping_pong" in line and "libuv" in line][0]
        self.assertIn("1.55x", libuv_ping)
        self.assertIn("missed", libuv_ping)
        self.assertEqual(row(native, "timers_fired/1000")[3:6], ["90.0 ns", "30.0 ns", "3.00x"])
        self.assertEqual(row(native, "wake_up p50")[3:6], ["6.0 us", "4.0 us", "1.50x"])
        self.assertEqual(row(native, "wake_up p99")[5], "4.00x")
        self.assertIn("goals (adapter / native): 1 met, 1 missed", native)
        self.assertEqual(status, 1)  # --strict: a native goal missed

    def test_no_native_table_without_native_probes(self):
        with tempfile.TemporaryDirectory() as d:
            path = results_file(d, "one.json", [run("ping_pong/loop/real_time", 30),
                                                run("ping_pong/baseline/real_time", 30)])
            _, table = table_of(path)
        self.assertNotIn("what the contract costs", table)


if __name__ == "__main__":
    unittest.main()
