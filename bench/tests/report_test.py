"""bench/report.py on made-up loopbench results: medians, ratios, goals,
rounds pooled across files, loops side by side, and the sweep's JSON.

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


def run(name, ns_per_item, **counters):
    """One repetition as loopbench's JSON has it: `ns_per_item` a callback."""
    return {"run_name": name, "run_type": "iteration", "items_per_second": 1e9 / ns_per_item, **counters}


def latency(name, p50_us, p99_us):
    """One repetition of a latency probe: its counters."""
    return {"run_name": name, "run_type": "iteration", "p50_us": p50_us, "p99_us": p99_us}


def results_file(directory, file_name, runs, context=None):
    path = Path(directory) / file_name
    path.write_text(json.dumps({"context": context or {"loop": "epoll"}, "benchmarks": runs}))
    return str(path)


def loop_file(directory, adapter, loop, runs, **context):
    """A file as make bench writes it for one loop of one adapter (with
    native_library="libuv" as loopbench --native writes it)."""
    return results_file(directory, f"{adapter}-{loop}.json", runs, {"adapter": adapter, "loop": loop, **context})


def table_of(*paths):
    """(exit status, printed tables) of report.py --strict over `paths`."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = report.main(["--strict", *paths])
    return status, out.getvalue()


def row(table, probe, loop=None):
    """The cells of the first row starting with `probe` (and, given, whose
    second cell is `loop`)."""
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0].startswith(probe) and (loop is None or cells[1] == loop):
            return cells
    raise AssertionError(f"no row for {probe}:\n{table}")


def section(table, title):
    """The lines of the table under the heading that starts with `title`."""
    text = table.split(f"## {title}", 1)[1]
    return text.split("\n## ", 1)[0]


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
        self.assertEqual(cells[1:5], ["reference/epoll", "112.0 ns", "100.0 ns", "1.12x"])
        goal = row(section(table, "Goals"), "chained dispatch <= 1.15x the raw loop")
        self.assertEqual(goal[1:4], ["1.12x", "<= 1.15x", "met"])
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
        self.assertEqual(row(section(first, "Goals"), "chained dispatch <= 1.15x")[3], "missed")
        self.assertEqual(alone, 1)
        self.assertEqual(row(table, "chained_dispatch")[2:5], ["107.0 ns", "100.0 ns", "1.07x"])
        self.assertEqual(row(section(table, "Goals"), "chained dispatch <= 1.15x")[3], "met")
        self.assertEqual(pooled, 0)

    def test_handle_alone_rows_follow_each_size(self):
        with tempfile.TemporaryDirectory() as d:
            path = results_file(d, "timers.json", [
                run("timers_fired/loop/1000", 80), run("timers_fired/baseline/1000", 40),
                run("timers_fired/handle_alone/1000", 60)])
            _, table = table_of(path)
        self.assertEqual(row(table, "timers_fired/1000 (per timer)")[4], "2.00x")
        self.assertEqual(row(table, "timers_fired/1000: the Handle alone")[2:5], ["60.0 ns", "40.0 ns", "1.50x"])

    def test_goal_against_the_handle_alone(self):
        with tempfile.TemporaryDirectory() as d:
            path = results_file(d, "batch.json", [
                run("call_soon_batch/loop", 30), run("call_soon_batch/baseline", 5),
                run("call_soon_batch/handle_alone", 15)])
            status, table = table_of(path)
        self.assertEqual(row(section(table, "Goals"), "call_soon batch <= 1.5x the Handle alone")[1:4],
                         ["2.00x", "<= 1.5x", "missed"])
        self.assertEqual(status, 1)

    def test_loops_side_by_side_and_the_fastest_peer(self):
        # The reference is 1.2x libev and 0.8x libuv on chained dispatch:
        # the goal compares it with the fastest peer, libev.
        with tempfile.TemporaryDirectory() as d:
            paths = [loop_file(d, adapter, "epoll", [run("chained_dispatch/loop", ns),
                                                     run("chained_dispatch/baseline", 100)])
                     for adapter, ns in (("reference", 120), ("libuv", 150), ("libev", 100))]
            status, table = table_of(*paths)
        across = section(table, "Across loops")
        header = [c.strip() for c in across.strip().splitlines()[2].strip("|").split("|")]
        self.assertEqual(header, ["probe", "reference/epoll", "libev/epoll (reference / it)",
                                  "libuv/epoll (reference / it)"])
        self.assertEqual(row(across, "chained_dispatch")[1:], ["120.0 ns", "100.0 ns (1.20x)", "150.0 ns (0.80x)"])
        goal = row(section(table, "Goals"), "chained dispatch no slower than the fastest peer")
        self.assertEqual(goal[1:], ["1.20x", "<= 1x", "missed", "fastest peer: libev/epoll"])
        self.assertEqual(status, 1)

    def test_echo_latency_memory_and_io_uring_versus_epoll(self):
        with tempfile.TemporaryDirectory() as d:
            epoll = loop_file(d, "reference", "epoll", [
                run("echo/loop/100/manual_time", 10_000, p50_us=900.0, p99_us=2000.0),
                run("echo/baseline/100/manual_time", 8_000, p50_us=700.0, p99_us=1500.0),
                run("idle_memory/loop/iterations:1", 1, kib_per_1000=1500.0),
                run("idle_memory/baseline/iterations:1", 1, kib_per_1000=10.0)])
            uring = loop_file(d, "reference", "io_uring", [run("echo/loop/100/manual_time", 9_000, p50_us=800.0)])
            _, table = table_of(epoll, uring)
        self.assertEqual(row(table, "echo/100 (per", "reference/epoll")[2:5], ["10.00 us", "8.00 us", "1.25x"])
        self.assertEqual(row(table, "echo/100 p99", "reference/epoll")[2:5], ["2000.0 us", "1500.0 us", "1.33x"])
        self.assertEqual(row(table, "idle_memory", "reference/epoll")[2:4], ["1500 KiB", "10 KiB"])
        goal = row(section(table, "Goals"), "io_uring echo, 100 connections, no slower than epoll")
        self.assertEqual(goal[1:4], ["0.90x", "<= 1x", "met"])

    def test_a_skipped_probe_gives_its_reason(self):
        with tempfile.TemporaryDirectory() as d:
            path = loop_file(d, "libev", "select", [
                {"run_name": "idle_fds/loop/10000", "run_type": "iteration", "error_occurred": True,
                 "error_message": "the loop refused idle fd 1030"},
                run("idle_fds/baseline/10000", 100)])
            _, table = table_of(path)
        self.assertEqual(row(table, "idle_fds/10000", "libev/select")[2], "skipped [1]")
        self.assertIn("[1] the loop refused idle fd 1030", table)

    def test_the_sweep_json_for_the_results_site(self):
        with tempfile.TemporaryDirectory() as d:
            paths = [loop_file(d, adapter, "epoll", [run("ping_pong/loop", ns), run("ping_pong/baseline", 5000)])
                     for adapter, ns in (("reference", 8000), ("asio", 10000))]
            out = Path(d) / "sweep.json"
            with contextlib.redirect_stdout(io.StringIO()):
                report.main(["--json", str(out), *paths])
            sweep = json.loads(out.read_text())
        self.assertEqual([loop["label"] for loop in sweep["loops"]], ["reference/epoll", "asio/epoll"])
        reference = next(r for r in sweep["rows"] if r["loop"] == "reference/epoll")
        self.assertEqual((reference["probe"], reference["median"], reference["baseline"], reference["ratio"]),
                         ("ping_pong", 8000, 5000, 1.6))
        cross = sweep["cross_loop"][0]
        self.assertEqual(cross["loops"]["asio/epoll"], {"median": 10000, "reference_ratio": 0.8})
        goal = next(g for g in sweep["goals"] if g["goal"] == "socketpair ping-pong no slower than the fastest peer")
        self.assertEqual((goal["value"], goal["outcome"]), (0.8, "met"))
        self.assertEqual(sweep["summary"]["met"], 1)


    def test_native_table_divides_the_adapter_by_the_native_api(self):
        with tempfile.TemporaryDirectory() as d:
            libuv = loop_file(d, "libuv", "epoll", [
                run("ping_pong/loop/real_time", 30), run("ping_pong/loop/real_time", 32),
                run("ping_pong/native/real_time", 20), run("ping_pong/native/real_time", 20),
                run("timers_fired/loop/1000", 90), run("timers_fired/native/1000", 30),
                latency("wake_up/loop/real_time", 6, 40), latency("wake_up/native/real_time", 4, 10)],
                native_library="libuv")
            libev = loop_file(d, "libev", "epoll", [
                run("ping_pong/loop/real_time", 24), run("ping_pong/native/real_time", 20)],
                native_library="libev")
            status, table = table_of(libuv, libev)
        native = section(table, "What the contract costs")
        self.assertEqual(row(native, "ping_pong (per round trip")[1:8],
                         ["libev", "libev/epoll", "24.0 ns", "20.0 ns", "1.20x", "<= 1.25x", "met"])
        libuv_ping = [line for line in native.splitlines() if "ping_pong" in line and "libuv" in line][0]
        self.assertIn("1.55x", libuv_ping)
        self.assertIn("missed", libuv_ping)
        self.assertEqual(row(native, "timers_fired/1000")[3:6], ["90.0 ns", "30.0 ns", "3.00x"])
        self.assertEqual(row(native, "wake_up p50")[3:6], ["6.0 us", "4.0 us", "1.50x"])
        self.assertEqual(row(native, "wake_up p99")[5], "4.00x")
        self.assertIn("goals (adapter / native): 1 met, 1 missed", table)
        # The same rows are what the goal "adapter overhead" reads: the worst peer.
        goal = row(section(table, "Goals"), "ping_pong through the contract <= 1.25x the native API")
        self.assertEqual(goal[1:], ["1.55x", "<= 1.25x", "missed", "worst: libuv/epoll"])
        self.assertEqual(status, 1)  # --strict: a native goal missed

    def test_no_native_table_without_native_probes(self):
        with tempfile.TemporaryDirectory() as d:
            path = results_file(d, "one.json", [run("ping_pong/loop/real_time", 30),
                                                run("ping_pong/baseline/real_time", 30)])
            _, table = table_of(path)
        self.assertNotIn("What the contract costs", table)


if __name__ == "__main__":
    unittest.main()
