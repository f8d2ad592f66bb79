"""The explicit list of statement readers, and detection of a file's format by its content.

Readers are listed here by hand, not discovered: adding a format is a one-line, reviewable change.
Two readers claiming one file is an error rather than a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from reconcile.errors import AmbiguousStatement, MalformedStatement, StatementError, UnrecognisedStatement
from reconcile.model import ParsedFile
from reconcile.statements.bai2_reader import Bai2Reader
from reconcile.statements.base import StatementReader, balance_warnings, read_head
from reconcile.statements.camt import CamtReader
from reconcile.statements.csv_reader import CsvReader
from reconcile.statements.mt940 import Mt940Reader
from reconcile.statements.ofx import OfxReader


def default_readers(
    csv_profile_dirs: Sequence[Path] = (), encodings: Mapping[str, str] | None = None
) -> list[StatementReader]:
    """Every format reconcile reads, in no particular order (detection must not depend on it).

    `csv_profile_dirs` adds a user's own CSV layouts to the shipped ones ([matching] csv_profiles);
    `encodings` pins the text encoding of an account's files ([statements.encodings]) for the formats that
    do not declare one (a CSV profile names its own).
    """
    csv = CsvReader.from_dirs(list(csv_profile_dirs)) if csv_profile_dirs else CsvReader()
    pins = dict(encodings or {})
    return [CamtReader(encodings=pins), Mt940Reader(encodings=pins), OfxReader(), csv, Bai2Reader(encodings=pins)]


def identify(path: Path, readers: Sequence[StatementReader] | None = None) -> StatementReader:
    readers = default_readers() if readers is None else readers
    try:
        head = read_head(path)
    except OSError as exc:
        raise StatementError(path, f"cannot be opened ({exc.strerror or exc})") from exc
    if not head.strip():
        raise MalformedStatement(path, "the file is empty")
    claims = [r for r in readers if r.identify(path, head)]
    if not claims:
        raise UnrecognisedStatement(
            path, "not a statement format reconcile reads (camt.05x XML, MT940, OFX/QFX, CSV profile, BAI2)"
        )
    if len(claims) > 1:
        names = ", ".join(r.format_name for r in claims)
        raise AmbiguousStatement(path, f"more than one reader claims this file ({names})")
    return claims[0]


def read_statement(path: Path, readers: Sequence[StatementReader] | None = None) -> ParsedFile:
    """Detect the format, parse, and add the balance check's warnings to what the reader said."""
    reader = identify(path, readers)
    parsed = reader.parse(path)
    extra = balance_warnings(path, parsed.statements)
    if not extra:
        return parsed
    return ParsedFile(
        path=parsed.path,
        source_format=parsed.source_format,
        statements=parsed.statements,
        warnings=(*parsed.warnings, *extra),
    )
