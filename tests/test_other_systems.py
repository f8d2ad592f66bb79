"""Cases from the test suites of established open-source accounting systems, run through our matching core.

Odoo, the OCA account-reconcile modules, ERPNext and Tryton each test their automatic bank reconciliation on
payments they reconcile themselves (an invoice number or payment reference in the label, a structured
creditor reference, a payment short by a written-off difference, a partner paying an exact amount) and on
payments they deliberately leave alone. tests/fixtures/other_systems/cases.toml holds those cases translated
into bank lines and open Flowtly invoices, each naming its source and what did not carry over; this file runs
each case through `reconcile.matching.match_tables` with the default rules and checks every line's decision
and allocations. Of the 14 payments these systems reconcile automatically, reconcile posts 12; the other 2,
and one suggestion Odoo makes that reconcile does not, are deliberate, and their cases say why (`we_differ`).
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from reconcile.matching import match_tables
from reconcile.matching.tables import frames, level_column
from reconcile.model import BankLine, Invoice, make_line_id
from reconcile.rules import load_rules

CASES_FILE = Path(__file__).parent / "fixtures" / "other_systems" / "cases.toml"
CASES: list[dict[str, Any]] = tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))["case"]
RULES = load_rules()
ACCOUNT = "DE89370400440532013000"  # ours, that received the money: any account will do
SOURCE_KEYS = ("id", "system", "source_repo", "source_path", "source_test", "commit", "description",
               "their_outcome", "translation", "currency", "invoices", "lines")  # fmt: skip
DECISIONS = {"auto_post", "review", "unmatched", "ignored"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def bank_line(case: dict[str, Any], spec: dict[str, Any]) -> BankLine:
    amount = Decimal(spec["amount"])
    currency = spec.get("currency", case["currency"])
    bank_ref = f"{case['id']}/{spec['ref']}"
    return BankLine(
        line_id=make_line_id(
            ACCOUNT, bank_ref, booking_date=spec["booked"], amount=amount, currency=currency
        ),
        bank_ref=bank_ref,
        account=ACCOUNT,
        currency=currency,
        amount=amount,
        booking_date=spec["booked"],
        counterparty_name=spec.get("payer"),
        counterparty_iban=spec.get("iban"),
        remittance=spec.get("remittance", ""),
        structured_ref=spec.get("structured_ref"),
        end_to_end_id=spec.get("end_to_end_id"),
        bank_tx_code=spec.get("bank_tx_code"),
        source_file=CASES_FILE.name,
        source_format="test",
    )


def open_invoice(case: dict[str, Any], number: int, spec: dict[str, Any]) -> Invoice:
    client = spec.get("client")
    return Invoice(
        iri=f"/invoices/{number}",
        id=number,
        name=spec["name"],
        client_name=client,
        client_iri=f"/clients/{_slug(client)}" if client else None,
        amount=Decimal(spec.get("amount", spec["open"])),
        open_amount=Decimal(spec["open"]),
        currency=spec.get("currency", case["currency"]),
        status="sent",
        issue_date=spec.get("issued"),
        due_date=spec.get("due"),
    )


def describe(rows: list[dict[str, Any]], names: dict[str, str]) -> str:
    """What the engine made of one line: its decision and note, and per option the invoices, amounts,
    probability and the level of every comparison."""
    first = rows[0]
    parts = [f"decision={first['decision']!r} note={first['note']!r}"]
    options: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["invoice_iri"] is not None:
            options.setdefault(row["rank"], []).append(row)
    for rank, option in sorted(options.items()):
        head = option[0]
        levels = "; ".join(
            f"{c.name}: {c.levels[head[level_column(c.name)]].label}" for c in RULES.comparisons
        )
        allocated = ", ".join(f"{names[r['invoice_iri']]}={r['amount']}" for r in option)
        parts.append(
            f"  #{rank} {allocated} rest={head['rest']} p={head['probability']:.4f} ref_text={head['ref_text']!r}"
            f" | {levels}"
        )
    return "\n".join(parts)


def check(expect: dict[str, Any], rows: list[dict[str, Any]], names: dict[str, str]) -> list[str]:
    """The ways the engine's rows for one line differ from what the case expects."""
    got = rows[0]["decision"]
    wanted = expect.get("decision_in") or [expect["decision"]]
    problems = []
    if got not in wanted:
        problems.append(f"decision {got!r}, expected {' or '.join(map(repr, wanted))}")
    options: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["invoice_iri"] is not None:
            options.setdefault(row["rank"], []).append(row)
    first = options.get(1, [])
    if "allocations" in expect and got == "auto_post":
        posted = {names[r["invoice_iri"]]: r["amount"] for r in first}
        wanted_allocations = {name: Decimal(amount) for name, amount in expect["allocations"].items()}
        if posted != wanted_allocations:
            problems.append(f"posts {posted}, expected {wanted_allocations}")
        if "rest" in expect and first and first[0]["rest"] != Decimal(expect["rest"]):
            problems.append(f"leaves {first[0]['rest']} unallocated, expected {expect['rest']}")
    if "first_suggestion" in expect and got == "review":
        shown = sorted(names[r["invoice_iri"]] for r in first)
        if shown != sorted(expect["first_suggestion"]):
            problems.append(f"first suggestion {shown}, expected {sorted(expect['first_suggestion'])}")
    if "suggested" in expect and got == "review":
        shown_any = {names[r["invoice_iri"]] for option in options.values() for r in option}
        missing = sorted(set(expect["suggested"]) - shown_any)
        if missing:
            problems.append(f"does not suggest {missing}")
    return problems


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case_from_another_system(case: dict[str, Any]) -> None:
    missing = [key for key in SOURCE_KEYS if not case.get(key)]
    assert not missing, f"case {case.get('id')} lacks {missing}"
    lines = [bank_line(case, spec) for spec in case["lines"]]
    invoices = [open_invoice(case, n, spec) for n, spec in enumerate(case["invoices"], start=1)]
    names = {inv.iri: inv.name for inv in invoices}
    assert len(set(names.values())) == len(invoices), "invoice numbers are unique"
    rows = match_tables(*frames(lines, invoices), RULES)

    problems = []
    for spec, line in zip(case["lines"], lines, strict=True):
        expect = spec["expect"]
        assert set(expect.get("decision_in", [expect.get("decision")])) <= DECISIONS, expect
        mine = rows.filter(pl.col("line_id") == line.line_id).sort("rank", "part", nulls_last=True)
        assert not mine.is_empty(), f"{spec['ref']}: no row"
        found = mine.rows(named=True)
        wrong = check(expect, found, names)
        if wrong:
            what = f"{spec['ref']} ({spec['amount']} {line.currency}, {line.remittance!r}, payer {line.counterparty_name!r})"
            problems.append(f"{what}: {'; '.join(wrong)}\n{describe(found, names)}")
    source = f"{case['id']} ({case['source_repo']} {case['source_test']})"
    assert not problems, source + ":\n" + "\n".join(problems)
