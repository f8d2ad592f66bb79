"""How right the matching engine is: precision and recall of its automatic postings per kind of payment, and
how often a person reviewing the rest finds the right invoice among its suggestions.

Measured on benchmarks/corpus.py's synthetic month, against what a careful accountant would post, beside a
naive rule (invoice number verbatim in the title and the exact open amount). Figures only: it never asserts,
and never reads the engine's answer except through benchmarks/engine_adapter.py.
"""

from __future__ import annotations

import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.corpus import KINDS, SKIPPED_KINDS, Corpus, fanout, make_corpus
from benchmarks.engine_adapter import AUTO_POST, IGNORED, REVIEW, UNMATCHED, Outcome, decide
from reconcile.rules import load_rules

DEFAULT_SIZE = 20_000
DEFAULT_SEED = 2026
COLUMNS = ["kind", "lines", "should_auto", "auto", "correct", "incomplete", "wrong", "auto_unasked", "precision",
           "recall", "to_review", "hit", "hit_rate"]  # fmt: skip
_COUNTS = (
    "lines",
    "should_auto",
    "auto",
    "correct",
    "incomplete",
    "wrong",
    "auto_unasked",
    "to_review",
    "hit",
)
LEGEND = """\
should_auto   lines a careful accountant posts without a second look
auto          lines posted automatically: correct (exactly the right invoices and amounts), incomplete (right
              invoices and amounts, but not all of them), or wrong (any invoice or amount that is not right)
auto_unasked  auto-posted lines that an accountant would have looked at first (right or wrong)
precision     (auto - wrong) / auto;  recall: correct among should_auto / should_auto
to_review     lines not auto-posted whose right answer is an invoice; hit: every right invoice is suggested"""


def evaluate(corpus: Corpus, outcomes: dict[str, Outcome]) -> list[dict[str, Any]]:
    """One row per kind (in KINDS order) and a total row, with the figures in COLUMNS."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line_id, truth in corpus.truth.items():
        got = outcomes.get(line_id, Outcome(UNMATCHED, {}, ()))
        for key in (truth.kind, "all"):
            c = counts[key]
            c["lines"] += 1
            c["should_auto"] += truth.should_auto
            if got.decision == AUTO_POST:
                verdict = _verdict(got.allocations, truth.allocations)
                c["auto"] += 1
                c[verdict] += 1
                c["auto_unasked"] += not truth.should_auto
                c["recalled"] += verdict == "correct" and truth.should_auto
            elif truth.allocations:
                c["to_review"] += 1
                c["hit"] += all(iri in got.suggestions for iri in truth.allocations)
    return [_row(kind, counts[kind]) for kind in [*(k.name for k in KINDS), "all"] if kind in counts]


def _verdict(posted: dict[str, Decimal], right: dict[str, Decimal]) -> str:
    if right and posted == right:
        return "correct"
    if posted and all(right.get(iri) == amount for iri, amount in posted.items()):
        return "incomplete"
    return "wrong"


def _row(kind: str, c: dict[str, int]) -> dict[str, Any]:
    return {
        "kind": "ALL" if kind == "all" else kind,
        **{name: c[name] for name in _COUNTS},
        "precision": _pct(c["auto"] - c["wrong"], c["auto"]),
        "recall": _pct(c["recalled"], c["should_auto"]),
        "hit_rate": _pct(c["hit"], c["to_review"]),
    }


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def naive_rule(corpus: Corpus) -> dict[str, Outcome]:
    """Post when exactly one open invoice's number stands verbatim in the title and the line pays exactly its
    open amount; suggest the invoices whose numbers stand there otherwise."""
    by_number = {inv.name: inv for inv in corpus.invoices}
    decided: dict[str, Outcome] = {}
    for line in corpus.lines:
        if line.amount <= 0:
            decided[line.line_id] = Outcome(IGNORED, {}, ())
            continue
        words = (w.strip(",;:()") for w in line.remittance.split())
        named = list(dict.fromkeys(by_number[w] for w in words if w in by_number))
        exact = [inv for inv in named if inv.open_amount == line.amount and inv.currency == line.currency]
        if len(exact) == 1:
            decided[line.line_id] = Outcome(AUTO_POST, {exact[0].iri: line.amount}, (exact[0].iri,))
        else:
            decided[line.line_id] = Outcome(REVIEW if named else UNMATCHED, {}, tuple(i.iri for i in named))
    return decided


def accuracy_bench(
    n_invoices: int = DEFAULT_SIZE,
    n_lines: int = DEFAULT_SIZE,
    seed: int = DEFAULT_SEED,
    rules: str | None = None,
) -> dict[str, Any]:
    """The engine (with the shipped rules, or the rules file given) and the naive rule on one corpus: rows for
    both tables, and what was measured."""
    started = time.perf_counter()
    corpus = make_corpus(n_invoices, n_lines, seed)
    corpus_seconds = time.perf_counter() - started
    started = time.perf_counter()
    seam, engine = decide(corpus, load_rules(Path(rules) if rules else None))
    engine_seconds = time.perf_counter() - started
    return {
        "invoices": n_invoices,
        "lines": n_lines,
        "seed": seed,
        "seam": seam,
        "corpus_seconds": round(corpus_seconds, 1),
        "engine_seconds": round(engine_seconds, 1),
        "fanout": fanout(corpus),
        "engine": evaluate(corpus, engine),
        "naive": evaluate(corpus, naive_rule(corpus)),
        "skipped": SKIPPED_KINDS,
    }
