"""BAI2 (Cash Management Balance Reporting Specifications, version 2, BAI 2005) files read record by record.

We read the records ourselves rather than through the `bai2` package: it holds up on clean files, but
real ones break it (an open list of type codes, several records on one physical line, continuation
records after a split field, integrity checks that either raise or are off), and its errors say
neither the line nor the record. The format is small: the code below is the whole of it.

    01 file header      02 group header (as-of date)    03 account identifier (currency, balances)
    16 transaction      88 continuation of the record   49 account trailer   98 group trailer
    99 file trailer
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from reconcile.errors import MalformedStatement
from reconcile.model import Balance, BankLine, ParsedFile, Statement
from reconcile.money import minor_units
from reconcile.statements.base import LineIds, read_bytes, strip_bom_and_space
from reconcile.statements.text import country_of, decode, label, pinned_encoding, undecodable

RECORD_CODES = frozenset({"01", "02", "03", "16", "49", "88", "98", "99"})
NAMES = {
    "01": "file header", "02": "group header", "03": "account identifier", "16": "transaction detail",
    "49": "account trailer", "88": "continuation", "98": "group trailer", "99": "file trailer",
}  # fmt: skip
# BAI2 section 4: "01,sender,receiver,YYMMDD,HHMM,file id,record length,block size,2/".
_FILE_HEADER = re.compile(rb"01,(?:[^,\r\n]*,){2}\d{6},(?:[^,\r\n]*,){4}2\s*(?:/|,|\r|\n|$)")
# Records run to "/"; a few banks put the next record on the same physical line after it
# (moov-io sample3: "...,2/   02,103100195,..."). A slash followed by spaces and a record code starts one.
_NEXT_ON_LINE = re.compile(r"/\s+(?=(?:01|02|03|16|49|88|98|99),)")
_RECORD_START = re.compile(r"(\d\d),")
_ACCOUNT_RECORD = re.compile(rb"(?m)^\s*03,([^,/\r\n]*)")
_AMOUNT = re.compile(r"[+-]?\d+\Z")
_FUNDS_FIELDS = {"": 0, "Z": 0, "0": 0, "1": 0, "2": 0, "V": 2, "S": 3}  # D is 1 + 2 * its count
# Goldman Sachs (moov-io samples 4 and 5) tags the payer and payee in 88 records: "88,DBNM: TEST INC".
_PARTY_TAG = re.compile(r"(DBNM|CRNM):\s*(.*)\Z")
DEFAULT_CURRENCY = "USD"  # BAI2 4.3: a group or account without a currency code is in US dollars


@dataclass
class _Record:
    """One logical record: its physical pieces (the record itself and its 88 continuations)."""

    code: str
    line: int
    parts: list[str]  # text after "NN," of each physical record
    widths: list[int]  # length of each physical record, to see which ones were filled up and cut
    physical: int = 1  # physical records (the record and its 88s), as trailers count them

    @property
    def place(self) -> str:
        return f"line {self.line}, record {self.code}"

    def fields(self) -> list[str]:
        """The record's fields, each physical record cut at its "/" terminator, continuations joined."""
        out: list[str] = []
        for part in self.parts:
            out.extend(part.split("/", 1)[0].split(","))
        return out


@dataclass
class _Account:
    record: _Record
    index: int  # within its group, from 1
    number: str
    currency: str
    opening: Balance | None
    closing: Balance | None
    records: int
    total: int  # sum of the account's amounts in minor units, as the 49 control total adds them
    lines: list[BankLine] = field(default_factory=list)


@dataclass
class _Group:
    record: _Record
    index: int
    as_of: date
    currency: str
    records: int
    total: int = 0
    accounts: int = 0


class Bai2Reader:
    format_name = "bai2"

    def __init__(self, *, encodings: Mapping[str, str] | None = None) -> None:
        self.encodings = dict(encodings or {})  # account -> encoding, [statements.encodings]

    def identify(self, path: Path, head: bytes) -> bool:
        return _FILE_HEADER.match(strip_bom_and_space(head)) is not None

    def parse(self, path: Path) -> ParsedFile:
        data = read_bytes(path)
        # BAI2 is ASCII, but banks put names with accents in 16 and 88 records: the letters (or a pin for
        # an 03 record's account) decide, and a guess is said.
        accounts = [m.group(1).decode("ascii").strip() for m in _ACCOUNT_RECORD.finditer(data, 0, 1 << 20)]
        try:
            decoded = decode(
                data, pinned=pinned_encoding(accounts, self.encodings), country=country_of(accounts)
            )
        except UnicodeDecodeError as exc:
            byte, place = undecodable(data, exc)
            raise MalformedStatement(
                path, f"byte {byte} is not text in {label(exc.encoding)}, the encoding set for its account",
                place=place,
            ) from None  # fmt: skip
        parsed = _Bai2Parse(path, decoded.text).run()
        note = decoded.warning(path.name)
        return replace(parsed, warnings=(note, *parsed.warnings)) if note else parsed


class _Bai2Parse:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.record_length = 80
        self.warnings: list[str] = []
        self.statements: list[Statement] = []
        self.ids = LineIds()

    def fail(self, record: _Record, message: str) -> MalformedStatement:
        return MalformedStatement(self.path, message, place=record.place)

    def warn(self, record: _Record, message: str) -> None:
        self.warnings.append(f"{self.path.name}, {record.place}: {message}")

    # -- records -----------------------------------------------------------------------------------

    def records(self) -> Iterator[_Record]:
        """Logical records in file order, each with its 88 continuations attached.

        A physical line that starts with no record code continues the text of the transaction
        before it (moov-io sample3 wraps long texts; sample5 writes "88:" for "88,"): kept as text,
        with a warning, since the BAI2 standard continues records only with 88.
        """
        current: _Record | None = None
        for number, raw in enumerate(self.text.splitlines(), start=1):
            if not raw.strip():
                continue
            for piece in _NEXT_ON_LINE.split(raw):
                start = _RECORD_START.match(piece)
                code = start[1] if start else None
                if code is None or code not in RECORD_CODES:
                    if current is not None and current.code == "16":
                        current.parts[-1] = f"{current.parts[-1].rstrip()} {piece.strip()}"
                        self.warnings.append(
                            f"{self.path.name}, line {number}: does not start with a record code; "
                            f"read as more text of the transaction on line {current.line}"
                        )
                        continue
                    found = f"record code '{code}'" if code else f"'{piece.strip()[:20]}'"
                    raise MalformedStatement(
                        self.path,
                        f"expected a BAI2 record code (01, 02, 03, 16, 49, 88, 98 or 99), found {found}",
                        place=f"line {number}",
                    )
                body = piece[3:]
                if code == "88":
                    if current is None:
                        raise MalformedStatement(self.path, "a continuation (88) with no record before it",
                                                 place=f"line {number}, record 88")
                    current.parts.append(body)
                    current.widths.append(len(piece))
                    current.physical += 1
                    continue
                if current is not None:
                    yield current
                current = _Record(code, number, [body], [len(piece)])
        if current is not None:
            yield current

    # -- structure ---------------------------------------------------------------------------------

    def run(self) -> ParsedFile:
        records = self.records()
        first = next(records, None)
        if first is None:
            raise MalformedStatement(self.path, "the file holds no BAI2 records")
        if first.code != "01":
            raise self.fail(first, f"a BAI2 file begins with a 01 file header, not a {NAMES[first.code]}")
        header = first.fields()
        if len(header) < 8 or header[7].strip() != "2":
            version = header[7].strip() if len(header) >= 8 else "missing"
            raise self.fail(first, f"only BAI version 2 is read; the header says version {version}")
        file_id = header[4].strip() or "1"
        if header[5].strip().isdigit():
            self.record_length = int(header[5])
        file_records = first.physical
        file_total = 0
        groups = 0
        group: _Group | None = None
        account: _Account | None = None
        last = first
        for record in records:
            last = record
            if group is None and record.code not in ("02", "99"):
                raise self.fail(record, f"a {NAMES[record.code]} outside a group (no 02 group header before)")
            if record.code == "01":
                raise self.fail(record, "a second file header; one file per BAI2 file")
            if record.code == "02":
                if group is not None:
                    raise self.fail(record, f"a group header while the group from line {group.record.line} "
                                            "has no 98 group trailer")
                groups += 1
                group = self.group(record, groups)
            elif record.code == "03":
                assert group is not None
                if account is not None:
                    raise self.fail(record, f"an account while the account from line {account.record.line} "
                                            "has no 49 account trailer")
                account = self.account(record, group)
                group.accounts += 1
            elif record.code == "16":
                if account is None:
                    raise self.fail(record, "a transaction outside an account (no 03 record before it)")
                assert group is not None
                self.detail(record, group, account, file_id)
            elif record.code == "49":
                if account is None:
                    raise self.fail(record, "an account trailer with no account (no 03 record before it)")
                assert group is not None
                account.records += record.physical
                group.records += account.records
                # BAI2: a group's control total adds up its 49 trailers, a file's its 98 trailers; so
                # one wrong account total is reported once, not again at every level above it.
                group.total += self.close_account(record, group, account, file_id)
                account = None
            elif record.code == "98":
                assert group is not None
                if account is not None:
                    raise self.fail(record, f"the account from line {account.record.line} has no 49 account "
                                            "trailer before the group trailer")
                group.records += record.physical
                file_total += self.close_group(record, group)
                file_records += group.records
                group = None
            elif record.code == "99":
                if group is not None:
                    raise self.fail(record, f"the group from line {group.record.line} has no 98 group "
                                            "trailer before the file trailer")
                file_records += record.physical
                self.close_file(record, groups, file_records, file_total)
                extra = next(records, None)
                if extra is not None:
                    raise self.fail(extra, "records after the 99 file trailer")
                return ParsedFile(path=str(self.path), source_format="bai2",
                                  statements=tuple(self.statements), warnings=tuple(self.warnings))
        raise MalformedStatement(
            self.path, f"the file ends at line {last.line} without its 99 file trailer: it is truncated, "
                       "so transactions may be missing; ask the bank for the file again",
        )  # fmt: skip

    def group(self, record: _Record, index: int) -> _Group:
        fields = [*record.fields(), *[""] * 7]
        as_of = self.yymmdd(record, fields[3], "as-of date")
        currency = self.currency(record, fields[5]) or DEFAULT_CURRENCY
        return _Group(record, index, as_of, currency, records=record.physical)

    def account(self, record: _Record, group: _Group) -> _Account:
        fields = record.fields()
        number = fields[0].strip() if fields else ""
        if not number:
            raise self.fail(record, "the account identifier has no account number")
        currency = (self.currency(record, fields[1]) if len(fields) > 1 else None) or group.currency
        opening = closing = None
        total = 0
        for type_code, amount in self.summaries(record, fields[2:]):
            total += amount
            # BAI2 status codes 010 opening ledger and 015 closing ledger bracket the day's movements.
            if type_code == "010":
                opening = Balance(self.money(amount, currency), currency, group.as_of)
            elif type_code == "015":
                closing = Balance(self.money(amount, currency), currency, group.as_of)
        return _Account(record, group.accounts + 1, number, currency, opening, closing,
                        records=record.physical, total=total)

    def summaries(self, record: _Record, fields: Sequence[str]) -> Iterator[tuple[str, int]]:
        """(type code, amount) of each status/summary item: type, amount, item count, funds type and the
        funds type's own fields. An empty type code is padding some banks leave (",,/"), skipped."""
        i = 0
        while i < len(fields):
            type_code = fields[i].strip()
            if not type_code:
                i += 1
                continue
            if not (len(type_code) == 3 and type_code.isdigit()):
                raise self.fail(record, f"'{type_code}' is not a type code (three digits)")
            amount_text = fields[i + 1].strip() if i + 1 < len(fields) else ""
            funds = fields[i + 3].strip().upper() if i + 3 < len(fields) else ""
            i += 4 + self.funds_extra(record, funds, fields, i + 4)
            yield type_code, self.amount(record, amount_text, signed=True)

    def funds_extra(self, record: _Record, funds: str, fields: Sequence[str], at: int) -> int:
        """How many fields the funds type adds: V value date and time, S three amounts, D a count and
        that many (days, amount) pairs (BAI2 4.3, funds type)."""
        if funds in _FUNDS_FIELDS:
            return _FUNDS_FIELDS[funds]
        if funds == "D":
            count = fields[at].strip() if at < len(fields) else ""
            if not count.isdigit():
                raise self.fail(record, f"funds type D needs the number of distributions, found '{count}'")
            return 1 + 2 * int(count)
        raise self.fail(record, f"'{funds}' is not a funds type (Z, 0, 1, 2, V, S or D)")

    # -- transactions ------------------------------------------------------------------------------

    def detail(self, record: _Record, group: _Group, account: _Account, file_id: str) -> None:
        fields, texts = self.split_detail(record)
        type_code, amount_text, funds = fields[0].strip(), fields[1].strip(), fields[2].strip().upper()
        if not (len(type_code) == 3 and type_code.isdigit()):
            raise self.fail(record, f"'{type_code}' is not a type code (three digits)")
        minor = self.amount(record, amount_text, signed=False, blank_is_zero=False)
        account.records += record.physical
        account.total += minor
        value_date = None
        if funds == "V" and fields[3].strip():
            value_date = self.yymmdd(record, fields[3], "value date")
        bank_ref, customer_ref = fields[-2].strip(), fields[-1].strip()
        code = int(type_code)
        # BAI2 appendix A: detail type codes 100-399 are credits, 400-699 debits. Others (loans 7xx,
        # 890 non-monetary, 9xx bank-defined) carry no direction we could honestly assume.
        if 100 <= code <= 399:
            sign = 1
        elif 400 <= code <= 699:
            sign = -1
        else:
            self.warn(record, f"type code {type_code} is neither a credit (100-399) nor a debit (400-699); "
                              "the transaction is not read as a bank line")
            return
        amount = self.money(minor, account.currency) * sign
        remittance = self.remittance(record, texts)
        tag = "DBNM" if sign > 0 else "CRNM"
        tags = (_PARTY_TAG.match(text.strip()) for text, _ in texts[1:])
        party = next((m[2].strip() for m in tags if m and m[1] == tag), None)
        cleaned_ref = LineIds.clean_ref(bank_ref)
        statement_id = self.statement_id(file_id, group, account)
        account.lines.append(
            BankLine(
                line_id=self.ids.allocate(
                    account=account.number, bank_ref=cleaned_ref, booking_date=group.as_of, amount=amount,
                    currency=account.currency, remittance=remittance, counterparty=party or None,
                ),
                bank_ref=cleaned_ref,
                account=account.number,
                currency=account.currency,
                amount=amount,
                booking_date=group.as_of,
                value_date=value_date,
                counterparty_name=party or None,
                remittance=remittance,
                end_to_end_id=LineIds.clean_ref(customer_ref),
                bank_tx_code=type_code,
                statement_id=statement_id,
                source_file=str(self.path),
                source_format="bai2",
            )
        )  # fmt: skip

    def remittance(self, record: _Record, texts: Sequence[tuple[str, int]]) -> str:
        """The texts joined with a space, except after a physical record filled to the record length:
        that one was cut mid-word (NatWest: "...INTERNATIONAL-5373 CLIE" / "88,NT SECCY AC TFR")."""
        joined = ""
        previous = -1
        for text, part in texts:
            if previous >= 0 and record.widths[previous] != self.record_length:
                joined += " "
            joined += text
            previous = part
        return " ".join(joined.split())

    def split_detail(self, record: _Record) -> tuple[list[str], list[tuple[str, int]]]:
        """A 16 record's fields and its texts, each with the index of the physical record it is on.

        Fields: type code, amount, funds type (+ its own fields), bank reference, customer reference.
        The text is everything after them, commas and slashes included (moov-io issue 113:
        "Remittance Info: 08/18/23 Invoice"); only a final "/" terminator is dropped. Each 88
        continuation adds a text, or more fields when the record was cut before its text.
        """
        part = record.parts[0]
        cells = part.split(",", 3)
        if len(cells) == 4:  # the usual record, all its fields on the first line: cut it in one go
            extra = _FUNDS_FIELDS.get(cells[2].strip().upper())
            if extra is not None:
                width = 5 + extra
                pieces = part.split(",", width)
                if len(pieces) == width + 1:
                    tail = (pieces[width], *record.parts[1:])
                    texts = [(_drop_terminator(t), i) for i, t in enumerate(tail)]
                    return pieces[:width], texts
        fields: list[str] = []
        texts = []
        for index, part in enumerate(record.parts):
            remaining: str | None = part
            while remaining is not None and self.wants_field(record, fields):
                cell, comma, after = remaining.partition(",")
                if not comma:
                    cell = _drop_terminator(cell)
                    remaining = None
                else:
                    remaining = after
                fields.append(cell)
            if remaining is not None:
                texts.append((_drop_terminator(remaining), index))
        width = self.detail_width(record, fields) if len(fields) >= 3 else 5
        fields += [""] * (width - len(fields))
        return fields, texts

    def wants_field(self, record: _Record, fields: Sequence[str]) -> bool:
        return len(fields) < 3 or len(fields) < self.detail_width(record, fields)

    def detail_width(self, record: _Record, fields: Sequence[str]) -> int:
        funds = fields[2].strip().upper()
        if funds == "D" and len(fields) < 4:
            return 4  # read the count before knowing the width
        return 3 + self.funds_extra(record, funds, fields, 3) + 2

    # -- trailers ----------------------------------------------------------------------------------

    def close_account(self, record: _Record, group: _Group, account: _Account, file_id: str) -> int:
        """Check the 49 trailer, keep the account's statement, return the trailer's control total."""
        fields = [*record.fields(), "", ""]
        declared_total = self.amount(record, fields[0].strip(), signed=True, blank_is_zero=True)
        declared_records = self.count(record, fields[1], "number of records")
        if declared_records != account.records:
            self.warn(record, f"the account trailer counts {declared_records} records; account "
                              f"{account.number} has {account.records}")
        if declared_total != account.total:
            self.warn(record, f"the account trailer's control total is "
                              f"{self.money(declared_total, account.currency):f}; the amounts of account "
                              f"{account.number} add up to {self.money(account.total, account.currency):f}")
        self.statements.append(
            Statement(statement_id=self.statement_id(file_id, group, account), account=account.number,
                      currency=account.currency, lines=tuple(account.lines), opening=account.opening,
                      closing=account.closing)
        )  # fmt: skip
        return declared_total

    def close_group(self, record: _Record, group: _Group) -> int:
        fields = [*record.fields(), "", "", ""]
        declared_total = self.amount(record, fields[0].strip(), signed=True, blank_is_zero=True)
        declared_accounts = self.count(record, fields[1], "number of accounts")
        declared_records = self.count(record, fields[2], "number of records")
        if declared_accounts != group.accounts:
            self.warn(record, f"the group trailer counts {declared_accounts} accounts; "
                              f"the group has {group.accounts}")
        if declared_records != group.records:
            self.warn(record, f"the group trailer counts {declared_records} records; "
                              f"the group has {group.records}")
        if declared_total != group.total:
            self.warn(record, f"the group trailer's control total is {declared_total}; the account trailers "
                              f"add up to {group.total} (in minor units)")
        return declared_total

    def close_file(self, record: _Record, groups: int, records: int, total: int) -> None:
        fields = [*record.fields(), "", "", ""]
        declared_total = self.amount(record, fields[0].strip(), signed=True, blank_is_zero=True)
        declared_groups = self.count(record, fields[1], "number of groups")
        declared_records = self.count(record, fields[2], "number of records")
        if declared_groups != groups:
            self.warn(record, f"the file trailer counts {declared_groups} groups; the file has {groups}")
        if declared_records != records:
            self.warn(record, f"the file trailer counts {declared_records} records; the file has {records}")
        if declared_total != total:
            self.warn(record, f"the file trailer's control total is {declared_total}; the group trailers "
                              f"add up to {total} (in minor units)")

    # -- values ------------------------------------------------------------------------------------

    @staticmethod
    def statement_id(file_id: str, group: _Group, account: _Account) -> str:
        """file id / group / account, counted from 1: a BAI2 file gives its statements no ids."""
        return f"{file_id}/{group.index}/{account.index}"

    def amount(self, record: _Record, text: str, *, signed: bool, blank_is_zero: bool = True) -> int:
        """An amount in minor units (BAI2 writes no decimal point: 1500 USD cents is "1500")."""
        if not text:
            if blank_is_zero:
                return 0
            raise self.fail(record, "the amount is missing")
        if not _AMOUNT.match(text) or (not signed and text[0] in "+-"):
            kind = "digits with an optional sign" if signed else "digits only"
            raise self.fail(record, f"'{text}' is not an amount (BAI2 amounts are {kind}, in minor units)")
        return int(text)

    def count(self, record: _Record, text: str, what: str) -> int:
        text = _drop_terminator(text).strip()
        if not text.isdigit():
            raise self.fail(record, f"'{text}' is not a {what}")
        return int(text)

    def currency(self, record: _Record, text: str) -> str | None:
        code = text.strip().upper()
        if not code:
            return None
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise self.fail(record, f"'{text.strip()}' is not a currency code such as USD")
        return code

    def yymmdd(self, record: _Record, text: str, what: str) -> date:
        try:
            return datetime.strptime(text.strip(), "%y%m%d").date()
        except ValueError:
            raise self.fail(record, f"the {what} '{text.strip()}' is not a date (YYMMDD)") from None

    @staticmethod
    def money(minor: int, currency: str) -> Decimal:
        return Decimal(minor).scaleb(-minor_units(currency))


def _drop_terminator(text: str) -> str:
    stripped = text.rstrip()
    return stripped[:-1] if stripped.endswith("/") else text
