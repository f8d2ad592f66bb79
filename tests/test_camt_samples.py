"""Real camt samples from public projects, read in place from shared/samples, against what is known of them.

Expected values come from MANIFEST.tsv (other parsers' counts, okane's test assertions) and from the JSON
snapshots genkgo/camt produced for its own fixtures. Where we read differently on purpose, the test says why.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reconcile.errors import MalformedStatement
from reconcile.model import BankLine, ParsedFile, Statement
from reconcile.money import minor_units
from reconcile.statements.base import LineIds, balance_warnings
from reconcile.statements.camt import CamtReader
from reconcile.statements.registry import identify

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"the shared samples folder is missing: {SAMPLES}"
)

# Names that mark a sample broken on purpose (shared/samples/README.md).
BROKEN_MARKS = ("wrong", "invalid", "broken", "parseError", "fail", "error", "date_missing")
COUNTS_RE = re.compile(r"lxml reference: (\d+) stmt, (\d+) Ntry / (\d+) TxDtls")


def manifest() -> list[dict[str, str]]:
    if not SAMPLES.is_dir():
        return []
    with (SAMPLES / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.DictReader(fh, delimiter="\t") if row["format"].startswith("camt.")]


ROWS = manifest()
READABLE = [row for row in ROWS if not any(mark in row["file"] for mark in BROKEN_MARKS)]
GENKGO = [row["file"] for row in READABLE if row["file"].startswith("genkgo__camt/")]


def parse(name: str) -> ParsedFile:
    return CamtReader().parse(SAMPLES / name)


def lines_of(name: str) -> list[BankLine]:
    return parse(name).lines


def test_the_manifest_lists_camt_samples() -> None:
    assert len(READABLE) == 19 and len(ROWS) == 20


@pytest.mark.parametrize("row", READABLE, ids=lambda row: row["file"])
def test_statement_and_transaction_counts_match_the_manifest(row: dict[str, str]) -> None:
    counts = COUNTS_RE.search(row["n_transactions_as_parsed"])
    assert counts is not None
    statements, _entries, transactions = map(int, counts.groups())
    parsed = parse(row["file"])
    # camt054.v2's one entry has three TxDtls without amounts: they cannot be told apart, so it stays one
    # line (with a warning) rather than three lines of unknown amounts.
    expected_lines = 1 if row["file"].endswith("camt054.v2.xml") else transactions
    assert (len(parsed.statements), len(parsed.lines)) == (statements, expected_lines)
    assert all(st.pending_count == 0 for st in parsed.statements)
    assert {line.source_format for line in parsed.lines} <= {row["format"][:8]}


@pytest.mark.parametrize("row", READABLE, ids=lambda row: row["file"])
def test_the_registry_hands_every_camt_sample_to_the_camt_reader(row: dict[str, str]) -> None:
    assert isinstance(identify(SAMPLES / row["file"]), CamtReader)


def test_the_deliberately_wrong_sample_gets_one_clear_message() -> None:
    with pytest.raises(MalformedStatement) as caught:
        parse("genkgo__camt/camt053.v2.wrong.xml")
    assert str(caught.value) == (
        "camt053.v2.wrong.xml, line 3, element BkToCstmrStmt: the camt.053 message holds no statement "
        "(Stmt); the export may be incomplete — ask the bank for it again"
    )


# -- genkgo/camt: compare with the JSON snapshot of what its parser read -----------------------------------


def money(value: dict[str, Any]) -> Decimal:
    """genkgo (moneyphp) keeps amounts in minor units: "885" EUR is 8.85."""
    currency = value["getCurrency"]["getCode"]
    return Decimal(value["getAmount"]).scaleb(-minor_units(currency))


def day(value: dict[str, Any] | None) -> date | None:
    return date.fromisoformat(value["0"][:10]) if value else None


def records(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = [r for r in snapshot.get("getRecords", []) if isinstance(r, dict)]
    found += [e["getRecord"] for e in snapshot["getEntries"] if isinstance(e.get("getRecord"), dict)]
    return {record["getId"]: record for record in found}


def first_balance(record: dict[str, Any], kind: str) -> tuple[Decimal, str, date | None] | None:
    for balance in record.get("getBalances", []):
        if balance["getType"] == kind:
            amount = balance["getAmount"]
            return money(amount), amount["getCurrency"]["getCode"], day(balance["getDate"])
    return None


def party(detail: dict[str, Any], credit: bool) -> str | None:
    names = {
        p["getRelatedPartyType"]["__CLASS__"].rsplit("\\", 1)[1]: p["getRelatedPartyType"].get("getName")
        for p in detail.get("getRelatedParties", [])
        if isinstance(p, dict)
    }
    role = "Debtor" if credit else "Creditor"
    return names.get(role) or names.get(f"Ultimate{role}")


def snapshot_of(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / name).with_suffix(".json").read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("name", GENKGO)
def test_entries_agree_with_genkgos_snapshot(name: str) -> None:
    entries = snapshot_of(name)["getEntries"]
    # The snapshot lists the entries of its last statement only (multi.statement): compare those.
    statements = {st.statement_id: st for st in parse(name).statements}
    shown = dict.fromkeys(entry["getRecord"]["getId"] for entry in entries)
    lines = [line for statement_id in shown for line in statements[statement_id].lines]
    assert len(lines) == len(entries)
    for line, entry in zip(lines, entries, strict=True):
        detail = entry["getTransactionDetail"] or {}
        reference = detail.get("getReference") or {}
        remittance = detail.get("getRemittanceInformation") or {}
        # genkgo files the reference under the block or the whole (the other says "__RECURSIVITY__").
        candidates = [
            (remittance.get("getStructuredBlock") or {}).get("getCreditorReferenceInformation"),
            remittance.get("getCreditorReferenceInformation"),
        ]
        creditor_ref = next((c for c in candidates if isinstance(c, dict)), {})
        amount = entry["getAmount"]
        assert (line.amount, line.currency) == (money(amount), amount["getCurrency"]["getCode"])
        assert line.booking_date == day(entry["getBookingDate"])
        assert line.value_date == day(entry["getValueDate"])
        ref = reference.get("getAccountServicerReference") or entry["getAccountServicerReference"]
        assert line.bank_ref == ref
        assert line.end_to_end_id == LineIds.clean_ref(reference.get("getEndToEndId"))
        assert line.structured_ref == creditor_ref.get("getRef")
        assert line.counterparty_name == party(detail, line.amount > 0)


@pytest.mark.parametrize("name", GENKGO)
def test_statements_and_balances_agree_with_genkgos_snapshot(name: str) -> None:
    expected = records(snapshot_of(name))
    statements = {st.statement_id: st for st in parse(name).statements}
    assert expected and set(expected) <= set(statements)
    for statement_id, record in expected.items():
        st = statements[statement_id]
        assert st.account == record["getAccount"]["getIdentification"]
        assert as_tuple(st.opening) == first_balance(record, "opening")
        assert as_tuple(st.closing) == first_balance(record, "closing")


def as_tuple(balance: Any) -> tuple[Decimal, str, date | None] | None:
    return None if balance is None else (balance.amount, balance.currency, balance.on)


def test_five_decimal_amounts_are_kept_as_written() -> None:
    parsed = parse("genkgo__camt/camt053.v2.five.decimals.xml")
    (statement,) = parsed.statements
    assert [str(line.amount) for line in parsed.lines] == ["8.850"]
    assert statement.opening is not None and str(statement.opening.amount) == "18.150"


def test_a_balance_given_as_datetime_with_nine_decimal_seconds_is_read() -> None:
    (statement,) = parse("genkgo__camt/camt53.only-Dt-with-DtTm.xml").statements
    assert statement.opening is not None
    assert (str(statement.opening.amount), statement.opening.on) == ("5442.09000", date(2025, 7, 23))
    assert (statement.lines, statement.currency) == ((), "RON")


def test_genkgo_v3_single_transaction_amount_mismatch_is_reported_not_booked() -> None:
    parsed = parse("genkgo__camt/camt053.v3.xml")
    assert [line.amount for line in parsed.lines] == [Decimal("8.85")]
    assert parsed.warnings == (
        "camt053.v3.xml, line 110, element Stmt[1]/Ntry[1]: the bank booked 8.85 EUR but the entry's one "
        "transaction (TxDtls) says 105.750 EUR; the booked amount is used",
    )


def test_genkgo_camt054_batch_without_amounts_keeps_every_text() -> None:
    parsed = parse("genkgo__camt/camt054.v2.xml")
    (line,) = parsed.lines
    assert (line.amount, line.currency, line.account) == (Decimal("-200000"), "SEK", "CH2801234000123456789")
    assert line.structured_ref == "ISR ref number V1"
    assert line.remittance == (
        "Unstructured Remittance Information V1 Additional Remittance Information V2 Unstructured "
        "Remittance Information V3 block 1 Unstructured Remittance Information V3 block 2 ISR ref number V2 "
        "Ref number V3 block 1 Ref number V3 block 2"
    )
    assert parsed.warnings == (
        "camt054.v2.xml, line 58, element Ntfctn[1]/Ntry[1]: the entry holds 3 transactions (TxDtls) without "
        "amounts of their own, so it is kept as one line of -200000 SEK",
    )


def test_genkgo_camt052_report_reads_domain_code_and_entry_text() -> None:
    (line,) = lines_of("genkgo__camt/camt052.v2.xml")
    assert (line.source_format, line.remittance) == ("camt.052", "Credit")
    # The ISO domain code on the entry wins over the proprietary code on the transaction.
    assert line.bank_tx_code == "PAYM/0001/0003"
    assert line.counterparty_iban == "NL56AGDH9619008421"


# -- tkarabela/okane: the values its own tests assert --------------------------------------------------------


def test_okane_test1_values() -> None:
    (statement,) = parse("tkarabela__okane/test1.xml").statements
    assert statement.account == "XXX-IBAN"
    assert as_tuple(statement.opening) == (Decimal("1000.00"), "CZK", date(2023, 3, 31))  # a PRCD balance
    assert as_tuple(statement.closing) == (Decimal("2000.00"), "CZK", date(2023, 3, 31))
    assert [(line.amount, line.value_date, line.remittance) for line in statement.lines] == [
        (Decimal("1500.00"), date(2023, 4, 1), "Incoming payment"),
        (Decimal("-500.00"), date(2023, 4, 1), "Outbound payment"),
    ]
    # okane's refs XXX-REF-1/2 are the NtryRef; the transactions carry their own (anonymised) AcctSvcrRef
    # "XXX", which wins. The two lines still get distinct ids.
    assert [line.bank_ref for line in statement.lines] == ["XXX", "XXX"]
    assert len({line.line_id for line in statement.lines}) == 2


def test_okane_test2_values() -> None:
    (statement,) = parse("tkarabela__okane/test2.xml").statements
    assert as_tuple(statement.opening) == (Decimal("1000.00"), "CZK", date(2023, 3, 1))
    assert as_tuple(statement.closing) == (Decimal("2000.00"), "CZK", date(2023, 3, 31))
    assert [(line.bank_ref, line.amount) for line in statement.lines] == [
        ("XXX-REF-1", Decimal("-100.00")),
        ("XXX-REF-2", Decimal("-200.00")),
        ("XXX-REF-3", Decimal("1000.00")),
        ("XXX-REF-4", Decimal("400.00")),
        ("XXX-REF-5", Decimal("-100.00")),
        ("XXX-REF-6", Decimal("1000.00")),
    ]
    first, second, third = statement.lines[:3]
    assert first.remittance == "Nákup dne 27.2.2023, částka 100.00 CZK"
    assert second.remittance == "transaction note"  # AddtlTxInf, the only text it has
    # The related account XXX-OTHER-ACC is an Othr/Id, not an IBAN: there is no IBAN to give.
    assert third.counterparty_iban is None
    assert statement.lines[5].counterparty_iban == "LT6632XXXXXX"


# -- Subite-eu/camt-to-coda: anonymised Deutsche Bank exports ---------------------------------------------


def test_deutsche_bank_belgium_monthly_statement() -> None:
    (statement,) = parse("Subite-eu__camt-to-coda/BE68793230773034-202411.xml").statements
    assert (statement.statement_id, statement.account, statement.currency) == (
        "MSG56562708-QMXIUR",
        "BE68793230773034",
        "EUR",
    )
    first = statement.lines[0]
    assert (first.amount, first.booking_date, first.counterparty_name, first.counterparty_iban) == (
        Decimal("50000"),
        date(2024, 11, 29),
        "Stellar Ltd",
        "BE91516952884376",
    )
    assert (first.remittance, first.end_to_end_id, first.bank_tx_code) == (
        "Transfer ref HBAVHC9717",
        "E2ESEKOZLQO41354223",
        "PMNT/RCDT/ESCT",
    )
    assert sum(line.amount > 0 for line in statement.lines) == 4


def test_deutsche_bank_notprovided_text_is_dropped() -> None:
    lines = lines_of("Subite-eu__camt-to-coda/account_statement.xml")
    assert [(line.amount, line.remittance) for line in lines] == [
        (Decimal("-789903.41"), ""),
        (Decimal("-0.99"), ""),
        (Decimal("789904.4"), ""),
    ]


def test_deutsche_bank_lithuania_entries_without_dates_take_the_statement_date() -> None:
    parsed = parse("Subite-eu__camt-to-coda/2024-03-07.xml")
    assert [st.account for st in parsed.statements] == ["LT625883379695428516", "LT414319056143772570"]
    assert [(line.amount, line.booking_date, line.bank_ref) for line in parsed.lines] == [
        (Decimal("828531.98"), date(2024, 3, 7), "REF000000025239"),
        (Decimal("-0.2"), date(2024, 3, 7), "REF000000041558"),
        (Decimal("-5793.97"), date(2024, 3, 7), "REF000000069955"),
    ]
    assert parsed.warnings == (
        "2024-03-07.xml, Stmt[1]: 3 entries give no booking or value date; the statement's date 2024-03-07 "
        "(its closing balance date) was used",
    )


# -- the balance check: opening + lines = closing ---------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "genkgo__camt/camt053.v2.multi.statement.xml",
        "Subite-eu__camt-to-coda/BE68793230773034-202411.xml",
        "Subite-eu__camt-to-coda/account_statement.xml",
        "Subite-eu__camt-to-coda/2024-03-07.xml",
        "Subite-eu__camt-to-coda/2024-04-11.xml",
        "tkarabela__okane/test1.xml",
    ],
)
def test_a_sample_with_balances_passes_the_balance_check(name: str) -> None:
    statements: tuple[Statement, ...] = parse(name).statements
    assert all(st.opening is not None and st.closing is not None for st in statements)
    assert balance_warnings(SAMPLES / name, statements) == []


@pytest.mark.parametrize("row", READABLE, ids=lambda row: row["file"])
def test_no_sample_reports_charges_so_none_are_read(row: dict[str, str]) -> None:
    # None of the real samples carries Chrgs or an instructed amount (AmtDtls/InstdAmt), so no line has
    # reported charges; the reading of both is shown on inline statements in test_camt.py. A sample that
    # brings them should assert here what is read of it.
    text = (SAMPLES / row["file"]).read_bytes()
    assert b"Chrgs>" not in text and b"InstdAmt>" not in text
    assert all(line.reported_charges is None for line in lines_of(row["file"]))
