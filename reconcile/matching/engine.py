"""One call that matches a batch of bank lines against the open invoices: block, score, decide."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reconcile.matching.assignment import decide_line, one_to_one
from reconcile.matching.candidates import InvoiceBook
from reconcile.matching.scoring import score
from reconcile.model import BankLine, Decision, Invoice, Match
from reconcile.rules import Rules


def match_lines(
    lines: Sequence[BankLine],
    invoices: Sequence[Invoice],
    rules: Rules,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> list[Match]:
    book = InvoiceBook(list(invoices), rules)
    matches: list[Match] = []
    for n, line in enumerate(lines, start=1):
        if line.amount <= 0:
            reason = "money out" if line.amount < 0 else "zero amount"
            matches.append(Match(line, Decision.IGNORED, note=reason))
        else:
            scored = [score(line, facts, rules) for facts in book.candidates(line).values()]
            matches.append(decide_line(line, scored, rules))
        if on_progress:
            on_progress(n)
    return one_to_one(matches)
