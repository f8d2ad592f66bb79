"""Replaying the stored payments against matching rules, scored by what was confirmed, so that a rule change
is measured before it is used. Nothing here posts, stores or prints.

Truth is what reached Flowtly from us: a line whose postings are all `posted` paid those invoices those
amounts. Lines left to a person (review, unmatched) have no known truth and are counted apart.

The invoices a line met when it was matched cannot be fetched back, so they are rebuilt: the invoices a run
would fetch now, plus every invoice one of our postings went to, read again and given back what our postings
took from it (open then = open now + our posted amounts). It is an approximation: payments booked by other
hands since, later corrections and invoices issued since are seen as they are now, and every line is matched
in one batch, as if one run had read them all. Payers learned from the replayed lines are left out: a line's
own confirmation would give its answer away. `explain` rebuilds one line's invoices the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from reconcile.config import Settings
from reconcile.errors import ReconcileError
from reconcile.flowtly import assumptions
from reconcile.flowtly.client import FlowtlyClient
from reconcile.flowtly.invoices import ResourceCache, fetch_invoices
from reconcile.matching.engine import match_lines
from reconcile.model import BankLine, Decision, Invoice, Match, Posting
from reconcile.rules import Rules, load_rules
from reconcile.statements.mt940_details import iban_or_none
from reconcile.store.db import open_database
from reconcile.store.learned import LearnedPayers
from reconcile.store.migrations import migrate
from reconcile.store.state import line_from_row, posting_from_row

CHANGES_SHOWN = 20
LEFT_TO_PEOPLE = frozenset({"review", "unmatched"})

Allocations = dict[str, Decimal]  # invoice IRI -> amount given to it


# -- what a replay matches against (explain uses it for one line) -----------------------------------------


def flowtly_client(settings: Settings) -> FlowtlyClient:
    """The client a run builds, for commands that read Flowtly alone."""
    return FlowtlyClient(settings.client_settings())


def invoices_now(client: FlowtlyClient, settings: Settings) -> list[Invoice]:
    """What a run matches against: the open invoices of the look-back window and those already paid in full
    (the engine tells a paid one by its open amount, 0)."""
    book = fetch_invoices(client, issued_after=date.today() - timedelta(days=settings.lookback_days))
    return [*book.open, *book.paid]


def given_back(
    client: FlowtlyClient, invoices: Sequence[Invoice], postings: Iterable[Posting]
) -> list[Invoice]:
    """The invoices as they were before these postings: each invoice posted to is read again and given back
    what the postings took from it; one that no longer exists is left out."""
    taken: Allocations = {}
    for p in postings:
        taken[p.invoice_iri] = taken.get(p.invoice_iri, Decimal(0)) + p.amount
    cache = ResourceCache(client)
    rebuilt: list[Invoice] = []
    for iri, amount in taken.items():
        doc = cache.get(iri)
        if not doc:  # deleted in Flowtly since
            continue
        name, client_iri = cache.client_name(doc.get("client"))
        open_then = assumptions.open_amount(doc, cache.get) + amount
        rebuilt.append(
            assumptions.to_invoice(doc, open_amt=open_then, client_name=name, client_iri=client_iri)
        )
    return [inv for inv in invoices if inv.iri not in taken] + rebuilt


def confirmations(
    line: BankLine, postings: Iterable[Posting], invoices: Mapping[str, Invoice]
) -> list[tuple[str, str]]:
    """The (payer IBAN, client) pairs the run that posted this line learned, one per client paid; `postings`
    are the line's, `invoices` by IRI."""
    iban = iban_or_none(line.counterparty_iban)
    if iban is None:
        return []
    paid = (invoices.get(p.invoice_iri) for p in postings if p.state == "posted")
    return [(iban, client) for client in sorted({inv.client_iri for inv in paid if inv and inv.client_iri})]


def unlearn(learned: pl.DataFrame, pairs: Sequence[tuple[str, str]]) -> pl.DataFrame:
    """The learned payers less these confirmations; a pair left with none is dropped and `clients` counted
    again, as LearnedPayers.frame() counts it."""
    if not pairs:
        return learned
    undo = (
        pl.DataFrame(pairs, schema={"iban": pl.String, "client_iri": pl.String}, orient="row")
        .group_by("iban", "client_iri")
        .agg(pl.len().cast(pl.Int64).alias("undo"))
    )
    return (
        learned.join(undo, on=["iban", "client_iri"], how="left")
        .with_columns(pl.col("count") - pl.col("undo").fill_null(0))
        .filter(pl.col("count") > 0)
        .drop("undo")
        .with_columns(pl.len().over("iban").cast(pl.Int64).alias("clients"))
    )


# -- the backtest ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """How one set of rules decides the stored payments, against what was confirmed."""

    rules: str
    auto_posted: int
    correct: int  # auto-posted exactly as confirmed: the same invoices, the same amounts
    wrong: int  # auto-posted otherwise, on a confirmed line
    unconfirmed: int  # auto-posted where nothing was confirmed (a person was left the line): check these
    confirmed: int

    @property
    def precision(self) -> float | None:
        judged = self.correct + self.wrong
        return self.correct / judged if judged else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.confirmed if self.confirmed else None


@dataclass(frozen=True)
class Change:
    """A line decided otherwise by the proposed rules than by the current ones."""

    line: BankLine
    before: Match
    after: Match


@dataclass(frozen=True)
class Backtest:
    lines: int  # money in, replayed
    confirmed: int
    left_to_people: int
    invoices: int  # matched against
    given_back: int  # of which rebuilt from our postings
    scores: tuple[Score, ...]  # the current rules, then the proposed ones
    changes: tuple[Change, ...]


def backtest(settings: Settings, proposed: Path | None = None) -> Backtest:
    """Replay every stored payment with the current rules and, given, with `proposed`; score both."""
    current = load_rules(settings.rules)
    candidate = load_rules(proposed) if proposed else None
    stored, postings, learned, never = _read_state(settings.database_url)
    lines = [line for line, _ in stored if line.amount > 0]
    if not lines:
        raise ReconcileError(
            "nothing to replay: the state holds no payments yet; run reconcile on some statements first"
        )
    truth = confirmed_allocations(postings, {line.line_id for line in lines})
    posted = [p for p in postings if p.state == "posted"]
    with flowtly_client(settings) as client:
        invoices = given_back(client, invoices_now(client, settings), posted)
    learned = unlearn(learned, _learned_from(lines, posted, invoices))
    before = match_lines(lines, invoices, current, learned=learned, never=never)
    scores = [score(current, before, truth)]
    changes: list[Change] = []
    if candidate:
        after = match_lines(lines, invoices, candidate, learned=learned, never=never)
        scores.append(score(candidate, after, truth))
        changes = [
            Change(b.line, b, a) for b, a in zip(before, after, strict=True) if _outcome(b) != _outcome(a)
        ]
    return Backtest(
        lines=len(lines),
        confirmed=len(truth),
        left_to_people=sum(status in LEFT_TO_PEOPLE for line, status in stored if line.amount > 0),
        invoices=len(invoices),
        given_back=len({p.invoice_iri for p in posted} & {inv.iri for inv in invoices}),
        scores=tuple(scores),
        changes=tuple(changes),
    )


def _read_state(
    database_url: str,
) -> tuple[list[tuple[BankLine, str]], list[Posting], pl.DataFrame, pl.DataFrame]:
    """Every stored line with its status, every posting, the learned payers and the rejected pairs."""
    db = open_database(database_url)
    try:
        migrate(db)  # a state no run has written yet is made, empty
        rows = db.query("SELECT * FROM bank_lines ORDER BY booking_date, account, bank_ref, line_id")
        stored = [(line_from_row(r), str(r["status"])) for r in rows]
        rows = db.query("SELECT * FROM postings ORDER BY line_id, invoice_iri")
        postings = [posting_from_row(r) for r in rows]
        payers = LearnedPayers(db)
        return stored, postings, payers.frame(), payers.never_frame()
    finally:
        db.close()


def _learned_from(
    lines: Sequence[BankLine], posted: Iterable[Posting], invoices: Sequence[Invoice]
) -> list[tuple[str, str]]:
    """What the runs that posted these lines learned from them."""
    by_iri = {inv.iri: inv for inv in invoices}
    by_line: dict[str, list[Posting]] = {}
    for p in posted:
        by_line.setdefault(p.line_id, []).append(p)
    return [pair for line in lines for pair in confirmations(line, by_line.get(line.line_id, []), by_iri)]


def confirmed_allocations(postings: Iterable[Posting], line_ids: set[str]) -> dict[str, Allocations]:
    """Per line, what its postings gave each invoice, for the lines whose postings all reached Flowtly."""
    by_line: dict[str, list[Posting]] = {}
    for p in postings:
        if p.line_id in line_ids:
            by_line.setdefault(p.line_id, []).append(p)
    return {
        line_id: {p.invoice_iri: p.amount for p in ps}
        for line_id, ps in by_line.items()
        if all(p.state == "posted" for p in ps)
    }


def score(rules: Rules, matches: Sequence[Match], truth: dict[str, Allocations]) -> Score:
    auto = [m for m in matches if m.decision is Decision.AUTO_POST]
    judged = [m for m in auto if m.line.line_id in truth]
    correct = sum(_allocations(m) == truth[m.line.line_id] for m in judged)
    return Score(
        rules=rules.source,
        auto_posted=len(auto),
        correct=correct,
        wrong=len(judged) - correct,
        unconfirmed=len(auto) - len(judged),
        confirmed=len(truth),
    )


def _allocations(m: Match) -> Allocations:
    return {a.invoice.iri: a.amount for a in m.chosen.allocations} if m.chosen else {}


def _outcome(m: Match) -> tuple[Decision, tuple[tuple[str, Decimal], ...]]:
    return m.decision, tuple(sorted(_allocations(m).items()))


# -- as text and as JSON ---------------------------------------------------------------------------------


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _what(m: Match) -> str:
    if m.chosen:
        return f"{m.decision.value} {m.chosen.label}"
    return m.decision.value


def as_text(result: Backtest) -> str:
    other = result.lines - result.confirmed - result.left_to_people
    out = [
        f"Replayed {result.lines} payment(s) from the state: {result.confirmed} confirmed (posted to "
        f"Flowtly), {result.left_to_people} left to a person (no known truth), {other} other (not decided "
        "yet, or partly posted)",
        f"against {result.invoices} invoice(s) as a run fetches them now, {result.given_back} of them given "
        "back what our postings took",
        "",
    ]
    names = [s.rules + (" (current)" if n == 0 else "") for n, s in enumerate(result.scores)]
    width = max(len("rules"), *(len(name) for name in names))
    out.append(f"  {'rules':<{width}}  auto-posted  correct  wrong  unconfirmed  precision   recall")
    for name, s in zip(names, result.scores, strict=True):
        out.append(
            f"  {name:<{width}}  {s.auto_posted:>11}  {s.correct:>7}  {s.wrong:>5}  {s.unconfirmed:>11}  "
            f"{_ratio(s.precision):>9}  {_ratio(s.recall):>7}"
        )
    out.append("  precision: correct / (correct + wrong); recall: correct / confirmed")
    out.append("  unconfirmed: auto-posted where a person was left the line: check those first")
    if len(result.scores) > 1:
        out.append("")
        out.append(f"Decided otherwise by {result.scores[1].rules}: {len(result.changes)} line(s)")
        for c in result.changes[:CHANGES_SHOWN]:
            out.append(f"  {c.line.bank_ref or c.line.line_id}: {_what(c.before)} -> {_what(c.after)}")
        if len(result.changes) > CHANGES_SHOWN:
            out.append(f"  ... and {len(result.changes) - CHANGES_SHOWN} more")
    return "\n".join(out)


def _score_dict(s: Score) -> dict[str, Any]:
    return {
        "rules": s.rules,
        "auto_posted": s.auto_posted,
        "correct": s.correct,
        "wrong": s.wrong,
        "unconfirmed": s.unconfirmed,
        "confirmed": s.confirmed,
        "precision": s.precision,
        "recall": s.recall,
    }


def _match_dict(m: Match) -> dict[str, Any]:
    return {
        "decision": m.decision.value,
        "allocations": [
            {"invoice_iri": iri, "amount": f"{amount:f}"} for iri, amount in sorted(_allocations(m).items())
        ],
        "note": m.note,
    }


def as_dict(result: Backtest) -> dict[str, Any]:
    return {
        "lines": result.lines,
        "confirmed": result.confirmed,
        "left_to_people": result.left_to_people,
        "invoices": result.invoices,
        "given_back": result.given_back,
        "current": _score_dict(result.scores[0]),
        "proposed": _score_dict(result.scores[1]) if len(result.scores) > 1 else None,
        "changes": [
            {
                "line_id": c.line.line_id,
                "bank_ref": c.line.bank_ref,
                "before": _match_dict(c.before),
                "after": _match_dict(c.after),
            }
            for c in result.changes
        ],
    }

