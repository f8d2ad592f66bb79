"""The state database: lines stored once, the outbox's states, the run lock."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconcile.errors import RunLockedError
from reconcile.model import Decision, Match, Posting
from reconcile.store.db import Database
from reconcile.store.lock import RunLock
from reconcile.store.state import State
from tests.factories import line


@pytest.fixture
def state(tmp_path):
    st = State(Database(f"sqlite:///{tmp_path}/state.sqlite"))
    yield st
    st.close()


def posting_for(ln, run_id="run-1"):
    return Posting(
        line_id=ln.line_id,
        bank_ref=ln.bank_ref,
        invoice_iri="/invoices/1",
        amount=ln.amount,
        currency=ln.currency,
        booking_date=ln.booking_date,
        run_id=run_id,
    )


def test_the_same_lines_imported_twice_are_stored_once(state):
    lines = [line("10.00", "a", ref="R1"), line("20.00", "b", ref="R2")]
    assert (
        state.import_file(
            content_hash="h1", file_name="a.xml", source_format="camt.053", lines=lines, run_id="r1"
        )
        == 2
    )
    assert (
        state.import_file(
            content_hash="h2", file_name="b.xml", source_format="camt.053", lines=lines, run_id="r2"
        )
        == 0
    )
    assert state.file_imported("h1")["file_name"] == "a.xml"
    assert len(state.lines_with_status("new")) == 2


def test_amounts_survive_the_database_exactly(state):
    ln = line("115.8331", "four decimals", ref="R4")
    state.import_file(content_hash="h", file_name="f", source_format="ofx", lines=[ln], run_id="r")
    assert state.line(ln.line_id).amount == Decimal("115.8331")
    assert state.line(ln.line_id).booking_date == date(2026, 11, 20)


def test_a_line_cannot_be_queued_for_posting_twice(state):
    ln = line("10.00", "FV1", ref="R1")
    state.import_file(content_hash="h", file_name="f", source_format="camt.053", lines=[ln], run_id="r")
    assert state.enqueue_posting(posting_for(ln)) is True
    assert state.enqueue_posting(posting_for(ln, "run-2")) is False


def test_an_unconfirmed_posting_waits_in_the_outbox_with_its_attempts(state):
    ln = line("10.00", "FV1", ref="R1")
    state.import_file(content_hash="h", file_name="f", source_format="camt.053", lines=[ln], run_id="r")
    p = posting_for(ln)
    state.enqueue_posting(p)
    state.mark_sending(p)
    [left] = state.unfinished_postings()
    assert (left.state, left.attempts) == ("sending", 1)
    state.mark_posted(p, "/invoice-transactions/9", "run-1")
    assert state.unfinished_postings() == []
    assert state.posted_to(ln.line_id)[0].remote_iri == "/invoice-transactions/9"


def test_decisions_do_not_override_a_posted_line(state):
    ln = line("10.00", "FV1", ref="R1")
    state.import_file(content_hash="h", file_name="f", source_format="camt.053", lines=[ln], run_id="r")
    p = posting_for(ln)
    state.enqueue_posting(p)
    state.mark_posted(p, "/invoice-transactions/9", "run-1")
    state.record_decisions("run-2", [Match(ln, Decision.UNMATCHED, note="x")])
    assert state.line_statuses([ln.line_id]) == {ln.line_id: "posted"}


def test_a_refused_posting_sends_the_line_to_review(state):
    ln = line("10.00", "FV1", ref="R1")
    state.import_file(content_hash="h", file_name="f", source_format="camt.053", lines=[ln], run_id="r")
    p = posting_for(ln)
    state.enqueue_posting(p)
    state.mark_refused(p, "amount: too large", "run-1")
    assert state.line_statuses([ln.line_id]) == {ln.line_id: "review"}
    assert state.unfinished_postings() == []


def test_second_run_on_the_same_state_is_refused(tmp_path):
    db_path = tmp_path / "state.sqlite"
    with (
        RunLock(db_path),
        pytest.raises(RunLockedError, match="another reconcile run is in progress"),
        RunLock(db_path),
    ):
        pass
    with RunLock(db_path):  # released when the first run ends
        pass


def test_migrations_are_recorded_and_not_reapplied(tmp_path):
    url = f"sqlite:///{tmp_path}/s.sqlite"
    State(Database(url)).close()
    db = Database(url)
    State(db)
    assert [r["name"] for r in db.query("SELECT name FROM schema_migrations")] == ["0001_initial"]
    db.close()
