"""The shipped rules load, and a broken rules file reports every problem with its place."""

from __future__ import annotations

import itertools
import re
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from reconcile.errors import RulesError
from reconcile.matching.signals import DAYS, FRACTION, MONEY_LIMITS, MONEY_RANGES, SIGNALS, PairView
from reconcile.rules import NeverMatch, PayerAlias, default_rules_path, load_rules, parse_rules


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
        "virtual_account": [False, True], "named_elsewhere": [0, 1], "charge_units": [None, 10_000],
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


# -- [[alias]] and [[never_match]] ---------------------------------------------------------------------------


def rules_file(tmp_path, tables: str) -> Path:
    """The shipped rules with these tables written after them, as a finance team would add them."""
    path = tmp_path / "rules.toml"
    path.write_text(default_rules_path().read_text(encoding="utf-8") + "\n" + tables, encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    return str(caught.value)


def test_the_shipped_rules_have_no_alias_and_no_pair_never_to_match():
    rules = load_rules()
    assert (rules.aliases, rules.never_match) == ((), ())


def test_aliases_and_pairs_never_to_match_are_read_with_the_iban_made_compact(tmp_path):
    rules = load_rules(rules_file(tmp_path, """
[[alias]]
payer = "BLUE HARBOUR HOLDINGS"
client = "Blue Harbor Trading LLC"
iban = "pl10 1050 0099 7603 1234 5678 9123"

[[alias]]
iban = "DE89370400440532013000"
client_iri = "/clients/9"

[[never_match]]
payer = "Jan Kowalski"
client = "Kowalski Jan Usługi Informatyczne"
reason = "another Jan Kowalski, a private person"

[[never_match]]
iban = "DE89 3704 0044 0532 0130 00"
client_iri = "/clients/2"
reason = "the accountant of client 9 only"
"""))
    assert rules.aliases == (
        PayerAlias("Blue Harbor Trading LLC", None, "BLUE HARBOUR HOLDINGS", "PL10105000997603123456789123"),
        PayerAlias(None, "/clients/9", None, "DE89370400440532013000"),
    )
    assert rules.never_match == (
        NeverMatch("Kowalski Jan Usługi Informatyczne", None, "another Jan Kowalski, a private person",
                   payer="Jan Kowalski"),
        NeverMatch(None, "/clients/2", "the accountant of client 9 only", iban="DE89370400440532013000"),
    )  # fmt: skip


def test_an_empty_payer_is_named_by_the_file_and_the_entry(tmp_path):
    path = rules_file(tmp_path, """
[[alias]]
payer = "BLUE HARBOUR HOLDINGS"
client = "Blue Harbor Trading LLC"

[[alias]]
payer = " "
client = "Blue Harbor Trading LLC"
""")
    assert refusal(path) == f"{path}: [[alias]] 2: `payer` is empty"


@pytest.mark.parametrize(
    ("tables", "problem"),
    [
        ('[[alias]]\nclient = "Acme"\n', "[[alias]] 1: no payer: give `payer` (a name as the bank writes it) or `iban`"),
        ('[[alias]]\npayer = "X Y"\n', "[[alias]] 1: no client: give `client` (the client's name, as in Flowtly) or "
                                        "`client_iri`"),
        ('[[alias]]\npayer = "X"\nclient = "Acme"\nclient_iri = "/clients/1"\n',
         "[[alias]] 1: give `client` (the client's name) or `client_iri`, not both"),
        ('[[alias]]\niban = "PL10 1050 0099 7603 1234 5678 9124"\nclient = "Acme"\n',
         "[[alias]] 1: `iban` 'PL10 1050 0099 7603 1234 5678 9124' is not a valid IBAN (check it against the "
         "statement)"),
        ('[[alias]]\npayer = "---"\nclient = "Acme"\n', "[[alias]] 1: `payer` '---' has no letter or digit to compare"),
        ('[[alias]]\npayer = 12\nclient = "Acme"\n', "[[alias]] 1: `payer` must be text, got 12"),
        ('[[alias]]\npayer = "X"\nclient = "Acme"\nclinet_iri = "/clients/1"\n',
         "[[alias]] 1: unknown key `clinet_iri` (known: payer, iban, client, client_iri)"),
        ('[[never_match]]\npayer = "X"\nclient = "Acme"\n',
         "[[never_match]] 1: `reason` is missing: say why, for whoever reads these rules next"),
        ('[[never_match]]\npayer = "X"\niban = "DE89370400440532013000"\nclient = "Acme"\nreason = "r"\n',
         "[[never_match]] 1: give `payer` or `iban`, not both: write one [[never_match]] for each"),
        ('[[never_match]]\npayer = "X"\nclient = "Acme"\nreason = ""\n', "[[never_match]] 1: `reason` is empty"),
    ],
)  # fmt: skip
def test_a_wrong_alias_or_pair_never_to_match_is_refused_with_its_place(tmp_path, tables, problem):
    path = rules_file(tmp_path, tables)
    assert refusal(path) == f"{path}: {problem}"


def test_every_wrong_entry_is_reported_at_once():
    raw = tomllib.loads(default_rules_path().read_text(encoding="utf-8"))
    raw["alias"] = [{"payer": "", "client": "Acme"}, {"iban": "XX", "client_iri": "/clients/1"}]
    raw["never_match"] = [{"client": "Acme", "reason": "r"}, "Acme"]
    with pytest.raises(RulesError) as caught:
        parse_rules(raw, "custom.toml")
    assert caught.value.problems == [
        "[[alias]] 1: `payer` is empty",
        "[[alias]] 2: `iban` 'XX' is not a valid IBAN (check it against the statement)",
        "[[never_match]] 1: no payer: give `payer` (a name as the bank writes it) or `iban`",
        "[[never_match]] 2: expected a table",
    ]


def test_an_alias_that_is_not_a_list_of_tables_is_refused():
    raw = tomllib.loads(default_rules_path().read_text(encoding="utf-8"))
    raw["alias"] = "BLUE HARBOUR HOLDINGS"
    with pytest.raises(RulesError) as caught:
        parse_rules(raw, "custom.toml")
    assert str(caught.value) == "custom.toml: alias: expected [[alias]] tables"


def test_a_pair_both_an_alias_and_never_to_match_is_a_contradiction(tmp_path):
    path = rules_file(tmp_path, """
[[alias]]
payer = "BLUE HARBOUR HOLDINGS INC"
client = "Blue Harbor Trading LLC"

[[never_match]]
payer = "Blue Harbour Holdings"
client = "BLUE HARBOR TRADING"
reason = "changed our mind"
""")
    assert refusal(path) == f"{path}: [[never_match]] 1: contradicts [[alias]] 1, which names the same payer and client"


def test_the_shipped_rules_file_documents_aliases_and_pairs_never_to_match_with_an_example_that_loads():
    shipped = default_rules_path().read_text(encoding="utf-8")
    lines = shipped[shipped.index("#   [[alias]]") :].splitlines()
    example = [line.removeprefix("#").removeprefix("   ") for line in itertools.takewhile(lambda x: x.startswith("#"), lines)]
    raw = tomllib.loads(shipped)
    raw.update(tomllib.loads("\n".join(example)))
    rules = parse_rules(raw, "example")
    assert len(rules.aliases) == 1 and len(rules.never_match) == 1
