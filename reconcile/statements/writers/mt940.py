"""Writes MT940 statements from BankLines: for property tests (write, read back, compare) and benchmarks.

The `:86:` field is written in the German ZKA subfield layout that Polish banks also use: GVC, ?00
posting text, the title (EREF+ and SVWZ+ items) cut into ?20-?29 and ?60-?63 subfields of exactly 27
characters, the name in ?32/?33 and the IBAN in ?31. Cutting every subfield but the last at exactly 27
characters is what lets the reader join them without inventing or losing a space. Never used on real data.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from reconcile.model import BankLine
from reconcile.statements.mt940_details import SUBFIELD_WIDTH

_TITLE_CODES = [f"{n}" for n in range(20, 30)] + ["60", "61", "62", "63"]
MAX_TITLE = SUBFIELD_WIDTH * len(_TITLE_CODES)  # 378 characters, SEPA keywords included
MAX_NAME = SUBFIELD_WIDTH * 2  # ?32 and ?33
_CODE_RE = re.compile(r"([A-Z][A-Z0-9]{3})(?:/(\d{3}))?")
# Characters the layout cannot carry: "?" opens a subfield, and line breaks end the field.
_FORBIDDEN = re.compile(r"[?\r\n]")


def write_mt940(
    lines: Sequence[BankLine],
    *,
    account: str,
    currency: str,
    opening: Decimal = Decimal(0),
    statement_id: str = "00001/001",
    reference: str = "RECONCILE",
    encoding: str = "utf-8",
) -> bytes:
    """One MT940 statement holding `lines`, with :60F:/:62F: balances that add up.

    Each line's value date (its booking date when it has none) and booking date go to :61: (YYMMDD and
    MMDD), its bank_ref after "//" (customer reference NONREF), its bank_tx_code "NTRF/166" as the
    transaction type and the GVC. An RF structured_ref is not written: MT940 carries it as the start of the
    remittance text, so put it there.
    """
    for line in lines:
        for day in (line.booking_date, line.value_date):
            if day is not None and not 1980 <= day.year <= 2079:
                raise ValueError(f"{day} cannot be written: MT940 has two-digit years, read as 1980-2079")
    first = min((line.booking_date for line in lines), default=date(2024, 1, 1))
    last = max((line.booking_date for line in lines), default=first)
    closing = opening + sum((line.amount for line in lines), Decimal(0))
    parts = [_head(reference, account, statement_id, currency, opening, first)]
    parts.extend(_line(line) for line in lines)
    parts.append(_tail(currency, closing, last))
    return "".join(parts).encode(encoding)


def write_benchmark_file(path: Path, n_lines: int) -> None:
    """Write a realistic MT940 file of `n_lines` lines to `path`: one statement of up to 3,000 lines per
    business day, 500 payers, Polish and German titles, CRLF line ends (deterministic: seed 2024)."""
    account, currency = "PL61109010140000071219812874", "PLN"
    rng = random.Random(2024)
    payers = [(f"{rng.choice(_NAMES)} {rng.choice(_FIRMS)}", _iban(rng)) for _ in range(500)]
    balance = Decimal("125000.00")
    day, number, written = date(2024, 1, 2), 1, 0
    with path.open("w", encoding="utf-8", newline="\r\n") as out:
        while written < n_lines:
            batch = [_benchmark_line(rng, payers, account, day, written + i)
                     for i in range(min(3000, n_lines - written))]
            closing = balance + sum((line.amount for line in batch), Decimal(0))
            out.write(_head(f"BENCH{number:05d}", account, f"{number:05d}/001", currency, balance, day))
            out.write("".join(_line(line) for line in batch))
            out.write(_tail(currency, closing, day))
            balance, written, number = closing, written + len(batch), number + 1
            day += timedelta(days=3 if day.weekday() == 4 else 1)


# -- fields -----------------------------------------------------------------------------------------


def _head(reference: str, account: str, statement_id: str, currency: str, opening: Decimal, on: date) -> str:
    return (f":20:{reference}\n:25:{account}\n:28C:{statement_id}\n"
            f":60F:{_balance(opening, currency, on)}\n")


def _tail(currency: str, closing: Decimal, on: date) -> str:
    return f":62F:{_balance(closing, currency, on)}\n-\n"


def _balance(amount: Decimal, currency: str, on: date) -> str:
    return f"{'D' if amount < 0 else 'C'}{_yymmdd(on)}{currency}{_amount(amount)}"


@lru_cache(maxsize=1024)
def _yymmdd(day: date) -> str:
    return day.strftime("%y%m%d")


def _amount(amount: Decimal) -> str:
    """SWIFT 15d: the digits as written, with a decimal comma, always (1234,50; JPY 1234,)."""
    text = f"{abs(amount):f}"
    return text.replace(".", ",") if "." in text else text + ","


def _line(line: BankLine) -> str:
    value = line.value_date or line.booking_date
    code = _CODE_RE.fullmatch(line.bank_tx_code or "")
    type_code, gvc = (code[1], code[2] or "166") if code else ("NTRF", "166")
    ref = f"//{line.bank_ref}" if line.bank_ref else ""
    mark = "D" if line.amount < 0 else "C"
    return (f":61:{_yymmdd(value)}{_yymmdd(line.booking_date)[2:]}{mark}{_amount(line.amount)}"
            f"{type_code}NONREF{ref}\n:86:{_details(line, gvc)}\n")


def _details(line: BankLine, gvc: str) -> str:
    title = f"EREF+{line.end_to_end_id} " if line.end_to_end_id else ""
    title += f"SVWZ+{line.remittance}"
    _check(title, MAX_TITLE, "remittance and end-to-end id")
    out = [f"{gvc}?00{'UEBERWEISUNG' if line.amount < 0 else 'GUTSCHRIFT'}"]
    out += [f"?{code}{chunk}" for code, chunk in zip(_TITLE_CODES, _chunks(title), strict=False)]
    if line.counterparty_iban:
        out.append(f"?31{line.counterparty_iban}")
    if line.counterparty_name:
        _check(line.counterparty_name, MAX_NAME, "counterparty name")
        out += [f"?{code}{chunk}" for code, chunk in zip(("32", "33"), _chunks(line.counterparty_name),
                                                         strict=False)]
    return "\n".join(out)


def _chunks(text: str) -> list[str]:
    return [text[i : i + SUBFIELD_WIDTH] for i in range(0, len(text), SUBFIELD_WIDTH)] or [""]


def _check(text: str, limit: int, what: str) -> None:
    if len(text) > limit:
        raise ValueError(f"{what} is {len(text)} characters; MT940 subfields hold {limit}")
    if _FORBIDDEN.search(text):
        raise ValueError(f"{what} contains '?' or a line break, which the :86: layout cannot carry")


# -- benchmark data ---------------------------------------------------------------------------------

_NAMES = ["Kowalski", "Nowak", "Wiśniewska", "Wójcik", "Kamiński", "Lewandowska", "Zieliński", "Szymańska",
          "Dąbrowski", "Kozłowska", "Müller", "Schäfer", "Größmann"]
_FIRMS = ["Sp. z o.o.", "S.A.", "sp.j.", "GmbH", "Spółka Komandytowa"]
_TITLES = ["Faktura FV/{inv}", "Zapłata za FV/{inv}", "FV/{inv} dziękujemy", "Opłata za fakturę nr FV/{inv}",
           "Rechnung {inv}", "FV/{inv}"]


def _benchmark_line(
    rng: random.Random, payers: list[tuple[str, str]], account: str, day: date, number: int
) -> BankLine:
    name, iban = payers[rng.randrange(len(payers))]
    credit = rng.random() < 0.8
    amount = Decimal(rng.randrange(100, 2_000_000)).scaleb(-2)
    invoice = f"{rng.randrange(1, 9999)}/{rng.choice(['01', '02', '03'])}/2024"
    return BankLine(
        line_id="", bank_ref=f"B{number:015d}", account=account, currency="PLN",
        amount=amount if credit else -amount, booking_date=day, value_date=day,
        counterparty_name=name, counterparty_iban=iban, remittance=rng.choice(_TITLES).format(inv=invoice),
        end_to_end_id=f"E2E{number:012d}" if rng.random() < 0.5 else None,
        bank_tx_code="NTRF/166" if credit else "NTRF/177",
    )


def _iban(rng: random.Random) -> str:
    """A valid Polish IBAN: 8-digit bank code, 16-digit account, ISO 13616 mod-97 check digits."""
    bban = f"{rng.choice([10901014, 11402004, 10203147, 12406003])}{rng.randrange(10**16):016d}"
    check = 98 - int(bban + "252100") % 97  # "PL" = 25 21, then "00"
    return f"PL{check:02d}{bban}"
