"""The state database on each backend: lines stored once, the outbox's states, the run lock.

Every test runs on SQLite and on PostgreSQL. The PostgreSQL cases get a database of their own, created
for the test and dropped after it, so parallel workers never meet; they skip when psycopg is missing or
the server does not answer (RECONCILE_TEST_POSTGRES_URL names another server).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from reconcile.errors import RunLockedError, StoreError
from reconcile.model import Decision, Match, Posting
from reconcile.store import migrations
from reconcile.store.db import Database, open_database
from reconcile.store.migrations import MIGRATIONS
from reconcile.store.state import State
from tests.conftest import POSTGRES_ADMIN_URL, POSTGRES_AT
from tests.factories import line


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    yield database
    database.close()


@pytest.fixture
def state(db: Database) -> State:
    return State(db)


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


def imported(state, *lines):
    state.import_file(
        content_hash="h", file_name="f", source_format="camt.053", lines=list(lines), run_id="r"
    )
    return lines[0]


# -- lines and the outbox ------------------------------------------------------------------------------


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
    assert len(state.undecided_lines()) == 2


def test_amounts_survive_the_database_exactly(state):
    ln = imported(state, line("115.8331", "four decimals", ref="R4"))
    assert state.line(ln.line_id).amount == Decimal("115.8331")
    assert state.line(ln.line_id).booking_date == date(2026, 11, 20)


def test_a_line_read_back_equals_the_line_written_with_its_reported_charges(state):
    charged = line("3585.00", "FV/2026/10/0101", currency="EUR", ref="R1")
    charged = replace(charged, reported_charges=Decimal("15.00"))
    plain = line("10.00", "FV/2026/10/0102", ref="R2")
    imported(state, charged, plain)
    assert state.line(charged.line_id) == charged
    assert state.line(plain.line_id) == plain
    assert {stored.line_id: stored for stored, _, _ in state.undecided_lines()} == {
        charged.line_id: charged,
        plain.line_id: plain,
    }


def test_lines_stored_before_reported_charges_were_kept_read_back_without_them(database_url, monkeypatch):
    db = open_database(database_url)
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:3])  # the schema before 0004
    State(db)
    ln = line("3585.00", "FV/2026/10/0101", currency="EUR", ref="R1")
    row = {
        "line_id": ln.line_id, "account": ln.account, "bank_ref": ln.bank_ref, "currency": ln.currency,
        "amount": f"{ln.amount:f}", "booking_date": ln.booking_date.isoformat(), "remittance": ln.remittance,
        "source_file": ln.source_file, "source_format": ln.source_format, "content_hash": "h",
        "imported_at": "2026-11-20T06:00:00+00:00",
    }  # fmt: skip
    with db.transaction():
        db.execute(
            f"INSERT INTO bank_lines ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
    monkeypatch.undo()
    assert State(db).line(ln.line_id) == ln  # 0004 applied: the column is there, and empty
    db.close()


def test_a_line_cannot_be_queued_for_posting_twice(state):
    ln = imported(state, line("10.00", "FV1", ref="R1"))
    assert state.enqueue_postings([posting_for(ln)]) is True
    assert state.enqueue_postings([posting_for(ln, "run-2")]) is False


def test_a_line_never_imported_cannot_be_queued(state):
    assert state.enqueue_postings([posting_for(line("10.00", "FV1", ref="R1"))]) is False
    assert state.unfinished_postings() == []


def test_an_unconfirmed_posting_waits_in_the_outbox_with_its_attempts(state):
    ln = imported(state, line("10.00", "FV1", ref="R1"))
    p = posting_for(ln)
    state.enqueue_postings([p])
    state.mark_sending(p)
    [left] = state.unfinished_postings()
    assert (left.state, left.attempts) == ("sending", 1)
    state.mark_posted(p, "/invoice-transactions/9", "run-1")
    assert state.unfinished_postings() == []
    assert state.posted_to(ln.line_id)[0].remote_iri == "/invoice-transactions/9"


def test_a_transient_error_keeps_the_posting_in_the_outbox_with_the_error(state):
    ln = imported(state, line("10.00", "FV1", ref="R1"))
    p = posting_for(ln)
    state.enqueue_postings([p])
    state.note_posting_error(p, "Flowtly did not answer")
    [left] = state.postings_for_run("run-1")
    assert (left.state, left.last_error) == ("pending", "Flowtly did not answer")


def test_decisions_do_not_override_a_posted_line(state):
    ln = imported(state, line("10.00", "FV1", ref="R1"))
    p = posting_for(ln)
    state.enqueue_postings([p])
    state.mark_posted(p, "/invoice-transactions/9", "run-1")
    state.record_decisions("run-2", [Match(ln, Decision.UNMATCHED, note="x")])
    state.set_line_status(ln.line_id, "review", "run-2")
    assert state.line_statuses([ln.line_id]) == {ln.line_id: "posted"}


def test_a_refused_posting_sends_the_line_to_review(state):
    ln = imported(state, line("10.00", "FV1", ref="R1"))
    p = posting_for(ln)
    state.enqueue_postings([p])
    state.mark_refused(p, "amount: too large", "run-1")
    assert state.line_statuses([ln.line_id]) == {ln.line_id: "review"}
    assert state.unfinished_postings() == []


def test_a_run_is_recorded_with_its_summary(state, db):
    state.start_run("run-1", trigger="nightly", dry_run=False)
    state.finish_run("run-1", status="done", report_dir="reports/run-1", summary={"posted": 3})
    row = db.query_one("SELECT * FROM runs WHERE run_id = ?", ("run-1",))
    assert (row["status"], row["dry_run"], row["summary"]) == ("done", 0, '{"posted": 3}')


def test_a_failed_transaction_leaves_nothing_behind(state, db):
    ln = line("10.00", "FV1", ref="R1")
    with pytest.raises(StoreError), db.transaction():
        imported(state, ln)
        db.execute("INSERT INTO no_such_table VALUES (?)", (1,))
    assert state.line(ln.line_id) is None
    assert state.file_imported("h") is None


def test_two_writers_racing_for_one_line_queue_it_once(database_url, state, db):
    ln = imported(state, line("10.00", "FV1", ref="R1"))
    with ThreadPoolExecutor(max_workers=1) as writer:  # one thread: a connection stays in its thread
        other = writer.submit(lambda: State(open_database(database_url))).result()
        with db.transaction():
            assert state.enqueue_postings([posting_for(ln)]) is True
            second = writer.submit(other.enqueue_postings, [posting_for(ln, "run-2")])
            time.sleep(0.3)
            assert not second.done()  # waiting for the first writer, not reading past it
        assert second.result(timeout=30) is False
        writer.submit(other.close).result()
    assert [p.run_id for p in state.unfinished_postings()] == ["run-1"]


def test_migrations_are_recorded_and_not_reapplied(database_url):
    State(open_database(database_url)).close()
    db = open_database(database_url)
    State(db)
    assert [r["name"] for r in db.query("SELECT name FROM schema_migrations")] == [name for name, _ in MIGRATIONS]
    db.close()


# -- the run lock --------------------------------------------------------------------------------------


def test_a_second_run_on_the_same_state_is_refused(database_url, db):
    second = open_database(database_url)
    try:
        with (
            db.run_lock(),
            pytest.raises(RunLockedError, match="another reconcile run is in progress on this state"),
            second.run_lock(),
        ):
            pass
    finally:
        second.close()


def test_the_run_lock_is_free_again_when_the_run_ends(database_url, db):
    second = open_database(database_url)
    try:
        with db.run_lock():
            pass
        with second.run_lock():
            pass
    finally:
        second.close()


def wait_for_lock(database_url: str, seconds: float = 10) -> None:
    """The server ends a dropped session a moment after the client goes: allow it that moment."""
    deadline = time.monotonic() + seconds
    db = open_database(database_url)
    try:
        while True:
            try:
                with db.run_lock():
                    return
            except RunLockedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        db.close()


@pytest.mark.postgres
def test_the_advisory_lock_goes_with_the_connection_that_held_it(postgres_url):
    first = open_database(postgres_url)
    first.run_lock().__enter__()  # never left: the connection closing must be enough
    first.close()
    wait_for_lock(postgres_url)


HOLD_THE_LOCK = """
import sys, time
from reconcile.store.db import open_database
db = open_database(sys.argv[1])
lock = db.run_lock()
lock.__enter__()
print("locked", flush=True)
time.sleep(120)
"""


def test_a_run_killed_with_sigkill_names_itself_then_releases_the_lock(database_url):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, database_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLockedError, match=rf"\bpid {holder.pid}\b"):
            wait_for_lock(database_url, seconds=0)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        wait_for_lock(database_url)
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


# -- errors never show a password ----------------------------------------------------------------------


@pytest.mark.postgres
def test_a_missing_database_is_named_without_the_password(postgres_admin):
    name = f"no_such_db_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(POSTGRES_ADMIN_URL)
    user = parts.username or "postgres"
    url = parts._replace(netloc=f"{user}:s3cr3t-Pa55@{POSTGRES_AT}", path=f"/{name}").geturl()
    with pytest.raises(StoreError) as caught:
        open_database(url)
    err = caught.value
    assert f"{user}:***@{POSTGRES_AT}/{name}" in str(err)
    assert f'database "{name}" does not exist' in str(err)
    assert (err.__cause__, err.__context__) == (None, None)  # psycopg's error holds the password
    assert "s3cr3t" not in str(err) and "s3cr3t" not in repr(err)
