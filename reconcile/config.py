"""Settings: reconcile.toml, then the environment on top, validated, every bad key named.

Where the file comes from: --config, else RECONCILE_CONFIG, else ./reconcile.toml if present; none at
all is fine (defaults plus environment). The token is never printed: Settings.__repr__ hides it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from reconcile.errors import ConfigError
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


# key -> (section, name, kind); kinds: str, url, secret, float+, int+, path, paths, hhmm
_SCHEMA: dict[str, dict[str, str]] = {
    "flowtly": {
        "api_url": "url", "token": "secret", "timeout_seconds": "float+", "max_retries": "int0", "max_retry_seconds": "float+",
        "requests_per_second": "float+", "items_per_page": "int+", "lookback_days": "int+",
    },
    "store": {"database_url": "dburl"},
    "paths": {"inbox": "path", "reports": "path"},
    "matching": {"rules": "path", "csv_profiles": "paths"},
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
    ("schedule", "timezone"): "timezone",
}  # fmt: skip


def _convert(kind: str, value: Any, base: Path) -> Any:
    """Convert one value; raise ValueError with a message for a finance person's IT colleague."""
    if kind in ("str", "secret"):
        if not isinstance(value, str):
            raise ValueError("expected text")
        return value.strip()
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
    if kind in ("float+", "int+", "int0"):
        if isinstance(value, str):
            try:
                value = float(value) if kind == "float+" else int(value)
            except ValueError:
                raise ValueError(f"expected a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {value!r}")
        if kind != "float+" and int(value) != value:
            raise ValueError(f"expected a whole number, got {value!r}")
        if value < 0 or (value == 0 and kind != "int0"):
            raise ValueError(f"must be above 0, got {value!r}")
        return float(value) if kind == "float+" else int(value)
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
    if kind == "hhmm":
        if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
            raise ValueError(f"expected a time as HH:MM, got {value!r}")
        hh, mm = value.split(":")
        if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
            raise ValueError(f"expected a time as HH:MM, got {value!r}")
        return value
    raise AssertionError(kind)


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
        if section not in _SCHEMA:
            problems.append(f"[{section}]: unknown section (known: {', '.join(_SCHEMA)})")
            continue
        if not isinstance(body, dict):
            problems.append(f"{section}: expected a [{section}] table")
            continue
        for key, value in body.items():
            kind = _SCHEMA[section].get(key)
            if kind is None:
                problems.append(f"{section}.{key}: unknown key (known: {', '.join(_SCHEMA[section])})")
                continue
            try:
                values[_FIELD[(section, key)]] = _convert(kind, value, base)
            except ValueError as exc:
                problems.append(f"{section}.{key}: {exc}")

    for var, (section, key) in ENV_KEYS.items():
        if var in env and env[var] != "":
            try:
                values[_FIELD[(section, key)]] = _convert(_SCHEMA[section][key], env[var], Path("."))
            except ValueError as exc:
                problems.append(f"{var}: {exc}")

    if problems:
        where = f"{path}: " if path else ""
        raise ConfigError(where + "; ".join(problems))
    return replace(Settings(), source=source, **values)
