"""Small builders for domain values in tests, with realistic defaults."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reconcile.model import BankLine, Invoice, make_line_id


def line(
    amount: str = "100.00",
    remittance: str = "",
    *,
    currency: str = "PLN",
    payer: str | None = None,
    iban: str | None = None,
    ref: str | None = None,
    account: str = "PL61109010140000071219812874",
    booked: date = date(2026, 11, 20),
) -> BankLine:
    value = Decimal(amount)
    bank_ref = ref or f"REF-{amount}-{abs(hash(remittance)) % 10_000}"
    return BankLine(
        line_id=make_line_id(account, bank_ref, booking_date=booked, amount=value, currency=currency),
        bank_ref=bank_ref,
        account=account,
        currency=currency,
        amount=value,
        booking_date=booked,
        counterparty_name=payer,
        counterparty_iban=iban,
        remittance=remittance,
        source_file="test.xml",
        source_format="camt.053",
    )


def invoice(
    number: int,
    name: str,
    open_amount: str,
    *,
    client: str | None = "Acme Logistics sp. z o.o.",
    currency: str = "PLN",
    amount: str | None = None,
    ksef: str | None = None,
) -> Invoice:
    return Invoice(
        iri=f"/invoices/{number}",
        id=number,
        name=name,
        client_name=client,
        client_iri="/clients/1" if client else None,
        amount=Decimal(amount or open_amount),
        open_amount=Decimal(open_amount),
        currency=currency,
        status="sent",
        ksef_number=ksef,
    )
