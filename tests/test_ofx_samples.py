"""OfxReader on the real OFX/QFX samples (shared/samples/jseutter__ofxparse), against MANIFEST.tsv.

The expected values are those of ofxparse's own tests, as the manifest records them. Where we differ from
ofxparse on purpose the test says so: dates are the bank's local dates, memo whitespace is collapsed,
investment trades are counted and skipped, and files ofxparse reads as "0 accounts" or half-reads are
either nothing to import (with a warning) or one clear error.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reconcile.errors import MalformedStatement
from reconcile.model import ParsedFile
from reconcile.statements.ofx import OfxReader

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
FOLDER = SAMPLES / "jseutter__ofxparse"

pytestmark = pytest.mark.skipif(
    not FOLDER.is_dir(),
    reason=f"the shared samples are not beside the repository ({FOLDER} is missing)",
)

# Broken on purpose, by name (samples/README.md).
BROKEN_NAME = re.compile(r"wrong|invalid|broken|parseError|fail|error|date_missing")


def manifest_rows() -> list[dict[str, str]]:
    if not FOLDER.is_dir():
        return []
    with (SAMPLES / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return [row for row in rows if row["file"].startswith("jseutter__ofxparse/")]


ROWS = {Path(row["file"]).name: row for row in manifest_rows()}
READABLE = sorted(name for name in ROWS if not BROKEN_NAME.search(name))

# file -> (bank lines we read, security transactions we skip); together they make what ofxparse counts.
COUNTS = {
    "account_listing_aggregation.ofx": (0, 0), "anzcc.ofx": (1, 0), "bank_medium.ofx": (3, 0), "bank_small.ofx": (0, 0), "chase_cc.qfx": (1, 0),
    "checking.ofx": (3, 0), "empty_balance.ofx": (1, 0), "fidelity-brokerage.ofx": (2, 2),
    "fidelity-savings.ofx": (4, 0), "fidelity.ofx": (3, 14), "investment_401k.ofx": (0, 3),
    "investment_medium.ofx": (3, 0), "multiple_accounts.ofx": (0, 0), "multiple_accounts2.ofx": (0, 0),
    "ofx-v102-empty-tags.ofx": (1, 0), "signon_success.ofx": (0, 0), "signon_success_no_message.ofx": (0, 0),
    "suncorp.ofx": (1, 0), "td_ameritrade.ofx": (0, 0), "tiaacref.ofx": (0, 1), "vanguard.ofx": (0, 1),
    "vanguard401k.ofx": (0, 5),
}  # fmt: skip


def parse(name: str) -> ParsedFile:
    return OfxReader().parse(FOLDER / name)


def other_parsers_count(row: dict[str, str]) -> int | None:
    """Transactions ofxparse read (or, where it crashed, ofxtools, or ofxparse with fail_fast=False)."""
    counted = re.search(r"(?:ofxparse|ofxtools): (\d+) tx", row["n_transactions_as_parsed"])
    counted = counted or re.search(r"(\d+) tx", row["expected_values_from_source_tests"])
    return int(counted.group(1)) if counted else None


def skipped_trades(parsed: ParsedFile) -> int:
    found = [re.search(r"skipped (\d+) security transaction", w) for w in parsed.warnings]
    return sum(int(m.group(1)) for m in found if m)


def test_the_manifest_lists_the_ofx_samples() -> None:
    assert len(ROWS) == 26 and set(READABLE) == set(COUNTS)


@pytest.mark.parametrize("name", READABLE)
def test_every_readable_sample_is_recognised_as_ofx(name: str) -> None:
    assert OfxReader().identify(FOLDER / name, (FOLDER / name).read_bytes()[:8192])


@pytest.mark.parametrize("name", READABLE)
def test_lines_and_skipped_trades_add_up_to_what_other_parsers_count(name: str) -> None:
    parsed = parse(name)
    assert (len(parsed.lines), skipped_trades(parsed)) == COUNTS[name]
    # ofx-v102-empty-tags.ofx: both other parsers fail and the manifest gives no count.
    assert other_parsers_count(ROWS[name]) in (sum(COUNTS[name]), None)


@pytest.mark.parametrize("name", READABLE)
def test_every_line_of_every_sample_is_complete(name: str) -> None:
    for line in parse(name).lines:
        assert line.account and line.currency and line.booking_date and line.line_id
        assert line.source_format == "ofx" and line.source_file == str(FOLDER / name)


def test_bank_medium_reads_account_balance_and_first_payment() -> None:
    parsed = parse("bank_medium.ofx")
    (st,) = parsed.statements
    first = st.lines[0]
    assert (st.account, st.currency, st.closing and st.closing.amount, st.closing and st.closing.on) == (
        "160000100/12300 000012345678", "CAD", Decimal("382.34"), date(2009, 5, 23),
    )  # fmt: skip
    assert (first.counterparty_name, first.bank_tx_code, first.amount, first.booking_date) == (
        "MCDONALD'S #112", "POS", Decimal("-6.60"), date(2009, 4, 1),
    )  # fmt: skip
    assert first.remittance == "POS MERCHANDISE;MCDONALD'S #112"
    assert first.bank_ref == "0000123456782009040100001"


def test_suncorp_reads_cdata_payee_and_memo() -> None:
    line = parse("suncorp.ofx").lines[0]
    # ofxparse's memo keeps three spaces before GEELONG; remittance collapses whitespace.
    assert (line.counterparty_name, line.remittance, line.amount) == (
        "EFTPOS WDL HANDYWAY ALDI STORE",
        "EFTPOS WDL HANDYWAY ALDI STORE GEELONG WEST VICAU",
        Decimal("-16.85"),
    )


def test_chase_qfx_with_a_blank_first_line_reads_its_payment() -> None:
    # ofxparse 0.21 fails on this file (UnicodeDecodeError); its PR #160 test expects -10.00.
    line = parse("chase_cc.qfx").lines[0]
    assert (line.amount, line.account, line.counterparty_name) == (
        Decimal("-10.00"), "0123012301230123", "SQ *ECCO UN POCO ¦ NATURA",
    )  # fmt: skip


def test_anz_card_account_and_its_transaction_date() -> None:
    parsed = parse("anzcc.ofx")
    line = parsed.lines[0]
    account = parsed.statements[0].account
    assert (account, line.amount, line.booking_date, line.value_date, line.remittance) == (
        "1234123412341234", Decimal("-5.50"), date(2017, 5, 8), date(2017, 5, 8), "SOME MEMO",
    )  # fmt: skip


def test_checking_reads_three_lines_with_their_amounts() -> None:
    parsed = parse("checking.ofx")
    assert [ln.amount for ln in parsed.lines] == [Decimal("0.01"), Decimal("-34.51"), Decimal("-25.00")]
    assert parsed.statements[0].account == "5472369148/1452687~7"


def test_fidelity_savings_keeps_the_fourth_decimal_and_the_local_date() -> None:
    first, second, *_ = parse("fidelity-savings.ofx").lines
    # ofxparse says 2012-07-20 04:00 (UTC of 00:00 EDT); the bank's date is the 20th either way.
    assert (first.amount, first.bank_ref, first.booking_date, first.counterparty_name) == (
        Decimal("-1500.00"), "X0000000000000000000001", date(2012, 7, 20), "Check Paid #0000001001",
    )  # fmt: skip
    assert first.bank_tx_code == "CHECK"
    assert second.amount.as_tuple() == Decimal("115.8331").as_tuple()


def test_investment_cash_lines_take_the_transaction_currency() -> None:
    # CURDEF is CAD but each INVBANKTRAN carries <CURRENCY><CURSYM>USD: the amounts are in USD.
    parsed = parse("investment_medium.ofx")
    assert parsed.statements[0].currency == "CAD"
    assert [(ln.amount, ln.currency) for ln in parsed.lines] == [
        (Decimal("-3.65"), "USD"), (Decimal("3.35"), "USD"), (Decimal("-3.65"), "USD"),
    ]  # fmt: skip


def test_tiaacref_investment_account_id_is_kept_as_written() -> None:
    assert parse("tiaacref.ofx").statements[0].account == "111A1111 22B222 33C333"


@pytest.mark.parametrize("name", ["multiple_accounts.ofx", "multiple_accounts2.ofx"])
def test_two_accounts_make_two_statements_with_their_balances(name: str) -> None:
    statements = parse(name).statements
    assert [(s.account, s.closing and s.closing.amount) for s in statements] == [
        ("123/9100", Decimal("111")), ("123/9200", Decimal("222")),
    ]  # fmt: skip


def test_empty_tags_sample_reads_its_line_without_fitid_in_its_own_currency() -> None:
    parsed = parse("ofx-v102-empty-tags.ofx")
    (st,) = parsed.statements
    line = st.lines[0]
    assert (st.account, st.currency, line.bank_ref, line.currency, line.amount, line.remittance) == (
        "NPBS/12345678", None, None, "AUD", Decimal("12.34"), "CBA:Transfer",
    )  # fmt: skip
    assert any("ledger balance (LEDGERBAL) is missing, empty or unreadable" in w for w in parsed.warnings)


def test_empty_ledger_balance_reads_the_transaction_and_warns() -> None:
    parsed = parse("empty_balance.ofx")
    (st,) = parsed.statements
    assert (st.closing, [ln.amount for ln in st.lines]) == (None, [Decimal("120")])
    assert parsed.warnings == (
        "empty_balance.ofx: account 123845030/192639749: the ledger balance (LEDGERBAL) is missing, "
        "empty or unreadable; the closing balance is unknown",
    )


@pytest.mark.parametrize(
    ("name", "said"),
    [("signon_success.ofx", "Login successful"), ("signon_success_no_message.ofx", "success")],
)
def test_sign_on_answer_without_statement_is_nothing_to_import(name: str, said: str) -> None:
    parsed = parse(name)
    assert (parsed.statements, parsed.warnings) == (
        (), (f"{name}: holds no statement, only the bank's sign-on answer ({said}); nothing to import",),
    )  # fmt: skip


def test_empty_ofx_document_is_nothing_to_import() -> None:
    assert parse("bank_small.ofx").warnings == (
        "bank_small.ofx: holds no statement (the OFX document is empty); nothing to import",
    )


def test_account_list_reads_as_nothing_to_import_with_a_warning() -> None:
    parsed = parse("account_listing_aggregation.ofx")
    assert parsed.lines == []
    [warning] = parsed.warnings
    assert warning.startswith(
        "account_listing_aggregation.ofx, line 23, ACCTINFORS: a list of 4 accounts "
        "(0000000001, 0000000002, 00000000000003, 4111111111111111), not a statement"
    )


def test_server_error_answer_fails_with_the_banks_message() -> None:
    with pytest.raises(MalformedStatement) as caught:
        parse("error_message.ofx")
    assert str(caught.value) == (
        "error_message.ofx, line 22, STMTTRNRS/STATUS: the bank answered with an error: "
        "General Server Error (code 2000)"
    )


def test_failed_sign_on_fails_with_the_banks_message() -> None:
    with pytest.raises(MalformedStatement) as caught:
        parse("signon_fail.ofx")
    assert caught.value.place == "line 11, SONRS/STATUS"
    assert caught.value.reason.endswith("your password was incorrect (code 15500)")


def test_missing_and_invalid_dates_fail_naming_each_transaction() -> None:
    with pytest.raises(MalformedStatement) as caught:
        parse("date_missing.ofx")
    assert caught.value.place == "line 33, STMTTRN[1]/DTPOSTED"
    assert caught.value.reason == (
        "3 transactions cannot be read, so nothing was imported from this file: "
        "transaction 1 (FITID 184997056, line 33): DTPOSTED (the booking date) is missing; "
        "transaction 2 (FITID 2000957249, line 40): DTPOSTED (the booking date) is empty; "
        "transaction 3 (FITID 2000957249, line 48): DTPOSTED '20120231' is not a valid booking date "
        "(day is out of range for month)"
    )


def test_dollar_sign_amount_fails_naming_the_transaction() -> None:
    with pytest.raises(MalformedStatement) as caught:
        parse("decimal_error.ofx")
    assert (caught.value.place, caught.value.reason.endswith("TRNAMT '$120' is not a valid amount")) == (
        "line 34, STMTTRN[1]/TRNAMT", True,
    )  # fmt: skip
