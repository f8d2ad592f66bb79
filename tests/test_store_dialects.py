"""What needs no database server: choosing the backend from the URL, the `?` placeholders written once for
both dialects, and URLs shown with their password masked."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from reconcile.errors import ConfigError, StoreError
from reconcile.store.db import mask_url, open_database, pyformat
from reconcile.store.sqlite import SQLiteDatabase

STORE = Path(__file__).resolve().parents[1] / "reconcile" / "store"


# -- choosing the backend ------------------------------------------------------------------------------


def test_a_sqlite_url_opens_the_file_it_names(tmp_path):
    db = open_database(f"sqlite:///{tmp_path}/state.sqlite")
    try:
        assert isinstance(db, SQLiteDatabase)
        assert db.path == tmp_path / "state.sqlite"
    finally:
        db.close()


def test_an_unknown_database_is_refused_with_the_ones_we_know(tmp_path):
    with pytest.raises(
        ConfigError, match=r"unsupported database 'mysql' in mysql://u:\*\*\*@db/x; use sqlite"
    ):
        open_database("mysql://u:hunter2@db/x")


def test_a_postgresql_url_without_psycopg_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # None in sys.modules makes `import psycopg` fail
    monkeypatch.delitem(sys.modules, "reconcile.store.postgres", raising=False)
    with pytest.raises(StoreError) as caught:
        open_database("postgres://clerk:hunter2@db.example.com:5432/books")
    message = str(caught.value)
    assert (
        "postgres://clerk:***@db.example.com:5432/books is PostgreSQL, but psycopg is not installed"
        in message
    )
    assert "pip install 'psycopg[binary]'" in message
    assert "hunter2" not in message


def test_a_refused_connection_names_host_and_database_but_not_the_password():
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    with pytest.raises(StoreError) as caught:
        open_database("postgresql://clerk:hunter2@127.0.0.1:1/books?connect_timeout=3")
    message = str(caught.value)
    assert message.startswith(
        "cannot connect to the state database postgresql://clerk:***@127.0.0.1:1/books?connect_timeout=3: "
    )
    assert "Connection refused" in message
    assert "hunter2" not in message and "hunter2" not in repr(caught.value)
    assert (caught.value.__cause__, caught.value.__context__) == (None, None)


# -- placeholders --------------------------------------------------------------------------------------


def test_question_marks_become_psycopg_placeholders():
    assert pyformat("SELECT * FROM postings WHERE line_id = ? AND state IN ('pending', ?)") == (
        "SELECT * FROM postings WHERE line_id = %s AND state IN ('pending', %s)"
    )


def test_a_percent_sign_stays_a_percent_sign():
    assert pyformat("SELECT * FROM bank_lines WHERE remittance LIKE '%FV%' AND amount = ?") == (
        "SELECT * FROM bank_lines WHERE remittance LIKE '%%FV%%' AND amount = %s"
    )


def test_a_question_mark_inside_a_string_literal_is_refused():
    with pytest.raises(ValueError, match="inside a string literal"):
        pyformat("UPDATE bank_lines SET remittance = 'why?' WHERE line_id = ?")


def test_an_escaped_quote_does_not_confuse_the_literal_check():
    assert pyformat("SELECT 'it''s' AS note, ? AS line_id") == "SELECT 'it''s' AS note, %s AS line_id"


SQL_VERBS = {"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "WITH"}


def test_no_sql_in_the_store_has_a_question_mark_inside_a_string_literal():
    """Checked in the source too, so SQLite-only runs catch what only PostgreSQL would trip on."""
    checked = 0
    for module in sorted(STORE.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            first_word = node.value.split(None, 1)[0].upper() if node.value.strip() else ""
            if first_word in SQL_VERBS:
                checked += 1
                literals = node.value.split("'")[1::2]
                assert not any("?" in lit for lit in literals), f"{module.name}:{node.lineno}: {node.value}"
    assert checked > 20  # the scan does see the store's SQL


# -- URLs shown to people ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://clerk:hunter2@db:5432/books", "postgresql://clerk:***@db:5432/books"),
        ("postgres://clerk:p%40ss@db/books", "postgres://clerk:***@db/books"),
        ("postgresql://clerk@db/books?password=hunter2&sslmode=require",
         "postgresql://clerk@db/books?password=***&sslmode=require"),
        ("postgresql:///books?host=/run/postgresql", "postgresql:///books?host=/run/postgresql"),
        ("postgresql://clerk@db1:5432,db2:5432/books", "postgresql://clerk@db1:5432,db2:5432/books"),
        ("sqlite:///data/reconcile.sqlite", "sqlite:///data/reconcile.sqlite"),
        ("data/reconcile.sqlite", "data/reconcile.sqlite"),
    ],
)  # fmt: skip
def test_urls_are_shown_with_the_password_masked(url, shown):
    assert mask_url(url) == shown
