"""The same bank line in two overlapping statements (same account and bank reference) is one line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reconcile.flowtly.sandbox import SandboxOptions, start_sandbox
from reconcile.model import BankLine, make_line_id
from reconcile.pipeline import RunRequest, run
from reconcile.statements.writers.camt import write_camt053
from tests.conftest import TOKEN, demo_seed
from tests.payments import in_process_settings

ACCOUNT = "PL61109010140000071219812874"


def payment(ref: str, amount: str, title: str, day: int) -> BankLine:
    value, booked = Decimal(amount), date(2026, 11, day)
    return BankLine(
        line_id=make_line_id(ACCOUNT, ref, booking_date=booked, amount=value, currency="PLN"),
        bank_ref=ref,
        account=ACCOUNT,
        currency="PLN",
        amount=value,
        booking_date=booked,
        counterparty_name="ACME LOGISTICS SP Z O O",
        remittance=title,
    )


def test_a_line_in_two_overlapping_statements_is_imported_and_posted_once(tmp_path):
    a = payment("OV-1", "2460.00", "FV/2026/10/0101", 20)
    b = payment("OV-2", "1200.00", "darowizna", 21)
    c = payment("OV-3", "3321.00", "FV/2026/11/0116", 22)
    week1 = tmp_path / "week1.xml"
    week2 = tmp_path / "week2.xml"
    week1.write_bytes(write_camt053([a, b], account=ACCOUNT, currency="PLN", statement_id="W1"))
    week2.write_bytes(
        write_camt053([b, c], account=ACCOUNT, currency="PLN", statement_id="W2", opening=Decimal("3660.00"))
    )
    with start_sandbox(demo_seed(), options=SandboxOptions(token=TOKEN)) as sandbox:
        settings = in_process_settings(sandbox, tmp_path)
        first = run(settings, RunRequest(statements=(week1,)))
        second = run(settings, RunRequest(statements=(week2,)))
        refs = [tx["transaction"]["bankReference"] for tx in sandbox.snapshot()["invoiceTransactions"]]
    assert sum(first.counts.values()) == 2 and first.counts["posted"] == 1
    # week 2 repeats OV-2, already decided as unmatched, and brings OV-3
    assert second.counts["posted"] == 1
    assert sorted(r for r in refs if r.startswith("OV-")) == ["OV-1", "OV-3"]


def test_both_overlapping_statements_in_one_run_give_each_line_once(tmp_path):
    a = payment("OV-1", "2460.00", "FV/2026/10/0101", 20)
    b = payment("OV-2", "1200.00", "darowizna", 21)
    one = tmp_path / "one.xml"
    two = tmp_path / "two.xml"
    one.write_bytes(write_camt053([a, b], account=ACCOUNT, currency="PLN", statement_id="S1"))
    two.write_bytes(write_camt053([a, b], account=ACCOUNT, currency="PLN", statement_id="S2"))
    with start_sandbox(demo_seed(), options=SandboxOptions(token=TOKEN)) as sandbox:
        settings = in_process_settings(sandbox, tmp_path)
        summary = run(settings, RunRequest(statements=(one, two)))
        refs = [tx["transaction"]["bankReference"] for tx in sandbox.snapshot()["invoiceTransactions"]]
    assert summary.counts == {"posted": 1, "review": 0, "unmatched": 1, "ignored": 0}
    assert refs.count("OV-1") == 1
