"""The schema, as named migrations applied in order, each recorded in `schema_migrations` in the same
transaction that applies it (as sqlite-utils' migrations do). Never edit a released migration: add one."""

from __future__ import annotations

from datetime import UTC, datetime

from reconcile.store.db import Database

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE statement_files (
            content_hash   TEXT PRIMARY KEY,
            file_name      TEXT NOT NULL,
            source_format  TEXT NOT NULL,
            line_count     INTEGER NOT NULL,
            first_run_id   TEXT NOT NULL,
            imported_at    TEXT NOT NULL
        );
        CREATE TABLE bank_lines (
            line_id            TEXT PRIMARY KEY,
            account            TEXT NOT NULL,
            bank_ref           TEXT,
            currency           TEXT NOT NULL,
            amount             TEXT NOT NULL,
            booking_date       TEXT NOT NULL,
            value_date         TEXT,
            counterparty_name  TEXT,
            counterparty_iban  TEXT,
            remittance         TEXT NOT NULL,
            structured_ref     TEXT,
            end_to_end_id      TEXT,
            bank_tx_code       TEXT,
            statement_id       TEXT,
            source_file        TEXT NOT NULL,
            source_format      TEXT NOT NULL,
            content_hash       TEXT NOT NULL,
            status             TEXT NOT NULL DEFAULT 'new',
            status_run_id      TEXT,
            imported_at        TEXT NOT NULL
        );
        CREATE INDEX bank_lines_status ON bank_lines (status);
        CREATE INDEX bank_lines_file ON bank_lines (content_hash);
        CREATE TABLE runs (
            run_id       TEXT PRIMARY KEY,
            started_at   TEXT NOT NULL,
            finished_at  TEXT,
            trigger      TEXT NOT NULL,
            dry_run      INTEGER NOT NULL,
            status       TEXT NOT NULL,
            report_dir   TEXT,
            summary      TEXT
        );
        CREATE TABLE postings (
            line_id       TEXT NOT NULL,
            invoice_iri   TEXT NOT NULL,
            bank_ref      TEXT,
            amount        TEXT NOT NULL,
            currency      TEXT NOT NULL,
            booking_date  TEXT NOT NULL,
            state         TEXT NOT NULL,
            remote_iri    TEXT,
            attempts      INTEGER NOT NULL DEFAULT 0,
            last_error    TEXT,
            run_id        TEXT NOT NULL,
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL,
            PRIMARY KEY (line_id, invoice_iri)
        );
        CREATE INDEX postings_state ON postings (state);
        CREATE TABLE decisions (
            run_id       TEXT NOT NULL,
            line_id      TEXT NOT NULL,
            rank         INTEGER NOT NULL,
            decision     TEXT NOT NULL,
            invoice_iri  TEXT,
            invoice_name TEXT,
            probability  REAL,
            allocated    TEXT,
            reasons      TEXT NOT NULL,
            PRIMARY KEY (run_id, line_id, rank)
        )
        """,
    ),
    (
        # Payers learned from confirmed matches (reconcile.store.learned), and the pairs people rejected.
        # Dates are ISO text, so that the larger date is the larger text on both backends.
        "0002_learned_payers",
        """
        CREATE TABLE learned_payers (
            payer_iban     TEXT NOT NULL,
            client_iri     TEXT NOT NULL,
            client_name    TEXT,
            confirmations  INTEGER NOT NULL,
            first_seen     TEXT NOT NULL,
            last_seen      TEXT NOT NULL,
            PRIMARY KEY (payer_iban, client_iri)
        );
        CREATE TABLE never_match (
            payer_kind  TEXT NOT NULL CHECK (payer_kind IN ('iban', 'name')),
            payer       TEXT NOT NULL,
            client_iri  TEXT NOT NULL,
            reason      TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            PRIMARY KEY (payer_kind, payer, client_iri)
        )
        """,
    ),
    (
        # A line's postings by state: settling a line after each posting asks whether any of its postings is
        # posted; without this index SQLite walked every posted posting (7.9 ms a posting at 100,000).
        "0003_postings_by_line_and_state",
        "CREATE INDEX postings_line_state ON postings (line_id, state)",
    ),
    (
        # The charges a statement reports were taken from a credit (BankLine.reported_charges), as exact
        # text like the amount; NULL for lines stored before, and for lines whose statement reports none.
        "0004_bank_lines_reported_charges",
        "ALTER TABLE bank_lines ADD COLUMN reported_charges TEXT",
    ),
]


def migrate(db: Database) -> list[str]:
    """Apply what is missing; return the names applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row["name"] for row in db.query("SELECT name FROM schema_migrations")}
    applied: list[str] = []
    for name, script in MIGRATIONS:
        if name in done:
            continue
        with db.transaction():
            db.executescript(script)
            db.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        applied.append(name)
    return applied
