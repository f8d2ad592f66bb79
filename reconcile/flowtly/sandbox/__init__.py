"""A local, faithful stand-in for Flowtly's API Platform REST API: real HTTP on a loopback port.

It serves what reconciliation reads and writes (invoices, clients, invoice rows, payment methods,
invoice-transactions) in both Hydra dialects, with API Platform's filters, pagination, errors and
validation, plus injectable faults. It is for tests, demos and benchmarks; never point it at real data.
"""

from __future__ import annotations

from .generate import make_seed, seed_json
from .options import SandboxOptions
from .seed import load_seed
from .server import Sandbox, serve_forever, start_sandbox

__all__ = [
    "Sandbox",
    "SandboxOptions",
    "load_seed",
    "make_seed",
    "seed_json",
    "serve_forever",
    "start_sandbox",
]
