"""Bank CSV layouts declared as data: loading and validating the TOML profiles the CSV reader follows.

A profile says where the header is, what the columns are called, how dates and numbers are written and
where the sign of an amount lives. Nothing here reads a statement; every problem in a profile file is
reported together, each with the file and the key, so a person can fix them all in one go.
"""

from __future__ import annotations

import codecs
import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from reconcile.errors import ConfigError

SHIPPED_DIR = Path(__file__).resolve().parent / "profiles"

# BankLine fields a profile can fill from columns; booking_date is the only one a profile must map.
FIELDS = (
    "booking_date",
    "value_date",
    "account",
    "currency",
    "counterparty_name",
    "counterparty_iban",
    "remittance",
    "bank_ref",
    "structured_ref",
    "end_to_end_id",
    "bank_tx_code",
)
# Fields whose column may depend on the direction of the money (Wise: "Payer Name" for money in,
# "Payee Name" for money out).
SIGN_DEPENDENT = frozenset({"counterparty_name", "counterparty_iban"})

_ALLOWED: dict[str, frozenset[str]] = {
    "": frozenset(
        {"name", "bank", "description", "source", "file", "header", "dates", "numbers", "amount",
         "columns", "fixed", "preamble", "booked"}
    ),
    "file": frozenset(
        {"encoding", "delimiter", "quote", "skip_lines", "header_search", "end_at_blank_line",
         "footer_prefixes"}
    ),
    "header": frozenset({"required", "aliases"}),
    "dates": frozenset({"formats"}),
    "numbers": frozenset({"decimal", "thousands", "currency_suffix"}),
    "amount": frozenset({"column", "debit_column", "credit_column", "sign_column", "credit_values",
                         "debit_values"}),
    "columns": frozenset(FIELDS),
    "fixed": frozenset({"currency", "account"}),
    "preamble": frozenset({"account", "currency"}),
    "booked": frozenset({"column", "booked", "pending"}),
}  # fmt: skip

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_CURRENCY = re.compile(r"[A-Z]{3}\Z")
DECIMALS = (".", ",")
THOUSANDS = ("", ".", ",", " ", "'")


def norm(name: str) -> str:
    """How header cells are compared: no BOM, no surrounding or doubled spaces, case-insensitive."""
    return " ".join(name.replace("\ufeff", "").split()).casefold()


@dataclass(frozen=True, slots=True)
class Columns:
    """The column(s) one field is read from.

    `names`: for remittance, every column joined; for other fields the first non-empty one. When
    `credit`/`debit` are set instead, the direction of the amount chooses the columns.
    """

    names: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    debit: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        return self.names + self.credit + self.debit


@dataclass(frozen=True, slots=True)
class AmountRule:
    """Where the amount and its sign are: one signed column, debit/credit columns, or an indicator."""

    column: str | None = None
    debit_column: str | None = None
    credit_column: str | None = None
    sign_column: str | None = None
    credit_values: tuple[str, ...] = ()
    debit_values: tuple[str, ...] = ()

    @property
    def mode(self) -> str:
        if self.debit_column:
            return "debit_credit"
        if self.sign_column:
            return "indicator"
        return "signed"

    def columns(self) -> tuple[str, ...]:
        found = (self.column, self.debit_column, self.credit_column, self.sign_column)
        return tuple(c for c in found if c)


@dataclass(frozen=True, slots=True)
class PreambleValue:
    """A value read from the lines above the header: the cell right of `label`, or the one below it."""

    label: str
    position: str = "right"  # "right" | "below"


@dataclass(frozen=True, slots=True)
class BookedRule:
    """Which rows are booked movements; `pending` rows are counted, not read; anything else is an error."""

    column: str
    booked: tuple[str, ...]
    pending: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    bank: str
    booking_date: Columns
    amount: AmountRule
    date_formats: tuple[str, ...]
    description: str = ""
    source: str = ""  # the profile file it was loaded from
    encodings: tuple[str, ...] = ("utf-8",)
    delimiters: tuple[str, ...] = (",",)  # tried in order; some banks offer both ";" and ","
    quote: str = '"'
    skip_lines: int = 0
    header_search: int = 0
    end_at_blank_line: bool = False
    footer_prefixes: tuple[str, ...] = ()
    header_required: tuple[str, ...] = ()
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    decimal: str = "."
    thousands: str = ""
    currency_suffix: bool = False
    columns: Mapping[str, Columns] = field(default_factory=dict)  # every field but booking_date
    fixed_currency: str | None = None
    fixed_account: str | None = None
    preamble: Mapping[str, PreambleValue] = field(default_factory=dict)
    booked: BookedRule | None = None

    @property
    def required(self) -> tuple[str, ...]:
        """The columns a header must have for this profile to claim a file, in a stable order.

        The columns the reader cannot do without (booking date, amount and sign, booked state) are
        always required, whether or not the profile lists them.
        """
        essential: list[str] = []
        if len(self.booking_date.names) == 1:
            essential.append(self.booking_date.names[0])
        essential.extend(self.amount.columns())
        if self.booked:
            essential.append(self.booked.column)
        seen: dict[str, str] = {}
        for name in (*self.header_required, *essential):
            seen.setdefault(norm(name), name)
        return tuple(seen.values())

    def spellings(self, column: str) -> tuple[str, ...]:
        """The column's own name first, then its aliases: the order in which a header is searched."""
        return (column, *self.aliases.get(column, ()))

    def describe(self) -> str:
        return f"the {self.bank} profile ({self.name})"


# ---------------------------------------------------------------------------------------------------
# Loading


def load_profile(path: Path) -> Profile:
    """Read and validate one profile file; raise ConfigError listing every problem found in it."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror or exc})", source=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("is not UTF-8 text", source=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"is not valid TOML ({exc})", source=str(path)) from exc
    return profile_from_dict(raw, source=str(path))


def profile_from_dict(raw: Mapping[str, Any], *, source: str = "<profile>") -> Profile:
    """Build a profile from already-parsed TOML (tests write profiles as plain dicts)."""
    check = _Checker(source)
    profile = check.build(raw)
    if check.problems or profile is None:
        raise ConfigError("; ".join(check.problems), source=source)
    return profile


def load_profiles(dirs: Iterable[Path]) -> list[Profile]:
    """Every `*.toml` profile in the folders, in order; a later folder's profile replaces an earlier
    one of the same name (so a user can correct a shipped layout). Problems in all files are reported
    together."""
    by_name: dict[str, Profile] = {}
    problems: list[str] = []
    for folder in dirs:
        if not folder.is_dir():
            problems.append(f"{folder}: no such folder of CSV profiles")
            continue
        here: dict[str, Path] = {}
        for path in sorted(folder.glob("*.toml")):
            try:
                profile = load_profile(path)
            except ConfigError as exc:
                problems.append(str(exc))
                continue
            if profile.name in here:
                problems.append(f"{path}: name: '{profile.name}' is already the name of {here[profile.name]}")
                continue
            here[profile.name] = path
            by_name[profile.name] = profile
    if problems:
        raise ConfigError("\n".join(problems))
    return list(by_name.values())


def shipped_profiles() -> list[Profile]:
    return load_profiles([SHIPPED_DIR])


# ---------------------------------------------------------------------------------------------------
# Validation


class _Checker:
    """Collects every problem of one profile instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    # -- typed getters: each returns a usable default after recording the problem -----------------

    def table(self, raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, Mapping):
            self.problem(key, f"expected a table ([{key}]), got {_kind(value)}")
            return {}
        self.unknown_keys(value, key)
        return value

    def unknown_keys(self, value: Mapping[str, Any], where: str) -> None:
        allowed = _ALLOWED[where]
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                full = f"{where}.{key}" if where else key
                self.problem(full, f"unknown key{hint}")

    def text(self, raw: Mapping[str, Any], key: str, where: str, default: str | None = None,
             *, required: bool = False) -> str | None:
        full = f"{where}.{key}" if where else key
        if key not in raw:
            if required:
                self.problem(full, "missing")
            return default
        value = raw[key]
        if not isinstance(value, str):
            self.problem(full, f"expected text, got {_kind(value)}")
            return default
        return value

    def texts(self, raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        full = f"{where}.{key}" if where else key
        value = raw.get(key, [])
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(full, f"expected a list of texts, got {_kind(value)}")
            return ()
        return tuple(value)

    def integer(self, raw: Mapping[str, Any], key: str, where: str, default: int) -> int:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(f"{where}.{key}", f"expected a whole number of 0 or more, got {value!r}")
            return default
        return value

    def boolean(self, raw: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"{where}.{key}", f"expected true or false, got {value!r}")
            return default
        return value

    def columns(self, raw: Any, key: str) -> Columns:
        if isinstance(raw, str | list):
            names = self.texts({"v": raw}, "v", "")
            if not names or any(not n.strip() for n in names):
                self.problem(key, "expected a column name or a list of column names")
            return Columns(names=names)
        if isinstance(raw, Mapping):
            field_name = key.rsplit(".", 1)[-1]
            if field_name not in SIGN_DEPENDENT:
                self.problem(key, "only counterparty_name and counterparty_iban can depend on the "
                                  "direction of the money ({credit = ..., debit = ...})")
            extra = set(raw) - {"credit", "debit"}
            if extra:
                self.problem(key, f"unknown key(s) {', '.join(sorted(extra))}; expected credit and debit")
            credit = self.texts(raw, "credit", key)
            debit = self.texts(raw, "debit", key)
            if "credit" not in raw or "debit" not in raw or not (credit or debit):
                self.problem(key, "needs both credit = [...] and debit = [...] (one may be [])")
            return Columns(credit=credit, debit=debit)
        self.problem(key, "expected a column name, a list, or {credit = ..., debit = ...}, "
                          f"got {_kind(raw)}")
        return Columns()

    # -- the profile ---------------------------------------------------------------------------------

    def build(self, raw: Mapping[str, Any]) -> Profile | None:
        self.unknown_keys(raw, "")
        name = self.text(raw, "name", "", required=True) or ""
        if name and not _NAME.match(name):
            self.problem("name", f"'{name}' should be lower-case letters, digits and dashes (e.g. 'ing-nl')")
        bank = self.text(raw, "bank", "", required=True) or name
        description = self.text(raw, "description", "", "") or ""

        file = self.table(raw, "file")
        encodings = self.texts(file, "encoding", "file") or ("utf-8",)
        for enc in encodings:
            try:
                codecs.lookup(enc)
            except LookupError:
                self.problem("file.encoding", f"'{enc}' is not an encoding Python knows (e.g. utf-8, cp1250)")
        delimiters = self.texts(file, "delimiter", "file") or (",",)
        for delimiter in delimiters:
            if len(delimiter) != 1:
                self.problem("file.delimiter", f"expected one character or a list of them, got {delimiter!r}")
        quote = self.text(file, "quote", "file", '"')
        quote = '"' if quote is None else quote
        if len(quote) > 1 or quote in delimiters:
            self.problem("file.quote", f"expected one character (or \"\" for none) other than the delimiter, "
                                       f"got {quote!r}")
        skip_lines = self.integer(file, "skip_lines", "file", 0)
        header_search = self.integer(file, "header_search", "file", 0)
        end_at_blank = self.boolean(file, "end_at_blank_line", "file", False)
        footers = self.texts(file, "footer_prefixes", "file")

        header = self.table(raw, "header")
        header_required = self.texts(header, "required", "header")
        aliases_raw = header.get("aliases", {})
        aliases: dict[str, tuple[str, ...]] = {}
        if not isinstance(aliases_raw, Mapping):
            self.problem("header.aliases",
                         f"expected a table of column = [other spellings], got {_kind(aliases_raw)}")
        else:
            for column in aliases_raw:
                aliases[column] = self.texts(aliases_raw, column, "header.aliases")

        dates = self.table(raw, "dates")
        formats = self.texts(dates, "formats", "dates")
        if not formats:
            self.problem("dates.formats", "missing: list the date format(s), e.g. [\"%d.%m.%Y\"]")
        for fmt in formats:
            if not _date_format_ok(fmt):
                self.problem("dates.formats", f"'{fmt}' does not write and read back a date "
                                              "(use strftime codes such as %Y, %m, %d)")

        numbers = self.table(raw, "numbers")
        decimal = self.text(numbers, "decimal", "numbers", ".") or "."
        thousands = self.text(numbers, "thousands", "numbers", "")
        thousands = "" if thousands is None else thousands
        if decimal not in DECIMALS:
            self.problem("numbers.decimal", f"expected \".\" or \",\", got {decimal!r}")
        if thousands not in THOUSANDS:
            choices = ", ".join(map(repr, THOUSANDS))
            self.problem("numbers.thousands", f"expected one of {choices}, got {thousands!r}")
        elif thousands == decimal:
            self.problem("numbers.thousands", "must differ from numbers.decimal")
        currency_suffix = self.boolean(numbers, "currency_suffix", "numbers", False)

        amount = self.amount(self.table(raw, "amount"))

        columns_raw = self.table(raw, "columns")
        columns: dict[str, Columns] = {}
        for key, value in columns_raw.items():
            if key in FIELDS:
                columns[key] = self.columns(value, f"columns.{key}")
        booking_date = columns.pop("booking_date", None)
        if booking_date is None:
            self.problem("columns.booking_date", "missing: which column holds the booking date?")
            booking_date = Columns()

        fixed = self.table(raw, "fixed")
        fixed_currency = self.text(fixed, "currency", "fixed")
        if fixed_currency is not None and not _CURRENCY.match(fixed_currency):
            self.problem("fixed.currency",
                         f"expected an ISO currency code such as EUR, got {fixed_currency!r}")
        fixed_account = self.text(fixed, "account", "fixed")

        preamble: dict[str, PreambleValue] = {}
        for key, value in self.table(raw, "preamble").items():
            if key not in _ALLOWED["preamble"]:
                continue
            if not isinstance(value, Mapping) or not isinstance(value.get("label"), str):
                self.problem(f"preamble.{key}",
                             "expected {label = \"...\", position = \"right\" or \"below\"}")
                continue
            position = value.get("position", "right")
            if position not in ("right", "below"):
                self.problem(f"preamble.{key}.position", f"expected \"right\" or \"below\", got {position!r}")
            preamble[key] = PreambleValue(label=value["label"], position=str(position))
        if preamble and skip_lines == 0 and header_search == 0:
            self.problem("preamble", "values above the header need file.skip_lines or file.header_search")

        booked = self.booked(self.table(raw, "booked"))

        if not ("currency" in columns or fixed_currency or currency_suffix or "currency" in preamble):
            self.problem("columns.currency", "no currency: set columns.currency, fixed.currency, "
                                             "preamble.currency or numbers.currency_suffix = true")
        if fixed_currency and "currency" in columns:
            self.problem("fixed.currency", "set either fixed.currency or columns.currency, not both")
        self.check_aliases(aliases, booking_date, amount, columns, booked, header_required)

        if self.problems:
            return None
        return Profile(
            name=name, bank=bank, description=description, source=self.source, booking_date=booking_date,
            amount=amount, date_formats=formats, encodings=encodings, delimiters=delimiters, quote=quote,
            skip_lines=skip_lines, header_search=header_search, end_at_blank_line=end_at_blank,
            footer_prefixes=footers, header_required=header_required, aliases=aliases, decimal=decimal,
            thousands=thousands, currency_suffix=currency_suffix, columns=columns,
            fixed_currency=fixed_currency, fixed_account=fixed_account, preamble=preamble, booked=booked,
        )  # fmt: skip

    def amount(self, raw: Mapping[str, Any]) -> AmountRule:
        column = self.text(raw, "column", "amount")
        debit = self.text(raw, "debit_column", "amount")
        credit = self.text(raw, "credit_column", "amount")
        sign = self.text(raw, "sign_column", "amount")
        credit_values = self.texts(raw, "credit_values", "amount")
        debit_values = self.texts(raw, "debit_values", "amount")
        if bool(debit) != bool(credit):
            self.problem("amount", "debit_column and credit_column go together")
        if column and debit:
            self.problem("amount", "give either column (one amount column) or debit_column and "
                                   "credit_column, not both")
        if not column and not debit:
            self.problem("amount", "missing: set column (a signed amount), or debit_column and "
                                   "credit_column, or column with sign_column")
        if sign and not column:
            self.problem("amount.sign_column", "needs amount.column (the unsigned amount)")
        if sign and (not credit_values or not debit_values):
            self.problem("amount.sign_column",
                         "needs credit_values and debit_values (e.g. [\"Bij\"], [\"Af\"])")
        if (credit_values or debit_values) and not sign:
            self.problem("amount.credit_values", "only used with amount.sign_column")
        overlap = {norm(v) for v in credit_values} & {norm(v) for v in debit_values}
        if overlap:
            self.problem("amount", f"{', '.join(sorted(overlap))} cannot mean both credit and debit")
        return AmountRule(column=column, debit_column=debit, credit_column=credit, sign_column=sign,
                          credit_values=credit_values, debit_values=debit_values)

    def booked(self, raw: Mapping[str, Any]) -> BookedRule | None:
        if not raw:
            return None
        column = self.text(raw, "column", "booked", required=True) or ""
        booked = self.texts(raw, "booked", "booked")
        pending = self.texts(raw, "pending", "booked")
        if not booked:
            self.problem("booked.booked", "missing: which values of the column mean the row is booked?")
        overlap = {norm(v) for v in booked} & {norm(v) for v in pending}
        if overlap:
            self.problem("booked", f"{', '.join(sorted(overlap))} cannot be both booked and pending")
        return BookedRule(column=column, booked=booked, pending=pending)

    def check_aliases(self, aliases: Mapping[str, tuple[str, ...]], booking_date: Columns, amount: AmountRule,
                      columns: Mapping[str, Columns], booked: BookedRule | None,
                      required: Sequence[str]) -> None:
        used = {norm(c) for c in (*booking_date.all(), *amount.columns(), *required)}
        used |= {norm(c) for cols in columns.values() for c in cols.all()}
        if booked:
            used.add(norm(booked.column))
        for column in aliases:
            if norm(column) not in used:
                self.problem(f"header.aliases.{column}", "is not a column this profile uses")


def _date_format_ok(fmt: str) -> bool:
    sample = datetime(2023, 11, 28, 13, 45, 30)
    try:
        return datetime.strptime(sample.strftime(fmt), fmt).date() == date(2023, 11, 28)
    except ValueError:
        return False


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__
