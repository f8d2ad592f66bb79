"""Settings from reconcile.toml and the environment; bad values are named by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.config import SCHEMA, Number, Settings, load_settings
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
    assert "flowtly.timeout_seconds: must be a number of seconds from 1 to 300, got -1" in msg
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


# -- the token: checked when read, never shown -------------------------------------------------------

TOKEN_HAS_SPACE = (
    "has a space or line break inside (a token is one unbroken run of letters, digits and punctuation); "
    "copy it again from your Flowtly workspace, on one line"
)
TOKEN_NOT_ASCII = (
    "contains a character that is not printable ASCII (a token is letters, digits and punctuation; check "
    "for a typographic quote, a long dash or an invisible character picked up when pasting); copy it again "
    "from your Flowtly workspace"
)


def test_a_token_with_a_non_ascii_character_is_refused_by_its_variable():
    with pytest.raises(ConfigError) as err:
        load_settings(None, env={"FLOWTLY_API_TOKEN": "canary-7f3a-żółć"})
    assert str(err.value) == f"FLOWTLY_API_TOKEN: {TOKEN_NOT_ASCII}"


def test_a_token_with_a_line_break_inside_is_refused_by_its_key(tmp_path):
    cfg = write(tmp_path, '[flowtly]\ntoken = "canary-7f3a\\nsecond-line"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    assert str(err.value) == f"{cfg}: flowtly.token: {TOKEN_HAS_SPACE}"


@pytest.mark.parametrize(
    "token",
    [
        "canary-7f3a\nsecond-line",
        "canary-7f3a\r\nsecond-line",
        "canary-7f3a second-half",
        "canary-7f3a\tsecond-half",
        "canary-7f3a\u00a0second-half",  # a no-break space from a web page
        "canary-7f3a-żółć",
        "“canary-7f3a”",  # typographic quotes from a mail or a document
        "canary-7f3a\x00tail",
        "canary-7f3a\x7ftail",
    ],
)
def test_a_malformed_token_is_refused_in_one_line_that_shows_nothing_of_it(token):
    with pytest.raises(ConfigError) as err:
        load_settings(None, env={"FLOWTLY_API_TOKEN": token})
    msg = str(err.value)
    assert msg in (f"FLOWTLY_API_TOKEN: {TOKEN_HAS_SPACE}", f"FLOWTLY_API_TOKEN: {TOKEN_NOT_ASCII}")
    for shown in (token, repr(token), token.encode("unicode_escape").decode(), "canary", "7f3a", "tail"):
        assert shown not in msg


def test_whitespace_around_the_token_is_still_stripped():
    s = load_settings(None, env={"FLOWTLY_API_TOKEN": "  abc.DEF-123_~!\n"})
    assert s.token == "abc.DEF-123_~!"


# -- numbers: each within a documented range ----------------------------------------------------------


def test_a_page_size_flowtly_does_not_honour_is_refused_with_the_range(tmp_path):
    cfg = write(tmp_path, "[flowtly]\nitems_per_page = 100000\n")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    assert str(err.value) == (
        f"{cfg}: flowtly.items_per_page: must be a whole number of items from 1 to 100, got 100000 "
        "(Flowtly serves at most 100 items a page, so a larger page is never honoured)"
    )


@pytest.mark.parametrize(
    ("key", "too_low", "lowest", "highest", "too_high", "expected"),
    [
        ("timeout_seconds", 0.5, 1, 300, 301, "a number of seconds from 1 to 300"),
        ("max_retries", -1, 0, 20, 21, "a whole number of retries from 0 to 20"),
        ("max_retry_seconds", 0, 1, 3600, 3601, "a number of seconds from 1 to 3600"),
        ("requests_per_second", 0.05, 0.1, 100, 101, "a number of requests per second from 0.1 to 100"),
        ("items_per_page", 0, 1, 100, 101, "a whole number of items from 1 to 100"),
        ("lookback_days", 0, 1, 36525, 36526, "a whole number of days from 1 to 36525"),
    ],
)
def test_each_number_is_accepted_within_its_range_and_refused_outside_it(
    tmp_path, key, too_low, lowest, highest, too_high, expected
):
    for ok in (lowest, highest):
        assert getattr(load_settings(write(tmp_path, f"[flowtly]\n{key} = {ok}\n"), env={}), key) == ok
    for bad in (too_low, too_high):
        with pytest.raises(ConfigError) as err:
            load_settings(write(tmp_path, f"[flowtly]\n{key} = {bad}\n"), env={})
        assert f"flowtly.{key}: must be {expected}, got {bad}" in str(err.value)


def test_the_defaults_lie_within_their_ranges():
    defaults = Settings()
    for key in ("timeout_seconds", "max_retries", "max_retry_seconds", "requests_per_second",
                "items_per_page", "lookback_days"):  # fmt: skip
        spec = SCHEMA["flowtly"][key]
        assert isinstance(spec, Number)
        assert spec.low <= getattr(defaults, key) <= spec.high, key


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "2.5", "true", '"ten"'])
def test_a_number_that_is_not_a_count_is_refused_not_a_crash(tmp_path, value):
    cfg = write(tmp_path, f"[flowtly]\nmax_retries = {value}\n")
    with pytest.raises(ConfigError, match=r"flowtly\.max_retries: (must be|expected) a whole number"):
        load_settings(cfg, env={})


# -- files the configuration names exist --------------------------------------------------------------


def test_a_missing_rules_file_is_reported_with_the_other_problems(tmp_path):
    cfg = write(tmp_path, '[flowtly]\ntimeout_seconds = -1\n[matching]\nrules = "nope.toml"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    msg = str(err.value)
    assert "flowtly.timeout_seconds: must be a number of seconds from 1 to 300, got -1" in msg
    assert (
        f"matching.rules: no rules file at {tmp_path / 'nope.toml'} (a relative path is read from the "
        "configuration file's folder; leave `rules` out to use the shipped rules)"
    ) in msg


def test_a_folder_given_as_the_rules_file_is_refused(tmp_path):
    (tmp_path / "rules").mkdir()
    cfg = write(tmp_path, '[matching]\nrules = "rules"\n')
    with pytest.raises(ConfigError, match=r"matching\.rules: .*rules is a folder; give the rules file"):
        load_settings(cfg, env={})


def test_missing_csv_profile_folders_are_each_reported(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "a-file.toml").write_text("", encoding="utf-8")
    cfg = write(tmp_path, '[matching]\ncsv_profiles = ["mine", "gone", "a-file.toml"]\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    msg = str(err.value)
    assert (
        f"matching.csv_profiles: no folder of CSV profiles at {tmp_path / 'gone'} (a relative path is read "
        "from the configuration file's folder)"
    ) in msg
    assert (
        f"matching.csv_profiles: {tmp_path / 'a-file.toml'} is a file; give the folder that holds the CSV "
        "profiles (*.toml)"
    ) in msg
    assert "mine" not in msg.replace(str(tmp_path), "")


def test_an_existing_rules_file_and_profile_folder_are_accepted(tmp_path):
    (tmp_path / "rules.toml").write_text("", encoding="utf-8")
    (tmp_path / "profiles").mkdir()
    cfg = write(tmp_path, '[matching]\nrules = "rules.toml"\ncsv_profiles = "profiles"\n')
    s = load_settings(cfg, env={})
    assert (s.rules, s.csv_profiles) == (tmp_path / "rules.toml", (tmp_path / "profiles",))


# -- [statements.encodings] ----------------------------------------------------------------------------


def test_statement_encodings_are_keyed_by_the_account_without_spaces_and_named_as_python_does(tmp_path):
    cfg = write(
        tmp_path,
        "[statements.encodings]\n"
        '"PL61 1090 1014 0000 0712 1981 2874" = "windows-1250"\n'
        'de89370400440532013000 = "Latin-1"\n'
        '"12345678" = "UTF8"\n',
    )
    s = load_settings(cfg, env={})
    assert s.encodings == {
        "PL61109010140000071219812874": "cp1250",
        "DE89370400440532013000": "iso8859-1",
        "12345678": "utf-8",
    }


def test_statement_encodings_default_to_none():
    assert load_settings(None, env={}).encodings == {}


def test_unknown_and_non_text_encodings_are_reported_with_their_account(tmp_path):
    cfg = write(
        tmp_path,
        "[statements.encodings]\n"
        '"PL61 1090 1014 0000 0712 1981 2874" = "cp9999"\n'
        'DE89370400440532013000 = "base64"\n'
        "NL91ABNA0417164300 = 1250\n"
        '"PL61109010140000071219812874" = "cp1250"\n',
    )
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    assert str(err.value) == (
        f"{cfg}: "
        "statements.encodings.\"PL61 1090 1014 0000 0712 1981 2874\": unknown encoding 'cp9999'; use a name "
        'Python knows, such as "cp1250", "iso8859-2" or "utf-8"; '
        "statements.encodings.DE89370400440532013000: 'base64' is not a text encoding; use a name such as "
        '"cp1250", "iso8859-2" or "utf-8"; '
        'statements.encodings.NL91ABNA0417164300: expected the name of an encoding such as "cp1250", got 1250'
    )


def test_one_account_written_two_ways_with_two_encodings_is_refused(tmp_path):
    cfg = write(
        tmp_path,
        "[statements.encodings]\n"
        '"PL61 1090 1014 0000 0712 1981 2874" = "cp1250"\n'
        '"pl61109010140000071219812874" = "utf-8"\n',
    )
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    assert str(err.value) == (
        f"{cfg}: statements.encodings.pl61109010140000071219812874: the same account as "
        "\"PL61 1090 1014 0000 0712 1981 2874\", which is given 'cp1250'; keep one of them"
    )


def test_statement_encodings_must_be_a_table(tmp_path):
    cfg = write(tmp_path, '[statements]\nencodings = "cp1250"\n')
    with pytest.raises(
        ConfigError, match=r"statements\.encodings: expected a table of account = \"encoding\""
    ):
        load_settings(cfg, env={})
