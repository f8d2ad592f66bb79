"""OFX and QFX statements (OFX 1.x SGML, 2.x XML), read with ofxparse 0.21 and corrected where it falls short.

ofxparse reads the envelope (accounts, currencies, ledger balances) and each transaction's fields;
ofx_text decodes the file, closes its tags and keeps what ofxparse drops (dates as the bank wrote them,
counterparty accounts, transaction currencies, statuses, line numbers). Nothing here guesses an amount or a
date: a transaction that cannot be read fails the whole file, with its place.

Conventions (one per field, so lines from two OFX files of one account always agree):
- account: the IBAN when ACCTID is one; else "BANKID/ACCTID" for a bank account (a US or Canadian account
  number is unique only within its routing number); else ACCTID as written (cards, brokerage accounts).
- booking_date: DTPOSTED's date as written, the bank's local date, whatever its time-zone suffix says.
- value_date: DTAVAIL ("date funds are available (value date)", OFX 2.2 11.4.3), else DTUSER, the date the
  payer initiated the payment, the nearest OFX has to one.
- remittance: MEMO; NAME when there is no MEMO (NAME is "name of payee or description of transaction").
- statement_id: none. OFX statements carry no id of their own; TRNUID names the request, often just "0".
"""

from __future__ import annotations

import decimal
import io
import re
import time
import warnings
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from ofxparse import OfxParser, OfxParserException
from stdnum import iban as iban_check

from reconcile.errors import MalformedStatement
from reconcile.model import Balance, BankLine, ParsedFile, Statement
from reconcile.statements.base import LineIds, read_bytes
from reconcile.statements.ofx_text import (
    STATEMENT_KINDS,
    RawStatement,
    RawTransaction,
    ScannedOfx,
    decode_ofx,
    looks_like_ofx,
    scan_ofx,
)

FORMAT_NAME = "ofx"

# What ofxparse is handed: our own header, so that it decodes UTF-8 (its USASCII default cannot) and
# finds nothing to choke on (it splits every header line on ":" and dies on a blank line before it).
_OFXPARSE_HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:UTF-8\nCHARSET:NONE\n"
    "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)
_CURRENCY = re.compile(r"[A-Z]{3}")
_OFX_DATE = re.compile(r"\s*(\d{4})(\d{2})(\d{2})")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_FIELD_MEANING = {
    "TRNAMT": "amount", "DTPOSTED": "booking date", "DTUSER": "transaction date", "DTAVAIL": "value date",
    "FITID": "transaction id", "TRNTYPE": "transaction type", "NAME": "payee", "CHECKNUM": "cheque number",
    "SIC": "industry code",
}  # fmt: skip
# ofxparse's messages, and the element each one is about (ofxparse.py, OfxParser.parseTransaction).
_FIELD_OF_MESSAGE = (
    ("Transaction Amount", "TRNAMT"), ("Transaction User Date", "DTUSER"), ("Transaction Date", "DTPOSTED"),
    ("FIT id", "FITID"), ("transaction type", "TRNTYPE"), ("Transaction type", "TRNTYPE"),
    ("transaction name", "NAME"), ("Standard Industry Code", "SIC"), ("Check", "CHECKNUM"),
)  # fmt: skip


class _Parser(OfxParser):
    """ofxparse's parser with its class-level settings on this subclass: OfxParser.parse assigns
    `cls.fail_fast`, so calling it through a subclass leaves OfxParser itself untouched."""

    fail_fast = False
    custom_date_format = None


class _Node:
    """What ofxparse reads of a BeautifulSoup element: its `contents`."""

    __slots__ = ("contents",)

    def __init__(self, value: str) -> None:
        self.contents = [value]


_NO_FITID = _Node("")


class _TransactionElement:
    """Stands in for the <STMTTRN> element OfxParser.parseTransaction reads (ofxparse's own tests call it
    on one element): `find(name)` gives the first element of that name at any depth, as BeautifulSoup
    does. Through a soup, one transaction costs ~510 µs; through this, ~26 µs. On the whole file at once,
    even with every tag closed, ofxparse reads ~3,000 lines/s (html.parser, then a find per field)."""

    __slots__ = ("raw",)

    def __init__(self, raw: RawTransaction) -> None:
        self.raw = raw

    def find(self, name: str) -> _Node | None:
        value = self.raw.first(name.upper())
        if value is not None:
            return _Node(value)
        # ofxparse refuses a STMTTRN without FITID ("Missing FIT id"), though banks send them (Newcastle
        # Permanent's <FITID></FITID>); an empty one reads as id "", and the line gets a content-based id.
        return _NO_FITID if name == "fitid" else None


@dataclass(slots=True)
class _Clock:
    """Seconds spent inside ofxparse's own calls, for the benchmark."""

    seconds: float = 0.0


class OfxReader:
    """OFX 1.x (SGML) and 2.x (XML) bank, credit-card and investment statements; QFX is OFX."""

    format_name = FORMAT_NAME

    def identify(self, path: Path, head: bytes) -> bool:
        return looks_like_ofx(head)

    def parse(self, path: Path) -> ParsedFile:
        return parse_timed(path)[0]


def parse_timed(path: Path) -> tuple[ParsedFile, float]:
    """Parse `path`; also return the seconds spent inside ofxparse's own calls."""
    data = read_bytes(path)
    decoded = decode_ofx(data, path)
    del data  # a 100,000-line file is ~30 MiB: keep one copy of it at a time
    scanned = scan_ofx(decoded.body, decoded.first_line, path)
    notes = [*decoded.warnings, *_check_statuses(path, scanned)]
    if scanned.stray_transactions:
        first = scanned.stray_transactions[0]
        raise MalformedStatement(
            path,
            "holds transactions outside any statement (STMTRS, CCSTMTRS or INVSTMTRS)",
            place=f"line {first.line}, STMTTRN",
        )
    clock = _Clock()
    if not scanned.statements:
        return _without_statements(path, scanned, notes), 0.0
    accounts = _ofxparse_accounts(path, scanned, clock)
    ids = LineIds()
    statements, failures = [], []
    for raw in scanned.statements:
        statement, failed = _statement(path, raw, accounts[id(raw)], ids, clock, notes)
        statements.append(statement)
        failures.extend(failed)
    if failures:
        raise _unreadable(path, failures)
    parsed = ParsedFile(str(path), FORMAT_NAME, tuple(statements), tuple(notes))
    return parsed, clock.seconds


# ---------------------------------------------------------------------------------------------------------
# The bank's answer: statuses, and files that hold no statement
# ---------------------------------------------------------------------------------------------------------


def _check_statuses(path: Path | str, scanned: ScannedOfx) -> list[str]:
    """Raise on the bank's error answers (OFX 2.2 section 3.1.5: STATUS, SEVERITY ERROR); keep its warnings.

    Read from the scan, not from ofxparse, which keeps one transaction status only (the last STMTTRNRS
    or CCSTMTTRNRS) and none for investment statements.
    """
    notes = []
    for status in scanned.statuses:
        code = status.values.get("CODE", "")
        severity = status.values.get("SEVERITY", "").upper()
        message = status.values.get("MESSAGE", "")
        said = f"{message} (code {code})" if message else f"code {code}"
        if severity == "ERROR" or (not severity and code not in ("", "0")):
            raise MalformedStatement(
                path,
                f"the bank answered with an error: {said}",
                place=f"line {status.line}, {status.parent}/STATUS",
            )
        if severity == "WARN":
            notes.append(f"{Path(path).name}: the bank answered with a warning: {said}")
    return notes


def _without_statements(path: Path | str, scanned: ScannedOfx, notes: list[str]) -> ParsedFile:
    """A successful answer without a statement is nothing to import, not an error. An account list is
    probably the wrong download: it is read as no lines, with a warning that says what to fetch instead."""
    name = Path(path).name
    if scanned.listed_accounts:
        listed = ", ".join(scanned.listed_accounts)
        warning = (
            f"{name}, line {scanned.listing_line}, ACCTINFORS: a list of {len(scanned.listed_accounts)} accounts "
            f"({listed}), not a statement; nothing to import: download the account's statement instead"
        )
        return ParsedFile(str(path), FORMAT_NAME, (), (*notes, warning))
    signon = next((s for s in scanned.statuses if s.parent == "SONRS"), None)
    if signon is not None:
        said = signon.values.get("MESSAGE") or "success"
        warning = f"{name}: holds no statement, only the bank's sign-on answer ({said}); nothing to import"
    else:
        warning = f"{name}: holds no statement (the OFX document is empty); nothing to import"
    return ParsedFile(str(path), FORMAT_NAME, (), (*notes, warning))


# ---------------------------------------------------------------------------------------------------------
# ofxparse: the envelope
# ---------------------------------------------------------------------------------------------------------


def _ofxparse_accounts(path: Path | str, scanned: ScannedOfx, clock: _Clock) -> dict[int, Any]:
    """Run ofxparse on the envelope and pair its accounts with the scanned statements.

    ofxparse lists bank statements first, then credit-card, then investment ones, each in file order.
    """
    text = _OFXPARSE_HEADER + scanned.skeleton
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # ofxparse 0.21 calls BeautifulSoup's findAll, deprecated since bs4 4.0: not the user's business.
            warnings.simplefilter("ignore", DeprecationWarning)
            ofx = _Parser.parse(io.BytesIO(text.encode("utf-8")), fail_fast=False)
    except (OfxParserException, ValueError, IndexError, TypeError, AttributeError, KeyError,
            decimal.InvalidOperation) as exc:  # fmt: skip
        raise MalformedStatement(
            path,
            f"the OFX structure cannot be read ({type(exc).__name__}: {exc})",
            place="the statement's header elements (sign-on, account, balances)",
        ) from exc
    finally:
        clock.seconds += time.perf_counter() - started
    ordered = [raw for kind in STATEMENT_KINDS for raw in scanned.statements if raw.kind == kind]
    if len(ofx.accounts) < len(ordered):
        raise RuntimeError(f"{path}: ofxparse found {len(ofx.accounts)} accounts, the scan {len(ordered)}")
    paired = {}
    for raw, account in zip(ordered, ofx.accounts, strict=False):
        if (account.account_id or "") != _statement_value(raw, "ACCTID"):
            raise RuntimeError(f"{path}: ofxparse and the scan disagree on the account at line {raw.line}")
        paired[id(raw)] = account
    return paired


def _statement_value(raw: RawStatement, name: str) -> str:
    for from_ in ("BANKACCTFROM", "CCACCTFROM", "INVACCTFROM"):
        value = raw.values.get(f"{from_}/{name}")
        if value is not None:
            return value
    return ""


# ---------------------------------------------------------------------------------------------------------
# Statements and lines
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Failure:
    raw: RawTransaction
    element: str  # e.g. "DTPOSTED"
    problem: str  # e.g. "DTPOSTED (the booking date) is missing"


def _statement(
    path: Path | str, raw: RawStatement, ofx_account: Any, ids: LineIds, clock: _Clock, notes: list[str]
) -> tuple[Statement, list[_Failure]]:
    name = Path(path).name
    account = _account(path, raw, ofx_account)
    curdef = _currency(path, raw.values.get("CURDEF"), f"line {raw.line}, {raw.kind}/CURDEF")
    lines, failures = [], []
    for txn in raw.transactions:
        line = _line(path, txn, account, curdef, ids, clock)
        if isinstance(line, _Failure):
            failures.append(line)
        else:
            lines.append(line)
    if raw.trades:
        trades = "1 security transaction" if raw.trades == 1 else f"{raw.trades} security transactions"
        notes.append(
            f"{name}: account {account}: skipped {trades} (trades, transfers, income): they move "
            "securities, not payments; only the cash movements (INVBANKTRAN) were read"
        )
    closing = None
    if raw.kind != "INVSTMTRS":
        closing = _closing(raw, ofx_account, curdef)
        if closing is None:
            notes.append(
                f"{name}: account {account}: the ledger balance (LEDGERBAL) is missing, empty or "
                "unreadable; the closing balance is unknown"
            )
    statement = Statement(None, account, curdef, tuple(lines), None, closing, raw.pending)
    return statement, failures


def _account(path: Path | str, raw: RawStatement, ofx_account: Any) -> str:
    acctid = ofx_account.account_id or ""
    if not acctid:
        raise MalformedStatement(
            path,
            "the statement does not say which account it is for (ACCTID is missing)",
            place=f"line {raw.line}, {raw.kind}",
        )
    compact = "".join(acctid.split()).upper()
    if _is_iban(compact):
        return compact
    if raw.kind == "STMTRS" and ofx_account.routing_number:
        return f"{ofx_account.routing_number}/{acctid}"
    return str(acctid)


def _currency(path: Path | str, code: str | None, place: str) -> str | None:
    if not code:
        return None
    code = code.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise MalformedStatement(path, f"{code!r} is not an ISO 4217 currency code", place=place)
    return code


def _closing(raw: RawStatement, ofx_account: Any, curdef: str | None) -> Balance | None:
    amount = getattr(ofx_account.statement, "balance", None)
    if amount is None or curdef is None:
        return None
    return Balance(Decimal(amount), curdef, ofx_date(raw.values.get("LEDGERBAL/DTASOF")))


def _line(
    path: Path | str, txn: RawTransaction, account: str, curdef: str | None, ids: LineIds, clock: _Clock
) -> BankLine | _Failure:
    started = time.perf_counter()
    try:
        parsed = _Parser.parseTransaction(_TransactionElement(txn))
    except (OfxParserException, ValueError, IndexError, TypeError, decimal.InvalidOperation) as exc:
        return _failure(txn, str(exc))
    finally:
        clock.seconds += time.perf_counter() - started
    amount = Decimal(parsed.amount)
    if not amount.is_finite():
        return _invalid(txn, "TRNAMT")
    booking_date = ofx_date(txn.first("DTPOSTED"))
    if booking_date is None:
        return _invalid(txn, "DTPOSTED")
    value_date, bad = _value_date(txn)
    if bad:
        return _invalid(txn, bad)
    currency = _line_currency(path, txn, curdef)
    if currency is None:
        return _Failure(txn, "CURRENCY", "has no currency: neither the statement (CURDEF) nor the "
                                         "transaction (CURRENCY) gives one")  # fmt: skip
    payee = _clean(parsed.payee) or None
    remittance = _clean(parsed.memo) or payee or ""
    bank_ref = LineIds.clean_ref(parsed.id)
    return BankLine(
        line_id=ids.allocate(
            account=account, bank_ref=bank_ref, booking_date=booking_date, amount=amount, currency=currency,
            remittance=remittance, counterparty=payee,
        ),
        bank_ref=bank_ref,
        account=account,
        currency=currency,
        amount=amount,
        booking_date=booking_date,
        value_date=value_date,
        counterparty_name=payee,
        counterparty_iban=_counterparty_iban(txn),
        remittance=remittance,
        bank_tx_code=(parsed.type or "").upper() or None,
        source_file=str(path),
        source_format=FORMAT_NAME,
    )  # fmt: skip


def ofx_date(raw: str | None) -> date | None:
    """The date as written (YYYYMMDD...), ignoring time and time zone: `20240115000000[+1:CET]` is
    15 January, the bank's local date, where ofxparse converts to UTC and says 14 January."""
    if not raw:
        return None
    m = _OFX_DATE.match(raw)
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _value_date(txn: RawTransaction) -> tuple[date | None, str | None]:
    """(value date, None), or (None, the element) when an element is there but is not a date."""
    for element in ("DTAVAIL", "DTUSER"):
        raw = txn.first(element)
        if raw is None or raw.strip().startswith("00000000"):  # all zeros: "no date", as ofxparse reads it
            continue
        parsed = ofx_date(raw)
        return (parsed, None) if parsed else (None, element)
    return None, None


def _line_currency(path: Path | str, txn: RawTransaction, curdef: str | None) -> str | None:
    """OFX 2.2 section 5.2: with <CURRENCY> the amounts are in its CURSYM; with <ORIGCURRENCY> they were
    already converted to CURDEF and CURSYM only says what they were before."""
    cursym = txn.get("CURRENCY/CURSYM")
    if cursym:
        return _currency(path, cursym, f"line {txn.line}, STMTTRN/CURRENCY/CURSYM")
    return curdef


def _counterparty_iban(txn: RawTransaction) -> str | None:
    acctid = txn.get("BANKACCTTO/ACCTID") or txn.get("CCACCTTO/ACCTID")
    if not acctid:
        return None
    compact = "".join(acctid.split()).upper()
    return compact if _is_iban(compact) else None


@lru_cache(maxsize=4096)  # counterparties repeat; stdnum's check costs ~30 µs
def _is_iban(compact: str) -> bool:
    return bool(_IBAN_SHAPE.fullmatch(compact)) and bool(iban_check.is_valid(compact))


def _clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


# ---------------------------------------------------------------------------------------------------------
# Transactions that cannot be read
# ---------------------------------------------------------------------------------------------------------


def _failure(txn: RawTransaction, message: str) -> _Failure:
    """Name the element ofxparse stumbled on and say what is wrong with it, in our words."""
    element = next((el for words, el in _FIELD_OF_MESSAGE if words in message), None)
    if element is None:
        # strptime's own words ("day is out of range for month"): DTPOSTED, unless that one is fine.
        element = "DTUSER" if ofx_date(txn.first("DTPOSTED")) else "DTPOSTED"
        return _invalid(txn, element, because=message)
    written = txn.get(element)
    if written is None:
        return _Failure(txn, element, f"{element} ({_meaning(element)}) is missing")
    if not written:
        return _Failure(txn, element, f"{element} ({_meaning(element)}) is empty")
    return _invalid(txn, element)


def _invalid(txn: RawTransaction, element: str, because: str = "") -> _Failure:
    why = f" ({because})" if because else ""
    return _Failure(
        txn, element, f"{element} {txn.first(element)!r} is not a valid {_FIELD_MEANING[element]}{why}"
    )


def _meaning(element: str) -> str:
    return f"the {_FIELD_MEANING.get(element, 'element')}"


def _unreadable(path: Path | str, failures: list[_Failure]) -> MalformedStatement:
    def where(f: _Failure) -> str:
        fitid = f"FITID {f.raw.fitid}, " if f.raw.fitid else ""
        return f"transaction {f.raw.position} ({fitid}line {f.raw.line}): {f.problem}"

    count = "a transaction cannot" if len(failures) == 1 else f"{len(failures)} transactions cannot"
    shown = "; ".join(where(f) for f in failures[:5])
    more = f"; and {len(failures) - 5} more" if len(failures) > 5 else ""
    first = failures[0]
    return MalformedStatement(
        path,
        f"{count} be read, so nothing was imported from this file: {shown}{more}",
        place=f"line {first.raw.line}, STMTTRN[{first.raw.position}]/{first.element}",
    )
