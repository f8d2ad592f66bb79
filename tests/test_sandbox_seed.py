"""Seeds of the Flowtly sandbox: checked with every problem named by file and item, ids assigned,
corrections linked both ways; and the demo seed is valid and reproducible."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconcile.errors import ConfigError
from reconcile.flowtly.sandbox import load_seed, make_seed, start_sandbox
from reconcile.flowtly.sandbox.generate import ksef_number, seed_json

AUTH = {"Authorization": "Bearer sandbox-token"}


def _write(tmp_path: Path, seed: Any) -> Path:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    return path


def _invoice(**fields: Any) -> dict[str, Any]:
    return {"name": "FV/1", "client": "/clients/1", "amount": 100.0, "currency": "PLN",
            "issueDate": "2026-04-01", **fields}  # fmt: skip


def test_missing_amount_names_the_file_and_the_invoice(tmp_path: Path) -> None:
    invoices = [_invoice() for _ in range(4)]
    del invoices[3]["amount"]
    path = _write(tmp_path, {"clients": [{"id": 1, "name": "A"}], "invoices": invoices})
    with pytest.raises(ConfigError) as caught:
        load_seed(path)
    assert str(caught.value) == "seed.json: invoices[3]: 'amount' is missing"


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    seed = {"clients": [{"id": 1}], "invoices": [_invoice(issueDate="01.04.2026", client="/clients/9")]}
    with pytest.raises(ConfigError) as caught:
        load_seed(_write(tmp_path, seed))
    assert str(caught.value) == (
        "seed.json: clients[0]: 'name' is missing; "
        "invoices[0]: 'issueDate' must be a date written YYYY-MM-DD, not '01.04.2026'; "
        "invoices[0]: 'client' '/clients/9' is not among the seeded clients"
    )


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text('{"clients": [\n  {"id": 1,}\n]}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^seed\.json: not valid JSON at line 2"):
        load_seed(path)


@pytest.mark.parametrize(
    ("invoice", "message"),
    [
        (_invoice(amount=10.005), "invoices[0]: 'amount' 10.005 has more decimals than PLN allows"),
        (_invoice(amount="100"), "invoices[0]: 'amount' must be a number, not '100'"),
        (_invoice(id=1, **{"@id": "/invoices/2"}), "invoices[0]: '@id' '/invoices/2' does not match 'id' 1"),
        (_invoice(parent="/invoices/5"), "invoices[0]: 'parent' '/invoices/5' is not another seeded invoice"),
    ],
)
def test_bad_invoice_is_refused_with_its_reason(
    tmp_path: Path, invoice: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_seed(_write(tmp_path, {"clients": [{"id": 1, "name": "A"}], "invoices": [invoice]}))
    assert str(caught.value) == f"seed.json: {message}"


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    seed = {"clients": [{"id": 1, "name": "A"}, {"@id": "/clients/1", "name": "B"}]}
    with pytest.raises(ConfigError, match=r"clients\[1\]: id 1 is already used by clients\[0\]"):
        load_seed(_write(tmp_path, seed))


def test_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invoice: unknown key"):
        load_seed(_write(tmp_path, {"invoice": []}))


def test_start_sandbox_checks_a_seed_given_as_a_dict() -> None:
    with pytest.raises(ConfigError, match=r"^seed: invoices\[0\]: 'name' is missing"):
        start_sandbox({"invoices": [{"amount": 1, "client": "Kowalski", "issueDate": "2026-04-01"}]})


def test_missing_ids_are_assigned_after_the_given_ones(tmp_path: Path) -> None:
    seed = {"clients": [{"name": "A"}, {"id": 5, "name": "B"}],
            "invoices": [_invoice(client="/clients/5"), _invoice(id=3, client="Jan Kowalski")]}  # fmt: skip
    with start_sandbox(load_seed(_write(tmp_path, seed))) as running:
        data = running.snapshot()
    assert [(c["@id"], c["name"]) for c in data["clients"]] == [("/clients/5", "B"), ("/clients/6", "A")]
    assert [i["@id"] for i in data["invoices"]] == ["/invoices/3", "/invoices/4"]


def test_loaded_amounts_are_decimal(tmp_path: Path) -> None:
    seed = load_seed(
        _write(tmp_path, {"clients": [{"id": 1, "name": "A"}], "invoices": [_invoice(amount=0.1)]})
    )
    assert str(seed["invoices"][0]["amount"]) == "0.1"


def test_correction_listed_by_the_parent_gets_its_parent() -> None:
    invoices = [_invoice(id=1, childrenInvoices=["/invoices/2"]), _invoice(id=2, amount=-10.0)]
    seed = {"clients": [{"id": 1, "name": "A"}], "invoices": invoices}
    with start_sandbox(seed) as running:
        child = httpx.get(f"{running.url}/invoices/2", headers=AUTH).json()
        parent = httpx.get(f"{running.url}/invoices/1", headers=AUTH).json()
    assert child["parent"] == "/invoices/1"
    assert [c["@id"] for c in parent["childrenInvoices"]] == ["/invoices/2"]


def test_seeded_payments_are_served_within_their_invoice() -> None:
    payments = [{"amount": 40.0, "date": "2026-04-05", "transaction": {"bankReference": "B1"}}]
    seed = {"clients": [{"id": 1, "name": "A"}], "invoices": [_invoice(id=7, invoiceTransactions=payments)]}
    with start_sandbox(seed) as running:
        invoice = httpx.get(f"{running.url}/invoices/7", headers=AUTH).json()
    assert [(p["@id"], p["amount"]) for p in invoice["invoiceTransactions"]] == [
        ("/invoice-transactions/1", 40.0)
    ]


def test_demo_seed_is_reproducible_and_loads(tmp_path: Path) -> None:
    assert make_seed(50, seed=4) == make_seed(50, seed=4)
    path = tmp_path / "demo.json"
    path.write_text(seed_json(make_seed(50)), encoding="utf-8")
    assert len(load_seed(path)["invoices"]) == 50


def test_demo_seed_has_corrections_and_partly_paid_invoices() -> None:
    invoices = make_seed(200)["invoices"]
    assert any(i["parent"] for i in invoices)
    assert any(i["invoiceTransactions"] for i in invoices)


def test_ksef_number_carries_its_crc8() -> None:
    from datetime import date

    # The published example (flowtly-api.md): CRC-8 of the first 32 characters is AF.
    assert (
        ksef_number("5265877635", date(2025, 8, 26), "0100001AF629") == "5265877635-20250826-0100001AF629-AF"
    )
