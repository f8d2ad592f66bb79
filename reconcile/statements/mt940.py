"""SWIFT MT940 customer statements (and MT942 interim reports), as banks really write them.

The file is decoded (in the encoding its letters fit, see `decode_statement`),
cut into tagged fields with their line numbers, grouped into statements at each `:20:`, and each `:61:`
statement line is read with the grammar below; its `:86:` text goes to `mt940_details`. Amounts are read
from the text as written, never through a float, and a line that cannot be read fails the file with its
line number: nothing is skipped silently.

Why not the mt-940 library (5.1.1) at run time: its `:61:`, `:60a:` and `:62a:` patterns take the amount
as `[0-9,]`, so a dot decimal ("000000000300.00", Rabobank's old files) is silently cut to 300 and the rest
pushed into the next subfield; on the 100,000-line benchmark file it is three times slower than this module
(about 16,000 lines/s, 25,000 without its `:86:` processor, against 47,000 on the same machine); and its
errors carry no line. tests/test_mt940_samples.py compares our amounts and dates with the library's
wherever the library reads a sample into the same statements: they agree on 85 samples.

Conventions:
- account: the `:25:` IBAN (also when written "BIC/IBAN" or "IBAN EUR"), else `:25:` as written.
- statement_id: `:28C:` (statement/sequence number), else `:20:`.
- booking_date: the `:61:` entry date (MMDD, its year taken from the value date across a year end), else
  the value date. value_date: the `:61:` value date.
- bank_ref: the `:61:` bank reference after "//", else the customer reference; placeholders (NONREF) and
  Rabobank's pointers (EREF, MARF, PREF: "the reference is in :86:") are not references.
- bank_tx_code: the `:61:` transaction type ("NTRF"), plus "/" and the GVC from `:86:` when there is one.
"""

from __future__ import annotations

import calendar
import gc
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from reconcile.errors import MalformedStatement
from reconcile.model import Balance, BankLine, ParsedFile, Statement
from reconcile.money import minor_units
from reconcile.statements.base import LineIds, read_bytes, strip_bom_and_space
from reconcile.statements.mt940_details import Details, clean_text, iban_or_none, parse_details
from reconcile.statements.text import Decoded, country_of, decode, label, pinned_encoding, undecodable

FORMAT_NAME = "mt940"

# ISO 4217 "XXX: no currency": what a line gets when its statement names no currency at all (a fragment
# without balances). It never equals an invoice's currency, so such lines are never matched blindly.
NO_CURRENCY = "XXX"

# -- decoding ----------------------------------------------------------------------------------------

_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
# The account of each statement, read from the raw bytes (it is ASCII in every code page): its IBAN's
# country says which languages the text is in, and the configuration may pin an encoding to it.
_ACCOUNT_RE = re.compile(rb"(?m)^:25:(?:[A-Z0-9]{8,11}/)?([A-Z0-9 /]+)")


def decode_statement(
    data: bytes, encoding: str | None = None, pins: Mapping[str, str] | None = None
) -> Decoded:
    """The file's text, and how its encoding was decided (`encoding` forces an ASCII-compatible one).

    The text comes without control characters (SOH/ETX framing of mBank and PostFinance, a DOS end-of-file
    SUB) and with "\n" line ends. MT940 declares no encoding: unless `encoding` or a pin for the file's
    `:25:` account (`pins`, [statements.encodings]) says which, the letters decide (reconcile.statements.text),
    weighed for the languages of the account's country.
    """
    # Bytes below 0x20 are the same control characters in UTF-8 and in every code page tried here.
    data = data.translate(None, _CONTROL_BYTES)
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    accounts = [m.group(1).decode("ascii").strip() for m in _ACCOUNT_RE.finditer(data, 0, 1 << 20)]
    pinned = encoding or pinned_encoding(accounts, pins or {})
    return decode(data, pinned=pinned, country=country_of(accounts))


# -- fields ------------------------------------------------------------------------------------------

# The tags of MT940/MT942 (SWIFT Category 9). A line that looks like a tag but is not one of these is the
# continuation of the field before it: ":26:37 Fo..." is a time wrapped out of a :86: ("...T16" + ":26:37").
KNOWN_TAGS = frozenset({"13", "13D", "20", "21", "25", "25P", "28", "28C", "34F", "60", "60F", "60M", "61",
                        "62", "62F", "62M", "64", "65", "65F", "86", "90C", "90D", "NS"})
# Where a field starts or a message ends, at the start of a line:
#   tag    ":61:" (Sparkasse also writes ":" and "86:..." on two lines)
#   end    "-" alone, or "-}" with SWIFT trailer blocks ({5:...}) and maybe the next message's header
#   frame  "{1:F01...}{2:...}{4:", the SWIFT header of a message
_MARK_RE = re.compile(r"^(?::\n?(?P<tag>\d\d[A-Z]?|NS):|(?P<end>-)(?:\}|[ \t]*$)|(?P<frame>\{))",
                      re.MULTILINE)


class Field:
    """One tagged field: its tag ("61") and its text (tag removed, line breaks and blank lines kept).

    The line it starts on is counted only when asked (for a message): counting it for every field of a
    100,000-line file would cost more than reading the fields.
    """

    __slots__ = ("_source", "offset", "tag", "text")

    def __init__(self, tag: str, text: str, source: str = "", offset: int = 0) -> None:
        self.tag = tag
        self.text = text
        self._source = source
        self.offset = offset  # where the field starts in `source`

    @property
    def line(self) -> int:
        return self._source.count("\n", 0, self.offset) + 1

    @property
    def lines(self) -> list[str]:
        """The text's lines without blank ones."""
        return [part for part in self.text.split("\n") if part and not part.isspace()] or [""]

    def __repr__(self) -> str:
        return f"Field({self.tag!r}, {self.text!r}, line {self.line})"


def split_fields(text: str) -> list[Field]:
    """Cut text (as `decode_statement` returns it) into fields, dropping SWIFT framing, blank lines and
    anything before the first tag or after an end-of-message "-" (bank headers such as "ABNANL2A / 940")."""
    fields: list[Field] = []
    tag: str | None = None  # the open field, None outside a message
    start = position = 0
    for mark in _MARK_RE.finditer(text):
        next_tag = mark.group("tag")
        if next_tag is not None and next_tag not in KNOWN_TAGS:
            continue  # a wrapped line of the open field
        if tag is not None:  # the field's text, without the line end before the next mark
            fields.append(Field(tag, text[position : mark.start() - 1].strip("\n"), text, start))
        tag, start, position = next_tag, mark.start(), mark.end()
    if tag is not None:
        fields.append(Field(tag, text[position:].strip("\n"), text, start))
    return fields


# -- the :61: statement line -------------------------------------------------------------------------

# SWIFT MT940 field 61: 6!n[4!n]2a[1!a]15d1!a3!c16x[//16x][34x]
#   value date YYMMDD, entry date MMDD (Citi and ASN write four spaces), debit/credit mark C, D, RC or RD,
#   funds code (third letter of the currency, e.g. "R" of EUR: "CR" is credit, funds R), amount with a
#   decimal comma (a dot tolerated: Rabobank's old files), transaction type (N/F/S + 3 characters),
#   customer reference, "//" bank reference, and on the next line supplementary details.
# The amount may not be followed by another digit, comma or dot: "1.234,56" fails instead of reading 1.234.
_LINE_RE = re.compile(
    r"""(?P<value>\d{6})
        (?P<entry>\d{4}|[ ]{4})?
        (?P<mark>[Rr]?[CDcd])
        (?P<funds>[A-Z](?=[ \n\d]))?
        [ \n]?
        (?P<amount>\d+(?:[,.]\d*)?)(?![\d,.])
        [ ]?(?P<type>[A-Z][A-Z0-9 ]{3})?  # Deutsche Bank puts a space before it
        (?P<rest>.*)""",
    re.VERBOSE | re.DOTALL,
)
_BALANCE_RE = re.compile(r"(?P<mark>[CDcd])(?P<date>\d{6})(?P<currency>[A-Z]{3})?(?P<amount>\d+(?:[,.]\d*)?)")
# MT942 :34F: floor limit "EURD0,00" and :90D:/:90C: "3PLN0,03" name the currency when nothing else does.
_FLOOR_RE = re.compile(r"(?P<currency>[A-Z]{3})[CD]?\d+(?:[,.]\d*)?")
_SUM_RE = re.compile(r"(?P<count>\d+)(?P<currency>[A-Z]{3})(?P<amount>\d+(?:[,.]\d*)?)")

# Rabobank's references that point into :86: ("the end-to-end id is in :86:"), never an id themselves.
_POINTER_REFS = frozenset({"EREF", "MARF", "PREF"})
_CUSTOMER_REF_WIDTH = 16  # 16x
_DEBIT_MARKS = frozenset({"D", "RC", "d", "rc", "Rc", "rC"})


class _Entry:
    """A `:61:` line as read, waiting for its `:86:` text and the statement's account and currency."""

    __slots__ = ("account_from_61", "amount", "bank_ref", "booking_date", "details", "dot_places", "field",
                 "name_from_61", "ref_is_banks", "supplementary", "type_code", "value_date")

    def __init__(self, fld: Field, value_date: date, booking_date: date, amount: Decimal,
                 type_code: str | None, supplementary: str) -> None:
        self.field = fld
        self.dot_places: int | None = None  # decimals after a dot decimal separator, checked once the
        # statement's currency is known
        self.value_date = value_date
        self.booking_date = booking_date
        self.amount = amount
        self.type_code = type_code
        self.supplementary = supplementary
        self.bank_ref: str | None = None
        self.ref_is_banks = False  # the bank's own reference (after "//"), not the account owner's
        self.name_from_61: str | None = None
        self.account_from_61: str | None = None
        self.details: list[str] = []  # the text of each :86: that follows


def _read_line(path: Path | str, fld: Field) -> _Entry:
    """Read one `:61:` field; raise MalformedStatement naming its line when it cannot be read safely."""
    text = fld.text
    match = _LINE_RE.match(text)
    if not match:
        raise MalformedStatement(
            path, f"the statement line :61:{_shown(text)} cannot be read: expected a value date (YYMMDD), "
            "an optional entry date (MMDD), C or D, an amount like 1234,56 (no thousands separator) and "
            "a transaction type",
            place=f"line {fld.line}")
    value, entry, mark, _, amount_text, type_code, rest = match.groups()
    value_date = _date(path, value, fld)
    booking_date = _entry_date(path, value_date, entry, fld) if entry and entry[0] != " " else value_date
    # SWIFT requires the decimal comma, but Knab writes whole amounts without one ("C500NTRF"): digits
    # alone can only mean units, so they are read as such.
    amount = Decimal(amount_text.replace(",", "."))
    # C and RD (reversal of a debit) bring money in; D and RC (reversal of a credit) take it out.
    if mark in _DEBIT_MARKS:
        amount = -amount
    if type_code and (type_code + rest)[:6].upper() == "NONREF":  # Penta: no type, straight "NONREF"
        rest, type_code = type_code + rest, None
    first, _, supplementary = rest.partition("\n")
    customer, _, bank = first.partition("//")
    record = _Entry(fld, value_date, booking_date, amount, type_code.strip() if type_code else None,
                    clean_text(supplementary) if supplementary else "")
    if "." in amount_text:
        record.dot_places = len(amount_text) - amount_text.index(".") - 1
    if len(customer) > _CUSTOMER_REF_WIDTH and customer[:_CUSTOMER_REF_WIDTH].endswith(" "):
        # Rabobank before 2014: the 16x holds the counterparty's account, padded with spaces, followed by
        # the counterparty's name ("0121470966      W.P. Jansen"). Neither is a reference of the line.
        record.account_from_61 = customer[:_CUSTOMER_REF_WIDTH].strip() or None
        record.name_from_61 = clean_text(customer[_CUSTOMER_REF_WIDTH:]) or None
        customer = ""
    customer_ref = LineIds.clean_ref(customer) if customer and customer != "NONREF" else None
    if customer_ref and customer_ref.upper() in _POINTER_REFS:
        customer_ref = None
    elif customer_ref and len(customer_ref) >= 15 and iban_or_none(customer_ref):
        # ASN Bank: the reference holds the counterparty's IBAN (up to 34x) and the next line their name.
        record.account_from_61 = customer_ref
        record.name_from_61 = record.supplementary or None
        customer_ref = None
    bank_ref = LineIds.clean_ref(bank) if bank else None
    record.ref_is_banks = bank_ref is not None
    record.bank_ref = bank_ref or customer_ref
    return record


def _shown(text: str, limit: int = 60) -> str:
    flat = text.replace("\n", " ")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@lru_cache(maxsize=4096)
def _parse_date(yymmdd: str) -> date | None:
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    # Two-digit years: 80-99 are the 1900s (statements from before 2000 still circulate as samples).
    year = 1900 + yy if yy >= 80 else 2000 + yy
    if month == 2 and day in (29, 30):
        # German banks date month-end interest "30 February" (a 30/360 month); it is the last day of it.
        day = min(day, calendar.monthrange(year, 2)[1])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date(path: Path | str, yymmdd: str, fld: Field) -> date:
    parsed = _parse_date(yymmdd)
    if parsed is None:
        raise MalformedStatement(path, f"{yymmdd!r} is not a date (YYMMDD)", place=f"line {fld.line}")
    return parsed


@lru_cache(maxsize=4096)
def _entry_date_near(value_date: date, mmdd: str) -> date | None:
    """The MMDD entry date in whichever year puts it nearest the value date (a year end may lie between)."""
    month, day = int(mmdd[:2]), int(mmdd[2:])
    candidates = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        day_in_year = min(day, calendar.monthrange(year, 2)[1]) if month == 2 and day in (29, 30) else day
        try:
            candidates.append(date(year, month, day_in_year))
        except ValueError:
            continue
    return min(candidates, key=lambda d: abs((d - value_date).days), default=None)


def _entry_date(path: Path | str, value_date: date, mmdd: str, fld: Field) -> date:
    parsed = _entry_date_near(value_date, mmdd)
    if parsed is None:
        raise MalformedStatement(path, f"entry date {mmdd!r} is not a date (MMDD)", place=f"line {fld.line}")
    return parsed


# -- balances ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RawBalance:
    amount: Decimal
    currency: str | None  # some German files leave it out of :62M:/:62F:
    on: date


def _read_balance(path: Path | str, fld: Field) -> _RawBalance:
    """Read :60a:, :62a:, :64: or :65: "C240131EUR1234,56" (1!a6!n3!a15d)."""
    value = "".join(fld.text.split())
    match = _BALANCE_RE.fullmatch(value)
    if not match:
        raise MalformedStatement(
            path, f"the balance :{fld.tag}:{_shown(fld.text)} cannot be read: expected C or D, a date "
            "(YYMMDD), a currency and an amount with a decimal comma", place=f"line {fld.line}")
    amount = Decimal(match["amount"].replace(",", "."))
    if match["mark"].upper() == "D":
        amount = -amount
    return _RawBalance(amount, match["currency"], _date(path, match["date"], fld))


# -- statements --------------------------------------------------------------------------------------

# A file that does not open with :20: is read only when it says whose account or which money it is about;
# a lone closing balance, statement number or :86: text is a fragment of a statement we do not have.
_FRAGMENT_OPENERS = frozenset({"25", "60", "60F", "60M", "61"})
_OPENING_TAGS = frozenset({"60", "60F", "60M"})
_CLOSING_TAGS = frozenset({"62", "62F", "62M"})
_AVAILABLE_TAGS = frozenset({"64", "65", "65F"})
_FIELD_NAMES = {"28C": "a statement number (:28C:)", "28": "a statement number (:28:)",
                "62F": "a closing balance (:62F:)", "62M": "a closing balance (:62M:)",
                "62": "a closing balance (:62:)", "64": "an available balance (:64:)",
                "65": "a forward balance (:65:)", "65F": "a forward balance (:65F:)",
                "86": "an information field (:86:)", "NS": "a bank-specific field (:NS:)",
                "13D": "a report time (:13D:)", "34F": "a floor limit (:34F:)",
                "21": "a related reference (:21:)"}


@dataclass(slots=True)
class _Builder:
    """One statement while its fields are read."""

    first: Field  # the field that opened it
    reference: str | None = None
    account_raw: str | None = None
    number: str | None = None
    opening: _RawBalance | None = None
    closing: _RawBalance | None = None
    currencies: list[str] = field(default_factory=list)
    entries: list[_Entry] = field(default_factory=list)
    target: _Entry | None = None  # the line a following :86: describes


class Mt940Reader:
    """SWIFT MT940 (and MT942) statements; `encoding` forces the code page for every file, `encodings` pins
    one per account ([statements.encodings]); otherwise each file's letters decide."""

    format_name = FORMAT_NAME

    def __init__(self, *, encoding: str | None = None, encodings: Mapping[str, str] | None = None) -> None:
        self.encoding = encoding
        self.encodings = dict(encodings or {})

    def identify(self, path: Path, head: bytes) -> bool:
        return looks_like_mt940(head)

    def parse(self, path: Path) -> ParsedFile:
        data = read_bytes(path)
        try:
            decoded = decode_statement(data, self.encoding, self.encodings)
        except UnicodeDecodeError as exc:
            byte, place = undecodable(data, exc)
            raise MalformedStatement(
                path, f"byte {byte} is not text in {label(exc.encoding)}, the encoding set for its account",
                place=place,
            ) from None  # fmt: skip
        except LookupError as exc:
            raise MalformedStatement(path, f"cannot be read in the encoding set for it: {exc}") from exc
        text = decoded.text
        warnings = [note] if (note := decoded.warning(path.name)) else []
        with _without_gc_pauses():
            fields = split_fields(text)
            if not fields:
                raise MalformedStatement(path, "no MT940 fields (:20:, :25:, :61: ...) in it; not a statement")
            statements = tuple(_read_statements(path, fields, warnings))
        return ParsedFile(path=str(path), source_format=FORMAT_NAME, statements=statements,
                          warnings=tuple(warnings))


@contextmanager
def _without_gc_pauses() -> Iterator[None]:
    """Hold the cyclic garbage collector while the lines are built.

    It runs every few hundred new objects and each run walks the objects made so far; reading 100,000
    lines makes about a million objects and no reference cycles, so those runs are a fifth of the time
    and free nothing. Collection resumes, as it was, when the statements are read (or reading fails).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_HEAD_TAG_RE = re.compile(rb"(?m)^:(20|25|28C?|60[FM]?|61|86|62[FM]?):")
_FIRST_TAG_RE = re.compile(rb":(\d\d[A-Z]?|NS):")


def looks_like_mt940(head: bytes) -> bool:
    """True for MT940/MT942 text: SWIFT framing, or :20: with other statement tags near the start, or a
    file opening with an MT940 tag. camt XML, OFX, CSV and BAI2 never open a line with ":NN:"."""
    head = strip_bom_and_space(head).replace(b"\r", b"")
    if head.startswith((b"<", b"OFXHEADER", b"01,")):
        return False
    if (b"{1:F01" in head or b"{4:" in head) and b":20:" in head:
        return True
    tags = {m.group(1) for m in _HEAD_TAG_RE.finditer(head)}
    if b"20" in tags and len(tags) >= 2:
        return True
    match = _FIRST_TAG_RE.match(head.lstrip(b"\x01\x02\x03").lstrip())
    return match is not None and match.group(1).decode() in KNOWN_TAGS


def _read_statements(path: Path, fields: list[Field], warnings: list[str]) -> Iterator[Statement]:
    ids = LineIds()
    builder: _Builder | None = None
    for fld in fields:
        tag = fld.tag
        if builder is not None and tag == "86":  # the common case first: a line's details
            if builder.target is not None:
                builder.target.details.append(fld.text)
            continue
        if tag == "20":
            if builder is not None:
                yield _finish(path, builder, ids, warnings)
            builder = _Builder(fld, reference=clean_text(fld.text) or None)
            continue
        if builder is None:
            builder = _Builder(fld)
        elif tag in _OPENING_TAGS and builder.opening is not None:
            # SWIFT allows one opening balance per message: a second one starts the next statement whose
            # :20: header was left out (same account, same reference).
            yield _finish(path, builder, ids, warnings)
            builder = _Builder(fld, reference=builder.reference, account_raw=builder.account_raw)
        _apply(path, builder, fld, warnings)
    if builder is not None:
        yield _finish(path, builder, ids, warnings)


def _apply(path: Path, builder: _Builder, fld: Field, warnings: list[str]) -> None:
    tag = fld.tag
    if tag == "61":
        entry = _read_line(path, fld)
        builder.entries.append(entry)
        builder.target = entry
        return
    if tag == "86":
        if builder.target is not None:
            builder.target.details.append(fld.text)
        return  # before the first line or after the balances: about the statement, not a line
    if tag == "NS":
        return  # bank-specific, no common layout; a following :86: still belongs to the line
    builder.target = None
    if tag == "25":
        account = clean_text(fld.text)
        if builder.account_raw is not None and (builder.entries or account != builder.account_raw):
            raise MalformedStatement(
                path, f"a second account :25:{_shown(fld.text)} inside one statement (after "
                f"{builder.account_raw!r}); a :20: is missing or another field is labelled :25:",
                place=f"line {fld.line}")
        builder.account_raw = account
    elif tag in ("28C", "28"):
        builder.number = clean_text(fld.text) or None
    elif tag in _OPENING_TAGS:
        builder.opening = _read_balance(path, fld)
    elif tag in _CLOSING_TAGS:
        builder.closing = _read_balance(path, fld)
    elif tag in _AVAILABLE_TAGS:
        try:
            balance = _read_balance(path, fld)
        except MalformedStatement as exc:
            # Available balances are not needed to read the lines: an unreadable one is reported, not fatal.
            warnings.append(f"{exc}; ignored (it is not needed to read the lines)")
        else:
            if balance.currency:
                builder.currencies.append(balance.currency)
    elif tag == "34F":
        floor = _FLOOR_RE.fullmatch("".join(fld.text.split()))
        if floor:
            builder.currencies.append(floor["currency"])
    elif tag in ("90D", "90C"):
        total = _SUM_RE.fullmatch("".join(fld.text.split()))
        if total:
            builder.currencies.append(total["currency"])


def _finish(path: Path, builder: _Builder, ids: LineIds, warnings: list[str]) -> Statement:
    opener = builder.first.tag
    if opener != "20" and not _seen_openers(builder):
        name = _FIELD_NAMES.get(opener, f"a :{opener}: field")
        raise MalformedStatement(
            path, f"not a statement: it starts with {name} and has no reference (:20:), account (:25:), "
            "opening balance (:60F:) or line (:61:); it looks like a fragment cut out of a statement",
            place=f"line {builder.first.line}")
    currency = _statement_currency(builder)
    statement_id = builder.number or builder.reference
    where = f"statement {statement_id}" if statement_id else f"the statement at line {builder.first.line}"
    label = f"{path.name}, {where}"
    if currency is None:
        currency = NO_CURRENCY
        if builder.entries:
            warnings.append(f"{label}: no currency given (no balance fields); its amounts are marked "
                            f"{NO_CURRENCY} (unknown currency)")
    account = _account(builder.account_raw)
    if not account and builder.entries:
        warnings.append(f"{label}: no account (:25:) given")
    source = str(path)
    lines = tuple(_bank_line(source, entry, account, currency, statement_id, ids) for entry in builder.entries)
    return Statement(
        statement_id=statement_id,
        account=account,
        currency=currency if currency != NO_CURRENCY else None,
        lines=lines,
        opening=_balance(builder.opening, currency),
        closing=_balance(builder.closing, currency),
    )


def _seen_openers(builder: _Builder) -> bool:
    return (builder.first.tag in _FRAGMENT_OPENERS or builder.account_raw is not None
            or builder.opening is not None or bool(builder.entries))


def _statement_currency(builder: _Builder) -> str | None:
    for balance in (builder.opening, builder.closing):
        if balance is not None and balance.currency:
            return balance.currency
    return builder.currencies[0] if builder.currencies else None


def _balance(raw: _RawBalance | None, currency: str) -> Balance | None:
    if raw is None:
        return None
    return Balance(amount=raw.amount, currency=raw.currency or currency, on=raw.on)


_ACCOUNT_IBAN_RE = re.compile(r"(?:[A-Z0-9]{8,11}/)?([A-Z]{2}\d{2}[A-Z0-9 ]{11,40}?)(?:[ /]?[A-Z]{3})?")


def _account(raw: str | None) -> str:
    """The IBAN when `:25:` holds one ("NL10BUNQ2290325473 EUR", "BIC/IBAN"), else `:25:` as written."""
    if not raw:
        return ""
    match = _ACCOUNT_IBAN_RE.fullmatch(raw)
    if match:
        iban = iban_or_none(match.group(1))
        if iban:
            return iban
    return raw


def _id_reference(entry: _Entry) -> str | None:
    """The reference a line's id is made from.

    The bank's reference (after "//") identifies its line. The account owner's reference does not: the
    same customer or mandate number comes back on every payment of that payer (Sparkasse: 0000371672916278
    on 17 and 18 February), so two payments in two files would get one id and the second would be taken
    for a re-import. It is used together with the booking date and amount, which the same line always
    repeats and another line of the same payer rarely does.
    """
    if entry.bank_ref is None or entry.ref_is_banks:
        return entry.bank_ref
    return f"{entry.bank_ref}|{entry.booking_date.isoformat()}|{entry.amount:f}"


def _bank_line(
    source: str, entry: _Entry, account: str, currency: str, statement_id: str | None, ids: LineIds
) -> BankLine:
    if entry.dot_places is not None and entry.dot_places > minor_units(currency):
        # "1.234" in EUR is 1,234.00 with a thousands separator, or 1.234 written with too many decimals:
        # nothing says which, so it is not guessed.
        amount = _shown(entry.field.text.split("\n", 1)[0])
        raise MalformedStatement(
            source, f"the amount of the statement line :61:{amount} has a dot and {entry.dot_places} decimals, "
            f"more than {currency} has: it may be a thousands separator, so it cannot be read safely",
            place=f"line {entry.field.line}")
    if entry.details:
        details = parse_details(entry.details[0] if len(entry.details) == 1 else "\n".join(entry.details))
    else:
        details = Details(entry.supplementary)
    name = details.counterparty_name or entry.name_from_61
    iban = details.counterparty_iban
    if iban is None and (entry.supplementary or entry.account_from_61):
        iban = iban_or_none(entry.supplementary) or iban_or_none(entry.account_from_61)
    code = entry.type_code
    if details.gvc:
        code = f"{code}/{details.gvc}" if code else details.gvc
    return BankLine(
        line_id=ids.allocate(
            account=account, bank_ref=_id_reference(entry), booking_date=entry.booking_date,
            amount=entry.amount, currency=currency, remittance=details.remittance, counterparty=name,
        ),
        bank_ref=entry.bank_ref,
        account=account,
        currency=currency,
        amount=entry.amount,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        counterparty_name=name,
        counterparty_iban=iban,
        remittance=details.remittance,
        structured_ref=details.structured_ref,
        end_to_end_id=details.end_to_end_id,
        bank_tx_code=code,
        statement_id=statement_id,
        source_file=source,
        source_format=FORMAT_NAME,
    )
