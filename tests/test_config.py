"""Settings from reconcile.toml and the environment; bad values are named by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.config import load_settings
from reconcile.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reconcile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file_values_are_read_and_paths_are_relative_to_the_file(tmp_path):
    cfg = write(
        tmp_path,
        '[flowtly]\napi_url = "https://api.example.test/"\nlookback_days = 90\n'
        '[paths]\ninbox = "statements/in"\n',
    )
    s = load_settings(cfg, env={})
    assert s.api_url == "https://api.example.test"
    assert s.lookback_days == 90
    assert s.inbox == tmp_path / "statements/in"


def test_environment_overrides_the_file(tmp_path):
    cfg = write(tmp_path, '[flowtly]\ntoken = "from-file"\n')
    s = load_settings(cfg, env={"FLOWTLY_API_TOKEN": "from-env", "RECONCILE_DATABASE_URL": "sqlite:///x.db"})
    assert s.token == "from-env"
    assert s.database_url == "sqlite:///x.db"


def test_bad_values_are_named_by_key(tmp_path):
    cfg = write(tmp_path, '[flowtly]\napi_url = "ftp://x"\ntimeout_seconds = -1\n[paths]\ninbx = "a"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    msg = str(err.value)
    assert "flowtly.api_url: expected an http(s) URL" in msg
    assert "flowtly.timeout_seconds: must be above 0" in msg
    assert "paths.inbx: unknown key" in msg


def test_bad_environment_value_is_named_by_variable():
    with pytest.raises(ConfigError, match="RECONCILE_DATABASE_URL: unsupported database 'mysql'"):
        load_settings(None, env={"RECONCILE_DATABASE_URL": "mysql://db/x"})


def test_token_never_appears_in_repr():
    s = load_settings(None, env={"FLOWTLY_API_TOKEN": "s3cr3t-token"})
    assert "s3cr3t" not in repr(s)


def test_missing_explicit_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", env={})


def test_invalid_toml_names_the_file(tmp_path):
    cfg = write(tmp_path, "[flowtly\n")
    with pytest.raises(ConfigError, match=r"reconcile.toml: not valid TOML"):
        load_settings(cfg, env={})
