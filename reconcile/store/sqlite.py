"""The state database in one SQLite file: the default, nothing to install or run.

Writers are serialised by SQLite itself (BEGIN IMMEDIATE takes the write lock at the start of a
transaction) and runs by an OS file lock beside the file (`FileRunLock`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from reconcile.errors import ConfigError, StoreError
from reconcile.store.db import Database, Row
from reconcile.store.lock import FileRunLock


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


class SQLiteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.path = sqlite_path(url)
        self.where = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the state database {self.path}: {exc}") from exc
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")  # readers (review) do not block the nightly run
        self.conn.execute("PRAGMA synchronous=FULL")  # a posting recorded is a posting on disk
        self.conn.execute("PRAGMA foreign_keys=ON")

    def run_lock(self) -> FileRunLock:
        return FileRunLock(self.path)

    def close(self) -> None:
        self.conn.close()

    def _begin(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the state database {self.path} is busy: {exc}") from exc

    def _commit(self) -> None:
        self.execute("COMMIT")

    def _rollback(self) -> None:
        # Failing means SQLite already rolled back itself (disk full, I/O error): report what caused that.
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("ROLLBACK")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self.conn.execute(sql, tuple(params)).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"state database error: {exc}") from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        if not rows:
            return 0
        try:
            return self.conn.executemany(sql, rows).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"state database error: {exc}") from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return [dict(r) for r in self.conn.execute(sql, tuple(params)).fetchall()]
        except sqlite3.Error as exc:
            raise StoreError(f"state database error: {exc}") from exc
