#!/usr/bin/env python3
"""Validates a loopcert report: the schema, then what a schema cannot say.

    tools/validate_report.py REPORT.json...

The schema is spec/schema/report.schema.json (JSON Schema 2020-12). The
other checks hold the report to spec/clauses.json and to itself: summary
counts add up, case names are unique, every tag is a testable clause, each
case's level is the strongest of its clauses', the per-clause table agrees
with the cases, and overBudget agrees with the figures. Exit status 0 when
every report is valid, 1 otherwise (each problem on its own line).

Python 3 with python3-jsonschema.
"""

import json
import sys
from pathlib import Path

import jsonschema

REPO_ROOT = Path(__file__).resolve().parents[1]
SCHEMA = REPO_ROOT / "spec" / "schema" / "report.schema.json"
REGISTRY = REPO_ROOT / "spec" / "clauses.json"

CTRF_STATUSES = ["passed", "failed", "skipped", "pending", "other"]
LEVEL_ORDER = ["MUST", "SHOULD", "MAY"]


def load_json(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def schema_problems(report, schema):
    validator = jsonschema.Draft202012Validator(schema)
    return [f"schema: {error.json_path}: {error.message}" for error in validator.iter_errors(report)]


def summary_problems(results):
    summary, tests = results["summary"], results["tests"]
    problems = []
    if summary["tests"] != len(tests):
        problems.append(f"summary.tests is {summary['tests']} but there are {len(tests)} tests")
    for status in CTRF_STATUSES:
        have = sum(test["status"] == status for test in tests)
        if summary[status] != have:
            problems.append(f"summary.{status} is {summary[status]} but {have} tests are {status}")
    if summary["start"] > summary["stop"]:
        problems.append("summary.start is after summary.stop")
    return problems


def combined_status(statuses):
    """A clause's status from its cases' (see clauseResult in the schema)."""
    for status in ("failed", "other"):
        if status in statuses:
            return status
    return "skipped" if all(s == "skipped" for s in statuses) else "passed"


def over_budget(figure):
    return any(figure[name] > limit for name, limit in figure.get("budget", {}).items())


def latency_problems(where, table):
    return [f"{where}.{name}: overBudget is {figure['overBudget']} but the figures say {over_budget(figure)}"
            for name, figure in table.items() if figure["overBudget"] != over_budget(figure)]


def test_problems(tests, clauses):
    problems, names = [], set()
    for test in tests:
        name = test["name"]
        if name in names:
            problems.append(f"test {name} appears twice")
        names.add(name)
        unknown = [tag for tag in test["tags"] if tag not in clauses]
        problems += [f"test {name}: tag {tag} is not a testable clause of spec/clauses.json" for tag in unknown]
        known = [clauses[tag]["level"] for tag in test["tags"] if tag in clauses]
        if known:
            strongest = min(known, key=LEVEL_ORDER.index)
            if test["extra"]["level"] != strongest:
                problems.append(f"test {name}: level is {test['extra']['level']} but its strongest clause is {strongest}")
        if not name.startswith(test["extra"]["caseId"] + " ["):
            problems.append(f"test {name}: the name does not start with its caseId {test['extra']['caseId']}")
        if "start" in test and "stop" in test and test["start"] > test["stop"]:
            problems.append(f"test {name}: start is after stop")
        problems += latency_problems(f"test {name}: latency", test["extra"].get("latency", {}))
    return problems


def clause_table_problems(tests, table, clauses):
    problems = []
    cases_of = {}
    for test in tests:
        for tag in test["tags"]:
            cases_of.setdefault(tag, {})[test["extra"]["caseId"]] = test["status"]
    for clause_id, entry in table.items():
        if clause_id not in clauses:
            problems.append(f"clauses.{clause_id}: not a testable clause of spec/clauses.json")
            continue
        for field in ("level", "tier"):
            if entry[field] != clauses[clause_id][field]:
                problems.append(f"clauses.{clause_id}.{field} is {entry[field]}, "
                                f"spec/clauses.json says {clauses[clause_id][field]}")
        cited = cases_of.get(clause_id, {})
        if sorted(entry["cases"]) != sorted(cited):
            problems.append(f"clauses.{clause_id}.cases lists {sorted(entry['cases'])} "
                            f"but the tests citing it are {sorted(cited)}")
        elif cited and entry["status"] != combined_status(list(cited.values())):
            problems.append(f"clauses.{clause_id}.status is {entry['status']} "
                            f"but its cases combine to {combined_status(list(cited.values()))}")
    problems += [f"clauses: {tag} is cited by a test but missing from the table"
                 for tag in sorted(set(cases_of) - set(table))]
    return problems


def problems_in(report, schema, registry):
    """Every problem with `report`, schema first; the other checks need a schema-valid report."""
    problems = schema_problems(report, schema)
    if problems:
        return problems
    clauses = {clause["id"]: clause for clause in registry["clauses"]}
    results = report["results"]
    loopcert = results["extra"]["loopcert"]
    return (summary_problems(results) + test_problems(results["tests"], clauses)
            + clause_table_problems(results["tests"], loopcert["clauses"], clauses)
            + latency_problems("latency", loopcert["latency"]))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.split("\n\n")[1].strip())
    schema, registry = load_json(SCHEMA), load_json(REGISTRY)
    failed = False
    for path in sys.argv[1:]:
        problems = problems_in(load_json(path), schema, registry)
        for problem in problems:
            print(f"{path}: {problem}")
        if not problems:
            print(f"{path}: a valid loopcert report")
        failed = failed or bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
