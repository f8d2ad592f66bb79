"""Write OFX bank statements from BankLines: OFX 1.0.2 SGML (leaf tags left open, as banks do) or 2.2 XML.

For property tests and the benchmark only; what it writes is what OfxReader must read back unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from stdnum import iban as iban_check

from reconcile.model import BankLine
from reconcile.money import quantize

Flavour = Literal["sgml", "xml"]
Element = Callable[[str, str], str]  # (tag, value) -> the element as written

_SGML_HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:{encoding}\nCHARSET:{charset}\n"
    "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)
_XML_HEADER = (
    '<?xml version="1.0" encoding="{encoding}" standalone="no"?>\n'
    '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\n'
)


def write_ofx(
    lines: Sequence[BankLine],
    *,
    account: str,
    currency: str,
    opening: Decimal = Decimal(0),
    flavour: Flavour = "sgml",
    encoding: Literal["utf-8", "cp1252"] = "utf-8",
    time_zone: str = "+1:CET",
) -> bytes:
    """One bank statement (STMTRS) holding `lines`, with LEDGERBAL = opening + the lines in `currency`.

    `account` is what the reader reports: an IBAN, or "BANKID/ACCTID". Dates are written at midnight in
    `time_zone`, the case where ofxparse alone would move them to the day before.
    """
    bank_id, acct_id = _bank_and_account(account)
    closing = opening + sum((ln.amount for ln in lines if ln.currency == currency), Decimal(0))
    dates = [ln.booking_date for ln in lines] or [date(2024, 1, 1)]
    stamp = f"000000[{time_zone}]"
    xml = flavour == "xml"
    end = _closer(xml)
    parts = [
        "<OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n",
        end("CODE", "0"), end("SEVERITY", "INFO"), "</STATUS>\n",
        end("DTSERVER", f"{max(dates):%Y%m%d}{stamp}"), end("LANGUAGE", "ENG"),
        "</SONRS>\n</SIGNONMSGSRSV1>\n<BANKMSGSRSV1>\n<STMTTRNRS>\n", end("TRNUID", "1"), "<STATUS>\n",
        end("CODE", "0"), end("SEVERITY", "INFO"), "</STATUS>\n<STMTRS>\n", end("CURDEF", currency),
        "<BANKACCTFROM>\n", end("BANKID", bank_id), end("ACCTID", acct_id), end("ACCTTYPE", "CHECKING"),
        "</BANKACCTFROM>\n<BANKTRANLIST>\n",
        end("DTSTART", f"{min(dates):%Y%m%d}{stamp}"), end("DTEND", f"{max(dates):%Y%m%d}{stamp}"),
    ]  # fmt: skip
    for line in lines:
        parts.append(_transaction(line, currency, stamp, end))
    parts += [
        "</BANKTRANLIST>\n<LEDGERBAL>\n", end("BALAMT", f"{closing:f}"),
        end("DTASOF", f"{max(dates):%Y%m%d}{stamp}"),
        "</LEDGERBAL>\n</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n",
    ]  # fmt: skip
    if xml:
        header = _XML_HEADER.format(encoding="UTF-8" if encoding == "utf-8" else "windows-1252")
    elif encoding == "utf-8":
        header = _SGML_HEADER.format(encoding="UTF-8", charset="NONE")
    else:
        header = _SGML_HEADER.format(encoding="USASCII", charset="1252")
    return (header + "".join(parts)).encode(encoding)


def _closer(xml: bool) -> Element:
    """A leaf element: closed in XML, left open in SGML (OFX 1.0.2 section 2.3.1 allows it)."""
    if xml:
        return lambda tag, value: f"<{tag}>{value}</{tag}>\n"
    return lambda tag, value: f"<{tag}>{value}\n"


def _transaction(line: BankLine, currency: str, stamp: str, end: Element) -> str:
    # Element order of OFX 2.2 section 11.4.3 (STMTTRN).
    code = line.bank_tx_code or ("CREDIT" if line.amount > 0 else "DEBIT")
    out = ["<STMTTRN>\n", end("TRNTYPE", code), end("DTPOSTED", f"{line.booking_date:%Y%m%d}{stamp}")]
    if line.value_date:
        out.append(end("DTAVAIL", f"{line.value_date:%Y%m%d}{stamp}"))
    out.append(end("TRNAMT", f"{line.amount:f}"))
    if line.bank_ref:
        out.append(end("FITID", _escape(line.bank_ref)))
    if line.counterparty_name:
        out.append(end("NAME", _escape(line.counterparty_name)))
    if line.counterparty_iban:
        iban = line.counterparty_iban
        out += ["<BANKACCTTO>\n", end("BANKID", iban[4:12]), end("ACCTID", iban), end("ACCTTYPE", "CHECKING"),
                "</BANKACCTTO>\n"]  # fmt: skip
    if line.remittance:
        out.append(end("MEMO", _escape(line.remittance)))
    if line.currency != currency:
        out += ["<CURRENCY>\n", end("CURRATE", "1"), end("CURSYM", line.currency), "</CURRENCY>\n"]
    out.append("</STMTTRN>\n")
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _bank_and_account(account: str) -> tuple[str, str]:
    if "/" in account:
        bank_id, _, acct_id = account.partition("/")
        return bank_id, acct_id
    # An IBAN: the reader reports the IBAN whatever BANKID says; the spec wants one, so give its bank code.
    return account[4:12], account


# ---------------------------------------------------------------------------------------------------------
# Benchmark file
# ---------------------------------------------------------------------------------------------------------

_PAYERS = (
    "Zakład Usług Różnych Łódź", "Müller & Söhne GmbH", "Przedsiębiorstwo Żółć Sp. z o.o.",
    "Bäckerei Groß KG", "Spółdzielnia Mieszkaniowa Świt", "ACME <Europe> Ltd", "Jörg Weiß",
)  # fmt: skip


def _pool_ibans(rng: random.Random, n: int) -> list[str]:
    ibans = []
    for _ in range(n):
        bban = "".join(rng.choice("0123456789") for _ in range(24))
        ibans.append("PL" + iban_check.calc_check_digits("PL00" + bban) + bban)
    return ibans


def write_benchmark_file(path: Path, n_lines: int) -> None:
    """An OFX 1.0.2 SGML statement of `n_lines` payments, leaf tags open: ofxparse's quadratic case."""
    rng = random.Random(20240115)
    ibans = _pool_ibans(rng, 200)
    first = date(2024, 1, 1)
    account = "PL61109010140000071219812874"
    lines = []
    for i in range(n_lines):
        amount = quantize(Decimal(rng.randrange(-500_000, 2_000_000)) / 100, "PLN")
        counterparty = rng.randrange(len(ibans))
        lines.append(
            BankLine(
                line_id="",
                bank_ref=f"OFX{i:09d}",
                account=account,
                currency="PLN",
                amount=amount,
                booking_date=first + timedelta(days=i * 365 // max(n_lines, 1)),
                counterparty_name=_PAYERS[counterparty % len(_PAYERS)],
                counterparty_iban=ibans[counterparty],
                remittance=f"Zapłata za fakturę FV/{2024}/{i:06d} zamówienie {rng.randrange(10**6):06d}",
            )
        )
    path.write_bytes(write_ofx(lines, account=account, currency="PLN"))
