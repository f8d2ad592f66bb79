"""Why one stored bank line gets its decision: each option ranked, with every comparison's level, Bayes
factor and detail, and the reason for the decision. Nothing here posts, stores or prints.

The line is matched alone against the invoices a run would fetch now, so a conflict with the other payments
of a run (two claiming one invoice) cannot be seen; the decision the run stored is shown beside it for that.
A line already posted is matched as it was before: its postings are given back to their invoices and what
was learned from it is left out (reconcile.backtest rebuilds every line that way).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from reconcile.backtest import confirmations, flowtly_client, given_back, invoices_now, unlearn
from reconcile.config import Settings
from reconcile.errors import ReconcileError
from reconcile.matching.engine import match_lines
from reconcile.model import BankLine, Decision, Invoice, Match, Posting, ScoredCandidate
from reconcile.reporting.report import percent
from reconcile.rules import Rules, load_rules
from reconcile.statements.text import normalise_account
from reconcile.store.db import Database, Row, open_database
from reconcile.store.learned import LearnedPayers
from reconcile.store.migrations import migrate
from reconcile.store.state import line_from_row, posting_from_row

ALONE = (
    "matched alone: a conflict with the other payments of a run (two claiming one invoice) cannot be seen "
    "here; the stored decision can"
)
AS_BEFORE = "already posted: matched as before, its postings given back to their invoices"


@dataclass(frozen=True)
class StoredOption:
    invoice_name: str
    allocated: str
    probability: float


@dataclass(frozen=True)
class StoredDecision:
    """What a run stored for the line: its decision and options, or the note when it had none."""

    run_id: str
    decision: str
    options: tuple[StoredOption, ...]
    note: str


@dataclass(frozen=True)
class StoredLine:
    """A bank line as the state keeps it: its status, its outbox rows and the decision a run stored."""

    line: BankLine
    status: str  # new, posting, posted, review, unmatched, ignored
    postings: tuple[Posting, ...]  # whatever their state
    decided: StoredDecision | None


@dataclass(frozen=True)
class Explanation:
    stored: StoredLine
    match: Match  # decided now, with `rules`
    reason: str
    rules: str
    invoice_names: dict[str, str]  # IRI -> number, of the invoices matched against

    @property
    def line(self) -> BankLine:
        return self.stored.line


def explain(
    settings: Settings, ref: str, *, account: str | None = None, rules_path: Path | None = None
) -> list[Explanation]:
    """Explain each stored line with this bank reference (or line id), on `account` when given."""
    rules = load_rules(rules_path or settings.rules)
    db = open_database(settings.database_url)
    try:
        migrate(db)  # a state no run has written yet is made, empty
        found = [_stored_line(db, row) for row in _find(db, ref, account)]
        payers = LearnedPayers(db)
        learned, never = payers.frame(), payers.never_frame()
    finally:
        db.close()
    if not any(s.line.amount > 0 for s in found):  # money out or zero: decided without invoices
        return [_explain(s, [], rules, learned, never) for s in found]
    out = []
    with flowtly_client(settings) as client:
        invoices = invoices_now(client, settings)
        for s in found:
            as_before = given_back(client, invoices, [p for p in s.postings if p.state == "posted"])
            by_iri = {inv.iri: inv for inv in as_before}
            not_learned = unlearn(learned, confirmations(s.line, s.postings, by_iri))
            out.append(_explain(s, as_before, rules, not_learned, never))
    return out


def _explain(
    stored: StoredLine, invoices: list[Invoice], rules: Rules, learned: pl.DataFrame, never: pl.DataFrame
) -> Explanation:
    [match] = match_lines([stored.line], invoices, rules, learned=learned, never=never)
    return Explanation(
        stored=stored,
        match=match,
        reason=reason(match, rules),
        rules=rules.source,
        invoice_names={inv.iri: inv.name for inv in invoices},
    )


def _find(db: Database, ref: str, account: str | None) -> list[Row]:
    rows = db.query(
        "SELECT * FROM bank_lines WHERE bank_ref = ? OR line_id = ? ORDER BY account, booking_date, line_id",
        (ref, ref),
    )
    if not rows:
        raise ReconcileError(
            f"no stored bank line has the reference {ref!r}: a line is stored once a run has read its "
            "statement (`reconcile parse FILE` shows a statement's references)"
        )
    if account is None:
        return rows
    mine = [r for r in rows if normalise_account(r["account"]) == normalise_account(account)]
    if not mine:
        accounts = ", ".join(sorted({r["account"] for r in rows}))
        raise ReconcileError(f"bank reference {ref!r} is on account(s) {accounts}, not on {account}")
    return mine


def _stored_line(db: Database, row: Row) -> StoredLine:
    line = line_from_row(row)
    postings = db.query("SELECT * FROM postings WHERE line_id = ? ORDER BY invoice_iri", (line.line_id,))
    return StoredLine(
        line=line,
        status=str(row["status"]),
        postings=tuple(posting_from_row(p) for p in postings),
        decided=_decided(db, line.line_id, row["status_run_id"]),
    )


def _decided(db: Database, line_id: str, status_run: str | None) -> StoredDecision | None:
    """The decision stored by the run that gave the line its status, else by the latest run that decided it
    (a later run that finds the line posted stores only "ignored: already posted")."""
    rows = db.query(
        "SELECT d.* FROM decisions d JOIN runs r ON r.run_id = d.run_id WHERE d.line_id = ? "
        "ORDER BY CASE WHEN d.run_id = ? THEN 0 ELSE 1 END, r.started_at DESC, d.run_id DESC, d.rank",
        (line_id, status_run or ""),
    )
    if not rows:
        return None
    first = rows[0]
    options = tuple(
        StoredOption(r["invoice_name"] or r["invoice_iri"], r["allocated"] or "", float(r["probability"]))
        for r in rows
        if r["run_id"] == first["run_id"] and r["invoice_iri"]
    )
    return StoredDecision(first["run_id"], first["decision"], options, "" if options else first["reasons"])


def reason(match: Match, rules: Rules) -> str:
    """The engine's note; for a line it would post, which thresholds its best option passes."""
    if match.note or match.decision is not Decision.AUTO_POST or match.chosen is None:
        return match.note
    required = ", and on ".join(" or ".join(group) for group in rules.auto_post_requires)
    rival = ""
    if len(match.suggestions) > 1:
        rival = f", and no other option within 1/{rules.min_odds_ratio:g} of its odds"
    return (
        f"{match.chosen.label} is {percent(match.chosen.probability)} likely, at least the "
        f"{rules.auto_post_probability * 100:g}% to post, with strong evidence on {required}{rival}"
    )


# -- as text and as JSON ---------------------------------------------------------------------------------


def _options(match: Match) -> tuple[ScoredCandidate, ...]:
    """Every option ranked, best first (the chosen one is the first suggestion)."""
    return match.suggestions or ((match.chosen,) if match.chosen else ())


def _caveats(e: Explanation) -> list[str]:
    posted = any(p.state == "posted" for p in e.stored.postings)
    return [AS_BEFORE, ALONE] if posted else [ALONE]


def _line_text(e: Explanation) -> list[str]:
    line = e.line
    payer = line.counterparty_name or "(no payer name)"
    iban = f", {line.counterparty_iban}" if line.counterparty_iban else ""
    out = [
        f"{line.bank_ref or '(no bank reference)'} on {line.account} (line {line.line_id}), "
        f"{e.stored.status} in the state",
        f"  {line.booking_date.isoformat()}  {line.amount:f} {line.currency}  from {payer}{iban}",
        f"  title: {line.remittance or '(none)'}",
    ]
    for p in e.stored.postings:
        name = e.invoice_names.get(p.invoice_iri, p.invoice_iri)
        error = f": {p.last_error}" if p.last_error and p.state != "posted" else ""
        out.append(f"  posting to {name}: {p.amount:f} {p.currency}, {p.state} (run {p.run_id}){error}")
    return out


def _decided_text(stored: StoredDecision | None) -> str:
    if stored is None:
        return "  stored: no run has decided this line yet"
    said = f"  stored by run {stored.run_id}: {stored.decision}"
    if stored.options:
        options = (f"{o.invoice_name} {o.allocated} ({percent(o.probability)})" for o in stored.options)
        return said + ", " + "; ".join(options)
    return said + (f" ({stored.note})" if stored.note else "")


def _candidate_text(rank: int, cand: ScoredCandidate, currency: str) -> list[str]:
    parts = " + ".join(f"{a.invoice.name} {a.amount:f} {a.invoice.currency}" for a in cand.allocations)
    rest = f", {cand.rest:f} {currency} left unallocated" if cand.rest else ""
    out = [f"  {rank}. {parts}{rest}: {percent(cand.probability)} likely"]
    names = max((len(ev.comparison) for ev in cand.evidence), default=0)
    levels = max((len(ev.level) for ev in cand.evidence), default=0)
    for ev in cand.evidence:
        factor = f"x{ev.bayes_factor:g}"
        out.append(f"       {ev.comparison:<{names}}  {ev.level:<{levels}}  {factor:<7} {ev.detail}".rstrip())
    return out


def as_text(explanations: list[Explanation]) -> str:
    out: list[str] = []
    for e in explanations:
        if out:
            out.append("")
        out += _line_text(e)
        out.append(f"Decision now: {e.match.decision.value}, with the rules in {e.rules}")
        if e.reason:
            out.append(f"  why: {e.reason}")
        out += [f"  {caveat}" for caveat in _caveats(e)]
        out.append(_decided_text(e.stored.decided))
        options = _options(e.match)
        if options:
            out.append("Options, best first:")
            for rank, cand in enumerate(options, start=1):
                out += _candidate_text(rank, cand, e.line.currency)
    return "\n".join(out)


def _candidate_dict(rank: int, cand: ScoredCandidate) -> dict[str, Any]:
    return {
        "rank": rank,
        "allocations": [
            {
                "invoice_iri": a.invoice.iri,
                "invoice_name": a.invoice.name,
                "amount": f"{a.amount:f}",
                "currency": a.invoice.currency,
                "open_amount": f"{a.invoice.open_amount:f}",
            }
            for a in cand.allocations
        ],
        "rest": f"{cand.rest:f}",
        "probability": cand.probability,
        "odds": cand.odds,
        "evidence": [
            {
                "comparison": ev.comparison,
                "level": ev.level,
                "bayes_factor": ev.bayes_factor,
                "detail": ev.detail,
            }
            for ev in cand.evidence
        ],
    }


def _decided_dict(stored: StoredDecision | None) -> dict[str, Any] | None:
    if stored is None:
        return None
    return {
        "run_id": stored.run_id,
        "decision": stored.decision,
        "options": [
            {"invoice_name": o.invoice_name, "allocated": o.allocated, "probability": o.probability}
            for o in stored.options
        ],
        "note": stored.note,
    }


def as_dict(e: Explanation) -> dict[str, Any]:
    line = e.line
    return {
        "line": {
            "line_id": line.line_id,
            "bank_ref": line.bank_ref,
            "account": line.account,
            "booking_date": line.booking_date.isoformat(),
            "amount": f"{line.amount:f}",
            "currency": line.currency,
            "payer": line.counterparty_name,
            "payer_iban": line.counterparty_iban,
            "title": line.remittance,
        },
        "status": e.stored.status,
        "postings": [
            {
                "invoice_iri": p.invoice_iri,
                "invoice_name": e.invoice_names.get(p.invoice_iri),
                "amount": f"{p.amount:f}",
                "currency": p.currency,
                "state": p.state,
                "run_id": p.run_id,
                "error": p.last_error,
            }
            for p in e.stored.postings
        ],
        "rules": e.rules,
        "decision": e.match.decision.value,
        "reason": e.reason,
        "caveats": _caveats(e),
        "stored_decision": _decided_dict(e.stored.decided),
        "options": [_candidate_dict(rank, cand) for rank, cand in enumerate(_options(e.match), start=1)],
    }
