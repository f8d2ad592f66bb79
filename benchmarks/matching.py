"""Matching throughput on generated invoices and payments (no I/O)."""

from __future__ import annotations

import random
import time
from datetime import date
from decimal import Decimal
from typing import Any

from reconcile.matching.engine import match_lines
from reconcile.model import BankLine, Decision, Invoice, make_line_id
from reconcile.rules import load_rules

CLIENTS = [
    "Acme Logistics sp. z o.o.",
    "Bałtycka Hurtownia S.A.",
    "Müller & Söhne GmbH",
    "Nordhavn Shipping ApS",
    "Kowalski Jan",
    "Café Lumière SARL",
    "Zielony Ogród sp.j.",
    "Polska Grupa Budowlana",
]


def generate(n_invoices: int, n_lines: int, seed: int = 7) -> tuple[list[Invoice], list[BankLine]]:
    rng = random.Random(seed)
    invoices = []
    for i in range(n_invoices):
        amount = Decimal(rng.randint(1000, 5_000_000)) / 100
        invoices.append(
            Invoice(
                iri=f"/invoices/{i}",
                id=i,
                name=f"FV/2026/{i % 12 + 1:02d}/{i:05d}",
                client_name=f"{rng.choice(CLIENTS)} {i % 500}",
                client_iri=None,
                amount=amount,
                open_amount=amount,
                currency="PLN",
                status="sent",
            )
        )
    lines = []
    for j in range(n_lines):
        inv = rng.choice(invoices)
        kind = rng.random()
        if kind < 0.5:
            text, amount = f"Zaplata {inv.name}", inv.open_amount
        elif kind < 0.7:
            text, amount = "przelew", inv.open_amount
        else:
            text, amount = f"ref {rng.randint(0, 10**9)}", Decimal(rng.randint(100, 100000)) / 100
        ref = f"B{j}"
        lines.append(
            BankLine(
                line_id=make_line_id(
                    "ACC", ref, booking_date=date(2026, 11, 1), amount=amount, currency="PLN"
                ),
                bank_ref=ref,
                account="ACC",
                currency="PLN",
                amount=amount,
                booking_date=date(2026, 11, 1),
                counterparty_name=inv.client_name,
                remittance=text,
            )
        )
    return invoices, lines


def match_bench(n_invoices: int, n_lines: int) -> dict[str, Any]:
    invoices, lines = generate(n_invoices, n_lines)
    started = time.perf_counter()
    matches = match_lines(lines, invoices, load_rules())
    seconds = time.perf_counter() - started
    return {
        "invoices": n_invoices,
        "lines": n_lines,
        "seconds": round(seconds, 2),
        "lines_per_s": int(n_lines / seconds),
        "posted": sum(m.decision is Decision.POSTED for m in matches),
        "review": sum(m.decision is Decision.REVIEW for m in matches),
    }
