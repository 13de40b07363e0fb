#!/usr/bin/env python3
"""The reference loop's core stands alone.

    check_core_isolation.py LIBRARY SOURCE_DIR...

Fails when the core library's own link line (readelf -d: NEEDED) names a
layer built on top of it (net, tls, subprocess, the complete loop) or
OpenSSL, or when a file under a SOURCE_DIR includes one of them. The
vocabulary library it links is not looked into: once OpenSSL has left it,
the core reaches no OpenSSL at all.
"""
import pathlib
import re
import subprocess
import sys

FORBIDDEN_LIBRARIES = re.compile(r"libssl|libcrypto|pep3156_net|pep3156_tls|pep3156_subprocess|"
                                 r"libpep3156_reference\.so")
FORBIDDEN_INCLUDES = re.compile(r'#include\s*[<"](openssl/|reference/(net|tls|subprocess)/|'
                                r'reference/(selector_event_loop|reference)\.hpp)')


def needed_libraries(library):
    dynamic = subprocess.run(["readelf", "-d", library], check=True, capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+)\]", dynamic)


def main(library, source_dirs):
    problems = [f"{library} links {name}" for name in needed_libraries(library)
                if FORBIDDEN_LIBRARIES.search(name)]
    for directory in source_dirs:
        for path in sorted(pathlib.Path(directory).rglob("*.[ch]pp")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if FORBIDDEN_INCLUDES.search(line):
                    problems.append(f"{path}:{number}: {line.strip()}")
    for problem in problems:
        print(problem)
    print(f"core isolation: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
