"""Payers learned from confirmed matches, and pairs people rejected, kept in the state database.

Every test runs on a SQLite file and on PostgreSQL (skipped when the server does not answer), as the
`database_url` fixture of conftest.py provides them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import polars as pl
import pytest

from reconcile.matching.engine import match_lines
from reconcile.model import Decision
from reconcile.rules import load_rules
from reconcile.store import migrations
from reconcile.store.db import Database, open_database
from reconcile.store.learned import LearnedPayers
from reconcile.store.state import State
from tests.factories import invoice, line

ACME = "/clients/1"
BOREAL = "/clients/2"
PAYER = "PL61109010140000071219812874"
ACCOUNTANT = "DE89370400440532013000"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    yield database
    database.close()


@pytest.fixture
def learned(db: Database) -> LearnedPayers:
    return LearnedPayers(db)


def stored(db: Database) -> list[dict[str, object]]:
    return db.query(
        "SELECT payer_iban, client_iri, client_name, confirmations, first_seen, last_seen "
        "FROM learned_payers ORDER BY payer_iban, client_iri"
    )


def test_confirming_twice_counts_two_and_keeps_the_latest_and_earliest_day(db, learned):
    assert learned.confirm(PAYER, ACME, "Acme sp. z o.o.", date(2026, 11, 20)) is True
    assert learned.confirm(PAYER, ACME, None, date(2026, 10, 2)) is True  # an older payment confirmed later
    assert stored(db) == [
        {"payer_iban": PAYER, "client_iri": ACME, "client_name": "Acme sp. z o.o.", "confirmations": 2,
         "first_seen": "2026-10-02", "last_seen": "2026-11-20"},
    ]  # fmt: skip


def test_an_iban_is_kept_compact_and_upper_case(db, learned):
    learned.confirm("pl61 1090 1014 0000 0712 1981 2874", ACME, "Acme", date(2026, 11, 20))
    learned.confirm(PAYER, ACME, "Acme", date(2026, 11, 21))
    assert [(r["payer_iban"], r["confirmations"]) for r in stored(db)] == [(PAYER, 2)]


def test_an_invalid_iban_is_not_learned(db, learned):
    assert learned.confirm("PL61109010140000071219812875", ACME, "Acme", date(2026, 11, 20)) is False
    assert learned.confirm("NOTPROVIDED", ACME, "Acme", date(2026, 11, 20)) is False
    assert stored(db) == []


def test_forgetting_undoes_one_confirmation_and_drops_the_pair_at_none(db, learned):
    learned.confirm(PAYER, ACME, "Acme", date(2026, 11, 20))
    learned.confirm(PAYER, ACME, "Acme", date(2026, 11, 21))
    assert learned.forget(PAYER, ACME) is True
    assert [r["confirmations"] for r in stored(db)] == [1]
    assert learned.forget(PAYER, ACME) is True
    assert stored(db) == []
    assert learned.forget(PAYER, ACME) is False


def test_the_frame_counts_the_clients_each_iban_paid_for(learned):
    learned.confirm(PAYER, ACME, "Acme", date(2026, 11, 20))
    learned.confirm(PAYER, ACME, "Acme", date(2026, 11, 22))
    learned.confirm(ACCOUNTANT, ACME, "Acme", date(2026, 9, 1))
    learned.confirm(ACCOUNTANT, BOREAL, "Boreal", date(2026, 10, 1))
    frame = learned.frame()
    assert frame.schema == pl.Schema(
        {
            "iban": pl.String,
            "client_iri": pl.String,
            "count": pl.Int64,
            "last_seen": pl.Date,
            "clients": pl.Int64,
        }
    )
    assert frame.rows() == [
        (ACCOUNTANT, ACME, 1, date(2026, 9, 1), 2),
        (ACCOUNTANT, BOREAL, 1, date(2026, 10, 1), 2),
        (PAYER, ACME, 2, date(2026, 11, 22), 1),
    ]


def test_the_frame_of_an_empty_store_has_its_columns(learned):
    frame = learned.frame()
    assert frame.is_empty()
    assert frame.columns == ["iban", "client_iri", "count", "last_seen", "clients"]
    assert frame.schema["last_seen"] == pl.Date


def test_a_rejected_pair_is_kept_by_iban_or_by_name_key(db, learned):
    assert learned.never_match(ACME, "paid for its parent", iban="pl61 1090 1014 0000 0712 1981 2874") is True
    assert learned.never_match(ACME, "another Kowalski", payer_name="Kowalski Jan") is True
    assert learned.never_match(ACME, "another Jan Kowalski", payer_name="JAN KOWALSKI") is True
    rows = db.query("SELECT payer_kind, payer, client_iri, reason FROM never_match ORDER BY payer_kind")
    assert rows == [
        {"payer_kind": "iban", "payer": PAYER, "client_iri": ACME, "reason": "paid for its parent"},
        {"payer_kind": "name", "payer": "JAN KOWALSKI", "client_iri": ACME, "reason": "another Jan Kowalski"},
    ]


def test_the_rejected_pairs_are_read_back_as_the_matching_core_takes_them(learned):
    learned.never_match(ACME, "paid for its parent", iban="pl61 1090 1014 0000 0712 1981 2874")
    learned.never_match(BOREAL, "another Kowalski", payer_name="Kowalski Jan")
    frame = learned.never_frame()
    assert frame.schema == pl.Schema(
        {"payer_kind": pl.String, "payer": pl.String, "client_iri": pl.String, "reason": pl.String}
    )
    assert frame.rows() == [
        ("iban", PAYER, ACME, "paid for its parent"),
        ("name", "JAN KOWALSKI", BOREAL, "another Kowalski"),
    ]


def test_the_rejected_pairs_of_an_empty_store_have_their_columns(learned):
    frame = learned.never_frame()
    assert frame.is_empty() and frame.columns == ["payer_kind", "payer", "client_iri", "reason"]


def test_a_pair_rejected_in_the_store_is_never_matched_again(learned):
    payment = line("2460.00", "Zaplata za fakture FV/2026/10/0101", payer="ACME LOGISTICS SP Z O O", iban=ACCOUNTANT)
    books = [invoice(101, "FV/2026/10/0101", "2460.00")]  # Acme Logistics sp. z o.o., /clients/1
    rules = load_rules()
    [before] = match_lines([payment], books, rules, learned=learned.frame(), never=learned.never_frame())
    assert before.decision is Decision.AUTO_POST
    learned.never_match(ACME, "a namesake of our client", payer_name="Acme Logistics Sp. z o.o.")
    [after] = match_lines([payment], books, rules, learned=learned.frame(), never=learned.never_frame())
    assert (after.decision, after.suggestions) == (Decision.UNMATCHED, ())


def test_a_rejection_needs_exactly_one_payer(learned):
    with pytest.raises(ValueError, match="exactly one of iban and payer_name"):
        learned.never_match(ACME, "why", iban=PAYER, payer_name="Acme")
    with pytest.raises(ValueError, match="exactly one of iban and payer_name"):
        learned.never_match(ACME, "why")
    assert learned.never_match(ACME, "why", iban="NOTPROVIDED") is False


def test_the_migration_keeps_what_a_database_made_by_0001_holds(database_url, monkeypatch):
    first_only = migrations.MIGRATIONS[:1]
    assert [name for name, _ in first_only] == ["0001_initial"]
    with monkeypatch.context() as patched:
        patched.setattr(migrations, "MIGRATIONS", first_only)
        old = open_database(database_url)
        State(old)
        kept = line("120.00", "FV 1/11/2026")
        # The line as 0001 stored it, in its bank_lines columns (today's State writes later ones too).
        row = {
            "line_id": kept.line_id, "account": kept.account, "bank_ref": kept.bank_ref, "currency": kept.currency,
            "amount": f"{kept.amount:f}", "booking_date": kept.booking_date.isoformat(),
            "remittance": kept.remittance, "source_file": kept.source_file, "source_format": kept.source_format,
            "content_hash": "h", "imported_at": "2026-11-20T06:00:00+00:00",
        }  # fmt: skip
        with old.transaction():
            old.execute(
                f"INSERT INTO bank_lines ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
        old.close()
    db = open_database(database_url)
    try:
        learned = LearnedPayers(db)
        applied = [r["name"] for r in db.query("SELECT name FROM schema_migrations ORDER BY name")]
        assert applied == [name for name, _ in migrations.MIGRATIONS] and "0002_learned_payers" in applied
        assert State(db).line(kept.line_id) == kept
        learned.confirm(PAYER, ACME, "Acme", date(2026, 11, 20))
        assert learned.frame().height == 1
    finally:
        db.close()
