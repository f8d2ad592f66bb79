"""Say what happened, always: what a run read, decided and left, in its summary, its report and its terminal.

A run that Flowtly stops still writes its report and its JSON summary; a file imported before is decided
again the same way whether it is given or found in the inbox; ignored lines are counted and summed per
kind, never netted; lines an earlier run left undecided are traced to that run; files are arguments.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

from reconcile.store.db import open_database
from reconcile.store.state import State
from tests.conftest import CAMT_SAMPLE, SAMPLES, Cli
from tests.factories import line
from tests.test_end_to_end import EXPECTED_POSTINGS, posted_by_us, report_rows

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused
MBANK_SAMPLE = SAMPLES / "mbank-pl-2026-11-23.sta"


def give_up_fast(cli: Cli) -> None:
    (cli.workdir / "reconcile.toml").write_text("[flowtly]\nmax_retries = 1\n", encoding="utf-8")


def run_json(cli: Cli, *args: str, expect: int = 0, **env: str) -> dict:
    done = cli("run", "--json", *args, **env)
    assert done.returncode == expect, done.stderr
    return json.loads(done.stdout)


def runs_recorded(cli: Cli) -> list[dict]:
    with sqlite3.connect(cli.workdir / "state" / "reconcile.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM runs ORDER BY started_at, run_id")]


def invoice_transactions(sandbox) -> int:
    return len(sandbox.snapshot()["invoiceTransactions"])


# -- 1. a run that Flowtly stops still says what it did ------------------------------------------------


def test_a_run_that_cannot_reach_flowtly_still_writes_its_report_and_prints_its_summary(cli, sandbox):
    give_up_fast(cli)
    summary = run_json(cli, "--statement", str(CAMT_SAMPLE), expect=1, FLOWTLY_API_URL=UNREACHABLE)

    assert summary["status"] == "stopped"
    assert summary["stopped"].startswith(f"Flowtly at {UNREACHABLE} did not answer GET /invoices")
    assert summary["errors"] == [{"error": summary["stopped"]}]
    assert summary["files_read"] == [CAMT_SAMPLE.name]
    assert summary["open_invoices"] is None
    # money out needs no invoice, so it is decided; each payment is stored and left for the next run
    assert summary["counts"] == {"posted": 0, "review": 0, "unmatched": 0, "ignored": 3}
    assert summary["undecided"] == {"count": 13, "amounts": {"EUR": "6045.00", "PLN": "46937.00"}}

    report = Path(summary["report_dir"])
    assert json.loads((report / "summary.json").read_text(encoding="utf-8")) == summary
    waiting = [r for r in report_rows(summary) if r["decision"] == "undecided"]
    assert len(waiting) == 13
    assert all("could not get the open invoices from Flowtly" in r["reasons"] for r in waiting)
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "Not decided yet (13)" in html and "13 line(s) are stored but not decided" in html
    [record] = runs_recorded(cli)
    assert (record["status"], record["report_dir"]) == ("stopped", summary["report_dir"])


def test_a_refused_token_is_the_last_line_and_the_summary_says_what_was_kept(cli, sandbox):
    done = cli("run", "--statement", str(CAMT_SAMPLE), FLOWTLY_API_TOKEN="not-the-token")

    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("Error: Flowtly was refused (HTTP 401)")
    out = done.stdout.splitlines()
    assert out[0].endswith(": 1 file(s) read, no open invoices fetched")
    assert "  undecided                 13   6045.00 EUR, 46937.00 PLN" in out
    assert (
        "Stopped before the end: Flowtly could not be used (the reason is below). 13 line(s) are stored "
        "but not decided; the next run decides them. Nothing is lost."
    ) in out
    report = Path(out[-1].removeprefix("Report: "))
    assert report.is_file()
    assert "not-the-token" not in done.stdout + done.stderr + report.read_text(encoding="utf-8")


# -- 4. the lines a stopped run left are decided by the next, which says where they came from ----------


def test_the_run_after_a_stopped_one_says_which_run_left_its_lines(cli, sandbox):
    give_up_fast(cli)
    inbox = cli.workdir / "inbox"
    inbox.mkdir()
    shutil.copy(CAMT_SAMPLE, inbox)
    stopped = run_json(cli, expect=1, FLOWTLY_API_URL=UNREACHABLE)
    assert (inbox / "processed" / CAMT_SAMPLE.name).is_file()

    done = cli("run")  # Flowtly is back; the inbox is empty

    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert re.fullmatch(
        r"Run \S+: 0 file\(s\) read, 13 line\(s\) from earlier runs, \d+ open invoice\(s\) considered", out[0]
    )
    pattern = r"  13 line\(s\) left undecided since the run of \d{4}-\d\d-\d\d \d\d:\d\d UTC \((\S+)\)"
    assert [m.group(1) for m in map(re.compile(pattern).fullmatch, out) if m] == [stopped["run_id"]]
    summary = json.loads((Path(out[-1].removeprefix("Report: ")).parent / "summary.json").read_text())
    first = runs_recorded(cli)[0]
    assert summary["earlier_lines"] == [
        {"run_id": stopped["run_id"], "started_at": first["started_at"], "lines": 13}
    ]
    assert summary["counts"] == {"posted": 9, "review": 2, "unmatched": 2, "ignored": 0}
    for invoice_id, expected in EXPECTED_POSTINGS.items():
        assert posted_by_us(sandbox, invoice_id) == sorted(expected), f"invoice {invoice_id}"


def test_lines_left_undecided_name_the_run_that_stored_them(database_url):
    db = open_database(database_url)
    try:
        state = State(db)
        state.start_run("run-a", trigger="nightly", dry_run=False)
        a, b, c = line("100.00", "FV/1"), line("200.00", "FV/2"), line("300.00", "FV/3")
        state.import_file(
            content_hash="h1", file_name="a.xml", source_format="camt.053", lines=[a, b], run_id="run-a"
        )
        state.start_run("run-b", trigger="manual", dry_run=False)
        state.import_file(
            content_hash="h2", file_name="b.xml", source_format="camt.053", lines=[b, c], run_id="run-b"
        )
        state.set_line_status(a.line_id, "review", "run-b")

        undecided = state.undecided_lines()
    finally:
        db.close()

    stored = {ln.line_id: (run_id, bool(started)) for ln, run_id, started in undecided}
    assert stored == {b.line_id: ("run-a", True), c.line_id: ("run-b", True)}


# -- 2. a file imported before: decided again, the same way, given or found in the inbox ---------------


def test_a_file_imported_before_is_decided_again_whether_given_or_found_in_the_inbox(cli, sandbox):
    first = run_json(cli, "--statement", str(CAMT_SAMPLE))
    assert first["counts"]["posted"] == 9
    posted_before = invoice_transactions(sandbox)
    inbox = cli.workdir / "inbox"
    inbox.mkdir()
    shutil.copy(CAMT_SAMPLE, inbox / "again.xml")  # the same content under another name

    from_inbox = run_json(cli)
    given = run_json(cli, "--statement", str(CAMT_SAMPLE))

    assert invoice_transactions(sandbox) == posted_before  # nothing posted twice
    assert (inbox / "processed" / "again.xml").is_file()
    for again, name in [(from_inbox, "again.xml"), (given, CAMT_SAMPLE.name)]:
        assert again["files_read"] == [name] and again["files_skipped"] == []
        [read] = again["files"]
        assert read["imported_before"]["run_id"] == first["run_id"]
        assert read["imported_before"]["file"] == CAMT_SAMPLE.name
        assert (read["lines"], read["new_lines"], read["already_posted"], read["decided"]) == (16, 0, 9, 7)
        assert again["counts"]["posted"] == 0
        assert again["ignored"]["already_posted"]["count"] == 9
    assert from_inbox["counts"] == given["counts"]
    assert from_inbox["undecided"]["count"] == given["undecided"]["count"] == 0


def test_a_rerun_says_which_lines_were_posted_before_and_which_are_decided_again(cli, sandbox):
    first = run_json(cli, "--statement", str(CAMT_SAMPLE))
    done = cli("run", "--statement", str(CAMT_SAMPLE))
    assert done.returncode == 0, done.stderr
    [story] = [ln for ln in done.stdout.splitlines() if ln.startswith(f"  {CAMT_SAMPLE.name}:")]
    assert re.fullmatch(
        rf"  {re.escape(CAMT_SAMPLE.name)}: imported before \(run {first['run_id']}, [^)]+ UTC\); 16 line\(s\): "
        r"9 already posted, 7 decided again",
        story,
    )


def test_the_same_file_given_twice_is_read_once(cli, sandbox, tmp_path):
    copy = tmp_path / "copy.xml"
    shutil.copy(CAMT_SAMPLE, copy)
    summary = run_json(cli, "--statement", str(CAMT_SAMPLE), "--statement", str(copy))
    assert summary["files_read"] == [CAMT_SAMPLE.name] and summary["files_skipped"] == ["copy.xml"]
    assert summary["files"][1]["same_as"] == CAMT_SAMPLE.name
    assert summary["counts"]["posted"] == 9


# -- 3. ignored lines: counted and summed per kind, money out never netted against money in ------------


def test_ignored_lines_are_counted_and_summed_per_kind_never_netted(cli, sandbox):
    run_json(cli, "--statement", str(CAMT_SAMPLE))
    again = run_json(cli, "--statement", str(CAMT_SAMPLE))

    assert again["counts"]["ignored"] == 12
    assert "ignored" not in again["amounts"]  # it would net 4,200.00 EUR in against 12.40 EUR out
    assert again["ignored"] == {
        "money_out": {"count": 3, "amounts": {"EUR": "-12.40", "PLN": "-8935.50"}},
        "zero": {"count": 0, "amounts": {}},
        "not_invoice": {"count": 0, "amounts": {}},
        "already_posted": {"count": 9, "amounts": {"EUR": "4200.00", "PLN": "44876.00"}},
        "posting_in_progress": {"count": 0, "amounts": {}},
    }
    html = (Path(again["report_dir"]) / "report.html").read_text(encoding="utf-8")
    assert "already posted: 9 &middot; 4200.00 EUR &middot; 44876.00 PLN" in html
    assert "money out: 3 &middot; -12.40 EUR &middot; -8935.50 PLN" in html


def test_the_terminal_shows_each_kind_of_ignored_line_on_its_own_row(cli, sandbox):
    run_json(cli, "--statement", str(CAMT_SAMPLE))
    out = cli("run", "--statement", str(CAMT_SAMPLE)).stdout.splitlines()
    at = out.index("  ignored                   12")
    assert out[at + 1 : at + 3] == [
        "    money out                3   -12.40 EUR, -8935.50 PLN",
        "    already posted           9   4200.00 EUR, 44876.00 PLN",
    ]


# -- 5. statement files as arguments ------------------------------------------------------------------


def test_statement_files_can_be_arguments_and_combine_with_statement(cli, sandbox):
    summary = run_json(cli, str(CAMT_SAMPLE), "--statement", str(MBANK_SAMPLE))
    assert summary["files_read"] == [CAMT_SAMPLE.name, MBANK_SAMPLE.name]
    assert summary["counts"]["posted"] >= 8


def test_a_missing_file_argument_is_named_in_one_line_with_exit_2(cli):
    done = cli("run", str(CAMT_SAMPLE), "nope.xml")
    assert done.returncode == 2
    assert done.stderr.strip() == "Error: nope.xml: no such statement file"


def test_a_folder_given_as_a_statement_says_so(cli, tmp_path):
    done = cli("run", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == f"Error: {tmp_path}: is a folder; give the statement files in it"


def test_payer_text_of_an_undecided_line_is_escaped_in_the_report(cli, sandbox, tmp_path):
    from reconcile.statements.writers.camt import write_camt053

    hostile = line("100.00", "<img src=x onerror=alert(1)>", payer="<script>alert(1)</script>", ref="XSS-1")
    statement = tmp_path / "hostile.xml"
    statement.write_bytes(write_camt053([hostile], account=hostile.account, currency="PLN", statement_id="X"))
    give_up_fast(cli)
    summary = run_json(cli, "--statement", str(statement), expect=1, FLOWTLY_API_URL=UNREACHABLE)

    html = (Path(summary["report_dir"]) / "report.html").read_text(encoding="utf-8")
    assert "Not decided yet (1)" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html


def test_json_gives_an_object_with_the_reason_when_nothing_could_run(cli, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[flowtly]\nitems_per_page = 100000\n", encoding="utf-8")
    done = cli("--config", str(config), "run", "--json", str(CAMT_SAMPLE))
    assert done.returncode == 2
    failed = json.loads(done.stdout)
    assert (failed["status"], failed["run_id"]) == ("failed", None)
    assert failed["errors"][0]["error"].startswith(f"{config}: flowtly.items_per_page: must be a whole number")
    assert done.stderr.startswith("Error: ")
