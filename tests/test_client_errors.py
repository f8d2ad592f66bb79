"""Every way Flowtly can refuse or fail becomes one typed error with a message a finance person can act on.

The sandbox produces what it can (401, 404, 400, 422, 5xx, silence); httpx.MockTransport stands in only
for answers the sandbox never gives (403, 409, 415, a redirect, a non-JSON body, a foreign `next`).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconcile.errors import (
    FlowtlyAuthError,
    FlowtlyConflict,
    FlowtlyError,
    FlowtlyNotFound,
    FlowtlyServerError,
    FlowtlyUnavailable,
    FlowtlyUnsupportedMedia,
    FlowtlyValidationError,
)
from reconcile.flowtly.client import FlowtlyClient, OutcomeUnknown
from reconcile.flowtly.invoices import fetch_open_invoices
from reconcile.flowtly.sandbox import SandboxOptions, make_seed, start_sandbox
from tests.test_client_support import TOKEN, FakeTime, fast_settings

MOCK_URL = "http://flowtly.test"


def mock_client(handler: Callable[[httpx.Request], httpx.Response], **overrides: Any) -> FlowtlyClient:
    fake = FakeTime()
    return FlowtlyClient(
        fast_settings(MOCK_URL, **overrides),
        transport=httpx.MockTransport(handler),
        sleep=fake.sleep,
        clock=fake.clock,
    )


def problem(status: int, detail: str, **extra: Any) -> httpx.Response:
    body = {"title": "An error occurred", "detail": detail, "status": status, **extra}
    return httpx.Response(status, json=body, headers={"Content-Type": "application/problem+json"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_wrong_token_names_the_setting_and_never_the_token() -> None:
    with (
        start_sandbox(make_seed(3), options=SandboxOptions(token="the-right-one")) as sandbox,
        FlowtlyClient(fast_settings(sandbox, token=TOKEN)) as client,
        pytest.raises(FlowtlyAuthError) as err,
    ):
        client.get("/invoices")
    message = str(err.value)
    assert err.value.status == 401
    assert "FLOWTLY_API_TOKEN" in message and "Invalid JWT Token" in message
    assert TOKEN not in message


def test_forbidden_says_the_token_lacks_rights() -> None:
    with (
        mock_client(lambda request: problem(403, "Access Denied.")) as client,
        pytest.raises(FlowtlyAuthError) as err,
    ):
        client.get("/invoices")
    assert "HTTP 403" in str(err.value) and "Access Denied." in str(err.value)
    assert "FLOWTLY_API_TOKEN" in str(err.value)


def test_token_echoed_back_by_a_server_is_blanked_out() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return problem(401, f"Token {request.headers['Authorization'][7:]} is revoked")

    with mock_client(echo) as client, pytest.raises(FlowtlyAuthError) as err:
        client.get("/invoices")
    assert TOKEN not in str(err.value) and "Token *** is revoked" in str(err.value)


def test_token_appears_in_no_log_line_and_no_repr(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    options = SandboxOptions(token=TOKEN, fail_rate=0.3, fault_seed=5, max_items_per_page=4)
    with start_sandbox(make_seed(20), options=options) as sandbox:
        settings = fast_settings(sandbox, max_retries=8)
        with FlowtlyClient(settings) as client:
            fetch_open_invoices(client, issued_after=None)
            text = repr(settings) + repr(client) + repr(vars(client))
        with (
            FlowtlyClient(fast_settings(sandbox, token=TOKEN + "x")) as wrong,
            pytest.raises(FlowtlyAuthError),
        ):
            wrong.get("/invoices")
    assert "retrying" in caplog.text  # the retries were logged, and the test would see a token there
    assert TOKEN not in caplog.text
    assert TOKEN not in text


def test_missing_resource_is_not_found() -> None:
    with (
        start_sandbox(make_seed(3)) as sandbox,
        FlowtlyClient(fast_settings(sandbox)) as client,
        pytest.raises(FlowtlyNotFound) as err,
    ):
        client.get("/invoices/999")
    assert str(err.value) == "Flowtly has no /invoices/999 (HTTP 404): Not Found"


def test_conflict_shows_the_servers_detail() -> None:
    with (
        mock_client(lambda request: problem(409, "This invoice is locked by a KSeF submission.")) as client,
        pytest.raises(FlowtlyConflict) as err,
    ):
        client.post("/invoice-transactions", {"invoice": "/invoices/1"})
    assert "This invoice is locked by a KSeF submission." in str(err.value)
    assert err.value.status == 409


def test_unsupported_media_type_is_reported_as_our_bug() -> None:
    with (
        mock_client(
            lambda request: problem(415, 'The content-type "text/plain" is not supported.')
        ) as client,
        pytest.raises(FlowtlyUnsupportedMedia) as err,
    ):
        client.patch("/invoices/1", {"notes": "x"})
    assert "bug in reconcile" in str(err.value)


def test_validation_errors_list_each_field_with_its_message() -> None:
    body = {"invoice": "/invoices/1", "amount": 0, "date": "2026-13-45", "transaction": None}
    with start_sandbox(make_seed(3)) as sandbox, FlowtlyClient(fast_settings(sandbox)) as client:
        with pytest.raises(FlowtlyValidationError) as err:
            client.post("/invoice-transactions", body)
        assert sandbox.snapshot()["invoiceTransactions"] == []
    by_field = {v.property_path: v.message for v in err.value.violations}
    assert by_field == {
        "amount": "This value should not be equal to 0.",
        "date": "This value is not a valid date.",
        "transaction": "This value should not be null.",
    }
    assert str(err.value) == (
        "Flowtly refused the data of POST /invoice-transactions (HTTP 422) (amount: This value should not be "
        "equal to 0.; date: This value is not a valid date.; transaction: This value should not be null.)"
    )


def test_unknown_invoice_iri_is_a_refusal_of_the_data_with_the_servers_words() -> None:
    body = {"invoice": "/invoices/999", "amount": 10.0, "date": "2026-05-10", "transaction": {}}
    with (
        start_sandbox(make_seed(3)) as sandbox,
        FlowtlyClient(fast_settings(sandbox)) as client,
        pytest.raises(FlowtlyValidationError) as err,
    ):
        client.post("/invoice-transactions", body)
    assert err.value.status == 400
    assert 'Item not found for "/invoices/999"' in str(err.value)


def test_server_failing_every_time_ends_in_a_server_error_after_the_allowed_attempts() -> None:
    with start_sandbox(make_seed(3), options=SandboxOptions(fail_rate=1.0, fault_seed=3)) as sandbox:
        fake = FakeTime()
        settings = fast_settings(sandbox, max_retries=3)
        with (
            FlowtlyClient(settings, sleep=fake.sleep, clock=fake.clock) as client,
            pytest.raises(FlowtlyServerError) as err,
        ):
            client.get("/invoices")
        assert sandbox.request_count == 4
    assert "after 4 attempts" in str(err.value)
    assert "Injected fault" in str(err.value)  # the server's own detail


def test_unreachable_server_is_unavailable_with_the_address_and_what_to_check() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    fake = FakeTime()
    with (
        FlowtlyClient(fast_settings(url, max_retries=2), sleep=fake.sleep, clock=fake.clock) as client,
        pytest.raises(FlowtlyUnavailable) as err,
    ):
        client.get("/invoices")
    message = str(err.value)
    assert message.startswith(
        f"Flowtly at {url} did not answer GET /invoices after 3 attempts (cannot connect"
    )
    assert "FLOWTLY_API_URL" in message
    assert len(fake.slept) == 2


def test_a_server_too_slow_to_answer_is_unavailable_after_the_timeout() -> None:
    with start_sandbox(make_seed(3), options=SandboxOptions(latency_ms=400)) as sandbox:
        settings = fast_settings(sandbox, timeout_seconds=0.1, max_retries=1)
        with FlowtlyClient(settings) as client, pytest.raises(FlowtlyUnavailable) as err:
            client.get("/invoices/1")
        time.sleep(0.5)  # let the sandbox write its late answers into closed sockets while output is captured
    assert "did not answer GET /invoices/1 after 2 attempts (no answer: ReadTimeout" in str(err.value)


def test_a_write_whose_answer_is_lost_is_not_sent_again() -> None:
    with start_sandbox(
        make_seed(3), options=SandboxOptions(drop_after_commit_rate=1.0, fault_seed=1)
    ) as sandbox:
        body = {
            "invoice": "/invoices/1",
            "amount": 10.0,
            "date": "2026-05-10",
            "transaction": {"externalId": "L1"},
        }
        with FlowtlyClient(fast_settings(sandbox)) as client, pytest.raises(OutcomeUnknown):
            client.post("/invoice-transactions", body)
        assert sandbox.request_count == 1
        assert len(sandbox.snapshot()["invoiceTransactions"]) == 1  # it did land


def test_a_redirect_is_not_followed_and_names_the_address_to_check() -> None:
    def moved(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "https://api.flowtly.eu/invoices"})

    with mock_client(moved) as client, pytest.raises(FlowtlyError) as err:
        client.get("/invoices")
    assert "redirected GET /invoices to https://api.flowtly.eu/invoices (HTTP 301)" in str(err.value)


def test_an_answer_that_is_not_json_is_an_error_naming_its_content_type() -> None:
    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>", headers={"Content-Type": "text/html"})

    with mock_client(html) as client, pytest.raises(FlowtlyError) as err:
        client.get("/invoices/1")
    assert str(err.value) == "GET /invoices/1: Flowtly answered with something that is not JSON (text/html)"


def test_a_next_page_on_another_host_is_not_followed() -> None:
    hosts: list[str] = []

    def pages(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(
            200, json={"member": [{"id": 1}], "view": {"next": "https://evil.test/steal?page=2"}}
        )

    with mock_client(pages) as client, pytest.raises(FlowtlyError) as err:
        list(client.iter_collection("/invoices"))
    assert hosts == ["flowtly.test"]
    assert "outside http://flowtly.test; not followed" in str(err.value)


def test_a_page_that_is_not_a_collection_is_an_error() -> None:
    with (
        mock_client(lambda request: httpx.Response(200, json={"id": 1})) as client,
        pytest.raises(FlowtlyError) as err,
    ):
        list(client.iter_collection("/invoices"))
    assert "not a collection" in str(err.value)


def _subclasses(cls: type[Exception]) -> list[type[Exception]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


HTTPX_REQUEST_ERRORS = sorted(set(_subclasses(httpx.RequestError)), key=lambda c: c.__name__)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("error", HTTPX_REQUEST_ERRORS, ids=lambda c: c.__name__)
def test_every_httpx_error_becomes_a_flowtly_error(error: type[httpx.RequestError], method: str) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error("boom", request=request)

    with mock_client(fail, max_retries=1) as client, pytest.raises(FlowtlyError):
        if method == "GET":
            client.get("/invoices")
        else:
            client.post("/invoice-transactions", {"invoice": "/invoices/1"})


def test_an_absolute_next_link_on_our_host_is_followed_without_leaving_our_scheme() -> None:
    seen: list[str] = []

    def pages(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.params.get("page") == "2":
            return httpx.Response(200, json={"hydra:member": [{"id": 2}]})
        return httpx.Response(
            200,
            json={
                "hydra:member": [{"id": 1}],
                "hydra:view": {"hydra:next": "http://flowtly.test/invoices?page=2"},
            },
        )

    with mock_client(pages, base_url="https://flowtly.test") as client:
        assert [doc["id"] for doc in client.iter_collection("/invoices")] == [1, 2]
    assert seen[1] == "https://flowtly.test/invoices?page=2"


def test_iris_are_read_from_the_server_root_when_the_api_sits_under_a_path() -> None:
    """API Platform writes its route prefix into every IRI: /api/invoices?page=2, not /invoices?page=2."""
    seen: list[str] = []

    def pages(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.params.get("page") == "2":
            return httpx.Response(200, json={"member": [{"id": 2}]})
        return httpx.Response(200, json={"member": [{"id": 1}], "view": {"next": "/api/invoices?page=2"}})

    with mock_client(pages, base_url="http://flowtly.test/api") as client:
        assert [doc["id"] for doc in client.iter_collection("/invoices")] == [1, 2]
    assert seen == ["/api/invoices", "/api/invoices"]
