"""The Flowtly sandbox as a client meets it: real HTTP on a free loopback port, no mocks.

This file covers the request pipeline (auth, routing, negotiation, items); collections, writes, faults,
persistence, seeds and the OpenAPI document have their own test_sandbox_*.py files.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconcile.flowtly.sandbox import Sandbox, SandboxOptions, make_seed, serve_forever, start_sandbox

AUTH = {"Authorization": "Bearer sandbox-token", "Accept": "application/ld+json"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox(make_seed(12)) as running:
        yield running


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers=AUTH, timeout=5) as http:
        yield http


def test_sandbox_listens_on_a_free_loopback_port() -> None:
    with start_sandbox(make_seed(2)) as first, start_sandbox(make_seed(2)) as second:
        assert first.url.startswith("http://127.0.0.1:")
        assert first.url != second.url


def test_request_without_token_is_401_with_bearer_challenge(sandbox: Sandbox) -> None:
    response = httpx.get(f"{sandbox.url}/invoices")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["detail"] == "JWT Token not found"


def test_request_with_wrong_token_is_401(sandbox: Sandbox) -> None:
    response = httpx.get(f"{sandbox.url}/invoices/1", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid JWT Token"


def test_custom_token_is_the_only_one_accepted() -> None:
    with start_sandbox(make_seed(2), options=SandboxOptions(token="s3cret")) as running:
        assert running.token == "s3cret"
        ok = httpx.get(f"{running.url}/invoices", headers={"Authorization": "Bearer s3cret"})
        refused = httpx.get(f"{running.url}/invoices", headers=AUTH)
    assert (ok.status_code, refused.status_code) == (200, 401)


def test_unknown_path_is_404_problem_even_without_token(sandbox: Sandbox) -> None:
    response = httpx.get(f"{sandbox.url}/invoicez")
    assert response.status_code == 404
    body = response.json()
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert (body["status"], body["title"], body["type"]) == (404, "An error occurred", "/errors/404")
    assert "/invoicez" in body["detail"]


def test_unknown_item_is_404(client: httpx.Client) -> None:
    assert client.get("/invoices/99999").status_code == 404
    assert client.get("/invoices/abc").status_code == 404


def test_wrong_method_is_405_with_allow_header(client: httpx.Client) -> None:
    response = client.put("/invoices/1", json={})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, PATCH"
    assert response.json()["status"] == 405


def test_invoice_item_is_json_ld_with_context_and_type(client: httpx.Client) -> None:
    response = client.get("/invoices/1")
    assert response.headers["Content-Type"] == "application/ld+json; charset=utf-8"
    body = response.json()
    assert (body["@context"], body["@id"], body["@type"], body["id"]) == (
        "/contexts/Invoice",
        "/invoices/1",
        "Invoice",
        1,
    )
    assert body["client"].startswith("/clients/")


@pytest.mark.parametrize(
    ("path", "jsonld_type"),
    [("/clients/1", "Client"), ("/invoice-rows/1", "InvoiceRow"), ("/payment-methods/pm_1", "PaymentMethod")],
)
def test_every_read_only_resource_is_served(client: httpx.Client, path: str, jsonld_type: str) -> None:
    body = client.get(path).json()
    assert (body["@id"], body["@type"]) == (path, jsonld_type)


def test_invoice_embeds_its_rows(client: httpx.Client) -> None:
    rows = client.get("/invoices/1").json()["invoiceRows"]
    assert rows[0]["@type"] == "InvoiceRow"
    assert client.get(rows[0]["@id"]).json()["productName"] == rows[0]["productName"]


def test_accept_application_json_gets_plain_json_without_pagination(client: httpx.Client) -> None:
    response = client.get("/invoices", headers={"Accept": "application/json"})
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list)
    assert "@id" not in body[0]


def test_unsupported_accept_is_406(client: httpx.Client) -> None:
    assert client.get("/invoices", headers={"Accept": "application/xml"}).status_code == 406


def test_keep_alive_serves_many_requests_on_one_connection(sandbox: Sandbox) -> None:
    ports = set()
    with httpx.Client(base_url=sandbox.url, headers=AUTH) as http:
        for _ in range(5):
            response = http.get("/clients")
            assert response.headers.get("Connection") != "close"
            stream = response.extensions["network_stream"]
            ports.add(stream.get_extra_info("client_addr")[1])
    assert len(ports) == 1


def test_request_counters_count_every_request_and_status() -> None:
    with start_sandbox(make_seed(2)) as running, httpx.Client(base_url=running.url, headers=AUTH) as http:
        http.get("/invoices")
        http.get("/nothing")
        http.get("/invoices", headers={"Authorization": "Bearer nope"})
        assert running.request_count == 3
        assert running.status_counts == {200: 1, 404: 1, 401: 1}


def test_stop_releases_the_port() -> None:
    running = start_sandbox(make_seed(2))
    running.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{running.url}/invoices", headers=AUTH, timeout=2)


class _Enough(Exception):
    """Raised by the test's on_ready to end serve_forever the way Ctrl-C would."""


def test_serve_forever_serves_until_interrupted_then_stops() -> None:
    seen: list[object] = []

    def on_ready(running: Sandbox) -> None:
        seen.extend([running.url, httpx.get(f"{running.url}/invoices", headers=AUTH).status_code])
        raise _Enough

    with pytest.raises(_Enough):
        serve_forever(make_seed(2), host="127.0.0.1", port=0, options=SandboxOptions(), on_ready=on_ready)
    url, status = seen
    assert status == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/invoices", headers=AUTH, timeout=2)
