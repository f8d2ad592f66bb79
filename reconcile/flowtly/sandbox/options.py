"""The knobs of the sandbox: the token, which Hydra dialect to speak, page sizes and the faults to inject.

Options are read on every request, so a test may change a fault on a running sandbox
(`sandbox.options.fail_rate = 0.5`); nothing here is cached by the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class SandboxOptions:
    """How the sandbox behaves; the defaults are a healthy API Platform 3 server."""

    token: str = "sandbox-token"
    hydra_prefix: bool = True  # "hydra:member" style (API Platform 2/3); False = "member" (API Platform 4)
    max_items_per_page: int = 100  # itemsPerPage is honoured up to this cap
    default_items_per_page: int = 30
    partial_pagination: bool = False  # no totalItems / last, only next
    fail_rate: float = 0.0  # share of requests answered 500/503 before doing anything
    latency_ms: int = 0  # added to every request
    rate_limit: int | None = None  # requests per second per token; beyond it 429 with Retry-After (seconds)
    # Share of successful POST/PATCH/DELETE whose effect is stored but whose answer is lost: the
    # connection is closed without a response, or a 502 comes back (half each). This is the case
    # that makes a naive retry post a payment twice.
    drop_after_commit_rate: float = 0.0
    fault_seed: int | None = None  # seeds the random faults so a test is reproducible
    # Persistence: loaded at start if it exists (then the seed is not applied), written atomically
    # (tmp + os.replace) after every change.
    state_file: Path | None = None
