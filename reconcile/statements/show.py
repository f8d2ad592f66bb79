"""Statement lines shown to a person checking a file (`reconcile parse`): a table, CSV or JSON.

Amounts are written from their Decimal values as the bank gave them, never through floats.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from reconcile.model import ParsedFile
from reconcile.statements.base import balance_warnings
from reconcile.statements.frame import lines_to_frame


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def lines_as_json(files: Sequence[ParsedFile]) -> str:
    out = []
    for parsed in files:
        out.append({
            "file": parsed.path,
            "format": parsed.source_format,
            "warnings": list(parsed.warnings),
            "statements": [
                {
                    "statement_id": st.statement_id, "account": st.account, "currency": st.currency,
                    "opening": _plain(st.opening.amount) if st.opening else None,
                    "closing": _plain(st.closing.amount) if st.closing else None,
                    "pending_entries": st.pending_count,
                    "lines": [{k: _plain(v) for k, v in asdict(line).items()} for line in st.lines],
                }
                for st in parsed.statements
            ],
        })  # fmt: skip
    return json.dumps(out, indent=2, ensure_ascii=False)


def lines_as_csv(files: Sequence[ParsedFile]) -> str:
    return lines_to_frame([line for parsed in files for line in parsed.lines]).write_csv()


def _summary(parsed: ParsedFile) -> str:
    lines = len(parsed.lines)
    pending = sum(st.pending_count for st in parsed.statements)
    checked = [st for st in parsed.statements if st.opening and st.closing]
    if not checked:
        balances = "no balances to check"
    elif balance_warnings(parsed.path, checked):
        balances = "balances DO NOT add up"
    else:
        balances = "balances add up"
    extra = f", {pending} pending (not booked)" if pending else ""
    return (
        f"{parsed.path}: {parsed.source_format}, {len(parsed.statements)} statement(s), {lines} line(s)"
        f"{extra}; {balances}"
    )


def print_tables(files: Sequence[ParsedFile]) -> None:
    console = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
    for parsed in files:
        console.print(_summary(parsed), markup=False)
        for warning in parsed.warnings:
            console.print(f"  warning: {warning}", markup=False)
        table = Table(show_edge=False, pad_edge=False)
        for name, justify in (
            ("booked", "left"),
            ("amount", "right"),
            ("ccy", "left"),
            ("counterparty", "left"),
            ("remittance", "left"),
            ("bank ref", "left"),
        ):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for line in parsed.lines:
            table.add_row(
                line.booking_date.isoformat(),
                f"{line.amount:f}",
                line.currency,
                line.counterparty_name or "",
                line.remittance,
                line.bank_ref or "",
            )
        console.print(table)
