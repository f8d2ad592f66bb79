"""Nothing posted twice, nothing lost: lost answers, flaky servers, rate limits, and a kill -9 mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from reconcile.flowtly.sandbox import Sandbox, SandboxOptions, make_seed, start_sandbox
from reconcile.pipeline import RunRequest, run
from reconcile.store.state import State
from tests.conftest import Cli
from tests.payments import in_process_settings, open_invoices, paying_statements

CONFIG = """
[flowtly]
max_retries = 10
requests_per_second = 15
lookback_days = 36500
"""


def our_postings(sandbox: Sandbox) -> Counter[str]:
    """How many invoice-transactions each invoice got from us (seeded ones excluded)."""
    return Counter(
        tx["invoice"] for tx in sandbox.snapshot()["invoiceTransactions"]
        if str(tx["transaction"].get("bankReference", "")).startswith("PAY-")
    )  # fmt: skip


def expected(invoices) -> Counter[str]:
    return Counter(inv.iri for inv in invoices)


def statement_args(paths: list[Path]) -> list[str]:
    return [arg for p in paths for arg in ("--statement", str(p))]


def test_flaky_rate_limited_api_that_loses_answers_gets_every_posting_exactly_once(tmp_path):
    options = SandboxOptions(
        token="t", fail_rate=0.2, drop_after_commit_rate=0.2, rate_limit=20, fault_seed=11
    )
    with start_sandbox(make_seed(260, n_clients=12, seed=3), options=SandboxOptions(token="t")) as clean:
        invoices = open_invoices(clean)
    assert len(invoices) > 200
    statements = paying_statements(invoices, tmp_path)
    with start_sandbox(make_seed(260, n_clients=12, seed=3), options=options) as sandbox:
        (tmp_path / "reconcile.toml").write_text(CONFIG, encoding="utf-8")
        cli = Cli(workdir=tmp_path, api_url=sandbox.url, token="t")
        done = cli("run", "--json", *statement_args(statements), timeout=600)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["counts"]["posted"] == len(invoices)
        assert sandbox.dropped_count > 0  # the faults really struck
        assert (
            sandbox.status_counts.get(429, 0)
            + sandbox.status_counts.get(503, 0)
            + sandbox.status_counts.get(500, 0)
            > 0
        )
        assert our_postings(sandbox) == expected(invoices)


def test_crash_right_after_flowtly_stored_a_posting_does_not_post_it_twice(tmp_path, monkeypatch):
    """The worst moment: Flowtly has the posting, our state does not know yet. The next run looks first."""
    with start_sandbox(make_seed(30, n_clients=6, seed=5), options=SandboxOptions(token="t")) as sandbox:
        invoices = open_invoices(sandbox)
        statements = paying_statements(invoices, tmp_path)
        settings = in_process_settings(sandbox, tmp_path)
        real_mark_posted = State.mark_posted
        calls = {"n": 0}

        def crash_on_the_fifth(self, posting, remote_iri, run_id):
            calls["n"] += 1
            if calls["n"] == 5:
                raise SystemExit("simulated power cut")  # not an Exception: nothing may catch it
            real_mark_posted(self, posting, remote_iri, run_id)

        monkeypatch.setattr(State, "mark_posted", crash_on_the_fifth)
        with pytest.raises(SystemExit):
            run(settings, RunRequest(statements=tuple(statements)))
        assert sum(our_postings(sandbox).values()) == 5  # four confirmed, one stored but unrecorded

        monkeypatch.setattr(State, "mark_posted", real_mark_posted)
        summary = run(settings, RunRequest(statements=tuple(statements)))
        assert not summary.errors
        assert our_postings(sandbox) == expected(invoices)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_9_in_the_middle_of_posting_then_rerun_posts_each_exactly_once(tmp_path):
    with start_sandbox(make_seed(80, n_clients=8, seed=9), options=SandboxOptions(token="t")) as clean:
        invoices = open_invoices(clean)
    statements = paying_statements(invoices, tmp_path)
    slow = SandboxOptions(token="t", latency_ms=40)
    with start_sandbox(make_seed(80, n_clients=8, seed=9), options=slow) as sandbox:
        (tmp_path / "reconcile.toml").write_text(CONFIG, encoding="utf-8")
        cli = Cli(workdir=tmp_path, api_url=sandbox.url, token="t")
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconcile", "run", *statement_args(statements)],
            cwd=tmp_path,
            env=cli.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while sum(our_postings(sandbox).values()) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        at_kill = sum(our_postings(sandbox).values())
        assert 10 <= at_kill < len(invoices), "the kill must land mid-posting"

        sandbox.options.latency_ms = 0
        done = cli("run", "--json", *statement_args(statements))
        assert done.returncode == 0, done.stderr
        assert our_postings(sandbox) == expected(invoices)


def test_a_queued_posting_whose_invoice_was_paid_meanwhile_goes_to_review(tmp_path, monkeypatch):
    """A run died after queueing a posting; before the next run someone paid the invoice by hand."""
    with start_sandbox(make_seed(12, n_clients=4, seed=2), options=SandboxOptions(token="t")) as sandbox:
        invoices = open_invoices(sandbox)
        statements = paying_statements(invoices, tmp_path)
        settings = in_process_settings(sandbox, tmp_path)

        def die_before_sending(self, posting):
            raise SystemExit("killed before the request left")

        monkeypatch.setattr(State, "mark_sending", die_before_sending)
        with pytest.raises(SystemExit):
            run(settings, RunRequest(statements=tuple(statements)))
        monkeypatch.undo()
        first = (
            invoices[0] if invoices[0].currency == "PLN" else next(i for i in invoices if i.currency == "PLN")
        )
        with httpx.Client(base_url=sandbox.url, headers={"Authorization": "Bearer t"}) as http:
            paid_by_hand = http.post("/invoice-transactions", json={
                "invoice": first.iri, "amount": float(first.open_amount), "date": "2026-11-21",
                "transaction": {"bankReference": "MANUAL-1"}})  # fmt: skip
            assert paid_by_hand.status_code == 201

        summary = run(settings, RunRequest(statements=tuple(statements)))
        ours = our_postings(sandbox)
        assert ours.get(first.iri, 0) == 0  # not paid twice
        assert any(
            first.iri in e["error"] and "changed since it was matched" in e["error"] for e in summary.errors
        )


class _OutageWhilePosting:
    """A Progress that takes Flowtly down just before the `at`-th posting of the run leaves."""

    def __init__(self, sandbox: Sandbox, at: int) -> None:
        self.sandbox, self.at, self.posting = sandbox, at, False

    def stage(self, name: str, total: int | None = None) -> None:
        self.posting = name.startswith("Posting")

    def advance(self, done: int) -> None:
        if self.posting and done == self.at:
            self.sandbox.options.fail_rate = 1.0


def test_an_outage_while_posting_leaves_the_rest_undecided_and_the_next_run_posts_each_once(tmp_path):
    with start_sandbox(make_seed(30, n_clients=6, seed=5), options=SandboxOptions(token="t")) as sandbox:
        invoices = open_invoices(sandbox)
        statements = paying_statements(invoices, tmp_path)
        settings = replace(
            in_process_settings(sandbox, tmp_path),
            max_retries=1,
            max_retry_seconds=0.1,
            inbox=tmp_path / "inbox",
        )

        cut = run(
            settings, RunRequest(statements=tuple(statements)), progress=_OutageWhilePosting(sandbox, 4)
        )

        assert cut.status == "stopped" and cut.stopped
        assert cut.counts["posted"] == 3 == sum(our_postings(sandbox).values())
        # the fourth is in the outbox, its outcome unknown; the others were never sent
        assert cut.undecided.count == len(invoices) - 4
        assert cut.report_dir and (Path(cut.report_dir) / "report.html").is_file()
        rows = (Path(cut.report_dir) / "matches.csv").read_text(encoding="utf-8-sig")
        assert rows.count("but not posted: Flowtly stopped answering") == len(invoices) - 4

        sandbox.options.fail_rate = 0.0
        after = run(settings, RunRequest())  # nothing given, the inbox empty: what the cut run left

        assert not after.errors and after.status == "done"
        assert [(e.run_id, e.lines) for e in after.earlier_lines] == [(cut.run_id, len(invoices) - 4)]
        assert our_postings(sandbox) == expected(invoices)
