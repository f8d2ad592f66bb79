"""Which payer IBANs paid for which clients, learned from confirmed matches, and the payer/client pairs
people said never to match.

The matching core reads `LearnedPayers.frame()` and `never_frame()`; nothing here decides a match. IBANs
are kept in the one form `reconcile.statements.mt940_details.iban_or_none` gives (compact, upper case,
valid), so a garbled account number is never learned.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from reconcile.matching.names import payer_key
from reconcile.statements.mt940_details import iban_or_none
from reconcile.store.db import Database
from reconcile.store.migrations import migrate


class LearnedPayers:
    """The learned payers of one state database (migrated on opening, as `State` does)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    def confirm(self, iban: str, client_iri: str, client_name: str | None, on: date) -> bool:
        """Count one confirmed payment from `iban` for the client; False when `iban` is not a valid IBAN.

        Called once when a posting is confirmed (booked in Flowtly): calling it twice for one posting
        counts it twice, so keeping it once per posting is the caller's business. `on` is the payment's
        booking date; last_seen keeps the latest, first_seen the earliest, whatever order they come in.
        """
        compact = iban_or_none(iban)
        if compact is None:
            return False
        day = on.isoformat()
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO learned_payers (payer_iban, client_iri, client_name, confirmations, first_seen, "
                "last_seen) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (payer_iban, client_iri) DO UPDATE SET "
                "confirmations = learned_payers.confirmations + 1, "
                "client_name = COALESCE(excluded.client_name, learned_payers.client_name), "
                "first_seen = CASE WHEN excluded.first_seen < learned_payers.first_seen "
                "THEN excluded.first_seen ELSE learned_payers.first_seen END, "
                "last_seen = CASE WHEN excluded.last_seen > learned_payers.last_seen "
                "THEN excluded.last_seen ELSE learned_payers.last_seen END",
                (compact, client_iri, client_name, day, day),
            )
        return True

    def forget(self, iban: str, client_iri: str) -> bool:
        """Undo one confirmation (a posting reversed); the pair is dropped when none is left.

        The dates stay as they were: which confirmation was undone is not known. False when there was
        nothing to undo.
        """
        compact = iban_or_none(iban)
        if compact is None:
            return False
        key = (compact, client_iri)
        with self.db.transaction():
            undone = self.db.execute(
                "UPDATE learned_payers SET confirmations = confirmations - 1 "
                "WHERE payer_iban = ? AND client_iri = ?",
                key,
            )
            self.db.execute(
                "DELETE FROM learned_payers WHERE payer_iban = ? AND client_iri = ? AND confirmations <= 0",
                key,
            )
        return undone == 1

    def never_match(
        self, client_iri: str, reason: str, *, iban: str | None = None, payer_name: str | None = None
    ) -> bool:
        """Record that payments from this payer (by IBAN, or else by name) are never the client's.

        The name is kept as `reconcile.matching.names.payer_key` writes it, the key the matching core
        compares. Recording a pair again keeps its first date and the latest reason. False when the
        IBAN is not valid or the name has no key.
        """
        if (iban is None) == (payer_name is None):
            raise ValueError("never_match takes exactly one of iban and payer_name")
        kind, payer = ("iban", iban_or_none(iban)) if iban is not None else ("name", payer_key(payer_name))
        if not payer:
            return False
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO never_match (payer_kind, payer, client_iri, reason, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (payer_kind, payer, client_iri) "
                "DO UPDATE SET reason = excluded.reason",
                (kind, payer, client_iri, reason, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        return True

    def frame(self) -> pl.DataFrame:
        """Every learned (iban, client_iri) pair with its count, last_seen, and `clients`: how many distinct
        clients that IBAN has paid for (an accountant paying for several clients is no one's signature)."""
        rows = self.db.query(
            "SELECT payer_iban AS iban, client_iri, confirmations AS count, last_seen FROM learned_payers "
            "ORDER BY payer_iban, client_iri"
        )
        schema = {"iban": pl.String, "client_iri": pl.String, "count": pl.Int64, "last_seen": pl.String}
        table = pl.DataFrame(rows, schema=schema)
        return table.with_columns(
            pl.col("last_seen").str.to_date("%Y-%m-%d"),
            pl.len().over("iban").cast(pl.Int64).alias("clients"),
        )

    def never_frame(self) -> pl.DataFrame:
        """Every rejected pair: payer_kind ("iban" or "name"), payer (the compact IBAN, or the name's
        payer_key), client_iri and reason; the `never` the matching core takes
        (reconcile.matching.tables.match_tables), which never makes such a pair an option."""
        rows = self.db.query(
            "SELECT payer_kind, payer, client_iri, reason FROM never_match "
            "ORDER BY payer_kind, payer, client_iri"
        )
        schema = {"payer_kind": pl.String, "payer": pl.String, "client_iri": pl.String, "reason": pl.String}
        return pl.DataFrame(rows, schema=schema)
