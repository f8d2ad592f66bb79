"""The shipped rules load, and a broken rules file reports every problem with its place."""

from __future__ import annotations

import tomllib

import pytest

from reconcile.errors import RulesError
from reconcile.rules import default_rules_path, load_rules, parse_rules


def test_shipped_rules_load():
    rules = load_rules()
    assert [c.name for c in rules.comparisons] == ["reference", "amount", "payer"]
    assert rules.auto_post_requires == ("reference", "amount")


def test_every_problem_is_reported_at_once():
    raw = tomllib.loads(default_rules_path().read_text())
    raw["decision"]["auto_post_probability"] = 2
    raw["comparisons"][0]["levels"][0]["when"] = "telepathy"
    raw["comparisons"][2]["levels"].pop()  # no else level any more
    with pytest.raises(RulesError) as err:
        parse_rules(raw, "custom.toml")
    problems = err.value.problems
    assert "decision.auto_post_probability: 2 is outside 0.5..1" in problems
    assert any(
        "comparisons[0] (reference).levels[0].when: unknown condition 'telepathy'" in p for p in problems
    )
    assert "comparisons[2] (payer).levels: the last level must be `else = true`" in problems
    assert str(err.value).startswith("custom.toml: ")


def test_missing_rules_file_is_named(tmp_path):
    with pytest.raises(RulesError, match=r"nope\.toml: the rules file does not exist"):
        load_rules(tmp_path / "nope.toml")
