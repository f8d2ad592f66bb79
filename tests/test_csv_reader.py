"""CsvReader with the shipped bank profiles: real export layouts, broken files, profile validation, and
round trips through the CSV writer."""

from __future__ import annotations

import string
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.errors import AmbiguousStatement, ConfigError, MalformedStatement, UnrecognisedStatement
from reconcile.model import BankLine, ParsedFile
from reconcile.money import minor_units
from reconcile.statements.base import read_head
from reconcile.statements.csv_profiles import Profile, load_profile, profile_from_dict, shipped_profiles
from reconcile.statements.csv_reader import CsvReader, amount_reader, clean_iban
from reconcile.statements.writers.csv import profile_named, write_benchmark_file, write_csv

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "csv"
SHIPPED = sorted(p.name for p in shipped_profiles())


def read(name: str) -> ParsedFile:
    path = FIXTURES / name
    reader = CsvReader()
    assert reader.identify(path, read_head(path))
    return reader.parse(path)


def error(name: str) -> str:
    with pytest.raises(MalformedStatement) as caught:
        read(name)
    return str(caught.value)


def minimal(**overrides: Any) -> dict[str, Any]:
    """A small valid profile as plain data; tests change one thing at a time."""
    raw: dict[str, Any] = {
        "name": "test-bank",
        "bank": "Test Bank",
        "header": {"required": ["Date", "Amount", "Text"]},
        "dates": {"formats": ["%Y-%m-%d"]},
        "amount": {"column": "Amount"},
        "columns": {"booking_date": "Date", "remittance": ["Text"]},
        "fixed": {"currency": "EUR"},
    }
    raw.update(overrides)
    return raw


# -- the shipped profiles ----------------------------------------------------------------------------------


def test_the_shipped_profiles_load_and_validate() -> None:
    assert SHIPPED == ["deutsche-bank", "ing-nl", "mbank-pl", "reconcile", "revolut-business",
                       "sparkasse-camt", "sparkasse-mt940", "wise"]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("ing-nl.csv", "ing-nl"), ("ing-nl-comma.csv", "ing-nl"), ("ing-nl-english.csv", "ing-nl"),
        ("sparkasse-camt.csv", "sparkasse-camt"), ("sparkasse-mt940.csv", "sparkasse-mt940"),
        ("deutsche-bank.csv", "deutsche-bank"), ("deutsche-bank-2017.csv", "deutsche-bank"),
        ("mbank-pl.csv", "mbank-pl"), ("revolut-business.csv", "revolut-business"), ("wise.csv", "wise"),
        ("reconcile.csv", "reconcile"),
    ],
)  # fmt: skip
def test_each_export_is_recognised_by_its_header(name: str, profile: str) -> None:
    assert read(name).source_format == f"csv:{profile}"


def test_ing_sign_comes_from_af_bij_and_amounts_have_a_decimal_comma() -> None:
    lines = read("ing-nl.csv").lines
    assert [ln.amount for ln in lines] == [Decimal("-2.35"), Decimal("1250.00"), Decimal("-34.82"),
                                           Decimal("-34.82")]  # fmt: skip
    assert {(ln.account, ln.currency) for ln in lines} == {("NL08INGB0006130373", "EUR")}
    assert lines[0].booking_date == date(2023, 7, 13)


def test_ing_counterparty_iban_is_compacted_and_names_and_texts_are_kept() -> None:
    line = read("ing-nl.csv").lines[1]
    assert line.counterparty_name == "Bakkerij De Korenschoof B.V."
    assert line.counterparty_iban == "NL91ABNA0417164300"
    assert line.remittance.startswith("Naam: Bakkerij De Korenschoof B.V. Omschrijving: FV-2023-0142 ")
    assert (line.bank_ref, line.bank_tx_code) == (None, "OV")


def test_two_identical_card_payments_on_one_day_stay_two_lines() -> None:
    lines = read("ing-nl.csv").lines
    assert lines[2].remittance == lines[3].remittance
    assert lines[2].line_id != lines[3].line_id


def test_line_ids_are_the_same_when_the_file_is_read_again() -> None:
    assert [ln.line_id for ln in read("ing-nl.csv").lines] == [ln.line_id for ln in read("ing-nl.csv").lines]


def test_ing_older_comma_separated_download_is_read_with_the_same_profile() -> None:
    assert [ln.amount for ln in read("ing-nl-comma.csv").lines] == [Decimal("-1.25"), Decimal("75.00")]


def test_ing_english_column_names_are_aliases() -> None:
    lines = read("ing-nl-english.csv").lines
    assert [(ln.amount, ln.counterparty_name) for ln in lines] == [
        (Decimal("500.00"), "Acme B.V."), (Decimal("-89.10"), "Energie Direct"),
    ]  # fmt: skip


def test_sparkasse_pre_noted_rows_are_counted_not_read() -> None:
    (statement,) = read("sparkasse-camt.csv").statements
    assert (len(statement.lines), statement.pending_count) == (2, 1)
    assert [ln.amount for ln in statement.lines] == [Decimal("1190.00"), Decimal("-55.08")]


def test_sparkasse_windows_1252_names_dates_and_end_to_end_reference() -> None:
    credit, debit = read("sparkasse-camt.csv").lines
    assert credit.counterparty_name == "Müller & Söhne GmbH"
    assert (debit.booking_date, debit.value_date) == (date(2023, 9, 24), date(2023, 9, 25))
    assert (credit.end_to_end_id, debit.end_to_end_id) == (None, "EREF-456")  # NOTPROVIDED is no reference
    assert debit.counterparty_iban == "DE55370500000123456789"


def test_sparkasse_mt940_layout_keeps_a_domestic_account_number_as_given() -> None:
    line = read("sparkasse-mt940.csv").lines[0]
    assert (line.account, line.counterparty_iban, line.booking_date) == ("1234567890", "0532013000",
                                                                         date(2024, 1, 5))  # fmt: skip


def test_deutsche_bank_account_comes_from_above_the_header_and_the_footer_is_not_a_line() -> None:
    parsed = read("deutsche-bank.csv")
    assert [(ln.account, ln.amount) for ln in parsed.lines] == [
        ("DE89370400440532013000", Decimal("-1000.00")), ("DE89370400440532013000", Decimal("750")),
    ]  # fmt: skip
    assert parsed.lines[1].value_date == date(2026, 7, 1)
    assert parsed.warnings == (
        "deutsche-bank.csv: no text encoding declared; read as UTF-8, the one its letters fit (as Windows-1252, "
        "'Umsätze' would read 'UmsÃ¤tze'); list only the right encoding in the profile's file.encoding if this "
        "is wrong",
    )


def test_deutsche_bank_2017_export_has_its_amounts_only_in_soll_and_haben() -> None:
    parsed = read("deutsche-bank-2017.csv")
    assert [(ln.amount, ln.counterparty_name) for ln in parsed.lines] == [
        (Decimal("-999.99"), "xyz Corp."), (Decimal("47.11"), "Meier and Comp."),
    ]  # fmt: skip


def test_an_mbank_export_in_cp1250_that_is_valid_utf8_is_read_as_cp1250_and_said(tmp_path: Path) -> None:
    # mBank's profile allows UTF-8 and cp1250. With its only Polish letters in "SPÓŁKA" (cp1250 D3 A3, also
    # the UTF-8 of "ӣ"), the bytes are valid UTF-8; taking the first encoding that decodes would misread it.
    text = (FIXTURES / "mbank-pl.csv").read_bytes().decode("cp1250")
    ascii_only = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    ascii_only = ascii_only.encode("ascii", errors="ignore").decode("ascii")
    path = tmp_path / "mbank.csv"
    path.write_bytes(ascii_only.replace("JAN KOWALSKI", "NOWAK I SYNOWIE SPÓŁKA JAWNA").encode("cp1250"))
    path.read_bytes().decode("utf-8")  # the trap: valid UTF-8
    parsed = CsvReader().parse(path)
    assert parsed.warnings[0] == (
        "mbank.csv: no text encoding declared; read as Windows-1250, the one its letters fit (as UTF-8, 'SPÓŁKA' "
        "would read 'SPӣKA'); list only the right encoding in the profile's file.encoding if this is wrong"
    )


def test_a_file_that_names_no_account_says_so() -> None:
    parsed = read("deutsche-bank-2017.csv")
    assert parsed.warnings[1:] == (
        "deutsche-bank-2017.csv: the file names no account of ours (the Deutsche Bank profile "
        "(deutsche-bank) reads none); its lines are not tied to an account",
    )
    assert {ln.account for ln in parsed.lines} == {""}


def test_mbank_amounts_carry_their_currency_and_a_space_between_thousands() -> None:
    lines = read("mbank-pl.csv").lines
    assert [ln.amount for ln in lines] == [Decimal("2000.00"), Decimal("15.80"), Decimal("-31.60"),
                                           Decimal("-1201.20")]  # fmt: skip
    assert {(ln.currency, ln.account) for ln in lines} == {("PLN", "eKonto 1111 ... 5678")}


def test_mbank_windows_1250_polish_letters_and_the_header_below_a_preamble() -> None:
    line = read("mbank-pl.csv").lines[0]
    assert line.remittance == "PRZELEW ZEWNĘTRZNY PRZYCHODZĄCY FAKTURA FV/17/2023 ŻÓŁW SP. Z O.O."
    assert line.booking_date == date(2023, 2, 11)


def test_revolut_accounts_become_statements_and_only_completed_rows_are_lines() -> None:
    statements = read("revolut-business.csv").statements
    assert [(st.account, st.currency, len(st.lines), st.pending_count) for st in statements] == [
        ("EUR Main", "EUR", 2, 1), ("USD Main", "USD", 1, 1),
    ]  # fmt: skip


def test_revolut_total_amount_includes_the_fee_and_the_id_is_the_bank_reference() -> None:
    debit = read("revolut-business.csv").lines[1]
    assert (debit.amount, debit.bank_ref) == (Decimal("-300.50"), "6411f1a2-0002-a1b2-9c3d-000000000002")


def test_counterparty_columns_follow_the_direction_of_the_money() -> None:
    credit, debit = read("revolut-business.csv").lines[:2]
    assert credit.counterparty_name == "Kowalski Software Sp. z o.o."
    assert credit.counterparty_iban == "PL61109010140000071219812874"
    assert (debit.counterparty_name, debit.counterparty_iban) == ("Müller GmbH", "DE89370400440532013000")


def test_wise_payer_for_money_in_payee_or_merchant_for_money_out() -> None:
    lines = read("wise.csv").lines
    assert [ln.counterparty_name for ln in lines] == ["Albert Heijn", "Piet Pietersen", "Werkgever BV"]
    assert [ln.bank_ref for ln in lines] == ["CARD-123", "TRANSFER-456", "TRANSFER-789"]
    assert lines[1].remittance == "Sent money to Piet Pietersen Huur"


def test_reconcile_layout_reads_every_optional_column() -> None:
    first = read("reconcile.csv").lines[0]
    assert (first.amount, first.value_date, first.structured_ref) == (Decimal("1234.56"), date(2024, 3, 2),
                                                                      "RF18539007547034")  # fmt: skip
    assert first.counterparty_name == "Żółw Sp. z o.o."
    assert first.counterparty_iban == "PL61109010140000071219812874"
    assert first.remittance == "Faktura FV/2024/03/001, dziękujemy"
    assert (first.bank_ref, first.source_format, first.statement_id) == ("BNK-0001", "csv:reconcile", None)


# -- broken files --------------------------------------------------------------------------------------------


BROKEN = {
    "ing-nl-bad-amount.csv":
        ", line 7, column 'Bedrag (EUR)': '12,3x' is not an amount",
    "ing-nl-missing-column.csv":
        ", line 1: no column 'Datum' (the ING Netherlands profile (ing-nl) expects 'Datum', "
        "'Naam / Omschrijving', 'Rekening', 'Tegenrekening', 'Code', 'Af Bij', 'Bedrag (EUR)', "
        "'Mutatiesoort', 'Mededelingen')",
    "ing-nl-bad-indicator.csv":
        ", line 2, column 'Af Bij': 'Op' is neither 'Bij' or 'Credit' (money in) nor 'Af' or 'Debit' "
        "(money out)",
    "ing-nl-short-row.csv":
        ", line 3: the row has 8 columns but the header has 9; a delimiter or quote may be missing or extra",
    "sparkasse-camt-bad-date.csv":
        ", line 2, column 'Buchungstag': '31.09.23' is not a date (this profile reads dates like 28.11.23)",
    "sparkasse-camt-not-text.csv":
        ", line 2: byte 0x81 is not text in utf-8-sig or cp1252, the encodings this bank's exports use",
    "revolut-business-unknown-state.csv":
        ", line 3, column 'State': 'ON_HOLD' is neither booked ('COMPLETED') nor pending ('PENDING' or "
        "'DECLINED' or 'REVERTED' or 'FAILED' or 'CANCELLED'); add it to the profile's [booked] lists",
    "deutsche-bank-both-sides.csv":
        ", line 3: both 'Soll' and 'Haben' hold an amount; a movement is either money out or money in",
    "mbank-pl-wrong-currency.csv":
        ", line 2, column '#Kwota': '15,80' has no currency (this profile expects amounts like '12,00 PLN')",
}  # fmt: skip


@pytest.mark.parametrize(("name", "message"), sorted(BROKEN.items()))
def test_broken_file_names_the_line_and_the_column(name: str, message: str) -> None:
    assert error(f"broken/{name}") == name + message


def test_a_csv_no_profile_knows_is_not_claimed(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Buchung;Valuta;Betrag\n01.01.2024;01.01.2024;1,00\n")
    assert not CsvReader().identify(path, read_head(path))
    with pytest.raises(UnrecognisedStatement):
        CsvReader().parse(path)


@pytest.mark.parametrize(
    "head",
    [
        b"01,BANK,CUST,240105,0800,42,80,,2/\n02,CUST,BANK,1,240104,2400,EUR,2/\n",
        b'<?xml version="1.0"?><Document><BkToCstmrStmt/></Document>',
        b"\x00\x01\x02 binary",
    ],
)
def test_other_formats_are_not_claimed(head: bytes) -> None:
    assert not CsvReader().identify(Path("x"), head)


# -- amounts -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "amount"),
    [
        ("1.234,56", ",", ".", "1234.56"), ("-12,00", ",", ".", "-12.00"), ("12,00-", ",", ".", "-12.00"),
        ("(12.00)", ".", ",", "-12.00"), ("+5", ".", "", "5"), ("1\u00a0234,56", ",", " ", "1234.56"),
        ("1 234 567,891", ",", " ", "1234567.891"), ("\u22123.10", ".", "", "-3.10"),
        ("1,234", ",", "", "1.234"), ("1'234.50", ".", "'", "1234.50"), ("0,00-", ",", ".", "0.00"),
    ],
)  # fmt: skip
def test_amounts_are_read_exactly(text: str, decimal: str, thousands: str, amount: str) -> None:
    value = amount_reader(decimal, thousands)(text)
    assert (value, str(value)) == (Decimal(amount), amount)


@pytest.mark.parametrize(
    ("text", "decimal", "thousands"),
    [("12.34", ",", "."), ("1.23,4", ",", "."), ("12,3x", ",", ""), ("--1", ".", ""), ("(-1)", ".", ""),
     ("", ".", ""), ("1.234.56", ".", ",")],
)  # fmt: skip
def test_text_that_is_not_an_amount_in_the_profiles_notation_is_refused(text: str, decimal: str,
                                                                       thousands: str) -> None:
    with pytest.raises(ValueError):
        amount_reader(decimal, thousands)(text)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"),
     ("'12114020040000350212345678'", "12114020040000350212345678"),
     ("  ", None), ("de89370400440532013000", "DE89370400440532013000")],
)  # fmt: skip
def test_counterparty_accounts_are_cleaned(raw: str, clean: str | None) -> None:
    assert clean_iban(raw) == clean


# -- detection among profiles -----------------------------------------------------------------------------


def test_the_profile_requiring_more_of_the_header_wins(tmp_path: Path) -> None:
    broad = profile_from_dict(minimal(name="broad"))
    narrow = profile_from_dict(minimal(name="narrow", header={"required": ["Date", "Amount", "Text", "Ref"]}))
    path = tmp_path / "s.csv"
    path.write_text("Date,Amount,Text,Ref\n2024-01-02,5.00,Invoice 7,R1\n")
    assert CsvReader([broad, narrow]).parse(path).source_format == "csv:narrow"


def test_two_profiles_fitting_equally_well_are_ambiguous(tmp_path: Path) -> None:
    one, two = profile_from_dict(minimal(name="one")), profile_from_dict(minimal(name="two"))
    path = tmp_path / "s.csv"
    path.write_text("Date,Amount,Text\n2024-01-02,5.00,Invoice 7\n")
    with pytest.raises(AmbiguousStatement) as caught:
        CsvReader([one, two]).identify(path, read_head(path))
    assert str(caught.value) == (
        "s.csv: more than one CSV profile fits this file equally well (one, two); make one of them require a "
        "column the other lacks"
    )


def test_a_users_profile_replaces_the_shipped_one_of_the_same_name(tmp_path: Path) -> None:
    (tmp_path / "wise.toml").write_text(
        (Path(profile_named("wise").source)).read_text().replace('bank = "Wise"', 'bank = "Wise (ours)"')
    )
    reader = CsvReader.from_dirs([tmp_path])
    assert [p.bank for p in reader.profiles if p.name == "wise"] == ["Wise (ours)"]
    assert len(reader.profiles) == len(SHIPPED)


def test_a_users_new_profile_is_added_to_the_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(
        'name = "mine"\nbank = "My Bank"\n[dates]\nformats = ["%d/%m/%Y"]\n[amount]\ncolumn = "Amt"\n'
        '[columns]\nbooking_date = "When"\n[fixed]\ncurrency = "GBP"\n'
        '[header]\nrequired = ["When", "Amt", "What"]\n'
    )
    (tmp_path / "s.csv").write_text("When,Amt,What\n02/01/2024,-3.50,Coffee\n")
    parsed = CsvReader.from_dirs([tmp_path]).parse(tmp_path / "s.csv")
    assert [(ln.booking_date, ln.amount, ln.currency) for ln in parsed.lines] == [
        (date(2024, 1, 2), Decimal("-3.50"), "GBP"),
    ]  # fmt: skip


# -- profile validation -----------------------------------------------------------------------------------


def test_a_bad_profile_reports_every_problem_with_its_key() -> None:
    raw = minimal(
        name="Bad Name",
        file={"delimeter": ";", "encoding": "klingon"},
        dates={"formats": ["%Q"]},
        numbers={"decimal": ",", "thousands": ","},
        amount={"column": "Amount", "debit_column": "Soll"},
        fixed={},
    )
    with pytest.raises(ConfigError) as caught:
        profile_from_dict(raw, source="bad.toml")
    assert str(caught.value) == (
        "bad.toml: name: 'Bad Name' should be lower-case letters, digits and dashes (e.g. 'ing-nl'); "
        "file.delimeter: unknown key (did you mean 'delimiter'?); "
        "file.encoding: 'klingon' is not an encoding Python knows (e.g. utf-8, cp1250); "
        "dates.formats: '%Q' does not write and read back a date (use strftime codes such as %Y, %m, %d); "
        "numbers.thousands: must differ from numbers.decimal; "
        "amount: debit_column and credit_column go together; "
        "amount: give either column (one amount column) or debit_column and credit_column, not both; "
        "columns.currency: no currency: set columns.currency, fixed.currency, preamble.currency or "
        "numbers.currency_suffix = true"
    )


def test_a_profile_without_booking_date_or_amount_says_what_is_missing() -> None:
    with pytest.raises(ConfigError) as caught:
        profile_from_dict(minimal(amount={}, columns={}), source="p.toml")
    assert str(caught.value) == (
        "p.toml: amount: missing: set column (a signed amount), or debit_column and credit_column, or column "
        "with sign_column; columns.booking_date: missing: which column holds the booking date?"
    )


def test_an_indicator_column_needs_its_values() -> None:
    with pytest.raises(ConfigError) as caught:
        profile_from_dict(minimal(amount={"column": "Amount", "sign_column": "DC"}), source="p.toml")
    assert str(caught.value) == (
        "p.toml: amount.sign_column: needs credit_values and debit_values (e.g. [\"Bij\"], [\"Af\"])"
    )


def test_a_profile_file_that_is_not_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "x\n')
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert str(caught.value).startswith(f"{path}: is not valid TOML (")


def test_two_profiles_of_one_name_in_one_folder_are_refused(tmp_path: Path) -> None:
    text = Path(profile_named("reconcile").source).read_text()
    (tmp_path / "a.toml").write_text(text)
    (tmp_path / "b.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        CsvReader.from_dirs([tmp_path])
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    assert str(caught.value) == f"{second}: name: 'reconcile' is already the name of {first}"


# -- writer round trips -----------------------------------------------------------------------------------

_LETTERS = string.ascii_letters + string.digits + "ąćęłńóśźżĄĆĘŁŃÓŚŹŻäöüßÄÖÜéèç" + " .,;-/&'\"()#:+"
_DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2068, 12, 31))  # "%y" reads 00-68 as 20xx
_REF = st.from_regex(r"[A-Z0-9][A-Za-z0-9/-]{0,20}", fullmatch=True).map(lambda s: f"REF{s}")


def _text(encoding: str, *, min_size: int = 0) -> st.SearchStrategy[str]:
    """Words of the letters the encoding has, single-spaced as the reader gives them back."""
    alphabet = "".join(c for c in _LETTERS if _encodes(c, encoding) and c != " ")
    words = st.lists(st.text(alphabet=alphabet, min_size=1, max_size=14), min_size=min_size, max_size=10)
    return words.map(" ".join)


def _encodes(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _iban() -> st.SearchStrategy[str]:
    return st.from_regex(r"(DE|PL|NL)[0-9]{2}[0-9A-Z]{18}", fullmatch=True)


@st.composite
def _lines(draw: st.DrawFn, profile: Profile, encoding: str) -> list[BankLine]:
    currency = profile.fixed_currency or draw(st.sampled_from(["EUR", "PLN", "JPY", "KWD"]))
    scale = minor_units(currency)
    account = draw(_iban())
    name = _text(encoding, min_size=1).filter(bool)
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        lines.append(
            BankLine(
                line_id="",
                bank_ref=draw(st.none() | _REF),
                account=account,
                currency=currency,
                amount=Decimal(draw(st.integers(min_value=-10**11, max_value=10**11))).scaleb(-scale),
                booking_date=draw(_DATES),
                value_date=draw(st.none() | _DATES),
                counterparty_name=draw(st.none() | name),
                counterparty_iban=draw(st.none() | _iban()),
                remittance=draw(_text(encoding)),
                structured_ref=draw(st.none() | _REF),
                end_to_end_id=draw(st.none() | _REF),
            )
        )
    return lines


def _expected(line: BankLine, profile: Profile) -> tuple[object, ...]:
    """What the profile's layout can carry of a line; the rest reads back as empty."""

    def has(field: str) -> bool:
        cols = profile.columns.get(field)
        if cols is None:
            return False
        if cols.names:
            return True
        return bool(cols.debit if line.amount < 0 else cols.credit)

    return (
        line.amount,
        line.currency,
        line.booking_date,
        line.value_date if has("value_date") else None,
        line.counterparty_name if has("counterparty_name") else None,
        line.counterparty_iban if has("counterparty_iban") else None,
        line.remittance,
        line.bank_ref if has("bank_ref") else None,
        line.structured_ref if has("structured_ref") else None,
        line.end_to_end_id if has("end_to_end_id") else None,
        line.account if has("account") or "account" in profile.preamble else "",
    )


def _got(line: BankLine) -> tuple[object, ...]:
    return (line.amount, line.currency, line.booking_date, line.value_date, line.counterparty_name,
            line.counterparty_iban, line.remittance, line.bank_ref, line.structured_ref, line.end_to_end_id,
            line.account)  # fmt: skip


def _round_trip(tmp_path: Path, profile: Profile, lines: list[BankLine], encoding: str) -> None:
    path = tmp_path / "roundtrip.csv"
    path.write_bytes(write_csv(lines, profile, encoding=encoding))
    reader = CsvReader()
    assert reader.identify(path, read_head(path))
    parsed = reader.parse(path)
    assert parsed.source_format == f"csv:{profile.name}"
    assert [_got(ln) for ln in parsed.lines] == [_expected(ln, profile) for ln in lines]


@pytest.mark.parametrize("name", SHIPPED)
def test_written_lines_read_back_unchanged(tmp_path: Path, name: str) -> None:
    profile = profile_named(name)
    encoding = profile.encodings[0]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_lines(profile, encoding))
    def check(lines: list[BankLine]) -> None:
        _round_trip(tmp_path, profile, lines, encoding)

    check()


@pytest.mark.parametrize("name", [n for n in SHIPPED if len(profile_named(n).encodings) > 1])
def test_written_lines_read_back_in_the_banks_legacy_encoding(tmp_path: Path, name: str) -> None:
    profile = profile_named(name)
    encoding = profile.encodings[-1]  # cp1250 for mBank, cp1252 for the German and Dutch banks

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_lines(profile, encoding))
    def check(lines: list[BankLine]) -> None:
        _round_trip(tmp_path, profile, lines, encoding)

    check()


def test_benchmark_file_reads_back_every_line(tmp_path: Path) -> None:
    path = tmp_path / "bench.csv"
    write_benchmark_file(path, 2_000)
    parsed = CsvReader().parse(path)
    assert (len(parsed.lines), parsed.source_format) == (2_000, "csv:sparkasse-camt")
    assert [w.rpartition(";")[0] for w in parsed.warnings] == [
        "bench.csv: no text encoding declared; read as UTF-8, the one its letters fit (as Windows-1252, 'Ørsted' "
        "would read 'Ã˜rsted')"]


def test_the_writer_refuses_a_currency_its_layout_cannot_say() -> None:
    line = BankLine(line_id="", bank_ref=None, account="NL08INGB0006130373", currency="USD",
                    amount=Decimal(1), booking_date=date(2024, 1, 1))  # fmt: skip
    with pytest.raises(ValueError, match="ing-nl files are in EUR; this line is in USD"):
        write_csv([line], "ing-nl")
