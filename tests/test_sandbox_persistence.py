"""The sandbox's state file: written after every change, read back on restart, ids never reused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconcile.errors import ConfigError
from reconcile.flowtly.sandbox import SandboxOptions, make_seed, start_sandbox

AUTH = {"Authorization": "Bearer sandbox-token", "Accept": "application/ld+json"}
PAYMENT = {
    "invoice": "/invoices/2",
    "amount": 12.34,
    "date": "2026-05-10",
    "transaction": {"externalId": "Łódź-1"},
}


def test_restarted_sandbox_holds_the_same_data(tmp_path: Path) -> None:
    options = SandboxOptions(state_file=tmp_path / "state.json")
    with start_sandbox(make_seed(6), options=options) as first:
        httpx.post(f"{first.url}/invoice-transactions", json=PAYMENT, headers=AUTH)
        before = first.snapshot()
    with start_sandbox(make_seed(6), options=options) as second:
        assert second.snapshot() == before
        invoice = httpx.get(f"{second.url}/invoices/2", headers=AUTH).json()
    assert invoice["invoiceTransactions"][-1]["transaction"] == {"externalId": "Łódź-1"}


def test_restart_continues_ids_without_reusing_deleted_ones(tmp_path: Path) -> None:
    options = SandboxOptions(state_file=tmp_path / "state.json")
    with start_sandbox(make_seed(6), options=options) as first:
        created = httpx.post(f"{first.url}/invoice-transactions", json=PAYMENT, headers=AUTH).json()
        httpx.delete(f"{first.url}{created['@id']}", headers=AUTH)
    with start_sandbox(make_seed(6), options=options) as second:
        again = httpx.post(f"{second.url}/invoice-transactions", json=PAYMENT, headers=AUTH).json()
    assert again["id"] == created["id"] + 1


def test_existing_state_file_wins_over_the_seed(tmp_path: Path) -> None:
    options = SandboxOptions(state_file=tmp_path / "state.json")
    with start_sandbox(make_seed(6), options=options):
        pass
    with start_sandbox(make_seed(2), options=options) as restarted:
        assert len(restarted.snapshot()["invoices"]) == 6


def test_state_keeps_amounts_exact(tmp_path: Path) -> None:
    options = SandboxOptions(state_file=tmp_path / "state.json")
    with start_sandbox(make_seed(2), options=options) as first:
        httpx.post(f"{first.url}/invoice-transactions", json={**PAYMENT, "amount": 0.1}, headers=AUTH)
    assert '{"$decimal": "0.1"}' in options.state_file.read_text(encoding="utf-8")  # type: ignore[union-attr]


def test_state_file_is_replaced_whole_leaving_no_temporary_file(tmp_path: Path) -> None:
    options = SandboxOptions(state_file=tmp_path / "state.json")
    with start_sandbox(make_seed(2), options=options) as running:
        for _ in range(3):
            httpx.post(f"{running.url}/invoice-transactions", json=PAYMENT, headers=AUTH)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_corrupt_state_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{half", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"state\.json: cannot read the sandbox state"):
        start_sandbox(make_seed(2), options=SandboxOptions(state_file=state))
