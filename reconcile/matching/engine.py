"""Matching for callers that hold BankLine and Invoice values: the columnar core, and Match values back.

The core (`tables.match_tables`) decides on whole tables; this module turns its rows into the Match values
the pipeline and the reports use, and writes the words of an explanation only for the candidates shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from reconcile.matching.signals import SIGNALS, PairView
from reconcile.matching.tables import AUTO_POST, IGNORED, REVIEW, frames, level_column, match_tables
from reconcile.model import BankLine, Decision, Evidence, Invoice, Match, ScoredCandidate
from reconcile.rules import Rules

_DECISIONS = {AUTO_POST: Decision.POSTED, REVIEW: Decision.REVIEW, IGNORED: Decision.IGNORED}


def match_lines(
    lines: Sequence[BankLine],
    invoices: Sequence[Invoice],
    rules: Rules,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> list[Match]:
    """Decide each line (in the order given): post to one invoice, ask a person, unmatched or ignored."""
    line_table, invoice_table = frames(lines, invoices)
    rows = match_tables(line_table, invoice_table, rules)
    by_iri = {inv.iri: inv for inv in invoices}
    by_line: dict[str, list[dict[str, Any]]] = {}
    for row in rows.iter_rows(named=True):
        by_line.setdefault(row["line_id"], []).append(row)
    matches = [_match(line, by_line[line.line_id], by_iri, rules) for line in lines]
    if on_progress:
        on_progress(len(lines))
    return matches


def _match(line: BankLine, rows: list[dict[str, Any]], by_iri: dict[str, Invoice], rules: Rules) -> Match:
    decision = _DECISIONS.get(rows[0]["decision"], Decision.UNMATCHED)
    note = rows[0]["note"] or ""
    shown = sorted((r for r in rows if r["invoice_iri"] is not None), key=lambda r: r["rank"])
    suggestions = tuple(_candidate(line, by_iri[r["invoice_iri"]], r, rules) for r in shown)
    if decision is Decision.POSTED:
        return Match(line, decision, chosen=suggestions[0], suggestions=suggestions)
    return Match(line, decision, suggestions=suggestions, note=note)


def _candidate(line: BankLine, invoice: Invoice, row: dict[str, Any], rules: Rules) -> ScoredCandidate:
    view = PairView(
        reference_text=row["ref_text"],
        invoice_name=invoice.name,
        line_amount=line.amount,
        line_currency=line.currency,
        open_amount=invoice.open_amount,
        invoice_currency=invoice.currency,
        payer=line.counterparty_name,
        client_name=invoice.client_name,
        name_similarity=row["name_similarity"],
    )
    evidence = []
    for comparison in rules.comparisons:
        level = comparison.levels[row[level_column(comparison.name)]]
        detail = SIGNALS[comparison.topic].explain(view) if comparison.topic else ""
        evidence.append(Evidence(comparison.name, level.label, level.bayes_factor, detail))
    allocated = min(line.amount, invoice.open_amount) if line.currency == invoice.currency else Decimal(0)
    return ScoredCandidate(line.line_id, invoice, row["probability"], row["odds"], tuple(evidence), allocated)
