"""Statements that pay a sandbox's open invoices: one camt.053 line per invoice, its number in the title."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reconcile.flowtly.client import ClientSettings, FlowtlyClient
from reconcile.flowtly.invoices import fetch_open_invoices
from reconcile.flowtly.sandbox import Sandbox
from reconcile.model import Invoice
from reconcile.statements.writers.payments import paying_statements as write_paying_statements

ACCOUNTS = {"PLN": "PL61109010140000071219812874", "EUR": "PL27114020040000300201355387"}


def open_invoices(sandbox: Sandbox) -> list[Invoice]:
    settings = ClientSettings(base_url=sandbox.url, token=sandbox.token, requests_per_second=None)
    with FlowtlyClient(settings) as client:
        return fetch_open_invoices(client, issued_after=None)


def paying_statements(invoices: list[Invoice], folder: Path) -> list[Path]:
    return write_paying_statements(invoices, folder, accounts=ACCOUNTS, booked=date(2026, 11, 20))
