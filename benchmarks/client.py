"""The cost of fetching every open invoice through the client, against a local sandbox."""

from __future__ import annotations

import time
from typing import Any

from reconcile.flowtly.client import ClientSettings, FlowtlyClient
from reconcile.flowtly.invoices import fetch_open_invoices
from reconcile.flowtly.sandbox import SandboxOptions, make_seed, start_sandbox


def fetch_bench(n_invoices: int) -> dict[str, Any]:
    seed = make_seed(n_invoices, n_clients=min(2000, max(1, n_invoices // 5)))
    with start_sandbox(seed, options=SandboxOptions(token="bench")) as sandbox:
        settings = ClientSettings(base_url=sandbox.url, token="bench", requests_per_second=None)
        with FlowtlyClient(settings) as client:
            started = time.perf_counter()
            invoices = fetch_open_invoices(client, issued_after=None)
            seconds = time.perf_counter() - started
            return {
                "invoices": n_invoices,
                "open": len(invoices),
                "requests": client.requests_made,
                "mib_received": round(client.bytes_received / 2**20, 2),
                "seconds": round(seconds, 2),
            }
