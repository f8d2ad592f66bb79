"""The one place the benchmarks know how the matching engine is called and what it answers.

Two seams are measured: the columnar core `reconcile.matching.match_tables` on polars tables and `match_lines` on BankLine/Invoice values, as the pipeline calls it. `outcomes` turns either
answer into one Outcome per line. When the engine changes shape, only this module changes. It must never
judge a decision: that is benchmarks/accuracy.py's job, against the corpus's truth.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

import polars as pl

from benchmarks.corpus import Corpus
from reconcile.matching import match_tables, tables
from reconcile.model import Decision, Match
from reconcile.rules import Rules

AUTO_POST, REVIEW, UNMATCHED, IGNORED = "auto_post", "review", "unmatched", "ignored"
_DECISIONS = {
    Decision.AUTO_POST: AUTO_POST,
    Decision.REVIEW: REVIEW,
    Decision.UNMATCHED: UNMATCHED,
    Decision.IGNORED: IGNORED,
}


class Outcome(NamedTuple):
    decision: str  # auto_post | review | unmatched | ignored
    allocations: dict[str, Decimal]  # invoice iri -> amount, when auto_post
    suggestions: tuple[str, ...]  # invoice iris offered to a person, best first


def match_lines(corpus: Corpus, rules: Rules) -> list[Match]:
    """The engine on the corpus's values, as the pipeline calls it."""
    from reconcile.matching.engine import match_lines as engine_match_lines

    return engine_match_lines(corpus.lines, [*corpus.invoices, *corpus.paid], rules)


def decide(corpus: Corpus, rules: Rules) -> tuple[str, dict[str, Outcome]]:
    """The engine's decision for every line, through its columnar core, and the seam used."""
    return "match_tables", outcomes(match_tables(corpus.line_frame(), corpus.invoice_frame(), rules))


def outcomes(answer: pl.DataFrame | list[Match]) -> dict[str, Outcome]:
    """{line_id: (decision, allocations, suggestions)} from either seam's answer."""
    if isinstance(answer, pl.DataFrame):
        return _from_table(answer)
    result: dict[str, Outcome] = {}
    for match in answer:
        chosen = match.chosen
        allocations = {a.invoice.iri: a.amount for a in chosen.allocations} if chosen is not None else {}
        suggestions = tuple(inv.iri for s in match.suggestions for inv in s.invoices)
        result[match.line.line_id] = Outcome(_DECISIONS[match.decision], allocations, suggestions)
    return result


def _from_table(rows: pl.DataFrame) -> dict[str, Outcome]:
    # One row per line and allocation or suggestion; rank 1 holds the allocations of an auto_post.
    result: dict[str, Outcome] = {}
    ordered = rows.select("line_id", "decision", "invoice_iri", "amount", "rank").sort(
        "line_id", "rank", nulls_last=True
    )
    for line_id, decision, iri, amount, rank in ordered.iter_rows():
        seen = result.get(line_id)
        if seen is None:
            seen = result[line_id] = Outcome(decision, {}, ())
        if iri is None:
            continue
        if decision == AUTO_POST and rank == 1:
            seen.allocations[iri] = amount
        result[line_id] = seen._replace(suggestions=(*seen.suggestions, iri))
    return result


def candidates_per_line(lines: pl.DataFrame, invoices: pl.DataFrame, rules: Rules) -> dict[str, Any]:
    """How many (line, invoice) pairs the core scores per money-in line (read from its candidate step), of
    the corpus's tables (Corpus.line_frame, Corpus.invoice_frame)."""
    # Numbered as match_tables numbers them: the core's ids are row numbers.
    prepared, _ = tables._numbered(tables._prepare_lines(lines), "line_id")
    incoming = prepared.filter(pl.col("line_units") > 0)
    invoices, _ = tables._numbered(tables._prepare_invoices(invoices), "iri")
    books = invoices.filter(pl.col("open_units") > 0)
    no_leads = pl.DataFrame(schema={"line_id": pl.UInt32, "client_iri": pl.String})  # nothing learned
    named = tables.reference_pairs(incoming, books, rules)
    per_line = tables._candidates(incoming, books, no_leads, named, rules).group_by("line_id").len()["len"]
    zero = incoming.height - per_line.len()
    return _summary(sorted([0] * zero + per_line.to_list()), "all lines")


def _summary(counts: list[int], of: str) -> dict[str, Any]:
    if not counts:
        return {"candidates_note": "no money-in lines"}
    return {
        "candidates_avg": round(sum(counts) / len(counts), 1),
        "candidates_p50": counts[len(counts) // 2],
        "candidates_p99": counts[min(len(counts) - 1, len(counts) * 99 // 100)],
        "candidates_max": counts[-1],
        "candidates_of": of,
    }
