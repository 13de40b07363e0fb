#!/usr/bin/python3
"""Instructions per item of loopbench's probes, counted by callgrind.

    callgrind.py [--adapter LIB.so] [--loop NAME] [--iterations N] LOOPBENCH PROBE...

PROBE is a benchmark name as `loopbench --benchmark_list_tests` prints it,
e.g. call_soon_batch/loop or timers_fired/loop/1000. Unlike time, an
instruction count does not move with the machine's load, so it compares a
loop before and after a change on a busy machine. It says nothing about
cache misses, syscalls or waiting: confirm with `make bench` when the
machine is quiet.

A PROBE/native (bench/native/) needs --adapter naming its library's
adapter; loopbench then runs with --native.

Each probe runs twice under valgrind --tool=callgrind, with N and 2N
iterations (loopbench --iterations), counting only inside the probe's
function; the difference divided by the items of N iterations is the cost
of one item, with the set-up (making the loop, opening fds) cancelled out.

Standard library only; needs valgrind.
"""

import json
import os
import re
import subprocess
import sys
import tempfile


def count(loopbench, adapter, loop, probe, iterations):
    """(instructions, items) of one run of `probe` with `iterations`."""
    name, variant = probe.split("/")[:2]
    function = f"*{name}_{variant}(*"  # e.g. loopbench::(anonymous namespace)::timers_fired_loop(benchmark::State&)
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "callgrind.out")
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", f"--toggle-collect={function}",
                   loopbench, "--iterations", str(iterations), f"--benchmark_filter=^{re.escape(probe)}/iterations:",
                   "--benchmark_format=json"]
        if loop:
            command[5:5] = ["--loop", loop]
        if adapter:
            command[5:5] = ["--adapter", adapter] + (["--native"] if variant == "native" else [])
        run = subprocess.run(command, capture_output=True, text=True, check=True)
        runs = json.loads(run.stdout)["benchmarks"]
        if len(runs) != 1 or runs[0].get("error_occurred"):
            raise SystemExit(f"{probe}: " + (runs[0].get("error_message", "failed") if runs else "no such probe"))
        with open(out) as f:
            totals = [line for line in f if line.startswith("totals:") or line.startswith("summary:")]
        instructions = int(totals[-1].split()[1])
    entry = runs[0]
    seconds = entry["cpu_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[entry["time_unit"]]
    items = round(entry["items_per_second"] * seconds * entry["iterations"])
    return instructions, items


def main(argv):
    adapter, loop, iterations, args = None, None, 10, []
    while argv:
        arg = argv.pop(0)
        if arg == "--adapter":
            adapter = argv.pop(0)
        elif arg == "--loop":
            loop = argv.pop(0)
        elif arg == "--iterations":
            iterations = int(argv.pop(0))
        else:
            args.append(arg)
    if len(args) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    loopbench, probes = args[0], args[1:]
    for probe in probes:
        once, items = count(loopbench, adapter, loop, probe, iterations)
        twice, _ = count(loopbench, adapter, loop, probe, 2 * iterations)
        print(f"{probe:<32} {(twice - once) / items:8.0f} instructions per item")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
