"""The one error tree of reconcile, with messages written for the finance person who reads them.

Every error a user can cause or fix (a bad file, a wrong setting, a refused token) is a ReconcileError;
anything else is a bug and is shown as one. Third-party errors are translated where they are wrapped.

    ReconcileError
     ├── ConfigError                 a setting is missing or wrong (names the key)
     ├── RulesError                  a matching-rules file is wrong (names the file and rule)
     ├── StatementError              a statement file cannot be read (names the file and place)
     │    ├── UnrecognisedStatement  no reader knows the file
     │    ├── AmbiguousStatement     two readers claim the file
     │    ├── MalformedStatement     the file is broken, truncated or not what it says
     │    └── HostileStatement       the file tries XML tricks (entities, DTDs) or is absurdly large
     ├── FlowtlyError                the Flowtly API refused or failed
     │    ├── FlowtlyAuthError       401/403: the token
     │    ├── FlowtlyNotFound        404
     │    ├── FlowtlyConflict        409
     │    ├── FlowtlyUnsupportedMedia 415
     │    ├── FlowtlyValidationError 400/422 with violations
     │    ├── FlowtlyRateLimited     429 after every retry
     │    ├── FlowtlyServerError     5xx after every retry
     │    └── FlowtlyUnavailable     no answer at all (connection refused, timeout, DNS)
     ├── StoreError                  the state database cannot be opened or is locked by another run
     └── RunLockedError              another run holds the lock
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class ReconcileError(Exception):
    """Raised for anything a user can understand and act on; its str() is the whole message."""


class ConfigError(ReconcileError):
    """Raised when a setting is missing, malformed or contradicts another."""

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None) -> None:
        self.key = key
        self.source = source
        where = f"{source}: " if source else ""
        name = f"{key}: " if key else ""
        super().__init__(f"{where}{name}{message}")


class RulesError(ReconcileError):
    """Raised when a rules file cannot be used; lists every problem found, not just the first."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class StatementError(ReconcileError):
    """Raised when a statement file cannot be read; carries the file and the place inside it."""

    def __init__(self, path: Path | str, message: str, *, place: str | None = None) -> None:
        self.path = str(path)
        self.place = place
        self.reason = message
        where = f"{Path(path).name}" + (f", {place}" if place else "")
        super().__init__(f"{where}: {message}")


class UnrecognisedStatement(StatementError):
    """Raised when no reader recognises the file's content."""


class AmbiguousStatement(StatementError):
    """Raised when more than one reader claims the file: a registry bug or a very odd file."""


class MalformedStatement(StatementError):
    """Raised when the file is of a known format but broken, truncated or inconsistent."""


class HostileStatement(StatementError):
    """Raised when an XML file carries a DOCTYPE, entities or other constructs we refuse to expand."""


class FlowtlyError(ReconcileError):
    """Raised when the Flowtly API cannot do what was asked; carries the HTTP status and request."""

    def __init__(self, message: str, *, status: int | None = None, method: str = "", url: str = "") -> None:
        self.status = status
        self.method = method
        self.url = url
        super().__init__(message)


class FlowtlyAuthError(FlowtlyError):
    """Raised on 401/403: the token is missing, wrong, expired or lacks rights."""


class FlowtlyNotFound(FlowtlyError):
    """Raised on 404."""


class FlowtlyConflict(FlowtlyError):
    """Raised on 409."""


class FlowtlyUnsupportedMedia(FlowtlyError):
    """Raised on 415: we sent a content type the server does not take (a bug on our side)."""


@dataclass(frozen=True)
class Violation:
    """One field-level validation problem reported by API Platform."""

    property_path: str
    message: str
    code: str | None = None


class FlowtlyValidationError(FlowtlyError):
    """Raised on 422 (or 400 with violations): the server refused the data we sent."""

    def __init__(self, message: str, *, violations: list[Violation], **kw: object) -> None:
        self.violations = violations
        detail = "; ".join(f"{v.property_path or '(body)'}: {v.message}" for v in violations)
        super().__init__(f"{message}" + (f" ({detail})" if detail else ""), **kw)  # type: ignore[arg-type]


class FlowtlyRateLimited(FlowtlyError):
    """Raised when the server kept answering 429 after every allowed retry."""


class FlowtlyServerError(FlowtlyError):
    """Raised when the server kept failing (5xx) after every allowed retry."""


class FlowtlyUnavailable(FlowtlyError):
    """Raised when the server could not be reached or did not answer in time."""


class StoreError(ReconcileError):
    """Raised when the state database cannot be opened, migrated or written."""


class RunLockedError(StoreError):
    """Raised when another run holds the lock on the same state database."""
