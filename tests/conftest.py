"""Shared fixtures: a real sandbox on a free loopback port, and a way to run the CLI as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import settings as hypothesis_settings

from reconcile.demo import demo_seed_path
from reconcile.flowtly.sandbox import Sandbox, SandboxOptions, start_sandbox

# Property tests: no per-example deadline (a loaded CI machine is slow, not wrong). Locally they are random,
# so each run explores new cases; in CI the examples are derived from each test's name, so a red build is
# reproducible and never a roll of the dice. A failure found once is fixed at its root and kept as an
# explicit @example on the test (see test_mt940.py), so it is checked on every machine, not only in the
# .hypothesis/ folder of the one that found it.
hypothesis_settings.register_profile("default", deadline=None, print_blob=True)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_statements"
CAMT_SAMPLE = SAMPLES / "santander-pl-2026-11-23.camt053.xml"
SHARED_SAMPLES = REPO.parent / "shared" / "samples"
TOKEN = "test-token-7f3a"

POSTGRES_ADMIN_URL = os.environ.get(
    "RECONCILE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_AT = urlsplit(POSTGRES_ADMIN_URL).netloc.rpartition("@")[2]


# -- state backends: every test that takes `database_url` runs on SQLite and on PostgreSQL -------------


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Any]:
    """A connection that may create databases, or a skip saying why there is none."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")
    try:
        conn = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL at {POSTGRES_AT} did not answer: {' '.join(str(exc).split())}")
    yield conn
    conn.close()


@pytest.fixture
def postgres_url(postgres_admin: Any) -> Iterator[str]:
    name = f"reconcile_test_{uuid.uuid4().hex[:16]}"
    postgres_admin.execute(f'CREATE DATABASE "{name}"')
    yield urlsplit(POSTGRES_ADMIN_URL)._replace(path=f"/{name}").geturl()
    postgres_admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path}/state.sqlite"


def demo_seed() -> dict[str, Any]:
    return json.loads(demo_seed_path().read_text(encoding="utf-8"))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox(demo_seed(), options=SandboxOptions(token=TOKEN)) as running:
        yield running


@dataclass
class Cli:
    """Runs `python -m reconcile` in a subprocess with its own state, reports and inbox."""

    workdir: Path
    api_url: str
    token: str = TOKEN

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWTLY_", "RECONCILE_"))}
        env.update(
            FLOWTLY_API_URL=self.api_url,
            FLOWTLY_API_TOKEN=self.token,
            RECONCILE_DATABASE_URL=f"sqlite:///{self.workdir / 'state' / 'reconcile.sqlite'}",
            RECONCILE_REPORTS_DIR=str(self.workdir / "reports"),
            RECONCILE_INBOX=str(self.workdir / "inbox"),
            CI="true",
        )
        env.update(extra)
        return env

    def __call__(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconcile", *args],
            cwd=self.workdir,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture
def cli(tmp_path: Path, sandbox: Sandbox) -> Cli:
    return Cli(workdir=tmp_path, api_url=sandbox.url)


def api(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(
        base_url=sandbox.url,
        headers={"Authorization": f"Bearer {sandbox.token}", "Accept": "application/ld+json"},
    )
