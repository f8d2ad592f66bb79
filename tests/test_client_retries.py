"""Retries: passing faults are retried with exponential back-off and jitter, Retry-After is honoured in both
of its forms, and every request gives up within its attempt count and its time budget."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from reconcile.errors import FlowtlyRateLimited, FlowtlyServerError
from reconcile.flowtly.client import FlowtlyClient, retry_after_seconds
from reconcile.flowtly.sandbox import SandboxOptions, make_seed, start_sandbox
from tests.test_client_support import FakeTime, Proxy, fast_settings

PAYMENT = {
    "invoice": "/invoices/1",
    "amount": 10.0,
    "date": "2026-05-10",
    "transaction": {"externalId": "L1"},
}


class RealSleep:
    """Sleeps for real (the sandbox's rate limit runs on real time) and remembers each wait."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        time.sleep(seconds)


@pytest.mark.parametrize("hydra_prefix", [True, False], ids=["hydra-prefix", "no-prefix"])
def test_a_flaky_server_still_yields_the_whole_collection(hydra_prefix: bool) -> None:
    seed = make_seed(60)
    with (
        start_sandbox(seed, options=SandboxOptions(hydra_prefix=hydra_prefix, max_items_per_page=5)) as clean,
        FlowtlyClient(fast_settings(clean)) as client,
    ):
        expected = list(client.iter_collection("/invoices"))
    flaky = SandboxOptions(hydra_prefix=hydra_prefix, max_items_per_page=5, fail_rate=0.4, fault_seed=21)
    with start_sandbox(seed, options=flaky) as sandbox:
        fake = FakeTime()
        with FlowtlyClient(
            fast_settings(sandbox, max_retries=10), sleep=fake.sleep, clock=fake.clock
        ) as client:
            got = list(client.iter_collection("/invoices"))
        failures = sandbox.status_counts.get(500, 0) + sandbox.status_counts.get(503, 0)
    assert got == expected
    assert failures > 0 and len(fake.slept) == failures


def test_too_many_requests_waits_as_long_as_retry_after_says() -> None:
    with start_sandbox(make_seed(3), options=SandboxOptions(rate_limit=2)) as sandbox:
        sleep = RealSleep()
        with FlowtlyClient(fast_settings(sandbox), sleep=sleep) as client:
            for _ in range(3):
                client.get("/clients/1")
        assert sandbox.status_counts[429] == 1
    assert sleep.slept and sleep.slept[0] >= 1.0  # the sandbox says "Retry-After: 1"


def test_retry_after_given_as_an_http_date_is_honoured() -> None:
    answers = iter(["wait", "ok"])

    def handler(request: httpx.Request) -> httpx.Response:
        if next(answers) == "wait":
            when = datetime.now(UTC) + timedelta(seconds=30)
            return httpx.Response(503, headers={"Retry-After": format_datetime(when, usegmt=True)})
        return httpx.Response(200, json={"id": 1})

    fake = FakeTime()
    settings = fast_settings("http://flowtly.test", max_retry_seconds=60)
    with FlowtlyClient(
        settings, transport=httpx.MockTransport(handler), sleep=fake.sleep, clock=fake.clock
    ) as c:
        assert c.get("/invoices/1") == {"id": 1}
    [waited] = fake.slept
    assert 28 <= waited <= 31


def test_retry_after_longer_than_the_budget_gives_up_at_once_and_says_why() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3600"})

    fake = FakeTime()
    settings = fast_settings("http://flowtly.test", max_retry_seconds=60)
    with (
        FlowtlyClient(
            settings, transport=httpx.MockTransport(handler), sleep=fake.sleep, clock=fake.clock
        ) as c,
        pytest.raises(FlowtlyRateLimited) as err,
    ):
        c.get("/invoices")
    assert fake.slept == []
    assert "it asked to wait 3600 s more, beyond the 60 s a request may wait" in str(err.value)
    assert "requests_per_second" in str(err.value)


def test_retries_stop_when_the_time_budget_is_spent_even_with_attempts_left() -> None:
    with start_sandbox(make_seed(3), options=SandboxOptions(fail_rate=1.0, fault_seed=2)) as sandbox:
        fake = FakeTime()
        settings = fast_settings(
            sandbox, max_retries=1000, max_retry_seconds=10, backoff_base_seconds=1, backoff_max_seconds=4
        )
        with (
            FlowtlyClient(settings, sleep=fake.sleep, clock=fake.clock, rng=random.Random(1)) as client,
            pytest.raises(FlowtlyServerError),
        ):
            client.get("/invoices")
        attempts = sandbox.request_count
    assert sum(fake.slept) <= 10
    assert 3 <= attempts < 50


def test_back_off_grows_exponentially_up_to_its_cap_with_jitter() -> None:
    with start_sandbox(make_seed(3), options=SandboxOptions(fail_rate=1.0, fault_seed=4)) as sandbox:
        fake = FakeTime()
        settings = fast_settings(
            sandbox, max_retries=8, max_retry_seconds=100, backoff_base_seconds=0.1, backoff_max_seconds=1.0
        )
        with (
            FlowtlyClient(settings, sleep=fake.sleep, clock=fake.clock, rng=random.Random(2)) as client,
            pytest.raises(FlowtlyServerError),
        ):
            client.get("/invoices")
    caps = [min(1.0, 0.1 * 2**n) for n in range(8)]
    assert len(fake.slept) == 8
    assert all(0 <= waited <= cap for waited, cap in zip(fake.slept, caps, strict=True))
    assert len(set(fake.slept)) == 8  # jitter: no two clients retry in lockstep


def test_a_post_refused_as_too_many_requests_is_sent_again_and_stored_once() -> None:
    with start_sandbox(make_seed(3), options=SandboxOptions(rate_limit=1)) as sandbox:
        proxy = Proxy()
        with FlowtlyClient(fast_settings(sandbox), transport=proxy, sleep=RealSleep()) as client:
            client.get("/invoices/1")
            created = client.post("/invoice-transactions", PAYMENT)
        assert [s.status for s in proxy.seen] == [200, 429, 201]
        assert [tx["@id"] for tx in sandbox.snapshot()["invoiceTransactions"]] == [created["@id"]]


def test_a_post_that_could_not_connect_is_sent_again() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(201, json={"@id": "/invoice-transactions/7"})

    fake = FakeTime()
    settings = fast_settings("http://flowtly.test")
    with FlowtlyClient(
        settings, transport=httpx.MockTransport(handler), sleep=fake.sleep, clock=fake.clock
    ) as c:
        assert c.post("/invoice-transactions", PAYMENT)["@id"] == "/invoice-transactions/7"
    assert calls == ["POST", "POST"]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("Wed, 21 Oct 2026 07:28:00 GMT", 60.0), ("soon", None), ("", None)],
)
def test_retry_after_is_read_in_both_forms(header: str, seconds: float | None) -> None:
    now = datetime(2026, 10, 21, 7, 27, tzinfo=UTC)
    assert retry_after_seconds(header, now=now) == seconds
