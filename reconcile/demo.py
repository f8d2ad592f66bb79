"""The embedded default: a local Flowtly sandbox with a demo seed, a throw-away state, the sample statements.

What `make demo` runs. Each demo starts from a fresh sandbox and a fresh state, so running it again shows
the same result; the reports of every demo run are kept.
"""

from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import replace
from pathlib import Path

from reconcile.config import Settings
from reconcile.flowtly.sandbox import SandboxOptions, start_sandbox
from reconcile.model import RunSummary
from reconcile.pipeline import Progress, RunRequest, run

_PACKAGE = Path(__file__).resolve().parent


def demo_seed_path() -> Path:
    return _PACKAGE / "demo_seed.json"


def sample_statements_dir() -> Path:
    """sample_statements/ of the checkout, or the copy inside an installed wheel (the Docker image)."""
    checkout = _PACKAGE.parent / "sample_statements"
    return checkout if checkout.is_dir() else _PACKAGE / "_samples"


def sample_statements() -> tuple[Path, ...]:
    folder = sample_statements_dir()
    return tuple(
        sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "README")))
    )


def run_demo(workdir: Path, *, progress: Progress | None = None) -> RunSummary:
    workdir.mkdir(parents=True, exist_ok=True)
    state_dir = workdir / "state"
    shutil.rmtree(state_dir, ignore_errors=True)
    seed = json.loads(demo_seed_path().read_text(encoding="utf-8"))
    token = secrets.token_urlsafe(16)
    with start_sandbox(seed, options=SandboxOptions(token=token)) as sandbox:
        settings = replace(
            Settings(),
            api_url=sandbox.url,
            token=token,
            database_url=f"sqlite:///{(state_dir / 'reconcile.sqlite').resolve()}",
            reports=workdir / "reports",
            inbox=workdir / "inbox",
            lookback_days=36500,  # the demo's invoices keep their dates however old the demo gets
            source="demo",
        )
        return run(settings, RunRequest(statements=sample_statements(), trigger="demo"), progress=progress)
