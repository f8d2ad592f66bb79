"""Matching for callers that hold BankLine and Invoice values: the columnar core, and Match values back.

The core (`tables.match_tables`) decides on whole tables; this module turns its rows into the Match values
the pipeline and the reports use, and writes the words of an explanation only for the candidates shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import polars as pl

from reconcile.matching.names import line_payer
from reconcile.matching.payer_lists import is_alias
from reconcile.matching.signals import SIGNALS, PairView
from reconcile.matching.tables import AUTO_POST, IGNORED, REVIEW, frames, level_column, match_tables
from reconcile.model import Allocation, BankLine, Decision, Evidence, Invoice, Match, ScoredCandidate
from reconcile.money import quantize
from reconcile.rules import Comparison, Rules

_DECISIONS = {AUTO_POST: Decision.AUTO_POST, REVIEW: Decision.REVIEW, IGNORED: Decision.IGNORED}
# A comparison, and the explanation of the signal that speaks for it (None: no detail).
_Speaker = tuple[Comparison, Callable[[PairView], str] | None]


def match_lines(
    lines: Sequence[BankLine],
    invoices: Sequence[Invoice],
    rules: Rules,
    *,
    learned: pl.DataFrame | None = None,
    never: pl.DataFrame | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[Match]:
    """Decide each line (in the order given): allocations to post, suggestions for a person, unmatched or
    ignored. `learned`: the payers confirmed before (reconcile.store.learned.LearnedPayers.frame());
    `never`: the payer and client pairs people rejected (LearnedPayers.never_frame())."""
    line_table, invoice_table = frames(lines, invoices)
    rows = match_tables(line_table, invoice_table, rules, learned, never=never)
    by_iri = {inv.iri: inv for inv in invoices}
    by_line: dict[str, list[dict[str, Any]]] = {}
    for row in rows.iter_rows(named=True):
        by_line.setdefault(row["line_id"], []).append(row)
    # What speaks for each comparison: its level's words, and the explanation of its first condition.
    speakers = [(c, SIGNALS[c.topic].explain if c.topic else None) for c in rules.comparisons]
    matches = [_match(line, by_line[line.line_id], by_iri, rules, speakers) for line in lines]
    if on_progress:
        on_progress(len(lines))
    return matches


def _match(
    line: BankLine, rows: list[dict[str, Any]], by_iri: dict[str, Invoice], rules: Rules, speakers: list[_Speaker]
) -> Match:
    decision = _DECISIONS.get(rows[0]["decision"], Decision.UNMATCHED)
    note = rows[0]["note"] or ""
    options: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["invoice_iri"] is not None:
            options.setdefault(row["rank"], []).append(row)
    payer = line_payer(line.counterparty_name, line.remittance) if options else None
    suggestions = tuple(
        _candidate(line, payer, sorted(options[rank], key=lambda r: r["part"]), by_iri, rules, speakers)
        for rank in sorted(options)
    )
    if decision is Decision.AUTO_POST:
        return Match(line, decision, chosen=suggestions[0], suggestions=suggestions)
    return Match(line, decision, suggestions=suggestions, note=note)


def _candidate(
    line: BankLine,
    payer: str | None,
    rows: list[dict[str, Any]],
    by_iri: dict[str, Invoice],
    rules: Rules,
    speakers: list[_Speaker],
) -> ScoredCandidate:
    """One option (one invoice, or the invoices of a combined payment), with the words of its evidence."""
    first = rows[0]
    allocations = tuple(
        Allocation(invoice, quantize(r["amount"], invoice.currency))
        for r in rows
        for invoice in (by_iri[r["invoice_iri"]],)
    )
    invoices = [a.invoice for a in allocations]
    client_iri, client_name = invoices[0].client_iri, invoices[0].client_name
    view = PairView(
        reference_text=first["ref_text"],
        invoice_name=" + ".join(inv.name for inv in invoices),
        line_amount=line.amount,
        line_currency=line.currency,
        open_amount=sum((inv.open_amount for inv in invoices), Decimal(0)),
        invoice_currency=invoices[0].currency,
        payer=payer,
        client_name=client_name,
        name_similarity=first["name_similarity"],
        booking_date=line.booking_date,
        issue_date=max((inv.issue_date for inv in invoices if inv.issue_date), default=None),
        due_date=min((inv.due_date for inv in invoices if inv.due_date), default=None),
        payer_iban=line.counterparty_iban,
        # An alias gives the same name (reconcile.matching.payer_lists.alias_names): only then ask which it was.
        payer_alias=first["name_similarity"] == 1.0
        and is_alias(rules.aliases, payer, client_iri, client_name),
    )
    evidence = []
    for comparison, explain in speakers:
        level = comparison.levels[first[level_column(comparison.name)]]
        evidence.append(Evidence(comparison.name, level.label, level.bayes_factor, explain(view) if explain else ""))
    return ScoredCandidate(
        line.line_id,
        allocations,
        first["probability"],
        first["odds"],
        tuple(evidence),
        quantize(first["rest"], line.currency),
    )
