"""A thin connection layer over SQLite (and, through the same calls, PostgreSQL).

SQL is written once with `?` placeholders and portable types (TEXT, INTEGER); the dialect converts the
placeholders. Every write happens inside `transaction()`, so a crash leaves either all of it or none.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from reconcile.errors import ConfigError, StoreError

Row = dict[str, Any]


def sqlite_path(url: str) -> Path:
    """`sqlite:///relative/file.db`, `sqlite:////absolute/file.db`, or a bare path."""
    if "://" not in url:
        return Path(url)
    parsed = urlparse(url)
    if parsed.scheme != "sqlite":
        raise ConfigError(f"not a SQLite URL: {url!r}", key="database_url")
    path = unquote(parsed.path)
    if parsed.netloc:
        raise ConfigError(
            "a SQLite URL has three slashes before a relative path (sqlite:///data/state.db) or four before an "
            f"absolute one, not {url!r}",
            key="database_url",
        )
    return Path(path[1:])  # "/data/x.db" -> relative, "//abs/x.db" -> absolute


class Database:
    """One connection, used by one thread: a run is sequential by design."""

    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the state database {self.path}: {exc}") from exc
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")  # readers (review) do not block the nightly run
        self.conn.execute("PRAGMA synchronous=FULL")  # a posting recorded is a posting on disk
        self.conn.execute("PRAGMA foreign_keys=ON")
        self._depth = 0

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the state database {self.path} is busy: {exc}") from exc
        self._depth = 1
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        try:
            self.conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise StoreError(f"state database error: {exc}") from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run for every row; return how many rows were changed (conflicts skipped do not count)."""
        try:
            return self.conn.executemany(sql, rows).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"state database error: {exc}") from exc

    def executescript(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self.execute(statement)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return [dict(r) for r in self.conn.execute(sql, tuple(params)).fetchall()]
        except sqlite3.Error as exc:
            raise StoreError(f"state database error: {exc}") from exc

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None
