"""Hydra collections of the Flowtly sandbox: both dialects, pagination, the page-size cap, filters, order."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconcile.flowtly.sandbox import Sandbox, SandboxOptions, make_seed, start_sandbox

AUTH = {"Authorization": "Bearer sandbox-token", "Accept": "application/ld+json"}


def _invoice(
    invoice_id: int, status: str, issued: str, due: str | None, amount: float, **more: Any
) -> dict[str, Any]:
    return {"id": invoice_id, "name": f"FV/2026/04/{invoice_id:04d}", "client": "/clients/1",
            "amount": amount, "currency": "PLN", "issueDate": issued, "dueDate": due, "status": status,
            **more}  # fmt: skip


SEED = {
    "clients": [{"id": 1, "name": "Gęś i Wróbel s.c."}],
    "invoices": [
        _invoice(1, "sent", "2026-04-01", "2026-04-15", 100.00),
        _invoice(2, "created", "2026-04-02", "2026-04-10", 250.50),
        _invoice(3, "edited", "2026-04-03", None, 75.25),
        _invoice(4, "sent", "2026-04-04", "2026-04-30", 1230.00),
        _invoice(5, "sent", "2026-04-05", "2026-04-20", -20.00, parent="/invoices/4"),
    ],
}


def _ids(body: dict[str, Any]) -> list[int]:
    return [item["id"] for item in body.get("hydra:member", body.get("member", []))]


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with start_sandbox(SEED) as running, httpx.Client(base_url=running.url, headers=AUTH) as http:
        yield http


def _follow(http: httpx.Client, first: str, *, prefix: str) -> tuple[list[int], list[dict[str, Any]]]:
    """Every member id reached by following `next` from `first`, and every page read."""
    ids: list[int] = []
    pages = []
    url: str | None = first
    while url:
        page = http.get(url).json()
        pages.append(page)
        ids += _ids(page)
        url = page[f"{prefix}view"].get(f"{prefix}next")
    return ids, pages


@pytest.mark.parametrize(("hydra_prefix", "prefix"), [(True, "hydra:"), (False, "")])
def test_following_next_collects_every_invoice_exactly_once(hydra_prefix: bool, prefix: str) -> None:
    options = SandboxOptions(hydra_prefix=hydra_prefix)
    with (
        start_sandbox(make_seed(95), options=options) as running,
        httpx.Client(base_url=running.url, headers=AUTH) as http,
    ):
        ids, pages = _follow(http, "/invoices?itemsPerPage=10", prefix=prefix)
    assert sorted(ids) == list(range(1, 96))
    assert len(ids) == len(set(ids))
    assert len(pages) == 10
    assert pages[0][f"{prefix}totalItems"] == 95


def test_hydra_prefixed_style_names_every_key_with_hydra(client: httpx.Client) -> None:
    body = client.get("/invoices?itemsPerPage=2&page=2").json()
    assert (body["@type"], body["@id"], body["@context"]) == (
        "hydra:Collection",
        "/invoices",
        "/contexts/Invoice",
    )
    view = body["hydra:view"]
    assert view == {
        "@id": "/invoices?itemsPerPage=2&page=2",
        "@type": "hydra:PartialCollectionView",
        "hydra:first": "/invoices?itemsPerPage=2&page=1",
        "hydra:last": "/invoices?itemsPerPage=2&page=3",
        "hydra:previous": "/invoices?itemsPerPage=2&page=1",
        "hydra:next": "/invoices?itemsPerPage=2&page=3",
    }


def test_api_platform_4_style_drops_the_prefix() -> None:
    with start_sandbox(SEED, options=SandboxOptions(hydra_prefix=False)) as running:
        body = httpx.get(f"{running.url}/invoices?itemsPerPage=2", headers=AUTH).json()
    assert body["@type"] == "Collection"
    assert body["totalItems"] == 5
    assert _ids(body) == [1, 2]
    assert body["view"]["next"] == "/invoices?itemsPerPage=2&page=2"
    assert not any(key.startswith("hydra:") for key in body)


def test_default_page_size_is_thirty() -> None:
    with start_sandbox(make_seed(40)) as running:
        body = httpx.get(f"{running.url}/invoices", headers=AUTH).json()
    assert len(body["hydra:member"]) == 30
    assert body["hydra:view"]["hydra:next"] == "/invoices?page=2"


def test_items_per_page_is_capped() -> None:
    options = SandboxOptions(max_items_per_page=7)
    with start_sandbox(make_seed(20), options=options) as running:
        body = httpx.get(f"{running.url}/invoices?itemsPerPage=1000", headers=AUTH).json()
    assert len(body["hydra:member"]) == 7
    assert body["hydra:view"]["hydra:last"].endswith("page=3")


def test_partial_pagination_has_no_total_or_last_and_still_reaches_everything() -> None:
    with (
        start_sandbox(make_seed(20), options=SandboxOptions(partial_pagination=True)) as running,
        httpx.Client(base_url=running.url, headers=AUTH) as http,
    ):
        ids, pages = _follow(http, "/invoices?itemsPerPage=5", prefix="hydra:")
    assert sorted(ids) == list(range(1, 21))
    assert all("hydra:totalItems" not in page and "hydra:last" not in page["hydra:view"] for page in pages)
    assert _ids(pages[-1]) == []  # API Platform offers `next` after every full page, so the last one is empty


def test_page_below_one_is_400(client: httpx.Client) -> None:
    assert client.get("/invoices?page=0").status_code == 400


def test_page_beyond_the_last_is_empty(client: httpx.Client) -> None:
    body = client.get("/invoices?page=9").json()
    assert body["hydra:member"] == []
    assert body["hydra:totalItems"] == 5


def test_status_filter_keeps_only_that_status(client: httpx.Client) -> None:
    assert _ids(client.get("/invoices?status=sent").json()) == [1, 4, 5]


def test_several_statuses_with_brackets(client: httpx.Client) -> None:
    assert _ids(client.get("/invoices?status[]=created&status[]=edited").json()) == [2, 3]


def test_filters_stay_in_pagination_links(client: httpx.Client) -> None:
    view = client.get("/invoices?status=sent&itemsPerPage=2").json()["hydra:view"]
    assert view["hydra:next"] == "/invoices?status=sent&itemsPerPage=2&page=2"
    assert _ids(client.get(view["hydra:next"]).json()) == [5]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("issueDate[after]=2026-04-03", [3, 4, 5]),
        ("issueDate[strictly_after]=2026-04-03", [4, 5]),
        ("issueDate[before]=2026-04-02", [1, 2]),
        ("issueDate[strictly_before]=2026-04-02", [1]),
        ("issueDate[after]=2026-04-02&issueDate[before]=2026-04-04", [2, 3, 4]),
    ],
)
def test_issue_date_filters(client: httpx.Client, query: str, expected: list[int]) -> None:
    assert _ids(client.get(f"/invoices?{query}").json()) == expected


def test_due_date_filter_leaves_out_invoices_without_due_date(client: httpx.Client) -> None:
    assert _ids(client.get("/invoices?dueDate[before]=2026-04-30").json()) == [1, 2, 4, 5]


def test_unreadable_date_filter_is_ignored(client: httpx.Client) -> None:
    assert _ids(client.get("/invoices?dueDate[before]=soon").json()) == [1, 2, 3, 4, 5]


def test_unknown_filter_is_silently_ignored(client: httpx.Client) -> None:
    response = client.get("/invoices?clientName=Nobody&status[weird]=x")
    assert response.status_code == 200
    assert _ids(response.json()) == [1, 2, 3, 4, 5]


def test_exists_filter_on_parent_finds_corrections(client: httpx.Client) -> None:
    assert _ids(client.get("/invoices?exists[parent]=true").json()) == [5]
    assert _ids(client.get("/invoices?exists[parent]=false").json()) == [1, 2, 3, 4]


def test_amount_range_filter(client: httpx.Client) -> None:
    assert _ids(client.get("/invoices?amount[between]=75.25..250.50").json()) == [1, 2, 3]
    assert _ids(client.get("/invoices?amount[gt]=250.5").json()) == [4]


def test_order_by_due_date_descending_puts_missing_dates_last(client: httpx.Client) -> None:
    assert _ids(client.get("/invoices?order[dueDate]=desc").json()) == [4, 5, 1, 2, 3]


def test_order_by_id_descending(client: httpx.Client) -> None:
    assert _ids(client.get("/invoices?order[id]=desc&itemsPerPage=2").json()) == [5, 4]


def test_correction_appears_embedded_in_its_parent(client: httpx.Client) -> None:
    children = client.get("/invoices/4").json()["childrenInvoices"]
    assert children == [{"@id": "/invoices/5", "@type": "Invoice", "id": 5, "name": "FV/2026/04/0005",
                         "amount": -20.0, "currency": "PLN", "status": "sent"}]  # fmt: skip


def test_ten_thousand_invoices_are_paged_quickly() -> None:
    with (
        start_sandbox(make_seed(10_000)) as running,
        httpx.Client(base_url=running.url, headers=AUTH) as http,
    ):
        started = time.perf_counter()
        last = http.get(
            "/invoices?itemsPerPage=100&page=100&status[]=sent&status[]=created&order[dueDate]=asc"
        )
        elapsed = time.perf_counter() - started
        assert last.status_code == 200
        assert last.json()["hydra:totalItems"] > 5000
    assert elapsed < 1.0


def _sandbox_with_payments() -> Sandbox:
    seed = {
        "clients": SEED["clients"],
        "invoices": [
            _invoice(1, "sent", "2026-04-01", None, 100.0,
                     invoiceTransactions=[{"amount": 40.0, "date": "2026-04-05", "transaction": {}}]),
            _invoice(2, "sent", "2026-04-01", None, 100.0,
                     invoiceTransactions=[{"amount": 10.0, "date": "2026-04-05", "transaction": {}},
                                          {"amount": 20.0, "date": "2026-04-06", "transaction": {}}]),
        ],
    }  # fmt: skip
    return start_sandbox(seed)


@pytest.mark.parametrize("value", ["/invoices/2", "2"])
def test_invoice_transactions_filter_by_invoice_iri_or_id(value: str) -> None:
    with _sandbox_with_payments() as running:
        body = httpx.get(
            f"{running.url}/invoice-transactions", params={"invoice": value}, headers=AUTH
        ).json()
    assert _ids(body) == [2, 3]
    assert {item["invoice"] for item in body["hydra:member"]} == {"/invoices/2"}


def test_invoice_transactions_filter_with_several_invoices() -> None:
    with _sandbox_with_payments() as running:
        query = "invoice[]=/invoices/1&invoice[]=/invoices/2"
        body = httpx.get(f"{running.url}/invoice-transactions?{query}", headers=AUTH).json()
    assert _ids(body) == [1, 2, 3]


def test_invoice_transactions_filter_on_a_missing_invoice_matches_nothing() -> None:
    with _sandbox_with_payments() as running:
        body = httpx.get(f"{running.url}/invoice-transactions?invoice=/invoices/999", headers=AUTH).json()
    assert body["hydra:totalItems"] == 0


def test_invoice_transactions_are_paginated_like_the_rest() -> None:
    with _sandbox_with_payments() as running:
        body = httpx.get(f"{running.url}/invoice-transactions?itemsPerPage=2", headers=AUTH).json()
    assert body["hydra:view"]["hydra:next"] == "/invoice-transactions?itemsPerPage=2&page=2"
