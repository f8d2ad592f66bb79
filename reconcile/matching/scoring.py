"""Scoring a candidate pair with the declarative rules: each comparison's first matching level gives a
Bayes factor; their product with the prior odds is the match probability, and the fired levels are the
explanation shown to a person."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from reconcile.matching.candidates import PairFacts
from reconcile.model import BankLine, Evidence, ScoredCandidate
from reconcile.money import format_amount
from reconcile.rules import Level, Rules

Condition = Callable[[BankLine, PairFacts, dict[str, float]], bool]


def _ref(kind: str) -> Condition:
    return lambda line, f, p: f.reference is not None and f.reference.kind == kind


def _within(line: BankLine, f: PairFacts, p: dict[str, float]) -> bool:
    open_amt = f.invoice.open_amount
    return open_amt > 0 and abs(line.amount - open_amt) <= open_amt * Decimal(str(p["tolerance"]))


CONDITIONS: dict[str, Condition] = {
    "ksef_number": _ref("ksef"),
    "invoice_number": _ref("invoice_number"),
    "invoice_number_loose": _ref("invoice_number_loose"),
    "currency_differs": lambda line, f, p: line.currency != f.invoice.currency,
    "amount_exact": lambda line, f, p: line.amount == f.invoice.open_amount,
    "amount_within": _within,
    "amount_below_open": lambda line, f, p: line.amount < f.invoice.open_amount,
    "amount_above_open": lambda line, f, p: line.amount > f.invoice.open_amount,
    "name_at_least": lambda line, f, p: f.name_similarity is not None and f.name_similarity >= p["threshold"],
    "name_missing": lambda line, f, p: not line.counterparty_name,
}


def _detail(comparison: str, line: BankLine, f: PairFacts) -> str:
    if comparison == "reference" and f.reference is not None:
        return f"'{f.reference.text}' ~ {f.invoice.name}"
    if comparison == "amount":
        paid = format_amount(line.amount, line.currency)
        return f"{paid} paid, {format_amount(f.invoice.open_amount, f.invoice.currency)} open"
    if comparison == "payer" and f.name_similarity is not None:
        return f"'{line.counterparty_name}' ~ '{f.invoice.client_name}', {f.name_similarity:.0%}"
    return ""


def first_level(levels: tuple[Level, ...], line: BankLine, facts: PairFacts) -> Level:
    for level in levels:
        if level.when is None or CONDITIONS[level.when](line, facts, level.params):
            return level
    return levels[-1]


def score(line: BankLine, facts: PairFacts, rules: Rules) -> tuple[ScoredCandidate, frozenset[str]]:
    """The scored candidate, and the names of the comparisons that fired one of their strong levels."""
    odds = rules.prior_odds
    evidence: list[Evidence] = []
    strong: set[str] = set()
    for comparison in rules.comparisons:
        level = first_level(comparison.levels, line, facts)
        odds *= level.bayes_factor
        if level.label in comparison.strong_levels:
            strong.add(comparison.name)
        evidence.append(
            Evidence(comparison.name, level.label, level.bayes_factor, _detail(comparison.name, line, facts))
        )
    probability = odds / (1.0 + odds)
    allocated = (
        min(line.amount, facts.invoice.open_amount)
        if line.currency == facts.invoice.currency
        else (Decimal(0))
    )
    return (
        ScoredCandidate(line.line_id, facts.invoice, probability, odds, tuple(evidence), allocated),
        frozenset(strong),
    )
