"""Writes camt.053 statements from BankLines: for property tests (write, read back, compare) and benchmarks.

One statement per file, each line a booked entry with one transaction, in version 001.02 (names at Dbtr/Nm,
amounts in AmtDtls/TxAmt) or 001.08 and later (Dbtr/Pty/Nm, TxDtls/Amt, Sts/Cd). Text is written with
string templates, not a tree, so 100,000 entries take a few seconds at most. Never used on real data.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from reconcile.model import BankLine
from reconcile.money import quantum

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053."
# Ustrd and Nm are Max140Text in every camt.053 version.
MAX_TEXT = 140

_IBAN_RE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_DOMAIN_CODE_RE = re.compile(r"([A-Z0-9]{4})/([A-Z0-9]{4})/([A-Z0-9]{4})")


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where a version puts things: 001.08 wrapped party names in Pty and gave TxDtls its own Amt."""

    version: str  # e.g. "001.02"
    modern: bool

    @classmethod
    def of(cls, version: str) -> _Layout:
        return cls(version, int(version.split(".")[1]) >= 8)


def write_camt053(
    lines: Sequence[BankLine],
    *,
    account: str,
    currency: str,
    opening: Decimal = Decimal(0),
    statement_id: str = "STMT-0001",
    version: str = "001.02",
) -> bytes:
    """A camt.053 file holding `lines` as booked entries, with OPBD/CLBD balances that add up.

    Each line's sign gives CdtDbtInd; its counterparty is written as debtor (credits) or creditor
    (debits); its remittance as Ustrd blocks of at most 140 characters cut at spaces; its structured_ref
    as a SCOR creditor reference; bank_ref as the entry's AcctSvcrRef. A line without bank_tx_code gets
    no BkTxCd (which the 001.02 schema requires: give one for a schema-valid file).
    """
    layout = _Layout.of(version)
    first = min((line.booking_date for line in lines), default=date(2024, 1, 1))
    last = max((line.booking_date for line in lines), default=first)
    closing = opening + sum((line.amount for line in lines), Decimal(0))
    head = _head(layout, account, currency, statement_id, opening, closing, first, last)
    body = (_entry(layout, line) for line in lines)
    return "".join([head, *body, _TAIL]).encode("utf-8")


def write_benchmark_file(path: Path, n_lines: int) -> None:
    """Write a realistic camt.053.001.08 of `n_lines` booked entries to `path`, one entry per text line
    (about 750 bytes each), streamed to disk; the same file every time (seeded)."""
    account, currency = "PL61109010140000071219812874", "PLN"
    rng = random.Random(2024)
    # Amounts first: the closing balance is written before the entries.
    cents = [rng.randint(1, 2_500_000) * (-1 if rng.random() < 0.15 else 1) for _ in range(n_lines)]
    opening = Decimal("125000.00")
    closing = opening + sum(cents) * quantum(currency)
    start = date(2024, 1, 1)
    end = start + timedelta(days=max(0, (n_lines - 1) // _LINES_PER_DAY))
    layout = _Layout.of("001.08")
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(_head(layout, account, currency, "BENCH-0001", opening, closing, start, end))
        batch: list[str] = []
        for line in _benchmark_lines(cents, account, currency, rng):
            batch.append(_entry(layout, line))
            if len(batch) == 5000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
        out.write(_TAIL)


# -- templates ----------------------------------------------------------------------------------------

_TAIL = "</Stmt></BkToCstmrStmt></Document>\n"


def _head(
    layout: _Layout,
    account: str,
    currency: str,
    statement_id: str,
    opening: Decimal,
    closing: Decimal,
    first: date,
    last: date,
) -> str:
    if _IBAN_RE.fullmatch(account):
        account_id = f"<IBAN>{account}</IBAN>"
    else:
        account_id = f"<Othr><Id>{_esc(account)}</Id></Othr>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{NAMESPACE}{layout.version}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{_esc(statement_id)}</MsgId>"
        f"<CreDtTm>{last.isoformat()}T23:59:59</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{_esc(statement_id)}</Id><CreDtTm>{last.isoformat()}T23:59:59</CreDtTm>"
        f"<Acct><Id>{account_id}</Id><Ccy>{currency}</Ccy></Acct>"
        f"{_balance('OPBD', opening, currency, first)}{_balance('CLBD', closing, currency, last)}\n"
    )


def _balance(code: str, amount: Decimal, currency: str, on: date) -> str:
    indicator = "DBIT" if amount < 0 else "CRDT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{currency}">{abs(amount):f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{on.isoformat()}</Dt></Dt></Bal>"
    )


def _entry(layout: _Layout, line: BankLine) -> str:
    indicator = "DBIT" if line.amount < 0 else "CRDT"
    amount = f'<Amt Ccy="{line.currency}">{abs(line.amount):f}</Amt>'
    status = "<Sts><Cd>BOOK</Cd></Sts>" if layout.modern else "<Sts>BOOK</Sts>"
    value = f"<ValDt><Dt>{line.value_date.isoformat()}</Dt></ValDt>" if line.value_date else ""
    ref = f"<AcctSvcrRef>{_esc(line.bank_ref)}</AcctSvcrRef>" if line.bank_ref else ""
    if layout.modern:
        tx_amount = f"{amount}<CdtDbtInd>{indicator}</CdtDbtInd>"
    else:
        tx_amount = f"<AmtDtls><TxAmt>{amount}</TxAmt></AmtDtls>"
    return (
        f"<Ntry>{amount}<CdtDbtInd>{indicator}</CdtDbtInd><RvslInd>false</RvslInd>{status}"
        f"<BookgDt><Dt>{line.booking_date.isoformat()}</Dt></BookgDt>{value}{ref}"
        f"{_bank_tx_code(line.bank_tx_code)}"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>{_esc(line.end_to_end_id or 'NOTPROVIDED')}</EndToEndId></Refs>"
        f"{tx_amount}{_parties(layout, line)}{_remittance(line)}</TxDtls></NtryDtls></Ntry>\n"
    )


def _bank_tx_code(code: str | None) -> str:
    if not code:
        return ""
    domain = _DOMAIN_CODE_RE.fullmatch(code)
    if domain:
        return (
            f"<BkTxCd><Domn><Cd>{domain[1]}</Cd><Fmly><Cd>{domain[2]}</Cd>"
            f"<SubFmlyCd>{domain[3]}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        )
    return f"<BkTxCd><Prtry><Cd>{_esc(code)}</Cd></Prtry></BkTxCd>"


def _parties(layout: _Layout, line: BankLine) -> str:
    party = "Cdtr" if line.amount < 0 else "Dbtr"
    out = []
    if line.counterparty_name:
        name = f"<Nm>{_esc(line.counterparty_name)}</Nm>"
        out.append(f"<{party}>{f'<Pty>{name}</Pty>' if layout.modern else name}</{party}>")
    if line.counterparty_iban:
        out.append(f"<{party}Acct><Id><IBAN>{_esc(line.counterparty_iban)}</IBAN></Id></{party}Acct>")
    return f"<RltdPties>{''.join(out)}</RltdPties>" if out else ""


def _remittance(line: BankLine) -> str:
    blocks = [f"<Ustrd>{_esc(block)}</Ustrd>" for block in _blocks(line.remittance)]
    if line.structured_ref:
        blocks.append(
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{_esc(line.structured_ref)}</Ref></CdtrRefInf></Strd>"
        )
    return f"<RmtInf>{''.join(blocks)}</RmtInf>" if blocks else ""


def _blocks(text: str) -> list[str]:
    """Cut free text into Max140Text blocks at spaces, so that joining them with a space gives it back."""
    if len(text) <= MAX_TEXT:
        text = " ".join(text.split())
        return [text] if text else []
    blocks: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > MAX_TEXT:  # a single over-long word is cut where it must be
            if current:
                blocks.append(current)
                current = ""
            blocks.append(word[:MAX_TEXT])
            word = word[MAX_TEXT:]
        if current and len(current) + 1 + len(word) > MAX_TEXT:
            blocks.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        blocks.append(current)
    return blocks


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- benchmark data -----------------------------------------------------------------------------------

_PAYERS = (
    "Przedsiębiorstwo Handlowe Żółw Sp. z o.o.", "Łukasz Wróblewski", "Müller & Söhne GmbH",
    "Café Größenwahn KG", "Zakład Usług Świętokrzyskich S.A.", "Jörg Weiß", "Agnieszka Kołodziej",
    "Bäckerei Schäfer e.K.", "Hurtownia Ogrodnicza Ćma", "Fundacja Źródło",
)  # fmt: skip


_LINES_PER_DAY = 3000


def _benchmark_lines(cents: list[int], account: str, currency: str, rng: random.Random) -> Iterator[BankLine]:
    """Mostly incoming transfers quoting an invoice number, some supplier payments out (15%)."""
    step = quantum(currency)
    start = date(2024, 1, 1)
    booked = start
    for number, amount in enumerate(cents):
        if number % _LINES_PER_DAY == 0:
            booked = start + timedelta(days=number // _LINES_PER_DAY)
        payer = _PAYERS[rng.randrange(len(_PAYERS))]
        yield BankLine(
            line_id="",
            bank_ref=f"PL{booked:%Y%m%d}{number:09d}",
            account=account,
            currency=currency,
            amount=amount * step,
            booking_date=booked,
            value_date=booked,
            counterparty_name=payer,
            counterparty_iban=f"PL{rng.randrange(10**26):026d}",
            remittance=f"Zapłata za fakturę FV/{booked.year}/{number % 9000 + 1:04d} {payer}",
            structured_ref=f"RF18{number:010d}" if number % 4 == 0 else None,
            end_to_end_id=f"E2E{number:012d}",
            bank_tx_code="PMNT/ICDT/ESCT" if amount < 0 else "PMNT/RCDT/ESCT",
        )

