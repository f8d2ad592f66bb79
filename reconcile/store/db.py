"""The state database behind one small interface, whether SQLite or PostgreSQL keeps it.

SQL is written once with `?` placeholders and portable types (TEXT, INTEGER, REAL); each backend converts
what its driver needs. Every write happens inside `transaction()`, so a crash leaves either all of it or none.
Never put a database password in a message: `mask_url` is what a URL looks like when shown.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from reconcile.errors import ConfigError, StoreError

Row = dict[str, Any]

POSTGRES_SCHEMES = ("postgresql", "postgres")  # libpq takes both spellings


class Database(ABC):
    """One connection, used by one thread: a run is sequential by design.

    `where` names the database for people (the file, or the URL with its password masked); `run_lock()`
    is the lock that keeps a second run off this same state.
    """

    dialect: str
    where: str

    def __init__(self) -> None:
        self._depth = 0

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
        self._begin()
        self._depth = 1
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        else:
            self._commit()
        finally:
            self._depth = 0

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return how many rows it changed (-1 when that means nothing, as for DDL)."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run for every row; return how many rows were changed (conflicts skipped do not count)."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows as dicts keyed by column name."""

    @abstractmethod
    def run_lock(self) -> AbstractContextManager[object]:
        """Held for a whole run; entering raises RunLockedError when another run holds it."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None:
        """Undo the open transaction; never raise, so that the error that caused it is the one reported."""

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def executescript(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self.execute(statement)


def open_database(url: str) -> Database:
    """The state database named by `url`: `sqlite:///path`, a bare path, or `postgresql://user@host:port/db`."""
    scheme = urlsplit(url).scheme if "://" in url else "sqlite"
    # Imported here, not at the top: both backends import this module, and the PostgreSQL one loads
    # psycopg, which only installations that use PostgreSQL need.
    if scheme == "sqlite":
        from reconcile.store.sqlite import SQLiteDatabase

        return SQLiteDatabase(url)
    if scheme in POSTGRES_SCHEMES:
        try:
            from reconcile.store.postgres import PostgresDatabase
        except ImportError as exc:
            if exc.name and not exc.name.startswith("psycopg"):
                raise  # a bug of ours, not a missing driver
            raise StoreError(
                f"the state database {mask_url(url)} is PostgreSQL, but psycopg is not installed ({exc}); "
                "install it with pip install 'psycopg[binary]' or use a sqlite:/// URL"
            ) from None
        return PostgresDatabase(url)
    raise ConfigError(
        f"unsupported database {scheme!r} in {mask_url(url)}; use sqlite:///path/to/file.sqlite or "
        "postgresql://user@host:5432/dbname",
        key="database_url",
    )


def mask_url(url: str) -> str:
    """The URL with any password (in the user part or as ?password=) replaced by ***."""
    if "://" not in url:
        return url  # a bare SQLite path
    parts = urlsplit(url)
    netloc = parts.netloc
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:***@{hosts}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(key == "password" for key, _ in pairs):
        query = urlencode([(k, "***" if k == "password" else v) for k, v in pairs], safe="*/")
    # Rebuilt by hand: urlunsplit drops the // of schemes it does not know when the host is empty.
    return (
        f"{parts.scheme}://{netloc}{parts.path}"
        + (f"?{query}" if query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


@lru_cache(maxsize=512)
def pyformat(sql: str) -> str:
    """Our `?` placeholders as the `%s` of psycopg, with a literal `%` doubled so it is not read as one.

    Only outside string literals: a `?` inside '...' would silently become a parameter, so it is
    refused (reconcile's SQL has none; this keeps it so).
    """
    pieces = sql.split("'")  # odd pieces are inside literals; an escaped '' splits into an empty piece
    if any("?" in piece for piece in pieces[1::2]):
        raise ValueError(f"a '?' inside a string literal would be taken for a placeholder: {sql}")
    return sql.replace("%", "%%").replace("?", "%s")
