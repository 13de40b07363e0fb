"""tools/results_matrix.py on made-up reports (ctest results_matrix_unit).

Python 3 standard library only.
"""

import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import results_matrix  # noqa: E402


def report(verdict, passed, failed, skipped, categories, tests=(), latency=None):
    return {
        "results": {
            "summary": {"tests": passed + failed + skipped, "passed": passed, "failed": failed,
                        "skipped": skipped, "other": 0},
            "tests": list(tests),
            "extra": {"loopcert": {"verdict": verdict, "categories": categories, "latency": latency or {}}},
        }
    }


def standing(summary):
    return {"summary": summary}


def expected_failure(case_id, reason):
    return {"extra": {"caseId": case_id, "expected": {"outcome": "FAIL", "reason": reason}}}


class ResultsMatrix(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.dir = Path(self.scratch.name)
        probe = {"p50": 850, "p99": 12_500}
        self.write("reference-epoll", report("conforming", 10, 0, 1, {"core": standing("conforming")},
                                             latency={"call_soon_dispatch": probe}))
        self.write("libev-select", report(
            "non-conforming", 6, 4, 1,
            {"core": standing("failing (1 of 7)"), "networking": standing("not implemented")},
            tests=[{"extra": {"caseId": "callbacks.a"}},
                   expected_failure("timers.b", "ev_now() is cached (ev.c:1234)")]))
        (self.dir / "bench-reference-epoll.json").write_text('{"benchmarks": []}')  # not a loopcert report
        self.text = results_matrix.matrix(self.dir)

    def tearDown(self):
        self.scratch.cleanup()

    def write(self, stem, content):
        (self.dir / f"{stem}.json").write_text(json.dumps(content))

    def row(self, table_start, adapter):
        section = self.text[self.text.index(table_start):]
        return next(line for line in section.splitlines() if line.startswith(f"| {adapter} |"))

    def test_one_row_per_loop_named_by_its_file(self):
        self.assertIn("| libev | select | **non-conforming** | 11 | 6 | 4 | 1 | 0 | 1 |", self.text)
        self.assertIn("| reference | epoll | **conforming** | 11 | 10 | 0 | 1 | 0 | 0 |", self.text)
        self.assertLess(self.text.index("| libev |"), self.text.index("| reference |"))
        self.assertNotIn("| bench", self.text)  # no row for the file that is not a loopcert report

    def test_categories_side_by_side_only_those_some_loop_has(self):
        self.assertIn("| adapter | backend | core | networking |", self.text)
        self.assertIn("| libev | select | failing (1 of 7) | not implemented |", self.text)
        self.assertIn("| reference | epoll | conforming |  |", self.text)

    def test_deviations_with_their_reasons(self):
        self.assertIn("### libev select", self.text)
        self.assertIn("- `timers.b` (FAIL): ev_now() is cached (ev.c:1234)", self.text)
        self.assertNotIn("callbacks.a", self.text)

    def test_latency_p50_and_p99_per_probe(self):
        row = self.row("## Latency", "reference")
        self.assertTrue(row.startswith("| reference | epoll | 850ns / 12.5us |"), row)
        self.assertEqual(self.row("## Latency", "libev"), "| libev | select |  |  |  |  |")

    def test_check_compares_with_the_committed_page(self):
        self.assertEqual(results_matrix.main(["--check", str(self.dir)]), 1)
        (self.dir / "README.md").write_text(self.text)
        self.assertEqual(results_matrix.main(["--check", str(self.dir)]), 0)

    def test_no_reports(self):
        with tempfile.TemporaryDirectory() as empty:
            self.assertIn("make certify-all", results_matrix.matrix(Path(empty)))


if __name__ == "__main__":
    unittest.main()
