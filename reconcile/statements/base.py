"""The contract every statement reader fulfils, and the checks shared by all of them.

A reader answers two questions: is this file mine (by its content, never its name), and what lines
does it hold. Readers never touch the network, the store or the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Protocol, runtime_checkable

from reconcile.errors import MalformedStatement, StatementError
from reconcile.model import ParsedFile, Statement, make_line_id

HEAD_BYTES = 8192


@runtime_checkable
class StatementReader(Protocol):
    """One statement format. `identify` must be cheap: it sees only the first bytes of the file."""

    format_name: str  # e.g. "camt.053", "mt940", "ofx", "csv:<profile>", "bai2"

    def identify(self, path: Path, head: bytes) -> bool:
        """True when the file's first bytes (`head`) look like this format."""
        ...

    def parse(self, path: Path) -> ParsedFile:
        """Read every booked line; raise a StatementError subclass naming the place on failure."""
        ...


def read_bytes(path: Path | str) -> bytes:
    """The whole file; one that cannot be opened is named with the system's reason."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise StatementError(path, f"cannot be opened ({exc.strerror or exc})") from exc


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def strip_bom_and_space(head: bytes) -> bytes:
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    return head.lstrip()


def balance_warnings(path: Path | str, statements: Iterable[Statement]) -> list[str]:
    """Say where opening balance + lines != closing balance: the sign of a lost or misread line.

    Pending entries are not lines, so a statement with pending entries is only checked when its
    closing balance is a booked one (which is all we are given).
    """
    problems: list[str] = []
    name = Path(path).name
    for st in statements:
        if st.opening is None or st.closing is None:
            continue
        if st.opening.currency != st.closing.currency:
            continue
        total = sum((line.amount for line in st.lines), Decimal(0))
        expected = st.closing.amount - st.opening.amount
        if total != expected:
            label = f"statement {st.statement_id}" if st.statement_id else "statement"
            problems.append(
                f"{name}, {label} ({st.account}): the lines add up to {total:f} {st.closing.currency} "
                f"but the balances moved by {expected:f}; lines may be missing or misread"
            )
    return problems


def require(condition: bool, path: Path | str, message: str, place: str | None = None) -> None:
    if not condition:
        raise MalformedStatement(path, message, place=place)


class LineIds:
    """Allocates stable line ids within one file.

    Most lines carry a bank reference and take their id from (account, reference). Where a bank repeats
    a reference inside one file, or gives none, the n-th repetition is numbered so that two genuinely
    different lines never merge, while re-reading the same file gives the same ids again.
    """

    # References banks use to say "no reference"; they identify nothing.
    PLACEHOLDERS = frozenset({"NONREF", "NOTPROVIDED", "NOT PROVIDED", "NONE", "N/A", "-", ""})

    def __init__(self) -> None:
        self._seen: dict[tuple[str, ...], int] = {}

    @classmethod
    def clean_ref(cls, ref: str | None) -> str | None:
        if ref is None:
            return None
        ref = ref.strip()
        return None if ref.upper() in cls.PLACEHOLDERS else ref

    def allocate(
        self,
        *,
        account: str,
        bank_ref: str | None,
        booking_date: date,
        amount: Decimal,
        currency: str,
        remittance: str = "",
        counterparty: str | None = None,
    ) -> str:
        bank_ref = self.clean_ref(bank_ref)
        if bank_ref:
            key: tuple[str, ...] = ("ref", account, bank_ref)
        else:
            key = (
                "content",
                account,
                booking_date.isoformat(),
                f"{amount:f}",
                currency,
                remittance,
                counterparty or "",
            )
        occurrence = self._seen.get(key, 0)
        self._seen[key] = occurrence + 1
        if bank_ref and occurrence:
            bank_ref = f"{bank_ref}#{occurrence}"
        return make_line_id(
            account,
            bank_ref,
            booking_date=booking_date,
            amount=amount,
            currency=currency,
            remittance=remittance,
            counterparty=counterparty,
            occurrence=occurrence,
        )
