"""Statements that pay a sandbox's open invoices: one camt.053 line per invoice, its number in the title."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reconcile.flowtly.client import ClientSettings, FlowtlyClient
from reconcile.flowtly.invoices import fetch_open_invoices
from reconcile.flowtly.sandbox import Sandbox
from reconcile.model import BankLine, Invoice, make_line_id
from reconcile.statements.writers.camt import write_camt053

ACCOUNTS = {"PLN": "PL61109010140000071219812874", "EUR": "PL27114020040000300201355387"}


def open_invoices(sandbox: Sandbox) -> list[Invoice]:
    settings = ClientSettings(base_url=sandbox.url, token=sandbox.token, requests_per_second=None)
    with FlowtlyClient(settings) as client:
        return fetch_open_invoices(client, issued_after=None)


def paying_statements(invoices: list[Invoice], folder: Path) -> list[Path]:
    """One statement per currency; line i pays invoice i exactly, quoting its number."""
    paths = []
    for currency, account in ACCOUNTS.items():
        lines = []
        for inv in (i for i in invoices if i.currency == currency):
            ref = f"PAY-{inv.id}"
            booked = date(2026, 11, 20)
            lines.append(BankLine(
                line_id=make_line_id(account, ref, booking_date=booked, amount=inv.open_amount, currency=currency),
                bank_ref=ref, account=account, currency=currency, amount=inv.open_amount, booking_date=booked,
                counterparty_name=inv.client_name, remittance=f"Zaplata za {inv.name}",
            ))  # fmt: skip
        if lines:
            path = folder / f"pay-{currency}.xml"
            path.write_bytes(
                write_camt053(lines, account=account, currency=currency, statement_id=f"STMT-{currency}")
            )
            paths.append(path)
    return paths
