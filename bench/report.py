#!/usr/bin/python3
"""Turns loopbench's JSON results into the tables `make bench` prints.

    report.py [--strict] [--json SWEEP.json] RESULTS.json...

Files written by loopbench --benchmark_out=FILE --benchmark_out_format=json
with --benchmark_repetitions, for any number of loops: each file's context
names its adapter and loop ("reference/epoll", "libuv/epoll"). One loop's
probes may span several files, and the same probe may be in several
(rounds of `make bench`, BENCH_ROUNDS): its repetitions are pooled.

Markdown tables: every loop's median beside its raw baseline's and their
ratio; the loops side by side, each as a ratio to the reference epoll
loop; the goals of issue #14 (GOALS below, the one place they are
defined), met, missed or not measured; and, if any file was run with
loopbench --native, each adapter against the same probes on its library's
own API: what the contract costs (adapter / native). Medians, because the
machine is shared and noisy: one slow repetition moves a mean, not a
median, and a slow minute that hits one round is outvoted by the others.
--json writes the same figures for the results site (format:
bench/README.md). With --strict, exits 1 if a goal is missed, the
adapter / native ones included.

Standard library only.
"""

import datetime
import json
import os
import statistics
import sys

# Each probe, in table order: (probe, what one figure is, metrics). A
# metric is "ns" (per item, from items_per_second), "p50_us" / "p99_us"
# (latency counters), "early_fires" (summed over repetitions) or
# "kib_per_1000" (resident memory per 1,000 idle connections).
PROBES = [
    ("call_soon_batch", "per callback", ["ns"]),
    ("chained_dispatch", "per callback", ["ns"]),
    ("timers_fired", "per timer", ["ns"]),
    ("timers_cancelled", "per timer", ["ns"]),
    ("timer_lateness", "late by", ["p50_us", "p99_us", "early_fires"]),
    ("ping_pong", "per round trip, socketpair", ["ns"]),
    ("ping_pong_tcp", "per round trip, TCP, bytes", ["ns"]),
    ("echo", "per round trip, TCP, connections", ["ns", "p50_us", "p99_us"]),
    ("wake_up", "post to callback", ["p50_us", "p99_us"]),
    ("idle_fds", "per iteration, idle fds", ["ns"]),
    ("idle_memory", "RSS per 1,000 idle connections", ["kib_per_1000"]),
]
UNITS = {"ns": "ns", "p50_us": "us", "p99_us": "us", "early_fires": "count", "kib_per_1000": "KiB"}

REFERENCE = "reference/epoll"
IO_URING = "reference/io_uring"
# The C/C++ peers through the same contract: each library's epoll loop.
PEERS = ["libuv/epoll", "libevent/epoll", "libev/epoll", "asio/epoll"]
# The peers whose native API bench/native/ measures beside the adapter.
NATIVE = ["libuv/epoll", "libev/epoll", "asio/epoll"]

EVERY_TIMER_COUNT = ["1000", "10000", "100000", "1000000"]
EVERY_CONNECTION_COUNT = ["1", "10", "100", "1000"]


def goal(group, text, kind, probe, size="", metric="ns", limit=1.0):
    return {"group": group, "text": text, "kind": kind, "probe": probe, "size": size, "metric": metric,
            "limit": limit}


# Issue #14's goals for the reference epoll loop (medians of pooled rounds,
# ratios in the same run). kind says what is compared:
#   peers         reference / the fastest peer (PEERS) <= limit
#   handle_alone  reference / the probe's Handle-alone row <= limit
#   baseline      reference / the raw baseline <= limit
#   early         the reference's early fires, every repetition, <= limit
#   flat          reference at `size` / reference at 1 <= limit
#   native        each NATIVE peer through the contract / the same probe on
#                 its native API ("PROBE/native" rows) <= limit
#   io_uring      IO_URING / REFERENCE <= limit
GOALS = (
    [goal("versus the C/C++ peers", "chained dispatch no slower than the fastest peer", "peers", "chained_dispatch"),
     goal("versus the C/C++ peers", "socketpair ping-pong no slower than the fastest peer", "peers", "ping_pong")]
    + [goal("versus the C/C++ peers", f"TCP ping-pong ({size} B) no slower than the fastest peer", "peers",
            "ping_pong_tcp", size) for size in ("1", "1024", "65536")]
    + [goal("versus the C/C++ peers", f"echo, {n} connections, no slower than the fastest peer", "peers", "echo", n)
       for n in EVERY_CONNECTION_COUNT]
    + [goal("versus the C/C++ peers", "wake-up p50 no slower than the fastest peer", "peers", "wake_up", "",
            "p50_us")]
    + [goal("versus the C/C++ peers", f"{n} timers fired no slower than the fastest peer", "peers", "timers_fired", n)
       for n in EVERY_TIMER_COUNT]
    + [goal("versus the C/C++ peers", "10,000 idle fds no slower than the fastest peer", "peers", "idle_fds",
            "10000"),
       goal("versus the floors", "call_soon batch <= 1.5x the Handle alone", "handle_alone", "call_soon_batch",
            limit=1.5)]
    + [goal("versus the floors", f"{n} timers fired <= 1.5x the Handle alone", "handle_alone", "timers_fired", n,
            limit=1.5) for n in ("1000", "10000")]
    + [goal("versus the floors", "timer lateness p50 <= 1.1x the raw sleep", "baseline", "timer_lateness", "",
            "p50_us", 1.1),
       goal("versus the floors", "timer lateness p99 <= 1.1x the raw sleep", "baseline", "timer_lateness", "",
            "p99_us", 1.1),
       goal("versus the floors", "no timer fires early", "early", "timer_lateness", "", "early_fires", 0),
       goal("versus the floors", "chained dispatch <= 1.15x the raw loop", "baseline", "chained_dispatch",
            limit=1.15),
       goal("versus the floors", "10,000 idle fds flat: <= 1.25x one fd", "flat", "idle_fds", "10000",
            limit=1.25)]
    + [goal("adapter overhead", f"{probe} through the contract <= 1.25x the native API", "native", probe, size,
            limit=1.25) for probe, size in (("ping_pong", ""), ("echo", "100"))]
    + [goal("io_uring versus epoll", f"io_uring echo, {n} connections, no slower than epoll", "io_uring", "echo", n)
       for n in EVERY_CONNECTION_COUNT]
    + [goal("io_uring versus epoll", "io_uring socketpair ping-pong no slower than epoll", "io_uring", "ping_pong")]
    + [goal("io_uring versus epoll", f"io_uring TCP ping-pong ({size} B) no slower than epoll", "io_uring",
            "ping_pong_tcp", size) for size in ("1", "1024", "65536")]
)


def label_of(context, path):
    """adapter/loop: files from before the adapter was in the context are
    the reference loop's (make bench measured nothing else then)."""
    adapter = context.get("adapter")
    if not adapter and context.get("adapter_library"):
        adapter = os.path.basename(context["adapter_library"]).removeprefix("lib").removeprefix("loopcert_")
        adapter = adapter.removesuffix(".so").removesuffix("_adapter")
    return f"{adapter or 'reference'}/{context.get('loop', path)}"


def read_runs(path):
    """The loop's label, its context and {(probe, variant, size): [entry, ...]}."""
    with open(path) as f:
        data = json.load(f)
    runs = {}
    for entry in data["benchmarks"]:
        if entry.get("run_type", "iteration") != "iteration":
            continue
        # run_name: probe/variant[/size][/min_time:...][/iterations:...][/manual_time]
        parts = [p for p in entry["run_name"].split("/") if ":" not in p and not p.endswith("_time")]
        probe, variant = parts[0], parts[1]
        size = parts[2] if len(parts) > 2 else ""
        runs.setdefault((probe, variant, size), []).append(entry)
    context = data.get("context", {})
    return label_of(context, path), context, runs


def figure(entries, metric):
    """The median of one metric over the repetitions; None if there are
    none or any failed."""
    if not entries or any(e.get("error_occurred") for e in entries):
        return None
    if metric == "ns":
        values = [1e9 / e["items_per_second"] for e in entries if e.get("items_per_second")]
    elif metric == "early_fires":
        return sum(e.get("early_fires", 0) for e in entries)  # every early fire counts
    else:
        values = [e[metric] for e in entries if metric in e]
    return statistics.median(values) if values else None


def error_of(entries):
    for e in entries:
        if e.get("error_occurred"):
            return e.get("error_message", "failed")
    return None


def ratio_of(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator else None


def show(value, metric):
    if value is None:
        return "-"
    unit = UNITS[metric]
    if unit == "us":
        return f"{value:.1f} us"
    if unit == "KiB":
        return f"{value:.0f} KiB"
    if unit == "count":
        return f"{value:g}"
    if value >= 1e6:
        return f"{value / 1e6:.2f} ms"
    if value >= 1e3:
        return f"{value / 1e3:.2f} us"
    return f"{value:.1f} ns"


def show_ratio(ratio):
    return "-" if ratio is None else f"{ratio:.2f}x"


def sizes_of(loops, probe):
    sizes = {size for runs in loops.values() for (p, v, size) in runs if p == probe}
    return sorted(sizes, key=lambda s: int(s) if s else 0)


def row_name(probe, size, metric, what):
    name = f"{probe}/{size}" if size else probe
    if metric in ("ns", "kib_per_1000"):
        return f"{name} ({what})"
    return f"{name} early fires (all repetitions)" if metric == "early_fires" else f"{name} {metric[:3]}"


class Table:
    """A Markdown table, its notes (why a figure is missing) numbered under it."""

    def __init__(self, header):
        self.header = header
        self.rows = []
        self.notes = []

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)
        return f"skipped [{self.notes.index(text) + 1}]"

    def lines(self):
        widths = [max(len(str(r[i])) for r in [self.header] + self.rows) for i in range(len(self.header))]
        out = []
        for i, row in enumerate([self.header] + self.rows):
            out.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")
            if i == 0:
                out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        out += [f"[{n}] {text}" for n, text in enumerate(self.notes, 1)]
        return out


class Sweep:
    def __init__(self, paths):
        self.loops = {}  # {label: {(probe, variant, size): entries from every file}}
        self.contexts = {}
        self.native = {}  # {label: the library whose native probes its files hold (loopbench --native)}
        for path in paths:
            label, context, runs = read_runs(path)
            self.contexts.setdefault(label, context)
            if context.get("native_library"):
                self.native[label] = context["native_library"]
            pooled = self.loops.setdefault(label, {})
            for key, entries in runs.items():
                pooled.setdefault(key, []).extend(entries)
        # The reference loop first, then the others in name order.
        self.order = sorted(self.loops, key=lambda label: (label != REFERENCE, label))

    def entries(self, label, probe, variant, size):
        return self.loops.get(label, {}).get((probe, variant, size), [])

    def value(self, label, probe, size, metric, variant="loop"):
        return figure(self.entries(label, probe, variant, size), metric)

    def rows(self):
        """Every (probe, size, metric, what, label) measured, in table order."""
        for probe, what, metrics in PROBES:
            for size in sizes_of(self.loops, probe):
                for metric in metrics:
                    for label in self.order:
                        if self.entries(label, probe, "loop", size):
                            yield probe, size, metric, what, label

    def baseline_table(self, figures):
        table = Table(["probe", "loop", "loop (median)", "baseline (median)", "ratio"])
        for probe, size, metric, what, label in self.rows():
            loop_entries = self.entries(label, probe, "loop", size)
            loop, base = figure(loop_entries, metric), self.value(label, probe, size, metric, "baseline")
            ratio = ratio_of(loop, base) if metric != "early_fires" else None
            error = error_of(loop_entries)
            table.rows.append([row_name(probe, size, metric, what), label,
                               table.note(error) if error else show(loop, metric), show(base, metric),
                               show_ratio(ratio)])
            alone = self.value(label, probe, size, metric, "handle_alone")
            record = {"probe": probe, "size": size, "metric": metric, "unit": UNITS[metric], "loop": label,
                      "median": loop, "baseline": base, "ratio": ratio, "repetitions": len(loop_entries),
                      "skipped": error}
            if alone is not None:
                table.rows.append([f"{probe}{'/' + size if size else ''}: the Handle alone, no loop", label,
                                   show(alone, metric), show(base, metric), show_ratio(ratio_of(alone, base))])
                record["handle_alone"] = alone
            figures.append(record)
        return table

    def cross_table(self, figures):
        """Each loop's figure, and the reference's as a ratio to it (above
        1: the reference is slower by that much)."""
        others = [label for label in self.order if label != REFERENCE]
        table = Table(["probe", REFERENCE] + [f"{label} (reference / it)" for label in others])
        seen = set()
        for probe, size, metric, what, _ in self.rows():
            if (probe, size, metric) in seen or metric == "early_fires":
                continue
            seen.add((probe, size, metric))
            reference = self.value(REFERENCE, probe, size, metric)
            record = {"probe": probe, "size": size, "metric": metric, "unit": UNITS[metric],
                      "reference": reference, "loops": {}}
            cells = [row_name(probe, size, metric, what), show(reference, metric)]
            for label in others:
                value = self.value(label, probe, size, metric)
                ratio = ratio_of(reference, value)
                record["loops"][label] = {"median": value, "reference_ratio": ratio}
                error = error_of(self.entries(label, probe, "loop", size))
                if error:
                    cells.append(table.note(error))
                elif value is None:
                    cells.append("-")
                else:
                    cells.append(f"{show(value, metric)} ({show_ratio(ratio)})")
            table.rows.append(cells)
            figures.append(record)
        return table

    def judge(self, g):
        """(value, figures, note) of one goal: value None if not measured."""
        probe, size, metric = g["probe"], g["size"], g["metric"]
        reference = self.value(REFERENCE, probe, size, metric)
        kind = g["kind"]
        if kind == "peers":
            peers = {p: self.value(p, probe, size, metric) for p in PEERS}
            measured = {p: v for p, v in peers.items() if v is not None}
            if not measured:
                return None, {REFERENCE: reference}, "no peer measured"
            fastest = min(measured, key=measured.get)
            figures = {REFERENCE: reference, **measured}
            return ratio_of(reference, measured[fastest]), figures, f"fastest peer: {fastest}"
        if kind in ("handle_alone", "baseline"):
            floor = self.value(REFERENCE, probe, size, metric, kind)
            return ratio_of(reference, floor), {REFERENCE: reference, kind: floor}, ""
        if kind == "early":
            return reference, {REFERENCE: reference}, ""
        if kind == "flat":
            one = self.value(REFERENCE, probe, "1", metric)
            return ratio_of(reference, one), {f"{REFERENCE} at {size}": reference, f"{REFERENCE} at 1": one}, ""
        if kind == "native":
            ratios = {}
            figures = {}
            for label in NATIVE:
                through, native = self.value(label, probe, size, metric), self.value(label, probe, size, metric,
                                                                                     "native")
                figures[label] = through
                figures[f"{label} native"] = native
                if ratio_of(through, native) is not None:
                    ratios[label] = ratio_of(through, native)
            if not ratios:
                return None, figures, "no native rows (bench/native) in these results"
            worst = max(ratios, key=ratios.get)
            return ratios[worst], figures, f"worst: {worst}"
        if kind == "io_uring":
            uring = self.value(IO_URING, probe, size, metric)
            return ratio_of(uring, reference), {IO_URING: uring, REFERENCE: reference}, ""
        raise ValueError(f"unknown goal kind {kind}")

    def goal_table(self, goals):
        table = Table(["goal", "figure", "limit", "", "note"])
        for g in GOALS:
            value, figures, note = self.judge(g)
            outcome = "not measured" if value is None else ("met" if value <= g["limit"] else "missed")
            shown = show(value, "early_fires") if g["kind"] == "early" else show_ratio(value)
            limit = f"{g['limit']:g}" if g["kind"] == "early" else f"<= {g['limit']:g}x"
            table.rows.append([g["text"], shown, limit, outcome, note])
            goals.append({"group": g["group"], "goal": g["text"], "kind": g["kind"], "probe": g["probe"],
                          "size": g["size"], "metric": g["metric"], "limit": g["limit"], "value": value,
                          "outcome": outcome, "figures": figures, "note": note})
        return table


def machine_of(contexts):
    context = next(iter(contexts.values()), {})
    return {key: context.get(key) for key in ("date", "host_name", "num_cpus", "load_avg")}


# --- What the contract costs: the adapter against its library's own API ---

# The probes loopbench --native runs on the library's API (bench/native/),
# as rows named "PROBE/native[/SIZE]" beside the adapter's "PROBE/loop[/SIZE]",
# in table order. Their limits are the "native" GOALS (adapter overhead).
NATIVE_PROBES = ["chained_dispatch", "ping_pong", "timers_fired", "wake_up"]
NATIVE_HEADER = ["probe", "library", "loop", "adapter (median)", "native (median)", "adapter / native", "goal", ""]


def native_limit(probe, size):
    return next((g["limit"] for g in GOALS if g["kind"] == "native" and (g["probe"], g["size"]) == (probe, size)),
                None)


def native_table(sweep, records):
    """The table of adapter / native, or None if no file has native probes.
    Appends a record per row to `records`."""
    labels = [label for label in sweep.order if sweep.native.get(label)]
    if not labels:
        return None
    table = Table(NATIVE_HEADER)
    metrics_of = {probe: metrics for probe, _, metrics in PROBES}
    what_of = {probe: what for probe, what, _ in PROBES}
    for probe in NATIVE_PROBES:
        for label in labels:
            runs = sweep.loops[label]
            sizes = sorted({s for (p, v, s) in runs if p == probe and v == "native"}, key=lambda s: int(s) if s else 0)
            for size in sizes:
                adapter_entries = sweep.entries(label, probe, "loop", size)
                native_entries = sweep.entries(label, probe, "native", size)
                error = error_of(adapter_entries) or error_of(native_entries)
                for metric in metrics_of[probe]:
                    adapter, native = figure(adapter_entries, metric), figure(native_entries, metric)
                    ratio = None if error else ratio_of(adapter, native)
                    row = [row_name(probe, size, metric, what_of[probe]), sweep.native[label], label,
                           table.note(error) if error else show(adapter, metric), show(native, metric),
                           show_ratio(ratio)]
                    limit = native_limit(probe, size)
                    outcome = None
                    if limit is not None:
                        outcome = "missed" if ratio is None or ratio > limit else "met"
                        row += [f"<= {limit:g}x", outcome]
                    table.rows.append(row + [""] * (len(NATIVE_HEADER) - len(row)))
                    records.append({"probe": probe, "size": size, "metric": metric, "unit": UNITS[metric],
                                    "library": sweep.native[label], "loop": label, "adapter": adapter,
                                    "native": native, "ratio": ratio, "limit": limit, "outcome": outcome,
                                    "skipped": error})
    return table


def main(argv):
    strict = "--strict" in argv
    args = [a for a in argv if a != "--strict"]
    json_path = None
    if "--json" in args:
        at = args.index("--json")
        if at + 1 == len(args):
            print("report.py: --json needs a file", file=sys.stderr)
            return 2
        json_path = args[at + 1]
        del args[at:at + 2]
    if not args:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    sweep = Sweep(args)
    rows, cross, goals, native = [], [], [], []
    sections = [
        ("Each loop versus its raw baseline (medians)", sweep.baseline_table(rows)),
        ("Across loops: each loop's median (the reference's as a ratio to it)", sweep.cross_table(cross)),
        (f"Goals of issue #14 ({REFERENCE})", sweep.goal_table(goals)),
    ]
    contract = native_table(sweep, native)
    if contract:
        sections.append(("What the contract costs: each adapter against its library's own API, in the same run",
                         contract))
    machine = machine_of(sweep.contexts)
    load = ", ".join(f"{x:.1f}" for x in machine["load_avg"] or [])
    print(f"# loopbench: {len(sweep.order)} loops\n\nMeasured {machine['date']} on {machine['num_cpus']} cores "
          f"(load average {load or 'unknown'} as the first file began). Medians of the pooled repetitions.\n")
    for title, table in sections:
        print(f"## {title}\n")
        print("\n".join(table.lines()) + "\n")
    count = {o: sum(g["outcome"] == o for g in goals) for o in ("met", "missed", "not measured")}
    print(f"goals ({REFERENCE}): {count['met']} met, {count['missed']} missed, {count['not measured']} not measured")
    native_count = {o: sum(r["outcome"] == o for r in native) for o in ("met", "missed")}
    if contract:
        print(f"goals (adapter / native): {native_count['met']} met, {native_count['missed']} missed")
    if json_path:
        loops = [{"label": label, "adapter": label.split("/")[0], "loop": label.split("/", 1)[1],
                  "description": sweep.contexts[label].get("loop_description"),
                  "library": sweep.contexts[label].get("adapter_library")} for label in sweep.order]
        document = {"format": "loopbench-sweep/1",
                    "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                    "machine": machine, "reference": REFERENCE, "loops": loops,
                    "rows": rows, "cross_loop": cross, "goals": goals, "native": native,
                    "summary": {"met": count["met"], "missed": count["missed"],
                                "not_measured": count["not measured"]}}
        with open(json_path, "w") as f:
            json.dump(document, f, indent=1)
            f.write("\n")
    return 1 if strict and (count["missed"] or native_count["missed"]) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
