"""reconcile run, as a user runs it (a subprocess), against a real sandbox; then what Flowtly holds.

The demo seed and the camt.053 sample are written so that each decision occurs: see the expectations.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from reconcile.flowtly.sandbox import Sandbox
from tests.conftest import CAMT_SAMPLE, Cli, api

# invoice id -> the bank references that must be posted to it by the sample (beyond what the seed had)
EXPECTED_POSTINGS = {
    101: [("2026112001", Decimal("2460.00"))],  # invoice number + exact amount
    102: [("2026112002", Decimal("15129.00"))],  # KSeF number + exact amount
    103: [("2026112003", Decimal("500.00"))],  # the rest of a partly paid invoice
    104: [("E2026112001", Decimal("4200.00"))],  # EUR account, EUR invoice
    105: [("2026112101", Decimal("3075.00"))],  # amount after its correction
    108: [("2026112104", Decimal("6000.00"))],  # an instalment: part of the open amount, the invoice named
    112: [("2026112201-2", Decimal("7380.00"))],  # second detail of a batch booking
    113: [("2026112201-1", Decimal("492.00"))],  # first detail of a batch booking
}
UNTOUCHED = [109, 110, 111, 114, 115]  # review, unmatched or not open


def transactions(sandbox: Sandbox, invoice_id: int) -> list[dict]:
    with api(sandbox) as http:
        doc = http.get(f"/invoices/{invoice_id}").json()
    return doc["invoiceTransactions"]


def posted_by_us(sandbox: Sandbox, invoice_id: int) -> list[tuple[str, Decimal]]:
    return sorted(
        (tx["transaction"]["bankReference"], Decimal(str(tx["amount"])))
        for tx in transactions(sandbox, invoice_id)
        if not str(tx["transaction"].get("externalId", "")).startswith("seed-")
    )


def report_rows(summary: dict) -> list[dict[str, str]]:
    with (Path(summary["report_dir"]) / "matches.csv").open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def run_json(cli: Cli, *args: str) -> dict:
    done = cli("run", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sample_statement_posts_each_confident_match_to_its_invoice(cli, sandbox):
    summary = run_json(cli, "--statement", str(CAMT_SAMPLE))

    assert summary["counts"] == {"posted": 9, "review": 2, "unmatched": 2, "ignored": 3}
    for invoice_id, expected in EXPECTED_POSTINGS.items():
        assert posted_by_us(sandbox, invoice_id) == sorted(expected), f"invoice {invoice_id}"
    for invoice_id in UNTOUCHED:
        assert posted_by_us(sandbox, invoice_id) == [], f"invoice {invoice_id}"


def test_posting_carries_the_bank_line(cli, sandbox):
    run_json(cli, "--statement", str(CAMT_SAMPLE))
    [tx] = [t for t in transactions(sandbox, 101)]
    assert tx["date"] == "2026-11-20"
    assert tx["transaction"]["bankReference"] == "2026112001"
    assert tx["transaction"]["counterpartyName"] == "ACME LOGISTICS SP Z O O"
    assert tx["transaction"]["counterpartyAccount"] == "PL10105000997603123456789123"
    assert tx["transaction"]["title"] == "Zaplata za fakture FV/2026/10/0101"
    assert tx["transaction"]["account"] == "PL61109010140000071219812874"
    assert tx["transaction"]["currency"] == "PLN"


def test_report_has_a_row_per_line_and_decision_with_reasons(cli, sandbox):
    summary = run_json(cli, "--statement", str(CAMT_SAMPLE))
    rows = report_rows(summary)
    by_ref: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_ref.setdefault(row["bank_ref"], []).append(row)
    assert [r["decision"] for r in by_ref["2026112001"]] == ["posted"]
    assert by_ref["2026112001"][0]["invoice_name"] == "FV/2026/10/0101"
    assert "invoice number in the title" in by_ref["2026112001"][0]["reasons"]
    # one payment, two equally good invoices: two review rows
    assert sorted(r["invoice_name"] for r in by_ref["2026112103"]) == ["FV/2026/11/0110", "FV/2026/11/0111"]
    assert {r["decision"] for r in by_ref["2026112103"]} == {"review"}
    assert by_ref["2026112202"][0]["decision"] == "unmatched"
    assert by_ref["2026112004"][0]["decision"] == "ignored"
    assert (Path(summary["report_dir"]) / "report.html").read_text(encoding="utf-8").count(
        "FV/2026/10/0101"
    ) >= 1


def test_running_the_same_statement_again_posts_nothing_new(cli, sandbox):
    run_json(cli, "--statement", str(CAMT_SAMPLE))
    before = {i: posted_by_us(sandbox, i) for i in range(101, 116)}
    again = run_json(cli, "--statement", str(CAMT_SAMPLE))
    after = {i: posted_by_us(sandbox, i) for i in range(101, 116)}
    assert after == before
    assert again["counts"]["posted"] == 0
    already = [r for r in report_rows(again) if r["bank_ref"] == "2026112001"]
    assert already[0]["decision"] == "ignored" and "already posted" in already[0]["reasons"]


def test_dry_run_posts_nothing(cli, sandbox):
    summary = run_json(cli, "--statement", str(CAMT_SAMPLE), "--dry-run")
    # A dry run decides what it would post (auto_post); only a run that posts says "posted".
    assert summary["dry_run"] is True and summary["counts"]["auto_post"] == 9 and summary["counts"]["posted"] == 0
    assert all(posted_by_us(sandbox, i) == [] for i in range(101, 116))
    real = run_json(cli, "--statement", str(CAMT_SAMPLE))  # and remembered nothing
    assert real["counts"]["posted"] == 9


def test_inbox_files_are_moved_aside_and_a_file_seen_before_posts_nothing_again(cli, sandbox):
    inbox = cli.workdir / "inbox"
    inbox.mkdir()
    (inbox / CAMT_SAMPLE.name).write_bytes(CAMT_SAMPLE.read_bytes())
    (inbox / "broken.xml").write_text(
        '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
        'camt.053.001.02"><BkToCstmrStmt><Stmt>',
        encoding="utf-8",
    )
    done = cli("run", "--json")
    assert done.returncode == 1  # a file failed: attention needed, the rest was done
    summary = json.loads(done.stdout)
    assert summary["counts"]["posted"] == 9
    assert (inbox / "processed" / CAMT_SAMPLE.name).is_file()
    assert (inbox / "failed" / "broken.xml").is_file()
    assert "broken.xml" in (inbox / "failed" / "broken.xml.reason.txt").read_text(encoding="utf-8")
    assert [e["file"] for e in summary["errors"]] == ["broken.xml"]
    (inbox / "again.xml").write_bytes(CAMT_SAMPLE.read_bytes())  # the same content under another name
    second = json.loads(cli("run", "--json").stdout)
    [again] = second["files"]  # read again: its lines not yet posted are decided again
    assert (again["file"], again["imported_before"]["file"]) == ("again.xml", CAMT_SAMPLE.name)
    assert second["counts"]["posted"] == 0 and again["already_posted"] == 9
    assert (inbox / "processed" / "again.xml").is_file()


def test_wrong_token_gives_one_clear_line_and_exit_1(cli, sandbox):
    done = cli("run", "--statement", str(CAMT_SAMPLE), FLOWTLY_API_TOKEN="not-the-token")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("Error: Flowtly was refused (HTTP 401)")
    assert "FLOWTLY_API_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
    assert "not-the-token" not in done.stderr + done.stdout


def test_missing_token_is_a_configuration_error(cli, sandbox):
    done = cli("run", "--statement", str(CAMT_SAMPLE), FLOWTLY_API_TOKEN="")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "Error: flowtly.token: no API token: set FLOWTLY_API_TOKEN or [flowtly] token in reconcile.toml "
        "(a token from your Flowtly workspace)"
    )


def test_unreachable_api_gives_one_clear_line_and_exit_1(cli, tmp_path):
    (tmp_path / "reconcile.toml").write_text("[flowtly]\nmax_retries = 1\n", encoding="utf-8")
    done = cli("run", "--statement", str(CAMT_SAMPLE), FLOWTLY_API_URL="http://127.0.0.1:9")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "Error: Flowtly at http://127.0.0.1:9 did not answer GET /invoices after 2 attempts"
    )
    assert "Traceback" not in done.stderr


def test_malformed_statement_is_named_and_does_not_stop_the_others(cli, sandbox, tmp_path):
    broken = tmp_path / "truncated.xml"
    broken.write_bytes(CAMT_SAMPLE.read_bytes()[:2000])
    done = cli("run", "--json", "--statement", str(broken), "--statement", str(CAMT_SAMPLE))
    assert done.returncode == 1
    summary = json.loads(done.stdout)
    assert summary["counts"]["posted"] == 9
    [error] = summary["errors"]
    assert error["file"] == "truncated.xml" and error["error"].startswith("truncated.xml, line ")
    assert "Traceback" not in done.stderr


def test_missing_statement_file_is_a_usage_error(cli):
    done = cli("run", "--statement", "nope.xml")
    assert done.returncode == 2
    assert done.stderr.strip() == "Error: nope.xml: no such statement file"


def test_a_run_and_its_rerun_on_each_state_backend(cli, sandbox, database_url):
    """The same run on SQLite and on PostgreSQL (skipped, with the reason, when no server answers)."""
    first = json.loads(
        cli("run", "--json", "--statement", str(CAMT_SAMPLE), RECONCILE_DATABASE_URL=database_url).stdout
    )
    again = json.loads(
        cli("run", "--json", "--statement", str(CAMT_SAMPLE), RECONCILE_DATABASE_URL=database_url).stdout
    )
    assert first["counts"]["posted"] == 9 and again["counts"]["posted"] == 0
    for invoice_id, expected in EXPECTED_POSTINGS.items():
        assert posted_by_us(sandbox, invoice_id) == sorted(expected)


def test_the_token_never_reaches_logs_or_reports_even_with_debug(cli, sandbox):
    done = cli("--debug", "run", "--json", "--statement", str(CAMT_SAMPLE))
    assert done.returncode == 0, done.stderr
    assert "HTTP Request: GET" in done.stderr  # --debug really logs the traffic
    assert cli.token not in done.stdout + done.stderr
    report_dir = Path(json.loads(done.stdout)["report_dir"])
    for path in report_dir.iterdir():
        assert cli.token not in path.read_text(encoding="utf-8")


def test_a_malformed_token_is_a_configuration_error_that_never_shows_it_even_with_debug(cli, sandbox):
    """A non-ASCII character (httpx cannot send it) or a line break inside (it would split the header)."""
    for canary, pieces, says in [
        ("canary-7f3a-żółć-token", ("canary", "7f3a", "żółć", "\\u017c", "\\xf3"), "contains a character"),
        ("canary-7f3a\ninjected-line", ("canary", "7f3a", "injected"), "has a space or line break inside"),
    ]:
        done = cli("--debug", "run", "--json", "--statement", str(CAMT_SAMPLE), FLOWTLY_API_TOKEN=canary)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        [line] = done.stderr.splitlines()
        assert line.startswith(f"Error: FLOWTLY_API_TOKEN: {says}")
        files = [f for f in cli.workdir.rglob("*") if f.is_file()]  # state, reports, logs: none expected
        for text in [done.stdout, done.stderr, *(f.read_text(errors="replace") for f in files)]:
            for piece in (canary, repr(canary)[1:-1], *pieces):
                assert piece not in text
