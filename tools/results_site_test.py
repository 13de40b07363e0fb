"""tools/results_site.py and tools/site_check.py on the small reports in
tools/site_fixtures/ (ctest results_site_unit): two loops of a made-up
library "toy", one with a failure its expectations file predicts, a bench
sweep and a bench table.

Python 3 standard library only.
"""

import contextlib
import io
import re
import sys
import tempfile
import unittest
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import results_site  # noqa: E402
import site_bench  # noqa: E402
import site_check  # noqa: E402

FIXTURES = TOOLS / "site_fixtures"


def generated():
    return results_site.site(FIXTURES / "results", FIXTURES / "clauses.json", FIXTURES / "expectations")


class Site(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pages = generated()

    def row(self, page, marker):
        return next(line for line in self.pages[page].splitlines() if marker in line)

    def test_matrix_has_a_row_per_loop_with_its_counts_and_category_links(self):
        epoll = self.row("index.html", 'data-loop="toy-epoll"')
        self.assertIn("non-conforming", epoll)
        counts = dict(re.findall(r'data-outcome="(\w+)">(\d+)<', epoll))
        self.assertEqual(counts, {"pass": "2", "fail": "1", "unsupported": "1", "unresolved": "0"})
        self.assertIn('href="cases/toy-epoll--core.html">failing (1 of 3)</a>', epoll)
        # pass / fail / unsupported within the category: callbacks.fifo and the latency case pass, timers.nan fails.
        self.assertIn("2 / 1 / 0", epoll)
        self.assertIn('data-loop="toy-poll"', self.pages["index.html"])

    def test_case_page_lists_each_case_with_its_clauses_message_and_expected_reason(self):
        row = self.row("cases/toy-epoll--core.html", 'id="timers.nan"')
        self.assertIn("FAIL", row)
        self.assertIn('href="../clauses.html#LOOP-CALLLATER"', row)
        self.assertIn("never ran &lt;after&gt; call_later(NaN)", row)  # escaped, not markup
        self.assertIn("toy&#x27;s heap breaks on NaN (toy.c:42)", row)
        self.assertNotIn("pipes.read", self.pages["cases/toy-epoll--core.html"])

    def test_clause_page_gives_each_loops_status_and_links_a_failure_to_its_case(self):
        row = self.row("clauses.html", 'id="LOOP-CALLLATER"')
        self.assertIn('<td class="failed"><a href="cases/toy-epoll--core.html#timers.nan">FAIL</a></td>', row)
        self.assertIn('<td class="passed">pass</td>', row)
        self.assertIn('Failed by at least one loop: <a href="#LOOP-CALLLATER">LOOP-CALLLATER</a> (MUST, 1 loops).',
                      self.pages["clauses.html"])
        should = self.row("clauses.html", 'id="LOOP-SHOULD-DEBUG"')
        self.assertIn("SHOULD", should)
        self.assertEqual(should.count('class="untested"'), 2)  # no loop has a case for it
        self.assertLess(self.pages["clauses.html"].index("Basic Callbacks"),
                        self.pages["clauses.html"].index("Pipes and Subprocesses"))

    def test_deviations_page_shows_the_reason_and_what_the_loop_did(self):
        row = self.row("deviations.html", "timers.nan")
        self.assertIn("toy.c:42", row)
        self.assertIn('href="cases/toy-epoll--core.html#timers.nan">toy-epoll</a>: FAIL', row)
        self.assertNotIn("toy-poll", row)  # no expectation applied there

    def test_latency_chart_is_an_accessible_svg_drawn_from_the_figures(self):
        latency = self.pages["latency.html"]
        self.assertIn('<svg class="chart" id="latency-call_soon_dispatch" role="img"', latency)
        self.assertIn("<title>toy-epoll, p99: 45us</title>", latency)
        self.assertIn("<desc", latency)
        self.assertIn('<td class="num">1.2us</td>', latency)  # the table fallback
        self.assertIn("<title>call_soon_dispatch, p50: 1.2us</title>", self.pages["cases/toy-epoll.html"])

    def test_bench_charts_draw_the_goals(self):
        bench = self.pages["bench.html"]
        # The sweep has two loops on one probe: a chart per probe, rows named by loop.
        self.assertIn("<title>toy-poll, ratio: 1.20x</title>", bench)
        self.assertIn("<title>toy-poll, goal: 1.05x</title>", bench)
        # The markdown table: one loop, one chart, rows named by probe; the lateness goal is not a ratio, not drawn.
        self.assertIn("<title>call_soon_batch, goal: 1.50x</title>", bench)
        self.assertNotIn("timer_lateness p50, goal", bench)

    def test_bench_markdown_table_is_read_with_units_and_verdicts(self):
        table = site_bench.from_markdown((FIXTURES / "results" / "bench-toy-epoll.md").read_text(), "toy-epoll")
        first, lateness, flatness = table["rows"]
        self.assertEqual(table["title"], "loopbench: the toy loop on epoll")
        self.assertEqual((first["loop"], first["median_ns"], first["ratio"], first["met"]),
                         ("toy-epoll", 35.9, 9.79, False))
        self.assertEqual((lateness["median_ns"], lateness["goal_ratio"]), (37200.0, None))
        self.assertEqual((flatness["ratio"], flatness["goal_ratio"], flatness["met"]), (1.0, 1.25, True))

    def test_a_bench_file_of_another_shape_is_named_not_dropped_unseen(self):
        with tempfile.TemporaryDirectory() as scratch:
            (Path(scratch) / "bench").mkdir()
            (Path(scratch) / "bench" / "other-sweep.json").write_text('{"benchmarks": []}')
            with contextlib.redirect_stderr(io.StringIO()) as said:
                self.assertEqual(site_bench.load(scratch), [])
        self.assertIn("other-sweep.json is not a bench table", said.getvalue())

    def test_pages_load_nothing_and_run_nothing(self):
        for name, text in self.pages.items():
            self.assertNotIn("<script", text, name)
            self.assertNotIn("http://", text, name)
            self.assertNotIn("https://", text, name)


class Check(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.dir = Path(self.scratch.name)
        results_site.write(generated(), self.dir)

    def tearDown(self):
        self.scratch.cleanup()

    def spoil(self, page, old, new):
        path = self.dir / page
        text = path.read_text()
        self.assertIn(old, text)
        path.write_text(text.replace(old, new, 1))

    def test_generated_site_passes(self):
        self.assertEqual(site_check.problems(self.dir), ([], 11))

    def test_a_link_to_a_missing_page_or_element_is_found(self):
        self.spoil("index.html", 'href="cases/toy-poll.html"', 'href="cases/toy-kqueue.html"')
        self.spoil("clauses.html", "#timers.nan", "#timers.inf")
        found = site_check.problems(self.dir)[0]
        self.assertEqual(len(found), 2, found)
        self.assertIn("cases/toy-kqueue.html leads to no page", found[0] + found[1])
        self.assertIn("names no element", found[0] + found[1])

    def test_an_external_url_is_found(self):
        self.spoil("latency.html", "</style>", '</style><link rel="stylesheet" href="https://cdn.example/x.css">')
        self.assertIn("external URL https://cdn.example/x.css", site_check.problems(self.dir)[0][0])

    def test_a_tag_left_open_or_closed_twice_is_found(self):
        self.spoil("bench.html", "</table>", "")
        found = site_check.problems(self.dir)[0]
        self.assertTrue(found and all(f.startswith("bench.html") for f in found), found)


if __name__ == "__main__":
    unittest.main()
