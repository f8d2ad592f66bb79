"""The command line: help for every command, `parse` output, exit codes, a bug reported as one."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from reconcile import cli
from tests.conftest import CAMT_SAMPLE, SHARED_SAMPLES


def invoke(*args: str):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("name", sorted(cli.main.commands))
def test_every_command_has_help_text(name):
    command = cli.main.commands[name]
    assert command.help and len(command.help.strip()) > 20
    assert invoke(name, "--help").exit_code == 0


def test_parse_json_gives_exact_amounts_per_statement():
    result = invoke("parse", "--format", "json", str(CAMT_SAMPLE))
    assert result.exit_code == 0
    [parsed] = json.loads(result.stdout)
    pln, eur = parsed["statements"]
    assert (pln["account"], pln["pending_entries"], len(pln["lines"])) == (
        "PL61109010140000071219812874",
        1,
        13,
    )
    assert pln["lines"][0]["amount"] == "2460.00"
    assert sum(Decimal(ln["amount"]) for ln in pln["lines"]) == Decimal(pln["closing"]) - Decimal(
        pln["opening"]
    )
    assert eur["currency"] == "EUR"


def test_parse_table_says_whether_balances_add_up():
    result = invoke("parse", str(CAMT_SAMPLE))
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first.endswith("camt.053, 2 statement(s), 16 line(s), 1 pending (not booked); balances add up")
    assert "FV/2026/10/0101" in result.stdout


def test_parse_csv_has_a_header_and_a_row_per_line():
    result = invoke("parse", "--format", "csv", str(CAMT_SAMPLE))
    rows = result.stdout.strip().splitlines()
    assert rows[0].startswith("line_id,bank_ref,account,currency,amount")
    assert len(rows) == 1 + 16


@pytest.mark.skipif(not SHARED_SAMPLES.is_dir(), reason="../shared/samples is not beside the repository")
def test_parse_a_broken_file_names_it_and_exits_1_but_shows_the_others():
    wrong = SHARED_SAMPLES / "genkgo__camt" / "camt053.v2.wrong.xml"
    result = CliRunner().invoke(cli.main, ["parse", "--format", "json", str(wrong), str(CAMT_SAMPLE)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: camt053.v2.wrong.xml, line 3, element BkToCstmrStmt:")
    assert len(json.loads(result.stdout)) == 1


def test_an_unexpected_error_is_reported_as_a_bug_with_exit_70(monkeypatch):
    import reconcile.statements.registry as registry

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(registry, "read_statement", boom)
    result = CliRunner().invoke(cli.main, ["parse", str(CAMT_SAMPLE)])
    assert result.exit_code == 70
    assert "reconcile hit a bug (RuntimeError: kaboom). Run again with --debug" in result.stderr
    assert "Traceback" not in result.stderr


def test_sandbox_command_serves_the_seed_and_says_where(tmp_path):
    import os
    import subprocess
    import sys

    import httpx

    from reconcile.demo import demo_seed_path

    proc = subprocess.Popen(
        [sys.executable, "-m", "reconcile", "sandbox", "--seed", str(demo_seed_path()), "--port", "0",
         "--token", "cli-token", "--no-hydra-prefix"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "CI": "true"},
    )  # fmt: skip
    try:
        first = proc.stderr.readline()
        assert first.startswith("Flowtly sandbox on http://127.0.0.1:") and first.rstrip().endswith(
            "(Ctrl-C to stop)"
        )
        url = first.split()[3]
        doc = httpx.get(f"{url}/invoices", headers={"Authorization": "Bearer cli-token"}).json()
        assert doc["totalItems"] == 24 and "member" in doc
        assert httpx.get(f"{url}/invoices").status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sandbox_command_names_a_bad_seed(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text('{"clients": [], "invoices": [{"name": "FV/1"}]}', encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["sandbox", "--seed", str(seed), "--port", "0"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: seed.json: invoices[0]")


def test_parse_reads_an_account_in_the_encoding_the_configuration_pins(tmp_path):
    statement = tmp_path / "nowak.sta"
    statement.write_bytes(
        ":20:REF1\n:25:PL61109010140000071219812874\n:28C:7/1\n:60F:C240101PLN1000,00\n"
        ":61:2401020102C1,00NTRFNONREF//A1\n:86:NOWAK I SYNOWIE SPÓŁKA JAWNA\n-\n".encode("cp1250")
    )
    config = tmp_path / "reconcile.toml"
    config.write_text('[statements.encodings]\n"PL61 1090 1014 0000 0712 1981 2874" = "windows-1250"\n')
    guessed = json.loads(invoke("parse", "--format", "json", str(statement)).stdout)
    pinned = json.loads(invoke("--config", str(config), "parse", "--format", "json", str(statement)).stdout)
    assert guessed[0]["warnings"][0].startswith("nowak.sta: no text encoding declared; read as Windows-1250")
    assert pinned[0]["warnings"] == []
    assert pinned[0]["statements"][0]["lines"][0]["remittance"] == "NOWAK I SYNOWIE SPÓŁKA JAWNA"
