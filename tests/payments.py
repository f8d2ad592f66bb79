"""Test helpers for runs against a sandbox: its open invoices, statements paying them, in-process settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from reconcile.config import Settings
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


def in_process_settings(sandbox: Sandbox, tmp_path: Path) -> Settings:
    return replace(
        Settings(),
        api_url=sandbox.url,
        token=sandbox.token,
        lookback_days=36500,
        database_url=f"sqlite:///{tmp_path}/state.sqlite",
        reports=tmp_path / "reports",
    )
