"""Golden files: each demo sample statement read exactly as before (tests/golden/<file>.json).

After an intended change to a reader, regenerate with `UPDATE_GOLDEN=1 make test` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconcile.demo import sample_statements
from reconcile.statements.registry import read_statement
from reconcile.statements.show import lines_as_json

GOLDEN = Path(__file__).parent / "golden"


def as_golden(path: Path) -> str:
    [doc] = json.loads(lines_as_json([read_statement(path)]))
    doc["file"] = path.name
    for statement in doc["statements"]:
        for line in statement["lines"]:
            line["source_file"] = path.name
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("path", sample_statements(), ids=lambda p: p.name)
def test_sample_statement_reads_as_its_golden_file(path: Path):
    golden = GOLDEN / f"{path.name}.json"
    actual = as_golden(path)
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert golden.is_file(), f"no golden file for {path.name}: run UPDATE_GOLDEN=1 make test"
    assert actual == golden.read_text(encoding="utf-8")


def test_every_golden_file_has_its_sample():
    names = {p.name for p in sample_statements()}
    assert {g.name.removesuffix(".json") for g in GOLDEN.glob("*.json")} <= names
