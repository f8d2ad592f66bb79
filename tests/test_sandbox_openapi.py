"""The sandbox's OpenAPI document is generated from its route table: every served route is listed, and
every listed operation is served."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconcile.flowtly.sandbox import Sandbox, make_seed, start_sandbox
from reconcile.flowtly.sandbox.app import ROUTES

AUTH = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox(make_seed(5)) as running:
        yield running


@pytest.fixture(scope="module")
def document(sandbox: Sandbox) -> dict[str, Any]:
    response = httpx.get(f"{sandbox.url}/docs.jsonopenapi")
    assert response.headers["Content-Type"].startswith("application/vnd.openapi+json")
    return response.json()


def test_document_is_openapi_3_1_and_needs_no_token(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"


def test_both_document_urls_serve_the_same_document(sandbox: Sandbox, document: dict[str, Any]) -> None:
    assert httpx.get(f"{sandbox.url}/openapi.json").json() == document


def test_every_served_route_is_documented(document: dict[str, Any]) -> None:
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert documented == {(route.method, route.template) for route in ROUTES}


def test_every_documented_operation_is_served(sandbox: Sandbox, document: dict[str, Any]) -> None:
    ids = {"/payment-methods/{id}": "pm_1", "/invoice-transactions/{id}": "999"}
    for path, operations in document["paths"].items():
        url = sandbox.url + path.replace("{id}", ids.get(path, "1"))
        for method in operations:
            response = httpx.request(method.upper(), url, headers=AUTH, json={})
            routing_failure = response.status_code in (404, 405) and "No route found" in response.text
            assert not routing_failure, (method, path)


def test_collection_filters_are_documented(document: dict[str, Any]) -> None:
    names = {p["name"] for p in document["paths"]["/invoices"]["get"]["parameters"]}
    assert {"page", "itemsPerPage", "status", "status[]", "dueDate[before]", "order[dueDate]"} <= names
    payment_filters = {p["name"] for p in document["paths"]["/invoice-transactions"]["get"]["parameters"]}
    assert {"invoice", "invoice[]"} <= payment_filters


def test_operations_are_secured_by_bearer_except_the_docs(document: dict[str, Any]) -> None:
    assert document["paths"]["/invoices"]["get"]["security"] == [{"bearerAuth": []}]
    assert document["paths"]["/openapi.json"]["get"]["security"] == []


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
