"""A whole run against a local sandbox: camt.053 statements paying every open invoice, read, matched, posted.

It measures what a nightly run costs the API (requests, bytes) and us (seconds) at a given size. The
client-side rate limit is off unless asked for: at Flowtly's pace (10 requests/s by default) the run time
would be the rate limit's, not ours.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from reconcile.config import Settings
from reconcile.flowtly.client import FlowtlyClient
from reconcile.flowtly.invoices import fetch_open_invoices
from reconcile.flowtly.sandbox import SandboxOptions, make_seed, start_sandbox
from reconcile.flowtly.sandbox.generate import OUR_ACCOUNTS
from reconcile.pipeline import Run, RunRequest
from reconcile.statements.writers.payments import paying_statements

BOOKED = date(2026, 5, 20)
UNLIMITED = 1_000_000.0  # requests per second: in effect no client-side limit


def run_bench(n_invoices: int, *, requests_per_second: float | None = None) -> dict[str, Any]:
    """Run once over make_seed(n_invoices); figures for the run alone (writing the statements excluded)."""
    rate = requests_per_second or UNLIMITED
    with (
        tempfile.TemporaryDirectory(prefix="reconcile-bench-") as tmp,
        start_sandbox(make_seed(n_invoices), options=SandboxOptions(token="bench")) as sandbox,
    ):
        folder = Path(tmp)
        settings = replace(
            Settings(),
            api_url=sandbox.url,
            token="bench",
            requests_per_second=rate,
            lookback_days=36500,
            database_url=f"sqlite:///{folder / 'state.sqlite'}",
            reports=folder / "reports",
            inbox=folder / "inbox",
        )
        with FlowtlyClient(settings.client_settings()) as setup:
            open_invoices = fetch_open_invoices(setup, issued_after=None)
        statements = paying_statements(
            open_invoices, folder, accounts=OUR_ACCOUNTS, booked=BOOKED, ref_prefix="BENCH-"
        )

        requests_before = sandbox.request_count
        started = time.perf_counter()
        # pipeline.run(settings, request) is Run(...).execute(); the client is passed in to count its bytes.
        with FlowtlyClient(settings.client_settings()) as client:
            summary = Run(settings, RunRequest(statements=tuple(statements)), client=client).execute()
        seconds = time.perf_counter() - started
        return {
            "invoices": n_invoices,
            "open": len(open_invoices),
            "lines": sum(summary.counts.values()),
            "postings": summary.counts.get("posted", 0),
            "review": summary.counts.get("review", 0),
            "requests": sandbox.request_count - requests_before,
            "mib_received": round(client.bytes_received / 2**20, 2),
            "seconds": round(seconds, 2),
            "errors": len(summary.errors),
        }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run_bench(int(sys.argv[1]) if len(sys.argv) > 1 else 1000), indent=2))
