"""spec/schema/report.schema.json and tools/validate_report.py, on the sample
report and on broken copies of it, each of which must be rejected.

Run by ctest (spec_report_schema). Python 3 with python3-jsonschema.
"""

import copy
import json
import sys
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import jsonschema  # noqa: E402
import validate_report  # noqa: E402

SAMPLE = validate_report.load_json(REPO / "spec" / "schema" / "examples" / "report.sample.json")
SCHEMA = validate_report.load_json(validate_report.SCHEMA)
REGISTRY = validate_report.load_json(validate_report.REGISTRY)


def case(report, case_id):
    return next(t for t in report["results"]["tests"] if t["extra"]["caseId"] == case_id)


def loopcert(report):
    return report["results"]["extra"]["loopcert"]


class Sample(unittest.TestCase):
    def test_schema_is_a_valid_2020_12_schema(self):
        jsonschema.Draft202012Validator.check_schema(SCHEMA)

    def test_sample_is_valid(self):
        self.assertEqual(validate_report.problems_in(SAMPLE, SCHEMA, REGISTRY), [])

    def test_sample_shows_every_outcome(self):
        outcomes = {t["rawStatus"] for t in SAMPLE["results"]["tests"]}
        self.assertEqual(outcomes, {"PASS", "FAIL", "TIMEOUT", "CRASH", "UNSUPPORTED", "UNRESOLVED", "QUALITY_WARNING"})
        extras = [t["extra"] for t in SAMPLE["results"]["tests"]]
        self.assertTrue(any(e["advisory"] for e in extras))
        self.assertTrue(any("expected" in e for e in extras))


def breakage(description):
    """Marks a function that breaks a copy of the sample in one way."""
    def register(mutate):
        BROKEN.append((description, mutate))
        return mutate
    return register


BROKEN = []


@breakage("an unknown rawStatus")
def _(r):
    case(r, "callbacks.call_soon.fifo_order")["rawStatus"] = "XFAIL"


@breakage("a missing verdict")
def _(r):
    del loopcert(r)["verdict"]


@breakage("an unknown verdict")
def _(r):
    loopcert(r)["verdict"] = "mostly-conforming"


@breakage("a FAIL reported as passed")
def _(r):
    case(r, "lifecycle.stop.restart_loses_nothing")["status"] = "passed"


@breakage("an UNSUPPORTED case reported as failed")
def _(r):
    case(r, "signals.add_signal_handler.runs_as_callback")["status"] = "failed"


@breakage("a failure without a message")
def _(r):
    del case(r, "protocols.sequence.connection_lost_once")["message"]


@breakage("a tag that is not a clause ID")
def _(r):
    case(r, "callbacks.call_soon.fifo_order")["tags"] = ["call_soon fifo"]


@breakage("a tag that is a draft-only clause")
def _(r):
    case(r, "callbacks.call_soon.fifo_order")["tags"].append("DRAFT-LOOP-CALL-REPEATEDLY")


@breakage("a case with no clause")
def _(r):
    case(r, "callbacks.call_soon.fifo_order")["tags"] = []


@breakage("suite as a string (CTRF 0.0.0 wants an array)")
def _(r):
    case(r, "callbacks.call_soon.fifo_order")["suite"] = "callbacks"


@breakage("a summary that does not add up")
def _(r):
    r["results"]["summary"]["failed"] += 1


@breakage("a MUST case marked advisory")
def _(r):
    case(r, "callbacks.call_soon.fifo_order")["extra"]["advisory"] = True


@breakage("a level that is not the strongest of the case's clauses")
def _(r):
    case(r, "dns.getaddrinfo.does_not_block_loop")["extra"]["level"] = "MAY"


@breakage("a QUALITY_WARNING without a figure over budget")
def _(r):
    latency = case(r, "latency.call_soon.dispatch")["extra"]["latency"]["call_soon_dispatch"]
    latency["p99"], latency["overBudget"] = 900, False


@breakage("overBudget that contradicts the figures")
def _(r):
    loopcert(r)["latency"]["threadsafe_wakeup"]["overBudget"] = True


@breakage("an expectation with an unknown outcome")
def _(r):
    case(r, "transports.close.flushes_buffer")["extra"]["expected"]["outcome"] = "HANG"


@breakage("a clause table entry that disagrees with its cases")
def _(r):
    loopcert(r)["clauses"]["LOOP-STOP-RESTARTABLE"]["status"] = "passed"


@breakage("a clause table entry with the wrong level")
def _(r):
    loopcert(r)["clauses"]["LOOP-CALLSOON-FIFO"]["level"] = "SHOULD"


@breakage("an unknown adapter category")
def _(r):
    loopcert(r)["adapter"]["capabilities"]["categories"].append("windows")


@breakage("a report that is not CTRF")
def _(r):
    r["reportFormat"] = "JUnit"


class Broken(unittest.TestCase):
    def test_each_broken_copy_is_rejected(self):
        for description, mutate in BROKEN:
            with self.subTest(description):
                report = copy.deepcopy(SAMPLE)
                mutate(report)
                self.assertNotEqual(validate_report.problems_in(report, SCHEMA, REGISTRY), [], description)


if __name__ == "__main__":
    unittest.main()
