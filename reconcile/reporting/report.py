"""Writing a run's match report: matches.csv (one row per line and decision), summary.json, report.html.

A report folder is written to a temporary name and renamed when complete, so a reader never opens half a
report. Text cells that a spreadsheet would run as a formula are defused (bank titles are outside input).
The sentences that say what a run did live here too, so that the terminal and the report say the same.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from reconcile.model import (
    BankLine,
    Decision,
    EarlierLines,
    FileRead,
    Match,
    RunSummary,
    ScoredCandidate,
    Total,
    Undecided,
)
from reconcile.money import format_amount

# The kinds of ignored lines, each counted and summed on its own (money out is never netted against money
# in), in the order a person reads them.
IGNORED_KINDS = {
    "money_out": "money out",
    "zero": "zero amount",
    "not_invoice": "not an invoice payment",
    "already_posted": "already posted",
    "posting_in_progress": "posting in progress",
}
UNDECIDED = "undecided"  # the decision column of a line stored but not decided (the next run decides it)

COLUMNS = [
    "bank_ref", "statement_file", "booking_date", "amount", "currency", "counterparty", "counterparty_iban",
    "remittance", "invoice_id", "invoice_name", "allocated_amount", "score", "decision", "reasons", "note",
    "line_id",
]  # fmt: skip

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str | None) -> str:
    """Text as a spreadsheet will show it, never as a formula it would run."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _line_cells(line: BankLine) -> dict[str, str]:
    return {
        "bank_ref": _cell(line.bank_ref),
        "statement_file": _cell(Path(line.source_file).name),
        "booking_date": line.booking_date.isoformat(),
        "amount": f"{line.amount:f}",
        "currency": line.currency,
        "counterparty": _cell(line.counterparty_name),
        "counterparty_iban": _cell(line.counterparty_iban),
        "remittance": _cell(line.remittance),
        "line_id": line.line_id,
    }


def rows(matches: Sequence[Match], undecided: Sequence[Undecided] = ()) -> Iterator[dict[str, str]]:
    for m in matches:
        base = {**_line_cells(m.line), "decision": m.decision.value, "note": _cell(m.note)}
        options: list[ScoredCandidate] = [m.chosen] if m.chosen else list(m.suggestions)
        if not options:
            yield {
                **base,
                "invoice_id": "",
                "invoice_name": "",
                "allocated_amount": "",
                "score": "",
                "reasons": _cell(m.note),
                "note": "",
            }
            continue
        for cand in options:  # one row per allocation: a combined payment has several
            rest = f"; {cand.rest:f} {m.line.currency} not allocated (overpaid)" if cand.rest else ""
            for a in cand.allocations:
                yield {
                    **base,
                    "invoice_id": str(a.invoice.id),
                    "invoice_name": _cell(a.invoice.name),
                    "allocated_amount": f"{a.amount:f}",
                    "score": f"{cand.probability:.4f}",
                    "reasons": _cell(cand.reasons() + rest),
                }
    for u in undecided:
        yield {
            **_line_cells(u.line),
            "decision": UNDECIDED,
            "invoice_id": "",
            "invoice_name": "",
            "allocated_amount": "",
            "score": "",
            "reasons": _cell(u.reason),
            "note": "",
        }


def percent(probability: float) -> str:
    """A probability as people read it; never "100%", since nothing a bank line says is certain."""
    return ">99.9%" if probability >= 0.999 else f"{probability:.1%}"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reconcile.reporting", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda amount, currency: format_amount(amount, currency)
    env.filters["pct"] = percent
    env.filters["describe_file"] = describe_file
    env.filters["describe_earlier"] = describe_earlier
    env.filters["when"] = when
    env.globals["describe_stop"] = describe_stop
    return env


def _total(total: Total) -> dict[str, object]:
    return {"count": total.count, "amounts": total.amounts}


def _file(f: FileRead) -> dict[str, object]:
    before = (
        {"run_id": f.imported_before, "imported_at": f.imported_at, "file": f.imported_as}
        if f.imported_before
        else None
    )
    return {
        "file": f.name,
        "format": f.source_format,
        "lines": f.lines,
        "new_lines": f.new_lines,
        "already_posted": f.already_posted,
        "posting_in_progress": f.posting_in_progress,
        "decided": 0 if f.same_as else f.decided,
        "imported_before": before,
        "same_as": f.same_as,
    }


def summary_dict(summary: RunSummary) -> dict[str, object]:
    """The one JSON shape of a run's summary: summary.json, `run --json`, the runs table."""
    return {
        "run_id": summary.run_id,
        "dry_run": summary.dry_run,
        "status": summary.status,
        "stopped": summary.stopped,
        "report_dir": summary.report_dir,
        "report_html": str(Path(summary.report_dir) / "report.html") if summary.report_dir else "",
        "files_read": summary.files_read,
        "files_skipped": summary.files_skipped,
        "files": [_file(f) for f in summary.files],
        "earlier_lines": [
            {"run_id": e.run_id, "started_at": e.started_at, "lines": e.lines} for e in summary.earlier_lines
        ],
        "open_invoices": summary.open_invoices,
        "counts": summary.counts,
        "amounts": summary.amounts,
        "ignored": {kind: _total(total) for kind, total in summary.ignored.items()},
        "undecided": _total(summary.undecided),
        "postings_failed": summary.postings_failed,
        "errors": summary.errors,
        "warnings": summary.warnings,
    }


# -- what happened, in sentences (the terminal and report.html both use these) ---------------------------


def when(stamp: str | None) -> str:
    """An ISO timestamp as people read it: 2026-12-01 02:30 UTC."""
    if not stamp:
        return "an unknown time"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def describe_file(f: FileRead) -> str:
    """One file's story: `statement.xml: imported before (run X); 3 line(s) already posted, 5 decided again`."""
    if f.same_as:
        return f"{f.name}: the same content as {f.same_as}, read once"
    if f.imported_before:
        named = f" as {f.imported_as}" if f.imported_as and f.imported_as != f.name else ""
        head = f"{f.name}: imported before{named} (run {f.imported_before}, {when(f.imported_at)}); {f.lines} line(s)"
        decided = "decided again"
    else:
        head = f"{f.name}: {f.lines} line(s)"
        decided = "decided"
    parts = []
    if f.already_posted:
        parts.append(f"{f.already_posted} already posted")
    if f.posting_in_progress:
        parts.append(f"{f.posting_in_progress} posting in progress")
    if parts or f.imported_before:
        parts.append(f"{f.decided} {decided}")
    if f.imported_before and f.new_lines:
        parts.append(f"{f.new_lines} not seen before")
    return head + (": " + ", ".join(parts) if parts else "")


def describe_earlier(e: EarlierLines) -> str:
    """`27 line(s) left undecided since the run of 2026-12-01 02:30 UTC (run-id)`."""
    if e.run_id is None:
        return f"{e.lines} line(s) left undecided by an earlier run"
    return f"{e.lines} line(s) left undecided since the run of {when(e.started_at)} ({e.run_id})"


def describe_stop(summary: RunSummary) -> str:
    """What a stopped run means for a person: what is kept, and what happens next."""
    n = summary.undecided.count
    if summary.dry_run:
        left = f"{n} line(s) could not be matched." if n else "Every line it read was decided."
        return f"Stopped before the end: Flowtly could not be used (the reason is below). {left}"
    left = (
        f"{n} line(s) are stored but not decided; the next run decides them."
        if n
        else "Every line it read was decided."
    )
    return f"Stopped before the end: Flowtly could not be used (the reason is below). {left} Nothing is lost."


def write_report(
    folder: Path, summary: RunSummary, matches: Sequence[Match], undecided: Sequence[Undecided] = ()
) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    with (tmp / "matches.csv").open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(matches, undecided))
    (tmp / "summary.json").write_text(
        json.dumps(summary_dict(summary), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    grouped: dict[str, list[Match]] = {d.value: [] for d in Decision}
    for m in matches:  # a dry run's lines to post are shown as posted, under its "would be posted" banner
        decision = Decision.POSTED if m.decision is Decision.AUTO_POST else m.decision
        grouped[decision.value].append(m)
    context: dict[str, Any] = {
        "summary": summary,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "groups": grouped,
        "undecided": list(undecided),
        "Decision": Decision,
        "ignored_kinds": IGNORED_KINDS,
    }
    html = _environment().get_template("report.html.j2").render(**context)
    (tmp / "report.html").write_text(html, encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    return folder
