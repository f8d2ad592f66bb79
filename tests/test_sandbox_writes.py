"""What clients write to the Flowtly sandbox: posting and deleting payments, patching invoices, and the
errors API Platform gives for bad writes (400, 415, 422 with violations)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.flowtly.sandbox import Sandbox, start_sandbox
from reconcile.money import parse_amount

AUTH = {"Authorization": "Bearer sandbox-token", "Accept": "application/ld+json"}
SEED = {
    "clients": [{"id": 1, "name": "Müller & Söhne GmbH"}],
    "invoices": [
        {"id": 12, "name": "FV/2026/04/0012", "client": "/clients/1", "amount": 1230.00, "currency": "PLN",
         "issueDate": "2026-04-01", "dueDate": "2026-04-15", "status": "sent",
         "eInvoicing": {"provider": "ksef", "status": "accepted",
                        "einvoicingNumber": "5265877635-20250826-0100001AF629-AF"}},
        {"id": 13, "name": "FV/2026/04/0013", "client": "/clients/1", "amount": 99.99, "currency": "EUR",
         "issueDate": "2026-04-02", "status": "created"},
    ],
}  # fmt: skip


def payment(**changes: Any) -> dict[str, Any]:
    line = {"bankReference": "AcctSvcrRef-1", "externalId": "line-1", "title": "FV/2026/04/0012 Żółć"}
    body = {"invoice": "/invoices/12", "amount": 123.45, "date": "2026-05-10", "transaction": line}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def merge_patch(http: httpx.Client, path: str, changes: object) -> httpx.Response:
    content = json.dumps(changes, ensure_ascii=False).encode()
    return http.patch(path, content=content, headers={"Content-Type": "application/merge-patch+json"})


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox(SEED) as running:
        yield running


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers=AUTH) as http:
        yield http


def test_post_creates_the_payment_with_201_and_location(client: httpx.Client) -> None:
    response = client.post("/invoice-transactions", json=payment())
    assert response.status_code == 201
    body = response.json()
    assert response.headers["Location"] == body["@id"] == f"/invoice-transactions/{body['id']}"
    assert (body["@type"], body["invoice"], body["amount"], body["date"]) == (
        "InvoiceTransaction",
        "/invoices/12",
        123.45,
        "2026-05-10",
    )
    assert body["transaction"]["title"] == "FV/2026/04/0012 Żółć"


def test_post_accepts_json_ld_content_type(client: httpx.Client) -> None:
    content = json.dumps(payment()).encode()
    response = client.post(
        "/invoice-transactions", content=content, headers={"Content-Type": "application/ld+json"}
    )
    assert response.status_code == 201


def test_posted_payment_appears_in_its_invoice(client: httpx.Client) -> None:
    created = client.post("/invoice-transactions", json=payment()).json()
    invoice = client.get("/invoices/12").json()
    assert invoice["invoiceTransactions"] == [
        {"@id": created["@id"], "@type": "InvoiceTransaction", "id": created["id"], "amount": 123.45,
         "date": "2026-05-10", "transaction": created["transaction"]}
    ]  # fmt: skip


def test_posted_payment_is_found_by_the_invoice_filter(client: httpx.Client) -> None:
    client.post("/invoice-transactions", json=payment(invoice="/invoices/13", amount=10))
    created = client.post("/invoice-transactions", json=payment()).json()
    found = client.get("/invoice-transactions", params={"invoice": "/invoices/12"}).json()
    assert [item["@id"] for item in found["hydra:member"]] == [created["@id"]]


def test_post_keeps_the_amount_exact(sandbox: Sandbox, client: httpx.Client) -> None:
    client.post("/invoice-transactions", json=payment(amount=0.1))
    stored = sandbox.snapshot()["invoiceTransactions"][-1]["amount"]
    assert stored == Decimal("0.1")
    assert isinstance(stored, Decimal)


def test_delete_removes_the_payment_from_its_invoice(client: httpx.Client) -> None:
    created = client.post("/invoice-transactions", json=payment()).json()
    response = client.delete(created["@id"])
    assert (response.status_code, response.content) == (204, b"")
    assert client.get("/invoices/12").json()["invoiceTransactions"] == []
    assert client.get(created["@id"]).status_code == 404


def test_delete_of_a_missing_payment_is_404(client: httpx.Client) -> None:
    assert client.delete("/invoice-transactions/777").status_code == 404


def test_ids_are_never_reused_after_a_delete(client: httpx.Client) -> None:
    first = client.post("/invoice-transactions", json=payment()).json()
    client.delete(first["@id"])
    second = client.post("/invoice-transactions", json=payment()).json()
    assert second["id"] == first["id"] + 1


def test_post_with_another_content_type_is_415(client: httpx.Client) -> None:
    response = client.post("/invoice-transactions", content=b"invoice=/invoices/12",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert response.status_code == 415
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_body_that_is_not_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/invoice-transactions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_unknown_invoice_iri_is_400_item_not_found(client: httpx.Client) -> None:
    response = client.post("/invoice-transactions", json=payment(invoice="/invoices/999", amount=...))
    assert response.status_code == 400
    assert response.json()["detail"] == 'Item not found for "/invoices/999".'


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"invoice": ...}, "invoice", "This value should not be blank."),
        ({"invoice": 12}, "invoice", 'This value should be an IRI such as "/invoices/12".'),
        ({"amount": ...}, "amount", "This value should not be blank."),
        ({"amount": "123.45"}, "amount", "This value should be of type float."),
        ({"amount": 1.005}, "amount", "This value should be a multiple of 0.01."),
        ({"amount": 0}, "amount", "This value should not be equal to 0."),
        ({"date": ...}, "date", "This value should not be blank."),
        ({"date": "10.05.2026"}, "date", "This value is not a valid date."),
        ({"date": "2026-02-30"}, "date", "This value is not a valid date."),
        ({"transaction": ...}, "transaction", "This value should not be null."),
        ({"transaction": "AcctSvcrRef-1"}, "transaction", "This value should be of type object."),
    ],
)
def test_invalid_payment_is_422_with_its_violation(
    client: httpx.Client, changes: dict[str, Any], path: str, message: str
) -> None:
    response = client.post("/invoice-transactions", json=payment(**changes))
    assert response.status_code == 422
    body = response.json()
    assert [(v["propertyPath"], v["message"]) for v in body["violations"]] == [(path, message)]
    assert body["detail"] == f"{path}: {message}"
    assert body["violations"][0]["code"]


def test_every_violation_is_reported_at_once(client: httpx.Client) -> None:
    response = client.post("/invoice-transactions", json={"invoice": "/invoices/12"})
    body = response.json()
    assert [v["propertyPath"] for v in body["violations"]] == ["amount", "date", "transaction"]
    assert body["hydra:description"] == body["detail"]


def test_rejected_payment_stores_nothing(sandbox: Sandbox, client: httpx.Client) -> None:
    client.post("/invoice-transactions", json=payment(amount=0))
    assert sandbox.snapshot()["invoiceTransactions"] == []


def test_patch_with_merge_patch_changes_the_invoice(client: httpx.Client) -> None:
    response = merge_patch(client, "/invoices/12", {"status": "edited", "notes": "Zapłacono gotówką"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["notes"]) == ("edited", "Zapłacono gotówką")
    assert client.get("/invoices/12").json()["status"] == "edited"


def test_patch_merges_nested_objects(client: httpx.Client) -> None:
    merge_patch(client, "/invoices/12", {"eInvoicing": {"status": "sent"}})
    einvoicing = client.get("/invoices/12").json()["eInvoicing"]
    assert einvoicing == {
        "provider": "ksef",
        "status": "sent",
        "einvoicingNumber": "5265877635-20250826-0100001AF629-AF",
    }


def test_patch_ignores_read_only_fields(client: httpx.Client) -> None:
    client.post("/invoice-transactions", json=payment())
    response = merge_patch(client, "/invoices/12", {"id": 5, "invoiceTransactions": []})
    assert response.json()["id"] == 12
    assert len(response.json()["invoiceTransactions"]) == 1


def test_patch_with_plain_json_is_415(client: httpx.Client) -> None:
    response = client.patch("/invoices/12", json={"status": "edited"})
    assert response.status_code == 415
    assert "application/merge-patch+json" in response.json()["detail"]


def test_patch_with_a_bad_amount_is_422(client: httpx.Client) -> None:
    response = merge_patch(client, "/invoices/12", {"amount": "lots"})
    assert response.status_code == 422
    assert response.json()["violations"][0]["propertyPath"] == "amount"


_amounts = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2).filter(
    bool
)


@pytest.fixture(scope="module")
def shared_client() -> Iterator[httpx.Client]:
    with start_sandbox(SEED) as running, httpx.Client(base_url=running.url, headers=AUTH) as http:
        yield http


@settings(max_examples=60, deadline=None)
@given(amount=_amounts, title=st.text(alphabet="abcżółćęśąźńŻÓŁĆĘŚĄŹŃäöüßÄÖÜ /-0123456789", max_size=40))
def test_posted_amount_and_text_read_back_exactly(
    shared_client: httpx.Client, amount: Decimal, title: str
) -> None:
    payload = payment(amount=float(amount), transaction={"title": title})
    created = shared_client.post("/invoice-transactions", json=payload)
    body = shared_client.get(created.json()["@id"]).json()
    assert parse_amount(body["amount"]) == amount
    assert body["transaction"]["title"] == title
