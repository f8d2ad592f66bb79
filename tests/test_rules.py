"""The shipped rules load, and a broken rules file reports every problem with its place."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from reconcile.errors import RulesError
from reconcile.matching.signals import DAYS, FRACTION, MONEY_LIMITS, MONEY_RANGES, SIGNALS, PairView
from reconcile.rules import default_rules_path, load_rules, parse_rules


def test_shipped_rules_load():
    rules = load_rules()
    assert [c.name for c in rules.comparisons] == ["reference", "amount", "payer", "account", "date"]
    assert rules.auto_post_requires == (("reference", "account"), ("amount",))


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


def test_every_condition_the_shipped_rules_name_is_a_registered_signal_with_its_parameters():
    for comparison in load_rules().comparisons:
        for level in comparison.levels:
            if level.when is not None:
                assert set(level.params) == set(SIGNALS[level.when].params), level.label


def test_the_shipped_rules_file_lists_every_signal_a_rules_file_may_name():
    header = default_rules_path().read_text(encoding="utf-8").split("\nversion")[0]
    listed = set(re.findall(r"\b([a-z]+(?:_[a-z]+)+)\b", header.split("Conditions (`when`):")[1]))
    parameters = {name for signal in SIGNALS.values() for name in signal.params}
    assert listed - parameters == set(SIGNALS)


def test_every_signal_builds_a_condition_and_explains_a_pair():
    pairs = pl.DataFrame({
        "ref_kind": ["invoice_number", None], "line_currency": ["PLN", "EUR"], "invoice_currency": ["PLN", "PLN"],
        "line_units": [1_000_000, 990_000], "open_units": [1_000_000, 1_000_000], "name_similarity": [0.95, None],
        "name_level": ["same name", None], "payer": ["ACME", None],
        "booking_date": [date(2026, 11, 2), date(2026, 11, 3)], "issue_date": [date(2026, 10, 1), None],
        "due_date": [date(2026, 10, 15), None], "iban_level": ["learned", None], "iban_count": [2, 0],
        "virtual_account": [False, True],
    })  # fmt: skip
    view = PairView("FV 1", "FV/1", Decimal("100.00"), "PLN", Decimal("100.00"), "PLN", "ACME", "Acme", 0.95,
                    date(2026, 11, 2), date(2026, 10, 1), date(2026, 10, 15))  # fmt: skip
    example = {FRACTION: 0.5, DAYS: 3, MONEY_LIMITS: {"PLN": Decimal("10.00")},
               MONEY_RANGES: {"PLN": (Decimal("1.00"), Decimal("5.00"))}}  # fmt: skip
    for signal in SIGNALS.values():
        params = {name: example[kind] for name, kind in signal.params.items()}
        assert pairs.select(signal.condition(params).alias("holds"))["holds"].dtype == pl.Boolean, signal.name
        assert isinstance(signal.explain(view), str)


def test_an_unknown_condition_is_refused_naming_the_known_ones():
    raw = tomllib.loads(default_rules_path().read_text(encoding="utf-8"))
    raw["comparisons"][0]["levels"][0]["when"] = "invoice_numbr"
    with pytest.raises(RulesError) as caught:
        parse_rules(raw, "custom.toml")
    assert "unknown condition 'invoice_numbr' (known: ksef_number, creditor_reference, invoice_number," in str(caught.value)
