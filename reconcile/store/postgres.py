"""The state database on a PostgreSQL server, through psycopg 3; imported only for a postgresql:// URL.

Transactions are READ COMMITTED. That is enough for the outbox because only one run writes at a time
(the advisory run lock is taken before anything is written), every write is one transaction that
commits or vanishes whole, and the one check-then-write (queueing a posting) claims its line with a
single conditional UPDATE, which PostgreSQL re-checks under the row lock.
Errors never carry the password: the URL is shown masked, and psycopg's connection error, which holds
the connection parameters, is not chained.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import psycopg  # type: ignore[import-not-found, unused-ignore]  # absent where PostgreSQL is not used
from psycopg.rows import dict_row  # type: ignore[import-not-found, unused-ignore]

from reconcile.errors import StoreError
from reconcile.store.db import Database, Row, mask_url, pyformat
from reconcile.store.lock import AdvisoryRunLock

CONNECT_TIMEOUT_SECONDS = 10  # libpq waits for ever by default; a nightly job must fail instead


def _password(url: str) -> str | None:
    parts = urlsplit(url)
    in_query = dict(parse_qsl(parts.query)).get("password")
    return parts.password or in_query


def _scrub(message: str, url: str) -> str:
    """libpq does not echo passwords, but a message is the last place one must ever show up."""
    text = " ".join(message.split())
    password = _password(url)
    if password:
        for form in {password, unquote(password)}:
            text = text.replace(form, "***")
    return text


def _connect_options(url: str) -> dict[str, Any]:
    """Our defaults, only where the URL and libpq's environment say nothing."""
    given = {key for key, _ in parse_qsl(urlsplit(url).query)}
    options: dict[str, Any] = {
        # used by libpq only when no application_name is set: names the holder of the run lock
        "fallback_application_name": f"reconcile pid {os.getpid()} on {socket.gethostname()}"[:63],
    }
    if "connect_timeout" not in given and "PGCONNECT_TIMEOUT" not in os.environ:
        options["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return options


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.where = mask_url(url)
        failure = None
        try:
            self.conn = psycopg.connect(url, autocommit=True, row_factory=dict_row, **_connect_options(url))
        except psycopg.Error as exc:
            failure = _scrub(str(exc), url)
        if failure is not None:
            # Raised outside the except block so the psycopg error (its pgconn holds the password) is
            # neither the cause nor the context of ours.
            raise StoreError(
                f"cannot connect to the state database {self.where}: {failure}; check [store] database_url "
                "(or RECONCILE_DATABASE_URL), that the server runs and that the user may log in"
            )

    def run_lock(self) -> AdvisoryRunLock:
        return AdvisoryRunLock(self)

    def close(self) -> None:
        self.conn.close()

    def _failed(self, exc: Exception) -> StoreError:
        return StoreError(f"state database error ({self.where}): {' '.join(str(exc).split())}")

    def _begin(self) -> None:
        self.execute("BEGIN ISOLATION LEVEL READ COMMITTED")

    def _commit(self) -> None:
        self.execute("COMMIT")

    def _rollback(self) -> None:
        if self.conn.closed or self.conn.broken:
            return  # the server rolls back the transaction of a session that ended
        with contextlib.suppress(psycopg.Error):
            self.conn.execute("ROLLBACK")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return int(self.conn.execute(pyformat(sql), tuple(params)).rowcount)
        except psycopg.Error as exc:
            raise self._failed(exc) from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        if not rows:
            return 0
        try:
            with self.conn.cursor() as cursor:
                # psycopg pipelines the rows and sums the rows each changed (psycopg >= 3.1)
                cursor.executemany(pyformat(sql), [tuple(r) for r in rows])
                return int(cursor.rowcount)
        except psycopg.Error as exc:
            raise self._failed(exc) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return list(self.conn.execute(pyformat(sql), tuple(params)).fetchall())
        except psycopg.Error as exc:
            raise self._failed(exc) from exc
