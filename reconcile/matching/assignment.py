"""Turning scores into decisions: post, ask a person, or leave unmatched.

Precision first: a line is posted only when its best candidate is very probable, carries the required
strong evidence, clearly beats the runner-up, and no other line in the run claims the same invoice.
Ties are dropped to review, never broken by a guess (as splink's one-to-one linking does).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from reconcile.model import BankLine, Decision, Match, ScoredCandidate
from reconcile.rules import Rules


def decide_line(line: BankLine, scored: list[tuple[ScoredCandidate, frozenset[str]]], rules: Rules) -> Match:
    ranked = sorted(scored, key=lambda sc: (-sc[0].probability, sc[0].invoice.name))
    suggestions = tuple(c for c, _ in ranked if c.probability >= rules.review_probability)
    suggestions = suggestions[: rules.max_suggestions]
    if not suggestions:
        note = (
            "no open invoice resembles this payment"
            if not ranked
            else (f"best candidate {ranked[0][0].invoice.name} only {ranked[0][0].probability:.0%} likely")
        )
        return Match(line, Decision.UNMATCHED, note=note)
    best, strong = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else None
    missing = [name for name in rules.auto_post_requires if name not in strong]
    if missing:
        note = "not posted automatically without strong evidence on: " + ", ".join(missing)
    elif best.probability < rules.auto_post_probability:
        note = f"best candidate {best.probability:.1%} likely, below the {rules.auto_post_probability:.0%} to post"
    elif runner_up is not None and best.odds < runner_up.odds * rules.min_odds_ratio:
        note = f"{runner_up.invoice.name} is nearly as likely as {best.invoice.name}"
    else:
        return Match(line, Decision.POSTED, chosen=best, suggestions=suggestions)
    return Match(line, Decision.REVIEW, suggestions=suggestions, note=note)


def one_to_one(matches: list[Match]) -> list[Match]:
    """Demote every auto-post that shares its invoice with another line of the run: a person decides."""
    by_invoice: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(matches):
        if m.decision is Decision.POSTED and m.chosen is not None:
            by_invoice[m.chosen.invoice.iri].append(i)
    out = list(matches)
    for positions in by_invoice.values():
        if len(positions) < 2:
            continue
        for i in positions:
            m = out[i]
            chosen = m.chosen
            assert chosen is not None
            others = len(positions) - 1
            out[i] = replace(
                m,
                decision=Decision.REVIEW,
                chosen=None,
                note=f"{others} other payment(s) in this run also point to {chosen.invoice.name}",
            )
    return out
