"""Write BAI2 files from BankLines: one group per booking date (BAI2 groups carry the as-of date).

For property tests and the benchmark only: what it writes, Bai2Reader must read back unchanged, trailer
counts and control totals included. Long texts go on 88 continuation records, as banks write them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from reconcile.model import BankLine
from reconcile.money import minor_units

RECORD_LENGTH = 80  # physical record length the writer keeps to; the rest goes on 88 continuations


def write_bai2(lines: Sequence[BankLine], *, account: str | None = None, currency: str | None = None,
               opening: Decimal = Decimal(0), file_id: str = "1", sender: str = "RECONCILE",
               created: date | None = None) -> bytes:
    """A BAI2 file with one account holding `lines`, one group per booking date in order of first
    appearance, opening (010) and closing (015) ledger balances that the lines move between.

    Credits are written as type 399 (miscellaneous credit), debits as 699 (miscellaneous debit), unless
    the line's bank_tx_code is already a detail code of the right direction. A line with a value date
    gets funds type V with that date; the customer reference carries end_to_end_id.
    """
    account = account or (lines[0].account if lines else "0")
    currency = (currency or (lines[0].currency if lines else "USD")).upper()
    scale = minor_units(currency)
    by_date: dict[date, list[BankLine]] = {}
    for line in lines:
        by_date.setdefault(line.booking_date, []).append(line)
    created = created or (max(by_date) if by_date else date(2024, 1, 1))
    out = [f"01,{sender},{sender},{created:%y%m%d},0000,{file_id},{RECORD_LENGTH},,2/"]
    balance = _minor(opening, scale, signed=True)
    file_total = 0
    file_records = 1
    for as_of, group in by_date.items():
        details: list[str] = []
        detail_total = 0
        for line in group:
            minor = _minor(line.amount, scale, signed=True)
            detail_total += abs(minor)
            details += _detail(line, abs(minor))
        closing = balance + sum(_minor(ln.amount, scale, signed=True) for ln in group)
        account_total = balance + closing + detail_total
        account_records = 2 + len(details)
        group_records = account_records + 2
        out.append(f"02,{sender},{sender},1,{as_of:%y%m%d},2400,{currency},2/")
        out.append(f"03,{account},{currency},010,{balance:+d},,,015,{closing:+d},,/")
        out += details
        out.append(f"49,{account_total:+d},{account_records}/")
        out.append(f"98,{account_total:+d},1,{group_records}/")
        file_total += account_total
        file_records += group_records
        balance = closing
    out.append(f"99,{file_total:+d},{len(by_date)},{file_records + 1}/")
    return ("\n".join(out) + "\n").encode("utf-8")


def _minor(amount: Decimal, scale: int, *, signed: bool) -> int:
    value = amount.scaleb(scale)
    if value != value.to_integral_value():
        raise ValueError(f"{amount} has more decimals than its currency's {scale}")
    return int(value) if signed else abs(int(value))


def _detail(line: BankLine, minor: int) -> list[str]:
    """A 16 record and its 88 continuations."""
    code = line.bank_tx_code if line.bank_tx_code and line.bank_tx_code.isdigit() else ""
    credit = line.amount >= 0
    if not (len(code) == 3 and (100 <= int(code) <= 399 if credit else 400 <= int(code) <= 699)):
        code = "399" if credit else "699"
    funds = f"V,{line.value_date:%y%m%d}," if line.value_date else "Z"
    return _physical(f"16,{code},{minor},{funds},{line.bank_ref or ''},{line.end_to_end_id or ''},",
                     line.remittance)


def _physical(prefix: str, text: str) -> list[str]:
    """The text over physical records, each ending with the "/" terminator (so a text that itself ends
    in "/" keeps it).

    Cut at a space, a record stays shorter than RECORD_LENGTH and the reader puts the space back; a
    word too long to fit is cut so that its record is exactly RECORD_LENGTH long, which tells the
    reader to join the pieces without a space (NatWest writes continuations so).
    """
    records: list[str] = []
    while True:
        room = RECORD_LENGTH - len(prefix) - 1  # text that fills the record exactly, "/" included
        if len(text) <= room:
            records.append(f"{prefix}{text}/")
            return records
        if room < 1:
            records.append(f"{prefix}/")
        else:
            space = text.rfind(" ", 0, room)
            if space >= 0:
                records.append(f"{prefix}{text[:space]}/")
                text = text[space + 1 :]
            else:
                records.append(f"{prefix}{text[:room]}/")
                text = text[room:]
        prefix = "88,"


def write_benchmark_file(path: Path, n_lines: int) -> None:
    """An n-line BAI2 file over a year of business days, written in a few seconds for 100,000 lines."""
    rng = random.Random(20240501)
    names = ["ACME CORP", "GLOBEX LLC", "INITECH INC", "UMBRELLA CO", "STARK INDUSTRIES", "WAYNE ENTERPRISES"]
    start = date(2024, 1, 1)
    lines = []
    for i in range(n_lines):
        credit = rng.random() < 0.6
        cents = rng.randint(100, 2_500_000)
        lines.append(
            BankLine(
                line_id="", bank_ref=f"B{i:09d}", account="1234567890", currency="USD",
                amount=Decimal(cents if credit else -cents).scaleb(-2),
                booking_date=start + timedelta(days=i * 250 // max(n_lines, 1)),
                remittance=f"ACH {rng.choice(names)} INVOICE INV-{i:07d} CUSTOMER {rng.randint(1000, 9999)}",
                end_to_end_id=f"C{i:08d}",
            )
        )  # fmt: skip
    path.write_bytes(write_bai2(lines, account="1234567890", currency="USD", opening=Decimal("100000.00")))
