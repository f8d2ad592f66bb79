"""What reconcile remembers between runs: files imported, bank lines and their status, the posting outbox,
runs and their decisions.

A bank line's status moves new -> (posting -> posted | review | unmatched | ignored). A line in `posting`
has an outbox row that must be finished (looked up, then posted) before anything else touches the line;
that is what makes a crash or a lost answer harmless.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from reconcile.model import BankLine, Decision, Match, Posting
from reconcile.store.db import Database, Row
from reconcile.store.migrations import migrate

FINAL_LINE_STATUSES = frozenset({"posted", "ignored"})


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_LINE_COLUMNS = (
    "line_id", "account", "bank_ref", "currency", "amount", "booking_date", "value_date", "counterparty_name",
    "counterparty_iban", "remittance", "structured_ref", "end_to_end_id", "bank_tx_code", "statement_id",
    "source_file", "source_format", "reported_charges",
)  # fmt: skip


def _line_row(line: BankLine) -> list[Any]:
    return [
        line.line_id, line.account, line.bank_ref, line.currency, f"{line.amount:f}", line.booking_date.isoformat(),
        line.value_date.isoformat() if line.value_date else None, line.counterparty_name, line.counterparty_iban,
        line.remittance, line.structured_ref, line.end_to_end_id, line.bank_tx_code, line.statement_id,
        line.source_file, line.source_format,
        f"{line.reported_charges:f}" if line.reported_charges is not None else None,
    ]  # fmt: skip


def line_from_row(row: Row) -> BankLine:
    return BankLine(
        line_id=row["line_id"],
        bank_ref=row["bank_ref"],
        account=row["account"],
        currency=row["currency"],
        amount=Decimal(row["amount"]),
        booking_date=date.fromisoformat(row["booking_date"]),
        value_date=date.fromisoformat(row["value_date"]) if row["value_date"] else None,
        counterparty_name=row["counterparty_name"],
        counterparty_iban=row["counterparty_iban"],
        remittance=row["remittance"],
        structured_ref=row["structured_ref"],
        end_to_end_id=row["end_to_end_id"],
        bank_tx_code=row["bank_tx_code"],
        statement_id=row["statement_id"],
        source_file=row["source_file"],
        source_format=row["source_format"],
        reported_charges=Decimal(row["reported_charges"]) if row["reported_charges"] is not None else None,
    )


def posting_from_row(row: Row) -> Posting:
    return Posting(
        line_id=row["line_id"],
        bank_ref=row["bank_ref"],
        invoice_iri=row["invoice_iri"],
        amount=Decimal(row["amount"]),
        currency=row["currency"],
        booking_date=date.fromisoformat(row["booking_date"]),
        state=row["state"],
        remote_iri=row["remote_iri"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        run_id=row["run_id"],
    )


class State:
    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    def close(self) -> None:
        self.db.close()

    # -- runs ----------------------------------------------------------------------------------------

    def start_run(self, run_id: str, *, trigger: str, dry_run: bool) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO runs (run_id, started_at, trigger, dry_run, status) VALUES (?, ?, ?, ?, 'running')",
                (run_id, now(), trigger, int(dry_run)),
            )

    def finish_run(self, run_id: str, *, status: str, report_dir: str, summary: dict[str, Any]) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, report_dir = ?, summary = ? WHERE run_id = ?",
                (now(), status, report_dir, json.dumps(summary), run_id),
            )

    # -- files and lines -----------------------------------------------------------------------------

    def file_imported(self, content_hash: str) -> Row | None:
        return self.db.query_one("SELECT * FROM statement_files WHERE content_hash = ?", (content_hash,))

    def import_file(
        self, *, content_hash: str, file_name: str, source_format: str, lines: Sequence[BankLine], run_id: str
    ) -> int:
        """Record a file and its lines in one transaction; lines seen before (same line id) are kept once.

        Returns how many lines were new.
        """
        stamp = now()
        with self.db.transaction():
            placeholders = ", ".join("?" for _ in range(len(_LINE_COLUMNS) + 3))
            added = self.db.executemany(
                f"INSERT INTO bank_lines ({', '.join(_LINE_COLUMNS)}, content_hash, status, imported_at) "
                f"VALUES ({placeholders}) ON CONFLICT (line_id) DO NOTHING",
                [[*_line_row(line), content_hash, "new", stamp] for line in lines],
            )
            self.db.execute(
                "INSERT INTO statement_files (content_hash, file_name, source_format, line_count, first_run_id, "
                "imported_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (content_hash) DO NOTHING",
                (content_hash, file_name, source_format, len(lines), run_id, stamp),
            )
        return added

    def line_statuses(self, line_ids: Iterable[str]) -> dict[str, str]:
        ids = list(line_ids)
        out: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for row in self.db.query(
                f"SELECT line_id, status FROM bank_lines WHERE line_id IN ({marks})", chunk
            ):
                out[row["line_id"]] = row["status"]
        return out

    def undecided_lines(self) -> list[tuple[BankLine, str | None, str | None]]:
        """Lines stored but not decided yet (status `new`), each with the run that stored them and when
        that run started (None when the run is no longer known).

        A line is stored with the content hash of the file that first brought it, and that file's
        `first_run_id` is the run that stored both in one transaction.
        """
        rows = self.db.query(
            "SELECT l.*, f.first_run_id AS stored_by_run, r.started_at AS stored_by_run_at "
            "FROM bank_lines l "
            "LEFT JOIN statement_files f ON f.content_hash = l.content_hash "
            "LEFT JOIN runs r ON r.run_id = f.first_run_id "
            "WHERE l.status = 'new' ORDER BY l.booking_date, l.line_id"
        )
        return [(line_from_row(r), r["stored_by_run"], r["stored_by_run_at"]) for r in rows]

    def line(self, line_id: str) -> BankLine | None:
        row = self.db.query_one("SELECT * FROM bank_lines WHERE line_id = ?", (line_id,))
        return line_from_row(row) if row else None

    def set_line_status(self, line_id: str, status: str, run_id: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE bank_lines SET status = ?, status_run_id = ? WHERE line_id = ? AND status NOT IN "
                "('posted', 'posting')",
                (status, run_id, line_id),
            )

    def posted_to(self, line_id: str) -> list[Posting]:
        rows = self.db.query("SELECT * FROM postings WHERE line_id = ? AND state = 'posted'", (line_id,))
        return [posting_from_row(r) for r in rows]

    # -- the posting outbox --------------------------------------------------------------------------

    def enqueue_postings(self, postings: Sequence[Posting]) -> bool:
        """Record the intent to post a line's allocations, all at once, before any is posted; False if the
        line is already posted or being posted.

        The line is claimed by one conditional UPDATE rather than read then written, so the claim holds
        in PostgreSQL's READ COMMITTED too: a second writer would wait for the row and find it taken. A
        posting already in Flowtly (state `posted`) is never put back in the outbox.
        """
        line_ids = {p.line_id for p in postings}
        assert len(line_ids) == 1, "one line's allocations at a time"
        stamp = now()
        with self.db.transaction():
            claimed = self.db.execute(
                "UPDATE bank_lines SET status = 'posting', status_run_id = ? WHERE line_id = ? "
                "AND status NOT IN ('posted', 'posting')",
                (postings[0].run_id, postings[0].line_id),
            )
            if claimed != 1:
                return False
            self.db.executemany(
                "INSERT INTO postings (line_id, invoice_iri, bank_ref, amount, currency, booking_date, state, "
                "attempts, run_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) "
                "ON CONFLICT (line_id, invoice_iri) DO UPDATE SET state = 'pending', amount = excluded.amount, "
                "run_id = excluded.run_id, updated_at = excluded.updated_at, last_error = NULL "
                "WHERE postings.state <> 'posted'",
                [
                    [
                        p.line_id, p.invoice_iri, p.bank_ref, f"{p.amount:f}", p.currency, p.booking_date.isoformat(),
                        p.run_id, stamp, stamp,
                    ]
                    for p in postings
                ],
            )  # fmt: skip
        return True

    def mark_sending(self, posting: Posting) -> None:
        """Written before the request leaves: from now on the outcome is unknown until recorded."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE postings SET state = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE line_id = ? AND invoice_iri = ?",
                (now(), posting.line_id, posting.invoice_iri),
            )

    def mark_posted(self, posting: Posting, remote_iri: str, run_id: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE postings SET state = 'posted', remote_iri = ?, last_error = NULL, updated_at = ? "
                "WHERE line_id = ? AND invoice_iri = ?",
                (remote_iri, now(), posting.line_id, posting.invoice_iri),
            )
            self._settle_line(posting.line_id, run_id)

    def mark_refused(self, posting: Posting, error: str, run_id: str) -> None:
        """Flowtly refused the posting for good (validation): a person decides what the line still pays."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE postings SET state = 'refused', last_error = ?, updated_at = ? "
                "WHERE line_id = ? AND invoice_iri = ?",
                (error, now(), posting.line_id, posting.invoice_iri),
            )
            self._settle_line(posting.line_id, run_id)

    def _settle_line(self, line_id: str, run_id: str) -> None:
        """Once none of a line's allocations waits in the outbox, the line is `posted` if any reached
        Flowtly (it is never matched again: what is left is a person's), else `review`."""
        self.db.execute(
            "UPDATE bank_lines SET status = CASE WHEN EXISTS (SELECT 1 FROM postings p WHERE p.line_id = ? "
            "AND p.state = 'posted') THEN 'posted' ELSE 'review' END, status_run_id = ? WHERE line_id = ? "
            "AND NOT EXISTS (SELECT 1 FROM postings p WHERE p.line_id = ? AND p.state IN ('pending', 'sending'))",
            (line_id, run_id, line_id, line_id),
        )

    def note_posting_error(self, posting: Posting, error: str) -> None:
        """A transient failure: the posting stays in the outbox and is finished by a later run."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE postings SET last_error = ?, updated_at = ? WHERE line_id = ? AND invoice_iri = ?",
                (error, now(), posting.line_id, posting.invoice_iri),
            )

    def unfinished_postings(self) -> list[Posting]:
        rows = self.db.query(
            "SELECT * FROM postings WHERE state IN ('pending', 'sending') ORDER BY created_at, line_id"
        )
        return [posting_from_row(r) for r in rows]

    def postings_for_run(self, run_id: str) -> list[Posting]:
        return [
            posting_from_row(r) for r in self.db.query("SELECT * FROM postings WHERE run_id = ?", (run_id,))
        ]

    # -- decisions -----------------------------------------------------------------------------------

    def record_decisions(self, run_id: str, matches: Sequence[Match]) -> None:
        """Store each line's decision and options, one row per allocation (a line left undecided has no
        match and stays `new`)."""
        rows: list[list[Any]] = []
        for m in matches:
            options = [m.chosen] if m.chosen else list(m.suggestions)
            if not options:
                rows.append([run_id, m.line.line_id, 0, m.decision.value, None, None, None, None, m.note])
            allocations = [(cand, a) for cand in options for a in cand.allocations]
            for rank, (cand, a) in enumerate(allocations):
                rows.append([
                    run_id, m.line.line_id, rank, m.decision.value, a.invoice.iri, a.invoice.name, cand.probability,
                    f"{a.amount:f}", cand.reasons(),
                ])  # fmt: skip
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO decisions (run_id, line_id, rank, decision, invoice_iri, invoice_name, probability, "
                "allocated, reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, line_id, rank) "
                "DO UPDATE SET decision = excluded.decision",
                rows,
            )
            for m in matches:
                if m.decision in (Decision.REVIEW, Decision.UNMATCHED, Decision.IGNORED):
                    self.db.execute(
                        "UPDATE bank_lines SET status = ?, status_run_id = ? WHERE line_id = ? "
                        "AND status NOT IN ('posted', 'posting')",
                        (m.decision.value, run_id, m.line.line_id),
                    )
