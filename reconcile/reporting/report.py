"""Writing a run's match report: matches.csv (one row per line and decision), summary.json, report.html.

A report folder is written to a temporary name and renamed when complete, so a reader never opens half a
report. Text cells that a spreadsheet would run as a formula are defused (bank titles are outside input).
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

from reconcile.model import Decision, Match, RunSummary, ScoredCandidate
from reconcile.money import format_amount

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


def rows(matches: Sequence[Match]) -> Iterator[dict[str, str]]:
    for m in matches:
        line = m.line
        base = {
            "bank_ref": _cell(line.bank_ref),
            "statement_file": _cell(Path(line.source_file).name),
            "booking_date": line.booking_date.isoformat(),
            "amount": f"{line.amount:f}",
            "currency": line.currency,
            "counterparty": _cell(line.counterparty_name),
            "counterparty_iban": _cell(line.counterparty_iban),
            "remittance": _cell(line.remittance),
            "decision": m.decision.value,
            "note": _cell(m.note),
            "line_id": line.line_id,
        }
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
        for cand in options:
            yield {
                **base,
                "invoice_id": str(cand.invoice.id),
                "invoice_name": _cell(cand.invoice.name),
                "allocated_amount": f"{cand.allocated_amount:f}",
                "score": f"{cand.probability:.4f}",
                "reasons": _cell(cand.reasons()),
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
    return env


def summary_dict(summary: RunSummary) -> dict[str, object]:
    """The one JSON shape of a run's summary: summary.json, `run --json`, the runs table."""
    return {
        "run_id": summary.run_id,
        "dry_run": summary.dry_run,
        "report_dir": summary.report_dir,
        "report_html": str(Path(summary.report_dir) / "report.html") if summary.report_dir else "",
        "files_read": summary.files_read,
        "files_skipped": summary.files_skipped,
        "open_invoices": summary.open_invoices,
        "counts": summary.counts,
        "amounts": summary.amounts,
        "postings_failed": summary.postings_failed,
        "errors": summary.errors,
        "warnings": summary.warnings,
    }


def write_report(folder: Path, summary: RunSummary, matches: Sequence[Match]) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    with (tmp / "matches.csv").open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(matches))
    (tmp / "summary.json").write_text(
        json.dumps(summary_dict(summary), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    grouped: dict[str, list[Match]] = {d.value: [] for d in Decision}
    for m in matches:
        grouped[m.decision.value].append(m)
    context: dict[str, Any] = {
        "summary": summary,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "groups": grouped,
        "Decision": Decision,
    }
    html = _environment().get_template("report.html.j2").render(**context)
    (tmp / "report.html").write_text(html, encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    return folder
