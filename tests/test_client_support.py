"""Helpers for the Flowtly client's contract tests (no tests here): a fake clock, a recording proxy, seeds.

The proxy sits between the client and a real sandbox and forwards every request over real HTTP; it only
watches, or plays a server that ignores some filters. It never answers in the sandbox's place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconcile.flowtly.client import ClientSettings
from reconcile.flowtly.sandbox import Sandbox

TOKEN = "tok-9f8e7d6c5b4a-secret"


@dataclass
class FakeTime:
    """A clock that moves only when someone sleeps: waits are measured, never waited."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Seen:
    request: httpx.Request
    status: int
    at: float
    body: Any = None  # the JSON answer, when there was one


class Proxy(httpx.BaseTransport):
    """Forwards to the sandbox over real HTTP, recording each exchange; `drop_params` are removed first,
    as a server with those filters disabled would ignore them; `after_each` runs after every answer."""

    def __init__(
        self,
        *,
        drop_params: Iterable[str] = (),
        clock: Callable[[], float] = lambda: 0.0,
        after_each: Callable[[Seen], None] | None = None,
    ) -> None:
        self.inner = httpx.HTTPTransport()
        self.drop_params = tuple(drop_params)
        self.clock = clock
        self.after_each = after_each
        self.seen: list[Seen] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for name in self.drop_params:
            request.url = request.url.copy_remove_param(name)
        at = self.clock()
        response = self.inner.handle_request(request)
        content = response.read()
        try:
            body = json.loads(content) if content else None
        except ValueError:
            body = None
        seen = Seen(request, response.status_code, at, body)
        self.seen.append(seen)
        if self.after_each:
            self.after_each(seen)
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    def close(self) -> None:
        self.inner.close()

    def paths(self, method: str = "GET") -> list[str]:
        return [s.request.url.path for s in self.seen if s.request.method == method]


def fast_settings(sandbox: Sandbox | str, token: str | None = None, **overrides: Any) -> ClientSettings:
    """Settings for tests: no rate limit, tiny back-offs, a short retry budget."""
    url = sandbox if isinstance(sandbox, str) else sandbox.url
    values: dict[str, Any] = {
        "base_url": url,
        "token": token if token is not None else (TOKEN if isinstance(sandbox, str) else sandbox.token),
        "requests_per_second": None,
        "backoff_base_seconds": 0.001,
        "backoff_max_seconds": 0.01,
        "max_retry_seconds": 5.0,
        "timeout_seconds": 5.0,
    }
    values.update(overrides)
    return ClientSettings(**values)


def invoice(
    invoice_id: int,
    *,
    amount: str = "100.00",
    status: str = "sent",
    issued: str = "2026-04-10",
    client: str = "/clients/1",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": invoice_id,
        "name": f"FV/2026/04/{invoice_id:04d}",
        "client": client,
        "amount": amount,
        "currency": "PLN",
        "issueDate": issued,
        "dueDate": "2026-05-10",
        "status": status,
        **extra,
    }


def recheck_seed() -> dict[str, Any]:
    """One invoice for each reason an invoice is or is not open; names say which."""
    from decimal import Decimal

    invoices = [
        invoice(1, status="sent"),
        invoice(2, status="created", amount="200.00"),
        invoice(3, status="edited", amount="300.00", client="Kowalski i Syn"),  # a literal client name
        invoice(4, status="draft"),
        invoice(5, status="paid"),
        invoice(6, status="cancelled"),
        invoice(7, paidInAdvance=True),
        invoice(8, issued="2025-01-15"),  # before the look-back window
        invoice(9, amount="1000.00"),  # corrected by 11 and partly paid
        invoice(10, amount="50.00",
                invoiceTransactions=[{"amount": "50.00", "date": "2026-04-12",
                                      "transaction": {"bankReference": "OLD-10"}}]),  # fully paid
        invoice(11, amount="-200.00", parent="/invoices/9"),  # a correction: never open itself
        invoice(12, amount="700.00", client="/clients/2"),
    ]  # fmt: skip
    invoices[8]["invoiceTransactions"] = [
        {"amount": Decimal("300.00"), "date": "2026-04-20", "transaction": {"bankReference": "OLD-9"}}
    ]
    for inv in invoices:
        inv["amount"] = Decimal(inv["amount"])
        for tx in inv.get("invoiceTransactions", []):
            tx["amount"] = Decimal(tx["amount"])
    clients = [
        {"id": 1, "name": "Przedsiębiorstwo Handlowe Żuraw Sp. z o.o."},
        {"id": 2, "name": "Müller & Söhne GmbH"},
    ]
    return {"clients": clients, "invoices": invoices, "paymentMethods": []}


# What recheck_seed's open invoices are, looking back to 2026-01-01: number -> (open amount, client name).
RECHECK_OPEN = {
    "FV/2026/04/0001": ("100.00", "Przedsiębiorstwo Handlowe Żuraw Sp. z o.o."),
    "FV/2026/04/0002": ("200.00", "Przedsiębiorstwo Handlowe Żuraw Sp. z o.o."),
    "FV/2026/04/0003": ("300.00", "Kowalski i Syn"),
    "FV/2026/04/0009": ("500.00", "Przedsiębiorstwo Handlowe Żuraw Sp. z o.o."),  # 1000 - 200 - 300
    "FV/2026/04/0012": ("700.00", "Müller & Söhne GmbH"),
}
