"""CSV statements from banks' own export layouts, read by following a declarative profile per layout.

The reader holds every profile; a file belongs to the profile whose header it carries (by content,
never by file name). It never guesses a column, a date order or a decimal separator: the profile says.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from reconcile.errors import AmbiguousStatement, MalformedStatement, UnrecognisedStatement
from reconcile.model import BankLine, ParsedFile, Statement
from reconcile.statements.base import HEAD_BYTES, LineIds, read_bytes
from reconcile.statements.csv_profiles import (
    SHIPPED_DIR,
    Columns,
    Profile,
    load_profiles,
    norm,
    shipped_profiles,
)
from reconcile.statements.text import decode, undecodable

_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}\Z")
_CURRENCY = re.compile(r"[A-Z]{3}\Z")
_SUFFIX = re.compile(r"(.*?)\s*([A-Za-z]{3})\Z")
_THOUSANDS_PATTERN = {"": "", ".": r"\.", ",": ",", " ": "[ \u00a0\u202f]", "'": "['\u2019]"}
_SAMPLE_DATE = datetime(2023, 11, 28)
_PROFILE_PIN_ADVICE = "list only the right encoding in the profile's file.encoding if this is wrong"


class CsvReader:
    """Reads CSV statements with a set of profiles; `identify` finds the one whose header the file has."""

    format_name = "csv"

    def __init__(self, profiles: Sequence[Profile] | None = None) -> None:
        self.profiles: tuple[Profile, ...] = tuple(shipped_profiles() if profiles is None else profiles)

    @classmethod
    def from_dirs(cls, dirs: Iterable[Path]) -> CsvReader:
        """The shipped profiles plus a user's own folders; a user's profile replaces a shipped one of
        the same name."""
        return cls(load_profiles([SHIPPED_DIR, *dirs]))

    def identify(self, path: Path, head: bytes) -> bool:
        """True when the head carries a profile's header, or nearly so (then `parse` says what is
        missing). Raises AmbiguousStatement when two profiles fit equally well."""
        return self._choose(path, head) is not None

    def parse(self, path: Path) -> ParsedFile:
        data = read_bytes(path)
        choice = self._choose(path, data[:HEAD_BYTES])
        if choice is None:
            names = ", ".join(p.name for p in self.profiles)
            raise UnrecognisedStatement(path, f"no CSV profile has this file's header (profiles: {names})")
        if choice.missing:
            missing = ", ".join(f"'{c}'" for c in choice.missing)
            expected = ", ".join(f"'{c}'" for c in choice.profile.required)
            plural = "s" if len(choice.missing) > 1 else ""
            raise MalformedStatement(
                path,
                f"no column{plural} {missing} ({choice.profile.describe()} expects {expected})",
                place=f"line {choice.line + 1}",
            )
        text, note = _decode_all(path, data, choice.profile.encodings)
        parsed = _ProfileParse(path, choice.profile, choice.delimiter, text, choice.line).run()
        return replace(parsed, warnings=(note, *parsed.warnings)) if note else parsed

    # -- detection ---------------------------------------------------------------------------------

    def _choose(self, path: Path, head: bytes) -> _Choice | None:
        if b"\x00" in head:
            return None  # binary (or UTF-16): not a CSV we read
        full: list[_Choice] = []
        near: list[_Choice] = []
        decoded: dict[tuple[str, ...], list[str]] = {}
        for profile in self.profiles:
            if profile.encodings not in decoded:
                decoded[profile.encodings] = _head_lines(head, profile.encodings)
            choice = _match(profile, decoded[profile.encodings])
            if choice is None:
                continue
            (near if choice.missing else full).append(choice)
        for pool in (full, near):
            if not pool:
                continue
            best = max(c.score for c in pool)
            top = [c for c in pool if c.score == best]
            if len(top) == 1:
                return top[0]
            if pool is near:
                return None  # nearly two layouts: saying which columns are missing would mislead
            names = ", ".join(c.profile.name for c in top)
            raise AmbiguousStatement(
                path, f"more than one CSV profile fits this file equally well ({names}); "
                      "make one of them require a column the other lacks",
            )  # fmt: skip
        return None


@dataclass(frozen=True, slots=True)
class _Choice:
    profile: Profile
    delimiter: str
    line: int  # 0-based index of the header's physical line
    missing: tuple[str, ...]
    score: int  # required columns present


def _head_lines(head: bytes, encodings: Sequence[str]) -> list[str]:
    """The head's complete physical lines in the first encoding that fits (a cut-off last line is
    dropped, and with it a multi-byte character the 8 KiB cut may have split).

    A byte that fits no encoding does not hide the header: the head is then read with replacement
    characters, and `parse` names the byte and its line.
    """
    truncated = len(head) >= HEAD_BYTES
    text: str | None = None
    for encoding in encodings:
        try:
            text = head.decode(encoding)
            break
        except UnicodeDecodeError as exc:
            if truncated and exc.start >= len(head) - 4:
                text = head[: exc.start].decode(encoding, errors="replace")
                break
    if text is None:
        text = head.decode(encodings[0], errors="replace")
    lines = io.StringIO(text.lstrip("\ufeff"), newline="").readlines()
    if truncated and lines:
        lines.pop()
    return [line.rstrip("\r\n") for line in lines]


def _cells(profile: Profile, delimiter: str, line: str) -> list[str]:
    try:
        return next(_reader(profile, delimiter, [line]), [])
    except csv.Error:
        return []


def _reader(profile: Profile, delimiter: str, source: Iterable[str]) -> _Rows:
    if not profile.quote:
        return csv.reader(source, delimiter=delimiter, quoting=csv.QUOTE_NONE)
    return csv.reader(source, delimiter=delimiter, quotechar=profile.quote)


def _match(profile: Profile, lines: Sequence[str]) -> _Choice | None:
    """The header line of this profile in the head: all required columns (a full match), or at least
    half of them and three (a near match, worth an error naming what is missing)."""
    required = profile.required
    enough = max(3, math.ceil(len(required) / 2))
    best: _Choice | None = None
    last = min(len(lines), profile.skip_lines + profile.header_search + 1)
    for index in range(profile.skip_lines, last):
        for delimiter in profile.delimiters:
            present = {norm(c) for c in _cells(profile, delimiter, lines[index])}
            missing = tuple(c for c in required if not any(norm(s) in present for s in profile.spellings(c)))
            score = len(required) - len(missing)
            if not missing:
                return _Choice(profile, delimiter, index, (), score)
            if score >= enough and (best is None or score > best.score):
                best = _Choice(profile, delimiter, index, missing, score)
    return best


def _decode_all(path: Path, data: bytes, encodings: Sequence[str]) -> tuple[str, str | None]:
    """The file's text in the profile's encoding (one listed: as given; several: the one its letters fit),
    and the warning that says which was chosen when there was a choice."""
    data = data.removeprefix(codecs.BOM_UTF8)  # so that a byte's offset below is the file's
    try:
        if len(encodings) == 1:
            decoded = decode(data, pinned=encodings[0])
        else:
            decoded = decode(data, candidates=encodings)
    except UnicodeDecodeError as exc:
        byte, place = undecodable(data, exc)
        raise MalformedStatement(
            path, f"byte {byte} is not text in {' or '.join(encodings)}, the encodings this bank's exports use",
            place=place,
        ) from None  # fmt: skip
    return decoded.text, decoded.warning(path.name, fix=_PROFILE_PIN_ADVICE)


# -------------------------------------------------------------------------------------------------
# Reading the rows


def amount_reader(decimal: str, thousands: str) -> Callable[[str], Decimal]:
    """Exact amounts as written by banks: "1.234,56", "-12,00", "12,00-", "(12.00)", "+5".

    Thousands separators must group by three, so a misdeclared profile fails loudly instead of
    turning 12.34 into 1234.
    """
    sep = _THOUSANDS_PATTERN[thousands]
    whole = rf"\d{{1,3}}(?:{sep}\d{{3}})+|\d+" if sep else r"\d+"
    pattern = re.compile(rf"(?P<whole>{whole})(?:{re.escape(decimal)}(?P<frac>\d+))?")
    strip = re.compile(sep) if sep else None

    def read(raw: str) -> Decimal:
        text = raw.strip()
        negative = False
        if text.startswith("(") and text.endswith(")"):
            negative, text = True, text[1:-1].strip()
        elif text[:1] in ("-", "\u2212"):
            negative, text = True, text[1:].lstrip()
        elif text[:1] == "+":
            text = text[1:].lstrip()
        elif text[-1:] in ("-", "\u2212"):
            negative, text = True, text[:-1].rstrip()
        elif text[-1:] == "+":
            text = text[:-1].rstrip()
        match = pattern.fullmatch(text)
        if match is None:
            raise ValueError(raw)
        whole_part = strip.sub("", match["whole"]) if strip else match["whole"]
        value = Decimal(f"{whole_part}.{match['frac']}" if match["frac"] else whole_part)
        return -value if negative and value else value

    return read


def date_reader(formats: Sequence[str]) -> Callable[[str], date]:
    """Dates in the profile's formats, tried in order; repeated dates are looked up, not re-parsed."""
    seen: dict[str, date] = {}

    def read(raw: str) -> date:
        found = seen.get(raw)
        if found is not None:
            return found
        text = raw.strip()
        for fmt in formats:
            try:
                found = datetime.strptime(text, fmt).date()
            except ValueError:
                continue
            seen[raw] = found
            return found
        raise ValueError(raw)

    return read


def clean_iban(raw: str) -> str | None:
    """Account numbers of the other party: IBANs compact and upper case; anything else as given.

    Some banks guard numbers against spreadsheets with apostrophes ('12345...'); those go too.
    """
    text = raw.strip().strip("'").strip()
    if not text:
        return None
    compact = "".join(text.split()).upper()
    return compact if _IBAN_SHAPE.match(compact) else text


def _collapse(text: str) -> str:
    return " ".join(text.split())


class _ProfileParse:
    """One file read with one profile: the header's columns located once, then every row."""

    def __init__(self, path: Path, profile: Profile, delimiter: str, text: str, header_line: int) -> None:
        self.path = path
        self.profile = profile
        self.delimiter = delimiter
        self.text = text
        self.header_line = header_line
        self.warnings: list[str] = []
        self.read_amount = amount_reader(profile.decimal, profile.thousands)
        self.read_date = date_reader(profile.date_formats)
        self.example_date = _SAMPLE_DATE.strftime(profile.date_formats[0])
        self.credit_values = {norm(v) for v in profile.amount.credit_values}
        self.debit_values = {norm(v) for v in profile.amount.debit_values}
        self.accounts: dict[str, str] = {}

    def run(self) -> ParsedFile:
        stream = io.StringIO(self.text, newline="")
        preamble = [stream.readline().rstrip("\r\n") for _ in range(self.header_line)]
        reader = _reader(self.profile, self.delimiter, stream)
        try:
            header = next(reader)
        except (StopIteration, csv.Error) as exc:
            raise MalformedStatement(self.path, "the header row cannot be read",
                                     place=f"line {self.header_line + 1}") from exc
        self.header = [c.strip() for c in header]
        self.index = self._index(self.header)
        self.preamble_values = self._preamble(preamble)
        return self._rows(reader)

    # -- columns -------------------------------------------------------------------------------------

    def _index(self, header: Sequence[str]) -> dict[str, int]:
        """Canonical column name -> position, for every column the profile mentions and the file has.

        A column's own name wins over its aliases (Revolut: "Total amount" over the older "Amount").
        """
        positions: dict[str, int] = {}
        for i, cell in enumerate(header):
            positions.setdefault(norm(cell), i)
        p = self.profile
        wanted = set(p.required) | set(p.booking_date.all()) | set(p.amount.columns())
        for cols in p.columns.values():
            wanted |= set(cols.all())
        if p.booked:
            wanted.add(p.booked.column)
        index: dict[str, int] = {}
        for column in wanted:
            for spelling in p.spellings(column):
                if norm(spelling) in positions:
                    index[column] = positions[norm(spelling)]
                    break
        return index

    def _positions(self, names: Sequence[str]) -> tuple[int, ...]:
        return tuple(self.index[n] for n in names if n in self.index)

    def _preamble(self, lines: Sequence[str]) -> dict[str, str]:
        """Values the bank wrote above the header (mBank, Deutsche Bank: the account number)."""
        found: dict[str, str] = {}
        rows = [_cells(self.profile, self.delimiter, line) for line in lines]
        for key, spec in self.profile.preamble.items():
            label = norm(spec.label)
            for r, row in enumerate(rows):
                cols = [i for i, cell in enumerate(row) if norm(cell) == label]
                if not cols:
                    continue
                value = ""
                if spec.position == "right":
                    value = row[cols[0] + 1].strip() if cols[0] + 1 < len(row) else ""
                else:
                    below = next((b for b in rows[r + 1 :] if any(c.strip() for c in b)), [])
                    value = below[cols[0]].strip() if cols[0] < len(below) else ""
                if value:
                    found[key] = value
                    break
        return found

    # -- rows ----------------------------------------------------------------------------------------

    def _rows(self, reader: _Rows) -> ParsedFile:
        p = self.profile
        path = self.path
        cols = {name: self._positions(c.names) for name, c in p.columns.items()}
        sided = {name: (self._positions(c.credit), self._positions(c.debit))
                 for name, c in p.columns.items() if c.credit or c.debit}  # fmt: skip
        booking_pos = self._positions(p.booking_date.names)
        used = [*booking_pos, *(i for v in cols.values() for i in v),
                *(i for c, d in sided.values() for i in (*c, *d)),
                *self._positions(p.amount.columns()),
                *self._positions([p.booked.column] if p.booked else [])]  # fmt: skip
        width = max(used) + 1
        footers = tuple(norm(f) for f in p.footer_prefixes)
        booked = {norm(v) for v in p.booked.booked} if p.booked else set()
        pending = {norm(v) for v in p.booked.pending} if p.booked else set()
        booked_pos = self.index[p.booked.column] if p.booked else -1

        account_default = self.preamble_values.get("account") or p.fixed_account or ""
        currency_default = p.fixed_currency or self.preamble_values.get("currency", "").upper() or None
        ids = LineIds()
        groups: dict[tuple[str, str], list[BankLine]] = {}
        pending_counts: dict[tuple[str, str], int] = {}
        no_account = False
        while True:
            # reader.line_num counts the physical lines read after the preamble, header included.
            line_no = self.header_line + reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise MalformedStatement(path, f"the row cannot be read as CSV ({exc})",
                                         place=f"line {line_no}") from exc
            if not any(cell.strip() for cell in row):
                if p.end_at_blank_line:
                    break
                continue
            if footers:
                lead = norm(next(c for c in row if c.strip()))
                if lead.startswith(footers):
                    break
            if len(row) < width:
                raise MalformedStatement(
                    path, f"the row has {len(row)} columns but the header has {len(self.header)}; "
                          "a delimiter or quote may be missing or extra",
                    place=f"line {line_no}",
                )  # fmt: skip
            account = self._first(row, cols.get("account", ())) or account_default
            if p.booked:
                state = norm(row[booked_pos])
                if state not in booked:
                    if state in pending:
                        key = (self._account(account), self._lenient_currency(row, cols, currency_default))
                        pending_counts[key] = pending_counts.get(key, 0) + 1
                        continue
                    raise MalformedStatement(
                        path,
                        f"'{row[booked_pos].strip()}' is neither booked ({_quoted(p.booked.booked)}) nor "
                        f"pending ({_quoted(p.booked.pending)}); add it to the profile's [booked] lists",
                        place=self._place(line_no, booked_pos),
                    )
            line = self._line(row, line_no, cols, sided, booking_pos, account, currency_default, ids)
            no_account = no_account or not line.account
            groups.setdefault((line.account, line.currency), []).append(line)

        if no_account:
            self.warnings.append(
                f"{path.name}: the file names no account of ours ({p.describe()} reads none); "
                "its lines are not tied to an account"
            )
        keys = list(dict.fromkeys([*groups, *pending_counts]))
        statements = tuple(
            Statement(statement_id=None, account=account, currency=currency or None,
                      lines=tuple(groups.get((account, currency), ())),
                      pending_count=pending_counts.get((account, currency), 0))
            for account, currency in keys
        )  # fmt: skip
        if not groups:
            self.warnings.append(f"{path.name}: no booked movements in the file")
        return ParsedFile(path=str(path), source_format=f"csv:{p.name}", statements=statements,
                          warnings=tuple(self.warnings))

    def _line(self, row: list[str], line_no: int, cols: dict[str, tuple[int, ...]],
              sided: dict[str, tuple[tuple[int, ...], tuple[int, ...]]], booking_pos: tuple[int, ...],
              account: str, currency_default: str | None, ids: LineIds) -> BankLine:
        amount, currency = self._amount(row, line_no, cols, currency_default)
        booking_date = self._date(row, line_no, booking_pos, required=True)
        assert booking_date is not None
        value_date = self._date(row, line_no, cols.get("value_date", ()), required=False)
        name = self._sided(row, cols, sided, "counterparty_name", amount)
        iban = self._sided(row, cols, sided, "counterparty_iban", amount)
        remittance = " ".join(t for t in (_collapse(row[i]) for i in cols.get("remittance", ())) if t)
        bank_ref = LineIds.clean_ref(self._first(row, cols.get("bank_ref", ())))
        account = self._account(account)
        counterparty = _collapse(name) if name else None
        return BankLine(
            line_id=ids.allocate(account=account, bank_ref=bank_ref, booking_date=booking_date, amount=amount,
                                 currency=currency, remittance=remittance, counterparty=counterparty),
            bank_ref=bank_ref,
            account=account,
            currency=currency,
            amount=amount,
            booking_date=booking_date,
            value_date=value_date,
            counterparty_name=counterparty,
            counterparty_iban=clean_iban(iban) if iban else None,
            remittance=remittance,
            structured_ref=self._first(row, cols.get("structured_ref", ())),
            end_to_end_id=LineIds.clean_ref(self._first(row, cols.get("end_to_end_id", ()))),
            bank_tx_code=self._first(row, cols.get("bank_tx_code", ())),
            source_file=str(self.path),
            source_format=f"csv:{self.profile.name}",
        )

    # -- cells ---------------------------------------------------------------------------------------

    def _place(self, line_no: int, position: int) -> str:
        return f"line {line_no}, column '{self.header[position]}'"

    @staticmethod
    def _first(row: list[str], positions: Sequence[int]) -> str | None:
        for i in positions:
            value = row[i].strip()
            if value:
                return value
        return None

    def _sided(self, row: list[str], cols: dict[str, tuple[int, ...]],
               sided: dict[str, tuple[tuple[int, ...], tuple[int, ...]]], field: str,
               amount: Decimal) -> str | None:
        if field in sided:
            credit, debit = sided[field]
            return self._first(row, debit if amount < 0 else credit)
        return self._first(row, cols.get(field, ()))

    def _account(self, raw: str) -> str:
        """Our account: an IBAN compact and upper case, anything else as the bank wrote it."""
        found = self.accounts.get(raw)
        if found is None:
            text = raw.strip()
            compact = "".join(text.split()).upper()
            found = self.accounts[raw] = compact if _IBAN_SHAPE.match(compact) else text
        return found

    def _date(self, row: list[str], line_no: int, positions: Sequence[int], *, required: bool) -> date | None:
        if not positions:
            return None
        raw = row[positions[0]]
        if not raw.strip() and not required:
            return None
        try:
            return self.read_date(raw)
        except ValueError:
            raise MalformedStatement(
                self.path,
                f"'{raw.strip()}' is not a date (this profile reads dates like {self.example_date})",
                place=self._place(line_no, positions[0]),
            ) from None

    def _number(self, row: list[str], line_no: int, position: int) -> tuple[Decimal | None, str | None]:
        """One amount cell: (amount, currency written in it) or (None, None) when empty."""
        raw = row[position].strip()
        if not raw:
            return None, None
        suffix = None
        text = raw
        if self.profile.currency_suffix:
            match = _SUFFIX.fullmatch(raw)
            if match:
                text, suffix = match[1], match[2].upper()
        try:
            return self.read_amount(text), suffix
        except ValueError:
            raise MalformedStatement(self.path, f"'{raw}' is not an amount",
                                     place=self._place(line_no, position)) from None

    def _amount(self, row: list[str], line_no: int, cols: dict[str, tuple[int, ...]],
                currency_default: str | None) -> tuple[Decimal, str]:
        rule = self.profile.amount
        suffix: str | None = None
        if rule.mode == "debit_credit":
            assert rule.debit_column and rule.credit_column
            d_pos, c_pos = self.index[rule.debit_column], self.index[rule.credit_column]
            debit, d_suffix = self._number(row, line_no, d_pos)
            credit, c_suffix = self._number(row, line_no, c_pos)
            if debit and credit:
                raise MalformedStatement(
                    self.path, f"both '{self.header[d_pos]}' and '{self.header[c_pos]}' hold an amount; "
                               "a movement is either money out or money in",
                    place=f"line {line_no}",
                )  # fmt: skip
            if debit is None and credit is None:
                raise MalformedStatement(
                    self.path, f"neither '{self.header[d_pos]}' nor '{self.header[c_pos]}' holds an amount",
                    place=f"line {line_no}",
                )
            # Banks write money out in the debit column either as "50,00" or as "-50,00".
            amount = -abs(debit) if debit else abs(credit or Decimal(0))
            suffix = d_suffix if debit else c_suffix
            position = d_pos if debit else c_pos
        else:
            assert rule.column
            position = self.index[rule.column]
            value, suffix = self._number(row, line_no, position)
            if value is None:
                raise MalformedStatement(self.path, "'' is not an amount",
                                         place=self._place(line_no, position))
            amount = value
            if rule.mode == "indicator":
                assert rule.sign_column
                amount = self._indicated(row, line_no, value, position)
        currency = self._currency(row, line_no, cols, currency_default, suffix, position)
        return amount, currency

    def _indicated(self, row: list[str], line_no: int, value: Decimal, position: int) -> Decimal:
        rule = self.profile.amount
        assert rule.sign_column
        s_pos = self.index[rule.sign_column]
        raw = row[position].strip()
        if raw[:1] in "-+(\u2212" or raw[-1:] in "-+)\u2212":
            raise MalformedStatement(
                self.path,
                f"'{raw}' carries a sign, but this profile takes the sign from '{self.header[s_pos]}'",
                place=self._place(line_no, position),
            )
        indicator = norm(row[s_pos])
        if indicator in self.credit_values:
            return value
        if indicator in self.debit_values:
            return -value if value else value
        raise MalformedStatement(
            self.path,
            f"'{row[s_pos].strip()}' is neither {_quoted(rule.credit_values)} (money in) nor "
            f"{_quoted(rule.debit_values)} (money out)",
            place=self._place(line_no, s_pos),
        )

    def _currency(self, row: list[str], line_no: int, cols: dict[str, tuple[int, ...]],
                  default: str | None, suffix: str | None, amount_pos: int) -> str:
        positions = cols.get("currency", ())
        if positions:
            raw = row[positions[0]].strip()
            code = raw.upper()
            if not _CURRENCY.match(code):
                raise MalformedStatement(self.path, f"'{raw}' is not a currency code such as EUR",
                                         place=self._place(line_no, positions[0]))
            if suffix and suffix != code:
                raise MalformedStatement(
                    self.path, f"the amount is in {suffix} but the currency column says {code}",
                    place=self._place(line_no, amount_pos),
                )
            return code
        if suffix:
            if not _CURRENCY.match(suffix):
                raise MalformedStatement(self.path, f"'{suffix}' is not a currency code such as EUR",
                                         place=self._place(line_no, amount_pos))
            return suffix
        if default:
            return default
        raise MalformedStatement(
            self.path,
            f"'{row[amount_pos].strip()}' has no currency (this profile expects amounts like '12,00 PLN')",
            place=self._place(line_no, amount_pos),
        )

    def _lenient_currency(self, row: list[str], cols: dict[str, tuple[int, ...]], default: str | None) -> str:
        """The currency of a pending row, for counting it against the right statement; never fails."""
        positions = cols.get("currency", ())
        if positions and _CURRENCY.match(row[positions[0]].strip().upper()):
            return row[positions[0]].strip().upper()
        if self.profile.currency_suffix and self.profile.amount.column:
            match = _SUFFIX.fullmatch(row[self.index[self.profile.amount.column]].strip())
            if match and _CURRENCY.match(match[2].upper()):
                return match[2].upper()
        return default or ""


class _Rows(Protocol):
    """What we use of a csv reader: rows, and the physical lines consumed so far."""

    line_num: int

    def __next__(self) -> list[str]: ...


def _quoted(values: Sequence[str]) -> str:
    return " or ".join(f"'{v}'" for v in values) if values else "none"


__all__ = ["Columns", "CsvReader", "amount_reader", "clean_iban", "date_reader"]
