"""spec/clauses.json against its schema and the catalog's counts.

Run by ctest (spec_registry). Python 3 with python3-jsonschema; reads only
files in the checkout.
"""

import json
import re
import unittest
from collections import Counter
from pathlib import Path

import jsonschema

SPEC = Path(__file__).resolve().parents[1]
REGISTRY = json.loads((SPEC / "clauses.json").read_text(encoding="utf-8"))
SCHEMA = json.loads((SPEC / "schema" / "clauses.schema.json").read_text(encoding="utf-8"))
ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")


class Registry(unittest.TestCase):
    def test_validates_against_its_schema(self):
        jsonschema.Draft202012Validator.check_schema(SCHEMA)
        errors = [f"{e.json_path}: {e.message}" for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(REGISTRY)]
        self.assertEqual(errors, [])

    def test_ids_are_well_formed_and_unique_across_all_three_lists(self):
        ids = [c["id"] for part in ("clauses", "untestable", "draft_only") for c in REGISTRY[part]]
        self.assertEqual([i for i in ids if not ID.match(i)], [])
        self.assertEqual([i for i, n in Counter(ids).items() if n > 1], [])

    def test_counts_match_the_catalog(self):
        levels = Counter(c["level"] for c in REGISTRY["clauses"])
        self.assertEqual(len(REGISTRY["clauses"]), 292)
        self.assertEqual((levels["MUST"], levels["SHOULD"], levels["MAY"]), (250, 18, 24))
        self.assertEqual(len(REGISTRY["untestable"]), 12)
        self.assertEqual(len(REGISTRY["draft_only"]), 21)

    def test_counts_per_tier_match_the_catalog(self):
        tiers = Counter(c["tier"] for c in REGISTRY["clauses"])
        self.assertEqual(tiers, Counter({"required": 147, "library": 57, "optional-pipes": 26,
                                         "required-except-embedded": 17, "policy": 14, "extra": 12,
                                         "optional-io": 9, "optional-signals": 9, "optional-all": 1}))

    def test_every_area_is_declared_once_and_used(self):
        declared = [a["id"] for a in REGISTRY["areas"]]
        self.assertEqual(len(declared), len(set(declared)))
        self.assertEqual(set(declared), {c["area"] for c in REGISTRY["clauses"]})

    def test_json_files_are_formatted_with_two_space_indent(self):
        for path in sorted(SPEC.rglob("*.json")):
            text = path.read_text(encoding="utf-8")
            with self.subTest(path=path.relative_to(SPEC)):
                self.assertEqual(text, json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    unittest.main()
