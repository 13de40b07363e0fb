#!/usr/bin/env python3
"""Line budgets that keep the reference loop a textbook.

    check_line_budgets.py [REFERENCE_DIR]

A budget is a promise to the reader: one iteration of the loop reads on
one screen, no function of the core needs scrolling, each poller is a
short file whose kernel quirks are told up front, and the whole core
reads in an afternoon. The budgets live in BUDGETS below; raising one is
a decision to write down in the commit that does it.

"Lines of code" are lines that are neither blank nor only a comment. A
function is a definition at namespace level, from its first line to the
"}" that closes it in column 0 (clang-format puts it there); methods
defined inside a class body are one-liners and not counted.
"""
import pathlib
import re
import sys

BUDGETS = {
    # run_once() and the functions behind its five steps, lines of code.
    "iteration_code_lines": 60,
    # Any function of the core, lines from signature to closing brace.
    "core_function_lines": 40,
    # Each poller's file, all lines; the "Quirks worked around here:" list
    # that its opening comment ends with.
    "poller_file_lines": 180,
    "poller_quirk_comment_lines": 20,
    # Each proactor's file, all lines: a poller's four calls become one
    # submit function per kind of operation.
    "proactor_file_lines": 240,
    # The core: CoreSelectorEventLoop and BaseEventLoop, the pollers,
    # queues, waker and signals (include/ and src/), lines of code.
    "core_code_lines": 1500,
    # The proactor half beside it: CoreProactorEventLoop, the Proactor
    # contract and its backends, lines of code. 500 held one backend
    # (io_uring, 331 lines); the second, IOCP, brings it to 532.
    "proactor_code_lines": 540,
    # What stands in for POSIX-only pieces in the Windows build (no
    # signals), lines of code: the core's budget is POSIX's.
    "windows_code_lines": 120,
    # Any function anywhere in reference/.
    "any_function_lines": 60,
}

# The functions one iteration runs: run_once() and its steps.
ITERATION = ["BaseEventLoop::run_once", "BaseEventLoop::compute_timeout",
             "CoreSelectorEventLoop::poll_for_io", "CoreSelectorEventLoop::queue_io_callbacks",
             "BaseEventLoop::move_due_timers_to_ready", "BaseEventLoop::run_ready_callbacks",
             "BaseEventLoop::run_callback"]
# The kernel backends, one file each: (file, its budget).
BACKENDS = [("select_poller.cpp", "poller_file_lines"), ("poll_poller.cpp", "poller_file_lines"),
            ("epoll_poller.cpp", "poller_file_lines"), ("kqueue_poller.cpp", "poller_file_lines"),
            ("io_uring_proactor.cpp", "proactor_file_lines"),
            ("iocp_proactor.cpp", "proactor_file_lines")]
PROACTOR_FILES = ["core_proactor_event_loop.hpp", "core_proactor_event_loop.cpp", "proactor.hpp", "proactor.cpp",
                  "io_uring_proactor.cpp", "iocp_proactor.cpp"]
WINDOWS_FILES = ["core_event_loop_without_signals.cpp"]
FUNCTION_START = re.compile(r"^(?!namespace\b|class\b|struct\b|using\b|template\b|extern\b|static_assert\b)"
                            r"[A-Za-z_][^;]*\(")


def is_code(line):
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("//")


def functions(path):
    """(qualified name, first line number, lines) of each namespace-level function."""
    lines = path.read_text().splitlines()
    found, start, in_body = [], None, False
    for number, line in enumerate(lines):
        if start is None:
            if not FUNCTION_START.match(line):
                continue
            start = number
        end_of_line = line.rstrip()
        if in_body and line == "}" or not in_body and end_of_line.endswith("}"):
            name = re.search(r"([\w:~]+)\s*\(", lines[start]).group(1)
            found.append((name, start + 1, lines[start:number + 1]))
            start, in_body = None, False
        elif not in_body and end_of_line.endswith(";"):
            start = None  # a declaration
        elif not in_body:
            in_body = end_of_line.endswith("{")
    return found


def main(reference):
    all_core_files = sorted((reference / "include" / "reference").glob("*.hpp")) + sorted(
        (reference / "src").glob("*.[ch]pp"))
    core_files = [path for path in all_core_files if path.name not in PROACTOR_FILES + WINDOWS_FILES]
    windows_files = [path for path in all_core_files if path.name in WINDOWS_FILES]
    proactor_files = [path for path in all_core_files if path.name in PROACTOR_FILES]
    core_functions = [(path, *function) for path in all_core_files if path.suffix == ".cpp"
                      for function in functions(path)]
    problems = []

    def check(what, value, budget):
        print(f"{what}: {value} (budget {BUDGETS[budget]})")
        if value > BUDGETS[budget]:
            problems.append(f"{what}: {value} lines, over the budget of {BUDGETS[budget]} ({budget})")

    iteration = [body for _, name, _, body in core_functions if name in ITERATION]
    if len(iteration) != len(ITERATION):
        problems.append(f"iteration: found {len(iteration)} of the functions {ITERATION}")
    check("one iteration, lines of code", sum(is_code(line) for body in iteration for line in body),
          "iteration_code_lines")
    for path, name, line, body in core_functions:
        if len(body) > BUDGETS["core_function_lines"]:
            check(f"{path.relative_to(reference)}:{line}: {name}", len(body), "core_function_lines")
    for poller, budget in BACKENDS:
        text = (reference / "src" / poller).read_text().splitlines()
        check(f"src/{poller}", len(text), budget)
        opening = text[:next(i for i, line in enumerate(text) if not line.startswith("//"))]
        quirks = next((i for i, line in enumerate(opening) if "Quirks worked around here" in line), None)
        if quirks is None:
            problems.append(f"src/{poller}: no 'Quirks worked around here:' in its opening comment")
        else:
            check(f"src/{poller}, quirk comment", len(opening) - quirks, "poller_quirk_comment_lines")
    check("the core, lines of code", sum(is_code(line) for path in core_files for line in path.read_text().splitlines()),
          "core_code_lines")
    check("the proactor half, lines of code",
          sum(is_code(line) for path in proactor_files for line in path.read_text().splitlines()),
          "proactor_code_lines")
    check("the Windows stand-ins, lines of code",
          sum(is_code(line) for path in windows_files for line in path.read_text().splitlines()),
          "windows_code_lines")
    for path in sorted(reference.rglob("*.cpp")):
        for name, line, body in functions(path):
            if len(body) > BUDGETS["any_function_lines"]:
                check(f"{path.relative_to(reference)}:{line}: {name}", len(body), "any_function_lines")
    for problem in problems:
        print("OVER BUDGET " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent / "reference")
    sys.exit(main(root))
