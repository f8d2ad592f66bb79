"""The one place the benchmarks know how the matching engine is called and what it answers.

Two seams are measured: the columnar core `reconcile.matching.match_tables` on polars tables (when the engine
has it) and `match_lines` on BankLine/Invoice values, as the pipeline calls it. `outcomes` turns either
answer into one Outcome per line. When the engine changes shape, only this module changes. It must never
judge a decision: that is benchmarks/accuracy.py's job, against the corpus's truth.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

import polars as pl

from benchmarks.corpus import Corpus
from reconcile.model import Decision, Match
from reconcile.rules import Rules

AUTO_POST, REVIEW, UNMATCHED, IGNORED = "auto_post", "review", "unmatched", "ignored"
_DECISIONS = {
    Decision.POSTED: AUTO_POST,  # match_lines says "posted" for what it would post automatically
    Decision.REVIEW: REVIEW,
    Decision.UNMATCHED: UNMATCHED,
    Decision.IGNORED: IGNORED,
}


class Outcome(NamedTuple):
    decision: str  # auto_post | review | unmatched | ignored
    allocations: dict[str, Decimal]  # invoice iri -> amount, when auto_post
    suggestions: tuple[str, ...]  # invoice iris offered to a person, best first


def core() -> Callable[[pl.DataFrame, pl.DataFrame, Rules], pl.DataFrame] | None:
    """The engine's columnar core, `match_tables(lines, invoices, rules)`, or None if it has none yet."""
    matching = importlib.import_module("reconcile.matching")
    found = getattr(matching, "match_tables", None)
    return found if callable(found) else None


def match_lines(corpus: Corpus, rules: Rules) -> list[Match]:
    """The engine on the corpus's values, as the pipeline calls it."""
    from reconcile.matching.engine import match_lines as engine_match_lines

    return engine_match_lines(corpus.lines, corpus.invoices, rules)


def decide(corpus: Corpus, rules: Rules) -> tuple[str, dict[str, Outcome]]:
    """The engine's decision for every line (through its core when it has one) and the seam used."""
    match_tables = core()
    if match_tables is not None:
        return "match_tables", outcomes(match_tables(corpus.line_frame(), corpus.invoice_frame(), rules))
    return "match_lines", outcomes(match_lines(corpus, rules))


def outcomes(answer: pl.DataFrame | list[Match]) -> dict[str, Outcome]:
    """{line_id: (decision, allocations, suggestions)} from either seam's answer."""
    if isinstance(answer, pl.DataFrame):
        return _from_table(answer)
    result: dict[str, Outcome] = {}
    for match in answer:
        chosen = match.chosen
        allocations = {chosen.invoice.iri: chosen.allocated_amount} if chosen is not None else {}
        suggestions = tuple(s.invoice.iri for s in match.suggestions)
        result[match.line.line_id] = Outcome(_DECISIONS[match.decision], allocations, suggestions)
    return result


def _from_table(rows: pl.DataFrame) -> dict[str, Outcome]:
    # One row per line and allocation or suggestion; rank 1 is the allocation of an auto_post. When a line
    # may hold several allocations (a combined payment), read them here.
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


def candidates_per_line(corpus: Corpus, rules: Rules, sample: int) -> dict[str, Any]:
    """How many (line, invoice) pairs the engine scores per money-in line.

    Read from the engine's own candidate step without touching reconcile/: the core's private
    `_candidates` on the whole corpus, or the older engine's `InvoiceBook.candidates` (which `match_lines`
    scored in full) on an even sample of `sample` lines. An engine with neither says so.
    """
    pairs, reason = None, ""
    try:
        tables = importlib.import_module("reconcile.matching.tables")
        prepared = tables._prepare_lines(corpus.line_frame())
        incoming = prepared.filter(pl.col("line_units") > 0)
        books = tables._prepare_invoices(corpus.invoice_frame(), rules)
        pairs = tables._candidates(incoming, books, rules)
    except (ImportError, AttributeError, TypeError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    if pairs is not None:
        per_line = pairs.group_by("line_id").len()["len"]
        zero = incoming.height - per_line.len()
        counts = sorted([0] * zero + per_line.to_list())
        return _summary(counts, "all lines")
    try:
        from reconcile.matching.candidates import InvoiceBook
    except ImportError:
        return {"candidates_note": f"not observable in this engine ({reason})"}
    credits = [line for line in corpus.lines if line.amount > 0]
    picked = credits[:: max(1, len(credits) // sample)][:sample]
    book = InvoiceBook(list(corpus.invoices), rules)
    return _summary(sorted(len(book.candidates(line)) for line in picked), f"{len(picked):,} lines")


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
