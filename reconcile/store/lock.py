"""One run at a time per state database: the nightly job and a manual rerun must not interleave.

Both locks die with their holder, so a run killed with -9 releases them; a lease in a table would stay
stuck until it expired. SQLite: an OS file lock beside the file. PostgreSQL: a session-level advisory lock
on the connection the run writes through.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from reconcile.errors import RunLockedError, StoreError

if TYPE_CHECKING:
    from reconcile.store.db import Database


def _locked(holder: str) -> RunLockedError:
    return RunLockedError(
        f"another reconcile run is in progress on this state ({holder}); wait for it to finish"
    )


class FileRunLock:
    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    def __enter__(self) -> FileRunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise _locked(holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        self._fd = fd
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


# A fixed 64-bit key, the same in every process and release (Python's hash() is salted per process).
RUN_LOCK_KEY = int.from_bytes(hashlib.sha256(b"reconcile-run").digest()[:8], "big", signed=True)

# pg_locks shows a bigint advisory key split in two: high half in classid, low half in objid, objsubid 1
# (PostgreSQL manual, "pg_locks"). The holder is named by its application_name, which reconcile sets.
_HOLDER_SQL = """
    SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid::bigint = ? AND l.objid::bigint = ?
"""


class AdvisoryRunLock:
    """`pg_try_advisory_lock` on the state's own connection, held for the session, not a transaction.

    Taken on the connection that writes, not a second one: if that connection dies the run cannot write
    any more either, so no run ever writes without holding the lock. PostgreSQL scopes advisory locks to
    one database, so the state is the database (two schemas in one database share one lock: a second
    run is refused, never let in).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._held = False

    def __enter__(self) -> AdvisoryRunLock:
        row = self.db.query_one("SELECT pg_try_advisory_lock(?) AS locked", (RUN_LOCK_KEY,))
        if not (row and row["locked"]):
            raise _locked(self._holder())
        self._held = True
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._held:
            return
        self._held = False
        # Failing means the connection is gone, and the lock with it: do not hide the error that ended the run.
        with contextlib.suppress(StoreError):
            self.db.query_one("SELECT pg_advisory_unlock(?) AS unlocked", (RUN_LOCK_KEY,))

    def _holder(self) -> str:
        high, low = (RUN_LOCK_KEY >> 32) & 0xFFFFFFFF, RUN_LOCK_KEY & 0xFFFFFFFF
        row = self.db.query_one(_HOLDER_SQL, (high, low))
        if row is None:  # released in between, or hidden from this role
            return "another database session"
        return row["application_name"] or f"database session {row['pid']}"
