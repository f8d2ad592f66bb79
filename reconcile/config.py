"""Settings: reconcile.toml, then the environment on top, validated, every bad key named.

Where the file comes from: --config, else RECONCILE_CONFIG, else ./reconcile.toml if present; none at
all is fine (defaults plus environment). The token is never printed, not even in the message that
refuses it: Settings.__repr__ hides it. Every number has its range in SCHEMA, the one place it is kept;
the rules file and the CSV profile folders must exist when the settings are read.

[statements.encodings] pins the text encoding of an account's statements, for banks whose files do not
say and whose text reconcile would otherwise guess:

    [statements.encodings]
    "PL61 1090 1014 0000 0712 1981 2874" = "cp1250"   # the account as the statement writes it

Accounts are keyed without spaces, in upper case; an encoding is any text encoding Python knows, kept
as Python's own name for it (Settings.encodings: {"PL61109010140000071219812874": "cp1250"}).
"""

from __future__ import annotations

import codecs
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from reconcile.errors import ConfigError
from reconcile.flowtly.assumptions import MAX_ITEMS_PER_PAGE
from reconcile.flowtly.client import ClientSettings
from reconcile.statements.text import normalise_account
from reconcile.store.db import mask_url

DEFAULT_API_URL = "https://api.flowtly.eu"
DEFAULT_DATABASE_URL = "sqlite:///data/reconcile.sqlite"

ENV_KEYS = {
    "FLOWTLY_API_URL": ("flowtly", "api_url"),
    "FLOWTLY_API_TOKEN": ("flowtly", "token"),
    "RECONCILE_DATABASE_URL": ("store", "database_url"),
    "RECONCILE_REPORTS_DIR": ("paths", "reports"),
    "RECONCILE_INBOX": ("paths", "inbox"),
}


@dataclass(frozen=True)
class Settings:
    api_url: str = DEFAULT_API_URL
    token: str = ""
    timeout_seconds: float = 30.0
    max_retries: int = 5
    max_retry_seconds: float = 120.0
    requests_per_second: float = 10.0
    items_per_page: int = 100
    lookback_days: int = 365
    database_url: str = DEFAULT_DATABASE_URL
    inbox: Path = Path("inbox")
    reports: Path = Path("reports")
    rules: Path | None = None
    csv_profiles: tuple[Path, ...] = ()
    encodings: Mapping[str, str] = field(default_factory=dict)  # account (no spaces, upper case) -> codec
    nightly_at: str = "02:30"
    timezone: str = "Europe/Warsaw"
    source: str = "defaults"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Settings(api_url={self.api_url!r}, token='***', database_url={mask_url(self.database_url)!r}, ...)"

    def require_token(self) -> None:
        if not self.token:
            raise ConfigError(
                "no API token: set FLOWTLY_API_TOKEN or [flowtly] token in reconcile.toml "
                "(a token from your Flowtly workspace)",
                key="flowtly.token",
            )

    def client_settings(self) -> ClientSettings:
        """What the Flowtly client needs of these settings (the token required)."""
        self.require_token()
        return ClientSettings(
            base_url=self.api_url,
            token=self.token,
            timeout_seconds=self.timeout_seconds,
            max_retries=self.max_retries,
            max_retry_seconds=self.max_retry_seconds,
            requests_per_second=self.requests_per_second,
            items_per_page=self.items_per_page,
        )


_PAGE_CAPPED = f"Flowtly serves at most {MAX_ITEMS_PER_PAGE} items a page, so a larger page is never honoured"


@dataclass(frozen=True)
class Number:
    """A number setting: what it counts and the range reconcile accepts, both ends included."""

    low: float
    high: float
    unit: str
    whole: bool = False
    why: str = ""  # added when a value is outside the range

    def describe(self) -> str:
        number = "a whole number" if self.whole else "a number"
        return f"{number} of {self.unit} from {self.low:g} to {self.high:g}"


# section -> key -> kind: a Number with its range, or one of str, url, secret, dburl, path, hhmm,
# rules_file (must exist), profile_folders (each must exist), encodings (a table of account = encoding)
SCHEMA: dict[str, dict[str, str | Number]] = {
    "flowtly": {
        "api_url": "url",
        "token": "secret",
        "timeout_seconds": Number(1, 300, "seconds"),  # the longest one answer is waited for
        "max_retries": Number(0, 20, "retries", whole=True),
        "max_retry_seconds": Number(1, 3600, "seconds"),  # the most one request may spend failing
        "requests_per_second": Number(0.1, 100, "requests per second"),
        "items_per_page": Number(1, MAX_ITEMS_PER_PAGE, "items", whole=True, why=_PAGE_CAPPED),
        "lookback_days": Number(1, 36525, "days", whole=True),  # up to 100 years, for old test data
    },
    "store": {"database_url": "dburl"},
    "paths": {"inbox": "path", "reports": "path"},
    "matching": {"rules": "rules_file", "csv_profiles": "profile_folders"},
    "statements": {"encodings": "encodings"},
    "schedule": {"nightly_at": "hhmm", "timezone": "str"},
}  # fmt: skip

_FIELD = {
    ("flowtly", "api_url"): "api_url", ("flowtly", "token"): "token",
    ("flowtly", "timeout_seconds"): "timeout_seconds", ("flowtly", "max_retries"): "max_retries",
    ("flowtly", "max_retry_seconds"): "max_retry_seconds",
    ("flowtly", "requests_per_second"): "requests_per_second", ("flowtly", "items_per_page"): "items_per_page",
    ("flowtly", "lookback_days"): "lookback_days", ("store", "database_url"): "database_url",
    ("paths", "inbox"): "inbox", ("paths", "reports"): "reports", ("matching", "rules"): "rules",
    ("matching", "csv_profiles"): "csv_profiles", ("schedule", "nightly_at"): "nightly_at",
    ("schedule", "timezone"): "timezone", ("statements", "encodings"): "encodings",
}  # fmt: skip


TOKEN_HAS_SPACE = (
    "has a space or line break inside (a token is one unbroken run of letters, digits and punctuation); "
    "copy it again from your Flowtly workspace, on one line"
)
TOKEN_NOT_ASCII = (
    "contains a character that is not printable ASCII (a token is letters, digits and punctuation; check "
    "for a typographic quote, a long dash or an invisible character picked up when pasting); copy it again "
    "from your Flowtly workspace"
)
_ENCODING_EXAMPLES = '"cp1250", "iso8859-2" or "utf-8"'
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class _Problems(ValueError):
    """Raised by a converter with several problems, each under a sub-key ("" for the key itself)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _sub, message in problems))
        self.problems = problems


def _convert(kind: str | Number, value: Any, base: Path) -> Any:
    """Convert one value; raise ValueError with a message for a finance person's IT colleague."""
    if isinstance(kind, Number):
        return _number(kind, value)
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError("expected text")
        return value.strip()
    if kind == "secret":
        return _secret(value)
    if kind == "url":
        if not isinstance(value, str):
            raise ValueError("expected a URL")
        parsed = urlparse(value.strip())
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"expected an http(s) URL such as {DEFAULT_API_URL}, got {value!r}")
        return value.strip().rstrip("/")
    if kind == "dburl":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("expected a database URL such as sqlite:///data/reconcile.sqlite")
        scheme = urlparse(value).scheme
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(
                f"unsupported database {scheme or value!r}; use sqlite:///path/to/file.sqlite or "
                "postgresql://user@host:5432/dbname"
            )
        return value.strip()
    if kind == "path":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("expected a folder or file path")
        path = Path(value.strip()).expanduser()
        return path if path.is_absolute() else base / path
    if kind == "paths":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("expected a list of paths")
        return tuple(_convert("path", v, base) for v in value)
    if kind == "rules_file":
        return _rules_file(_convert("path", value, base))
    if kind == "profile_folders":
        return _profile_folders(_convert("paths", value, base))
    if kind == "encodings":
        return _encodings(value)
    if kind == "hhmm":
        if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
            raise ValueError(f"expected a time as HH:MM, got {value!r}")
        hh, mm = value.split(":")
        if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
            raise ValueError(f"expected a time as HH:MM, got {value!r}")
        return value
    raise AssertionError(kind)


def _number(spec: Number, value: Any) -> int | float:
    if isinstance(value, str):  # from the environment
        try:
            value = int(value)
        except ValueError:
            try:
                value = float(value)
            except ValueError:
                raise ValueError(f"expected {spec.describe()}, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected {spec.describe()}, got {value!r}")
    if not spec.low <= value <= spec.high:  # also refuses nan and inf
        raise ValueError(f"must be {spec.describe()}, got {value!r}" + (f" ({spec.why})" if spec.why else ""))
    if spec.whole and int(value) != value:
        raise ValueError(f"expected {spec.describe()}, got {value!r}")
    return int(value) if spec.whole else float(value)


def _secret(value: Any) -> str:
    """The token, checked here because httpx cannot send anything but printable ASCII in a header.

    No message shows the value or any part of it: not a character, not a position, not a length.
    """
    if not isinstance(value, str):
        raise ValueError("expected text")
    token = value.strip()
    if any(ch.isspace() for ch in token):
        raise ValueError(TOKEN_HAS_SPACE)
    if not all("!" <= ch <= "~" for ch in token):
        raise ValueError(TOKEN_NOT_ASCII)
    return token


def _rules_file(path: Path) -> Path:
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give the rules file (a .toml file) or leave `rules` out")
    if not path.is_file():
        raise ValueError(
            f"no rules file at {path} (a relative path is read from the configuration file's folder; "
            "leave `rules` out to use the shipped rules)"
        )
    return path


def _profile_folders(paths: tuple[Path, ...]) -> tuple[Path, ...]:
    problems: list[tuple[str, str]] = []
    for path in paths:
        if path.is_file():
            problems.append(("", f"{path} is a file; give the folder that holds the CSV profiles (*.toml)"))
        elif not path.is_dir():
            problems.append(
                ("", f"no folder of CSV profiles at {path} (a relative path is read from the configuration "
                 "file's folder)")
            )  # fmt: skip
    if problems:
        raise _Problems(problems)
    return paths


def _encodings(value: Any) -> dict[str, str]:
    """[statements.encodings]: account -> the codec's own name; every bad entry named by its account."""
    if not isinstance(value, dict):
        raise ValueError(
            'expected a table of account = "encoding", such as [statements.encodings] '
            '"PL61 1090 1014 0000 0712 1981 2874" = "cp1250"'
        )
    pins: dict[str, str] = {}
    written: dict[str, str] = {}  # account -> the key it was first written as
    problems: list[tuple[str, str]] = []
    for key, name in value.items():
        sub = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
        account = normalise_account(key)
        try:
            if not account:
                raise ValueError("expected an account (an IBAN or the account as the statement writes it)")
            codec = _text_codec(name)
        except ValueError as exc:
            problems.append((sub, str(exc)))
            continue
        if account in pins and pins[account] != codec:
            first = json.dumps(written[account], ensure_ascii=False)
            problems.append(
                (sub, f"the same account as {first}, which is given {pins[account]!r}; keep one of them")
            )
            continue
        pins[account] = codec
        written.setdefault(account, key)
    if problems:
        raise _Problems(problems)
    return pins


def _text_codec(name: Any) -> str:
    if not isinstance(name, str):
        raise ValueError(f'expected the name of an encoding such as "cp1250", got {name!r}')
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, ValueError):  # ValueError: a name with a NUL in it
        raise ValueError(
            f"unknown encoding {name!r}; use a name Python knows, such as {_ENCODING_EXAMPLES}"
        ) from None
    # base64, rot13, zlib and the like are codecs but not text encodings: bytes.decode refuses them.
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"{name!r} is not a text encoding; use a name such as {_ENCODING_EXAMPLES}")
    return info.name


def find_config_file(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"the configuration file {explicit} does not exist", key="--config")
        return explicit
    if env.get("RECONCILE_CONFIG"):
        path = Path(env["RECONCILE_CONFIG"])
        if not path.is_file():
            raise ConfigError(f"the configuration file {path} does not exist", key="RECONCILE_CONFIG")
        return path
    local = Path("reconcile.toml")
    return local if local.is_file() else None


def load_settings(config: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the file, apply the environment, validate; report every problem at once."""
    env = os.environ if env is None else env
    path = find_config_file(config, env)
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML ({exc})", source=str(path)) from None
        except OSError as exc:
            raise ConfigError(f"cannot be read ({exc.strerror})", source=str(path)) from None
    base = path.parent if path is not None else Path(".")
    values: dict[str, Any] = {}
    problems: list[str] = []
    source = str(path) if path else "defaults"

    for section, body in raw.items():
        if section not in SCHEMA:
            problems.append(f"[{section}]: unknown section (known: {', '.join(SCHEMA)})")
            continue
        if not isinstance(body, dict):
            problems.append(f"{section}: expected a [{section}] table")
            continue
        for key, value in body.items():
            kind = SCHEMA[section].get(key)
            if kind is None:
                problems.append(f"{section}.{key}: unknown key (known: {', '.join(SCHEMA[section])})")
                continue
            try:
                values[_FIELD[(section, key)]] = _convert(kind, value, base)
            except ValueError as exc:
                problems += _named(f"{section}.{key}", exc)

    for var, (section, key) in ENV_KEYS.items():
        if var in env and env[var] != "":
            try:
                values[_FIELD[(section, key)]] = _convert(SCHEMA[section][key], env[var], Path("."))
            except ValueError as exc:
                problems += _named(var, exc)

    if problems:
        where = f"{path}: " if path else ""
        raise ConfigError(where + "; ".join(problems))
    return replace(Settings(), source=source, **values)


def _named(name: str, exc: ValueError) -> list[str]:
    """The problems in `exc`, each after the key (and sub-key) it is about."""
    if isinstance(exc, _Problems):
        return [f"{name}.{sub}: {message}" if sub else f"{name}: {message}" for sub, message in exc.problems]
    return [f"{name}: {exc}"]
