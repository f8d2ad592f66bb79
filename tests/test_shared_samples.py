"""Every statement in ../shared/samples, through the registry as a run reads it: detected by content,
claimed by exactly one reader, and parsed; files broken on purpose fail with a message naming them.

The values each source project expects are asserted in the per-format sample tests
(test_camt_samples, test_mt940_samples, test_ofx_samples, test_bai2); here the whole set is held to
the contract every run relies on.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from reconcile.errors import StatementError
from reconcile.statements.registry import default_readers, read_statement
from tests.conftest import SHARED_SAMPLES

MANIFEST = SHARED_SAMPLES / "MANIFEST.tsv"
BROKEN_WORDS = ("wrong", "invalid", "broken", "parseerror", "fail", "error", "date_missing")
FAMILY = {"camt": "camt", "mt94": "mt940", "ofx": "ofx", "bai2": "bai2"}


def manifest_rows() -> list[dict[str, str]]:
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t")
                if not r["format"].startswith(("expected-output", "doc"))]  # fmt: skip


def broken_on_purpose(row: dict[str, str]) -> bool:
    name = Path(row["file"]).name.lower()
    return any(w in name for w in BROKEN_WORDS) or "deliberately invalid" in row["format"] or (
        "single-tag snippet" in row["format"]
    )


def family(row: dict[str, str]) -> str:
    fmt = row["format"].lower()
    return next(f for prefix, f in FAMILY.items() if fmt.startswith(prefix))


ROWS = manifest_rows()
pytestmark = pytest.mark.skipif(not ROWS, reason=f"{MANIFEST} not found: ../shared is not beside the repository")
READERS = default_readers()


@pytest.mark.parametrize("row", [r for r in ROWS if not broken_on_purpose(r)], ids=lambda r: r["file"])
def test_statement_is_read_by_the_reader_of_its_format(row):
    parsed = read_statement(SHARED_SAMPLES / row["file"], READERS)
    assert parsed.source_format.startswith(family(row)), parsed.source_format
    for line in parsed.lines:
        assert line.currency and len(line.currency) == 3
        assert line.line_id and line.source_file.endswith(Path(row["file"]).name)
    assert len({line.line_id for line in parsed.lines}) == len(parsed.lines)


@pytest.mark.parametrize("row", [r for r in ROWS if broken_on_purpose(r)], ids=lambda r: r["file"])
def test_broken_on_purpose_fails_clearly_or_is_honestly_read(row):
    path = SHARED_SAMPLES / row["file"]
    try:
        parsed = read_statement(path, READERS)
    except StatementError as exc:
        assert str(exc).startswith(path.name), str(exc)
        assert "Traceback" not in str(exc) and len(str(exc).splitlines()) == 1
    else:
        assert parsed.source_format.startswith(family(row))


def test_no_file_in_the_samples_is_claimed_by_two_readers():
    claimed: dict[str, list[str]] = {}
    for row in ROWS:
        path = SHARED_SAMPLES / row["file"]
        head = path.read_bytes()[:8192]
        claimed[row["file"]] = [r.format_name for r in READERS if _claims(r, path, head)]
    assert {f: c for f, c in claimed.items() if len(c) > 1} == {}


def _claims(reader, path: Path, head: bytes) -> bool:
    try:
        return bool(reader.identify(path, head))
    except StatementError:
        return True  # a reader that raises while identifying has claimed the file
