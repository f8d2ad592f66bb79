"""A payment short of its invoice by a charge its own statement reports (camt Chrgs, or an instructed amount
above the amount booked): stronger evidence than a shortfall that merely falls in the configured fee range.

End to end: the camt reader fills BankLine.reported_charges, the core (reconcile.matching.match_tables)
scores the amount comparison's level for it, and the engine words the decision.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from reconcile.matching import match_tables
from reconcile.matching.engine import match_lines
from reconcile.matching.tables import frames, level_column
from reconcile.model import BankLine, Decision
from reconcile.rules import load_rules
from reconcile.statements.camt import CamtReader
from tests.factories import invoice, line

RULES = load_rules()
AMOUNT = next(c for c in RULES.comparisons if c.name == "amount")
REPORTED = "the open amount less the charges the bank reports"
FEE = "the open amount less a bank's fee"
INVOICE = invoice(42, "INV-2026-0042", "3600.00", currency="EUR", client="Nordwind Logistik GmbH")


def paid(amount: str, charges: str | None, ref: str = "R-1") -> BankLine:
    """A credit in EUR naming the invoice, with the charges its statement reports (None: none reported)."""
    credit = line(amount, "Rechnung INV-2026-0042", currency="EUR", payer="NORDWIND LOGISTIK GMBH", ref=ref)
    return replace(credit, reported_charges=Decimal(charges) if charges else None)


def rows_of(*lines: BankLine) -> list[dict[str, Any]]:
    """The core's rows for the lines against the one open invoice."""
    return match_tables(*frames(list(lines), [INVOICE]), RULES).rows(named=True)


def amount_level(row: dict[str, Any]) -> str:
    index = row[level_column("amount")]
    assert isinstance(index, int)
    return AMOUNT.levels[index].label


def test_the_shipped_rules_rank_reported_charges_above_the_fee_range_and_count_them_strong() -> None:
    labels = [level.label for level in AMOUNT.levels]
    assert labels.index("equals the open amount") < labels.index(REPORTED) < labels.index(FEE)
    level = AMOUNT.levels[labels.index(REPORTED)]
    assert (level.when, level.bayes_factor, level.params) == ("amount_charges_reported", 30, {})
    assert REPORTED in AMOUNT.strong_levels


def test_a_payment_short_by_the_charges_its_statement_reports_is_posted_for_what_arrived() -> None:
    [row] = rows_of(paid("3585.00", "15.00"))
    assert (row["decision"], row["invoice_iri"], row["amount"], row["rest"]) == (
        "auto_post",
        "/invoices/42",
        Decimal("3585.0000"),
        Decimal("0.0000"),
    )
    assert amount_level(row) == REPORTED


def test_a_reported_charge_that_does_not_explain_the_shortfall_does_not_take_the_level() -> None:
    # 15.00 short, 10.00 reported: the shortfall is only a fee in the configured range
    assert [amount_level(row) for row in rows_of(paid("3585.00", "10.00"))] == [FEE]


def test_without_reported_charges_the_shortfall_is_only_a_fee_in_range() -> None:
    assert [amount_level(row) for row in rows_of(paid("3585.00", None))] == [FEE]


def test_reported_charges_weigh_more_than_a_fee_in_range() -> None:
    reported, in_range = paid("3585.00", "15.00", ref="R-1"), paid("3585.00", None, ref="R-2")
    rows = {row["line_id"]: row for row in rows_of(reported, in_range)}
    assert rows[reported.line_id]["probability"] > rows[in_range.line_id]["probability"]


def test_a_payment_of_the_full_amount_stays_exact_whatever_charges_are_reported() -> None:
    assert [amount_level(row) for row in rows_of(paid("3600.00", "15.00"))] == ["equals the open amount"]


CAMT_V2 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-21T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">3585.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-11-20</Dt></BookgDt><AcctSvcrRef>R-1</AcctSvcrRef>
<NtryDtls><TxDtls>
<AmtDtls><InstdAmt><Amt Ccy="EUR">3600.00</Amt></InstdAmt><TxAmt><Amt Ccy="EUR">3585.00</Amt></TxAmt></AmtDtls>
<Chrgs><Amt Ccy="EUR">15.00</Amt><Br>SHAR</Br></Chrgs>
<RltdPties><Dbtr><Nm>NORDWIND LOGISTIK GMBH</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>Rechnung INV-2026-0042</Ustrd></RmtInf>
</TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""


def test_a_camt_statement_reporting_the_charge_gets_its_invoice_posted(tmp_path: Path) -> None:
    path = tmp_path / "statement.xml"
    path.write_text(CAMT_V2, encoding="utf-8")
    [credit] = CamtReader().parse(path).lines
    assert credit.reported_charges == Decimal("15.00")
    [match] = match_lines([credit], [INVOICE], RULES)
    assert match.decision is Decision.AUTO_POST
    assert match.chosen is not None
    [allocation] = match.chosen.allocations
    assert (allocation.invoice.iri, allocation.amount) == ("/invoices/42", Decimal("3585.00"))
    assert f"amount: {REPORTED} (3,585.00 EUR paid, 3,600.00 EUR open)" in match.chosen.reasons()
