#!/usr/bin/python3
"""Turns loopbench's JSON results into the table `make bench` prints.

    report.py [--strict] RESULTS.json...

Files written by loopbench --benchmark_out=FILE --benchmark_out_format=json
with --benchmark_repetitions. One loop's probes may span several files, and
the same probe may be in several (rounds of `make bench`, BENCH_ROUNDS):
its repetitions are pooled. For every probe it prints the loop's median
over the repetitions, the baseline's median, their ratio, and, for the
epoll loop, the goal the issue sets and whether it is met. Files run with
loopbench --native add a second table: the adapter against the same
probes on its library's own API, and what the contract costs (adapter /
native). Medians,
because the machine is shared and noisy: one slow repetition moves a mean,
not a median, and a slow minute that hits one round is outvoted by the
others. With --strict, exits 1 if a goal is missed.

Standard library only.
"""

import json
import statistics
import sys

# What each probe's figure is and which goals apply, in table order.
# kind: "time" (ns per item, from items_per_second) or "latency" (the
# p50_us/p99_us counters). A goal is (what, limit): "ratio" limits
# loop / baseline; "p50_us", "p99_us", "early_fires" limit the loop's own
# value.
PROBES = [
    ("call_soon_batch", "per callback", "time", [("ratio", 1.5)]),
    ("chained_dispatch", "per callback", "time", [("ratio", 1.15)]),
    ("timers_fired", "per timer", "time", [("ratio", 1.5)]),
    ("timers_cancelled", "per timer", "time", [("ratio", 1.5)]),
    ("timer_lateness", "late by", "latency", [("p50_us", 10.0), ("p99_us", 25.0), ("early_fires", 0)]),
    ("ping_pong", "per round trip", "time", [("ratio", 1.05)]),
    ("wake_up", "post to callback", "latency", [("p50_ratio", 1.1)]),
    ("idle_fds", "per iteration", "time", []),  # goals below: only at 10,000 fds
]
GOAL_BACKEND = "epoll"
IDLE_FDS_GOAL_SIZE = "10000"
IDLE_FDS_RATIO = 2.0
# "Flat in the number of fds": the loop's iteration at 10,000 idle fds
# costs at most this much more than at 1.
IDLE_FDS_FLATNESS = 1.25


def read_runs(path):
    """{(probe, variant, size): [per-repetition entry, ...]} and the loop name."""
    with open(path) as f:
        data = json.load(f)
    runs = {}
    for entry in data["benchmarks"]:
        if entry.get("run_type", "iteration") != "iteration":
            continue
        # run_name: probe/variant[/size][/min_time:...][/manual_time]
        parts = [p for p in entry["run_name"].split("/") if ":" not in p and not p.endswith("_time")]
        probe, variant = parts[0], parts[1]
        size = parts[2] if len(parts) > 2 else ""
        runs.setdefault((probe, variant, size), []).append(entry)
    return data["context"].get("loop", path), runs


def figure(entries, key):
    """The median of one figure over the repetitions; None if any failed."""
    if any(e.get("error_occurred") for e in entries):
        return None
    if key == "ns":
        values = [1e9 / e["items_per_second"] for e in entries if e.get("items_per_second")]
    elif key == "early_fires":
        return sum(e.get("early_fires", 0) for e in entries)  # every early fire counts
    else:
        values = [e[key] for e in entries if key in e]
    return statistics.median(values) if values else None


def error_of(entries):
    for e in entries:
        if e.get("error_occurred"):
            return e.get("error_message", "failed")
    return None


def show_ns(ns):
    if ns is None:
        return "-"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} us"
    return f"{ns:.1f} ns"


def show_us(us):
    return "-" if us is None else f"{us:.1f} us"


def verdict(value, limit):
    if value is None:
        return "missed (no figure)"
    return "met" if value <= limit else "missed"


class Table:
    HEADER = ["probe", "backend", "loop (median)", "baseline (median)", "ratio", "goal", ""]

    def __init__(self, header=HEADER):
        self.header = header
        self.rows = []
        self.met = 0
        self.missed = 0
        self.notes = []

    def skipped(self, error):
        """A short mark for the table; the message goes under it."""
        self.notes.append(error)
        return f"skipped [{len(self.notes)}]"

    def add(self, *cells):
        """A row of the header's cells; the last two (goal, outcome) may be left out."""
        row = list(cells) + [""] * (len(self.header) - len(cells))
        self.rows.append(row)
        outcome = row[-1]
        if outcome == "met":
            self.met += 1
        elif outcome.startswith("missed"):
            self.missed += 1

    def print(self):
        header = self.header
        widths = [max(len(str(r[i])) for r in [header] + self.rows) for i in range(len(header))]
        for i, row in enumerate([header] + self.rows):
            print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")
            if i == 0:
                print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def ratio_of(loop, baseline):
    return loop / baseline if loop is not None and baseline else None


def show_ratio(ratio):
    return "-" if ratio is None else f"{ratio:.2f}x"


def add_time_rows(table, backend, runs, probe, what, goals):
    sizes = sorted({size for (p, v, size) in runs if p == probe}, key=lambda s: int(s) if s else 0)
    for size in sizes:
        name = f"{probe}/{size}" if size else probe
        loop_entries = runs.get((probe, "loop", size), [])
        base_entries = runs.get((probe, "baseline", size), [])
        loop, base = figure(loop_entries, "ns"), figure(base_entries, "ns")
        ratio = ratio_of(loop, base)
        error = error_of(loop_entries)
        loop_text = table.skipped(error) if error else show_ns(loop)
        limits = [limit for kind, limit in goals if kind == "ratio"]
        if probe == "idle_fds" and size == IDLE_FDS_GOAL_SIZE:
            limits = [IDLE_FDS_RATIO]
        if backend == GOAL_BACKEND and limits and not error:
            table.add(f"{name} ({what})", backend, loop_text, show_ns(base), show_ratio(ratio),
                      f"<= {limits[0]}x", verdict(ratio, limits[0]))
        else:
            table.add(f"{name} ({what})", backend, loop_text, show_ns(base), show_ratio(ratio))
        alone = figure(runs.get((probe, "handle_alone", size), []), "ns")
        if alone is not None:
            table.add(f"{name}: the Handle alone, no loop", backend, show_ns(alone), show_ns(base),
                      show_ratio(ratio_of(alone, base)))
    if probe == "idle_fds" and backend == GOAL_BACKEND:
        at_one = figure(runs.get((probe, "loop", "1"), []), "ns")
        at_most = figure(runs.get((probe, "loop", IDLE_FDS_GOAL_SIZE), []), "ns")
        flatness = ratio_of(at_most, at_one)
        table.add("idle_fds flatness (10000 fds / 1 fd)", backend, show_ratio(flatness), "", "",
                  f"<= {IDLE_FDS_FLATNESS}x", verdict(flatness, IDLE_FDS_FLATNESS))


def add_latency_rows(table, backend, runs, probe, what, goals):
    loop_entries = runs.get((probe, "loop", ""), [])
    base_entries = runs.get((probe, "baseline", ""), [])
    error = error_of(loop_entries)
    limits = dict(goals) if backend == GOAL_BACKEND and not error else {}
    mark = table.skipped(error) if error else None
    for key in ("p50_us", "p99_us"):
        loop, base = figure(loop_entries, key), figure(base_entries, key)
        ratio = ratio_of(loop, base)
        loop_text = mark or show_us(loop)
        row = [f"{probe} {key[:3]} ({what})", backend, loop_text, show_us(base), show_ratio(ratio)]
        ratio_goal = limits.get(key[:3] + "_ratio")
        if key in limits:
            table.add(*row, f"<= {limits[key]:g} us", verdict(loop, limits[key]))
        elif ratio_goal is not None:
            table.add(*row, f"<= {ratio_goal}x", verdict(ratio, ratio_goal))
        else:
            table.add(*row)
    if "early_fires" in dict(goals):
        loop, base = figure(loop_entries, "early_fires"), figure(base_entries, "early_fires")
        row = [f"{probe} early fires (all repetitions)", backend,
               "-" if loop is None else f"{loop:g}", "-" if base is None else f"{base:g}", ""]
        if "early_fires" in limits:
            table.add(*row, "0", verdict(loop, limits["early_fires"]))
        else:
            table.add(*row)


# --- What the contract costs: the adapter against its library's own API ---

# The probes loopbench --native runs on the library's API (bench/native/),
# as (probe, what, kind) in table order, and the goals issue #14 sets for
# the ratio adapter / native.
NATIVE_PROBES = [
    ("chained_dispatch", "per callback", "time"),
    ("ping_pong", "per round trip", "time"),
    ("timers_fired", "per timer", "time"),
    ("wake_up", "post to callback", "latency"),
]
NATIVE_GOALS = {"ping_pong": 1.25}
NATIVE_HEADER = ["probe", "library", "backend", "adapter (median)", "native (median)", "adapter / native",
                 "goal", ""]


def native_runs(paths):
    """{(library, backend): pooled runs} of the files run with --native."""
    pooled = {}
    for path in paths:
        with open(path) as f:
            library = json.load(f)["context"].get("native_library")
        if library:
            backend, runs = read_runs(path)
            for key, entries in runs.items():
                pooled.setdefault((library, backend), {}).setdefault(key, []).extend(entries)
    return pooled


def native_rows(table, library, backend, runs, probe, what, kind):
    """One row per size (timers) or percentile (wake_up): adapter, native, ratio, goal."""
    figures = ["p50_us", "p99_us"] if kind == "latency" else ["ns"]
    sizes = sorted({s for (p, v, s) in runs if p == probe and v == "native"}, key=lambda s: int(s) if s else 0)
    show = show_us if kind == "latency" else show_ns
    for size in sizes:
        adapter_entries = runs.get((probe, "loop", size), [])
        native_entries = runs.get((probe, "native", size), [])
        error = error_of(adapter_entries) or error_of(native_entries)
        for key in figures:
            name = f"{probe}/{size}" if size else probe
            name += f" {key[:3]}" if kind == "latency" else ""
            adapter, native = figure(adapter_entries, key), figure(native_entries, key)
            ratio = ratio_of(adapter, native)
            row = [f"{name} ({what})", library, backend,
                   table.skipped(error) if error else show(adapter), show(native), show_ratio(ratio)]
            limit = NATIVE_GOALS.get(probe)
            if limit is not None:
                table.add(*row, f"<= {limit}x", verdict(None if error else ratio, limit))
            else:
                table.add(*row)


def print_native_table(paths):
    """The second table, if any file has native probes. Returns its goals missed."""
    pooled = native_runs(paths)
    if not pooled:
        return 0
    table = Table(NATIVE_HEADER)
    for probe, what, kind in NATIVE_PROBES:
        for (library, backend), runs in sorted(pooled.items()):
            native_rows(table, library, backend, runs, probe, what, kind)
    print("\nwhat the contract costs: each adapter against its library's own API, in the same run")
    table.print()
    for number, note in enumerate(table.notes, 1):
        print(f"[{number}] {note}")
    print(f"\ngoals (adapter / native): {table.met} met, {table.missed} missed")
    return table.missed


def main(argv):
    strict = "--strict" in argv
    paths = [a for a in argv if a != "--strict"]
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    merged = {}  # {loop: {(probe, variant, size): entries from every file}}
    for path in paths:
        backend, runs = read_runs(path)
        pooled = merged.setdefault(backend, {})
        for key, entries in runs.items():
            pooled.setdefault(key, []).extend(entries)
    # The goals' backend first, then the others in the order given.
    results = sorted(merged.items(), key=lambda r: r[0] != GOAL_BACKEND)
    table = Table()
    for probe, what, kind, goals in PROBES:
        for backend, runs in results:
            if not any(p == probe for (p, v, s) in runs):
                continue
            if kind == "time":
                add_time_rows(table, backend, runs, probe, what, goals)
            else:
                add_latency_rows(table, backend, runs, probe, what, goals)
    table.print()
    for number, note in enumerate(table.notes, 1):
        print(f"[{number}] {note}")
    print(f"\ngoals ({GOAL_BACKEND}): {table.met} met, {table.missed} missed")
    native_missed = print_native_table(paths)
    return 1 if strict and (table.missed or native_missed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
