"""Injected faults of the Flowtly sandbox: each option does what it says, reproducibly from its seed."""

from __future__ import annotations

import time
from typing import Any

import httpx

from reconcile.flowtly.sandbox import SandboxOptions, make_seed, start_sandbox

AUTH = {"Authorization": "Bearer sandbox-token", "Accept": "application/ld+json"}
PAYMENT = {
    "invoice": "/invoices/1",
    "amount": 10.0,
    "date": "2026-05-10",
    "transaction": {"bankReference": "R1"},
}


def _statuses(options: SandboxOptions, n: int) -> list[int]:
    with (
        start_sandbox(make_seed(3), options=options) as running,
        httpx.Client(base_url=running.url, headers=AUTH) as http,
    ):
        return [http.get("/invoices").status_code for _ in range(n)]


def test_fail_rate_one_fails_every_request_with_500_or_503() -> None:
    assert set(_statuses(SandboxOptions(fail_rate=1.0, fault_seed=1), 20)) == {500, 503}


def test_failed_post_stores_nothing() -> None:
    options = SandboxOptions(fail_rate=1.0, fault_seed=1)
    with start_sandbox(make_seed(3), options=options) as running:
        response = httpx.post(f"{running.url}/invoice-transactions", json=PAYMENT, headers=AUTH)
        assert response.status_code in (500, 503)
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert running.snapshot()["invoiceTransactions"] == []


def test_fail_rate_is_reproducible_from_the_fault_seed() -> None:
    first = _statuses(SandboxOptions(fail_rate=0.5, fault_seed=7), 30)
    second = _statuses(SandboxOptions(fail_rate=0.5, fault_seed=7), 30)
    assert first == second
    assert 200 in first
    assert {500, 503} & set(first)


def test_latency_is_added_to_every_request() -> None:
    with start_sandbox(make_seed(2), options=SandboxOptions(latency_ms=150)) as running:
        started = time.perf_counter()
        httpx.get(f"{running.url}/clients/1", headers=AUTH)
        assert time.perf_counter() - started >= 0.15


def test_rate_limit_answers_429_with_retry_after() -> None:
    options = SandboxOptions(rate_limit=3)
    with start_sandbox(make_seed(2), options=options) as running, httpx.Client(base_url=running.url) as http:
        statuses = [http.get("/clients", headers=AUTH).status_code for _ in range(3)]
        refused = http.get("/clients", headers=AUTH)
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["status"] == 429


def test_rate_limit_lets_requests_through_after_retry_after() -> None:
    options = SandboxOptions(rate_limit=2)
    with start_sandbox(make_seed(2), options=options) as running, httpx.Client(base_url=running.url) as http:
        for _ in range(2):
            http.get("/clients", headers=AUTH)
        refused = http.get("/clients", headers=AUTH)
        time.sleep(int(refused.headers["Retry-After"]))
        assert http.get("/clients", headers=AUTH).status_code == 200


def test_rate_limit_counts_each_token_apart() -> None:
    with start_sandbox(make_seed(2), options=SandboxOptions(rate_limit=1)) as running:
        httpx.get(f"{running.url}/clients", headers=AUTH)
        other = httpx.get(f"{running.url}/clients", headers={"Authorization": "Bearer someone-else"})
    assert other.status_code == 401  # refused for its token, not for the first token's rate


def _post_outcomes(options: SandboxOptions, n: int) -> tuple[list[Any], dict[str, Any]]:
    """What n identical posts got back: (status, content type), or "dropped"; and the data afterwards."""
    outcomes: list[Any] = []
    with (
        start_sandbox(make_seed(3), options=options) as running,
        httpx.Client(base_url=running.url, headers=AUTH) as http,
    ):
        for _ in range(n):
            try:
                response = http.post("/invoice-transactions", json=PAYMENT)
                outcomes.append((response.status_code, response.headers["Content-Type"].split(";")[0]))
            except httpx.RemoteProtocolError:
                outcomes.append("dropped")
        assert running.dropped_count == outcomes.count("dropped")
        return outcomes, running.snapshot()


def test_drop_after_commit_stores_the_post_but_loses_the_answer() -> None:
    outcomes, data = _post_outcomes(SandboxOptions(drop_after_commit_rate=1.0, fault_seed=3), 10)
    assert set(outcomes) == {"dropped", (502, "text/html")}  # a proxy's page, not problem+json
    seeded = len(make_seed(3)["invoices"][0]["invoiceTransactions"])
    mine = [p for p in data["invoiceTransactions"] if p["transaction"] == PAYMENT["transaction"]]
    assert len(mine) == 10  # every "failed" post was stored: a blind retry would pay twice
    assert len(data["invoices"][0]["invoiceTransactions"]) == seeded + 10


def test_drop_after_commit_is_reproducible_from_the_fault_seed() -> None:
    options = {"drop_after_commit_rate": 0.5, "fault_seed": 11}
    first, _ = _post_outcomes(SandboxOptions(**options), 12)  # type: ignore[arg-type]
    second, _ = _post_outcomes(SandboxOptions(**options), 12)  # type: ignore[arg-type]
    assert first == second
    assert (201, "application/ld+json") in first


def test_drop_after_commit_spares_reads_and_refused_writes() -> None:
    options = SandboxOptions(drop_after_commit_rate=1.0, fault_seed=3)
    with (
        start_sandbox(make_seed(3), options=options) as running,
        httpx.Client(base_url=running.url, headers=AUTH) as http,
    ):
        assert http.get("/invoices").status_code == 200
        assert http.post("/invoice-transactions", json={**PAYMENT, "amount": 0}).status_code == 422


def test_drop_after_commit_also_strikes_deletes() -> None:
    with start_sandbox(make_seed(3)) as running, httpx.Client(base_url=running.url, headers=AUTH) as http:
        created = http.post("/invoice-transactions", json=PAYMENT).json()
        running.options.drop_after_commit_rate = 1.0  # options are read per request
        try:
            status: Any = http.delete(created["@id"]).status_code
        except httpx.RemoteProtocolError:
            status = "dropped"
        running.options.drop_after_commit_rate = 0.0
        assert status in ("dropped", 502)
        assert http.get(created["@id"]).status_code == 404
