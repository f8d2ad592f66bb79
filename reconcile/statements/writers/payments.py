"""Statements that pay a list of invoices: one camt.053 per currency, each line paying one invoice's open
amount and quoting its number. For resilience tests and whole-run benchmarks against a sandbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from reconcile.model import BankLine, Invoice, make_line_id
from reconcile.statements.writers.camt import write_camt053


def paying_statements(
    invoices: Sequence[Invoice],
    folder: Path,
    *,
    accounts: Mapping[str, str],
    booked: date,
    ref_prefix: str = "PAY-",
) -> list[Path]:
    paths = []
    for currency, account in accounts.items():
        lines = []
        for inv in (i for i in invoices if i.currency == currency):
            ref = f"{ref_prefix}{inv.id}"
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
