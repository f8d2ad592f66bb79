"""Money in that is not an invoice payment is set aside by the [[ignore]] rules, each line with its rule;
a mistake in the rules is reported with its place, and a client's payment is never caught."""

from __future__ import annotations

import dataclasses
import tomllib
from typing import Any

import pytest

from reconcile.matching.ignore_rules import IgnoreRule, ignored_by_rules, parse_ignore_rules
from reconcile.matching.tables import frames
from reconcile.model import BankLine
from reconcile.rules import default_rules_path
from tests.factories import line

OURS = "PL61109010140000071219812874"  # the account the test lines are booked on
CLIENT_IBAN = "PL61109010140000071219812875"  # one digit from ours: a client's, not ours
SAVINGS = "PL27114020040000300201355387"  # ours, but no line of the batch is booked on it

CARD_AND_INTEREST = """
[[ignore]]
name = "card settlement"
description = "a card acquirer's payout of card sales"
bank_tx_codes = ["PMNT/MCRD"]

[[ignore]]
name = "interest"
description = "interest credited by the bank"
bank_tx_codes = ["NINT", "ACMT/*/INTR"]
"""


def parse(text: str) -> tuple[tuple[IgnoreRule, ...], frozenset[str], list[str]]:
    raw = tomllib.loads(text)
    problems: list[str] = []
    rules, own_accounts = parse_ignore_rules(raw.get("ignore"), raw.get("own_accounts"), problems)
    return rules, own_accounts, problems


def rules_of(text: str) -> tuple[IgnoreRule, ...]:
    rules, _, problems = parse(text)
    assert problems == []
    return rules


def credit(ref: str, code: str | None, title: str = "", **fields: Any) -> BankLine:
    """A line of money in, named by its bank reference; `amount`, `payer`, `iban`, `account` as in
    tests.factories.line."""
    return dataclasses.replace(
        line(fields.pop("amount", "100.00"), title, ref=ref, **fields), bank_tx_code=code
    )


def ignored(
    lines: list[BankLine], rules: tuple[IgnoreRule, ...], own_accounts: frozenset[str] = frozenset()
) -> dict[str | None, str]:
    """The rule that caught each line, by the line's bank reference (lines no rule caught are absent)."""
    refs = {ln.line_id: ln.bank_ref for ln in lines}
    table, _ = frames(lines, [])
    return {
        refs[row["line_id"]]: row["rule"]
        for row in ignored_by_rules(table, rules, own_accounts).iter_rows(named=True)
    }


def the_default_rules() -> tuple[IgnoreRule, ...]:
    """The [[ignore]] rules of the shipped rules file (none before they are added to it)."""
    raw = tomllib.loads(default_rules_path().read_text(encoding="utf-8"))
    problems: list[str] = []
    rules, _ = parse_ignore_rules(raw.get("ignore"), raw.get("own_accounts"), problems)
    return rules


def an_example_of(code: str) -> str:
    """A bank's code that the pattern `code` matches: each "*" part given a value."""
    return "/".join("OTHR" if part == "*" else part for part in code.split("/"))


# -- reading the rules ---------------------------------------------------------------------------------


def test_rules_are_read_into_values_and_own_accounts_compacted():
    rules, own_accounts, problems = parse(
        'own_accounts = ["pl27 1140 2004 0000 3002 0135 5387"]\n'
        + CARD_AND_INTEREST
        + """
[[ignore]]
name = "own transfer"
description = "a transfer from another of our own accounts"
own_account = true
"""
    )
    assert problems == []
    assert rules[1] == IgnoreRule("interest", "interest credited by the bank", ("NINT", "ACMT/*/INTR"))
    assert rules[2].own_account
    assert own_accounts == frozenset({SAVINGS})


def test_a_file_without_ignore_rules_has_none():
    assert parse("version = 1") == ((), frozenset(), [])


def test_a_bad_regular_expression_is_reported_with_its_place():
    _, _, problems = parse(CARD_AND_INTEREST + '[[ignore]]\nname = "refund"\ntext = "(zwrot"\n')
    assert problems == ["ignore[2].text: not a valid regular expression (unclosed group)"]


def test_an_unknown_key_is_reported_with_its_place():
    _, _, problems = parse('[[ignore]]\nname = "interest"\nbank_tx_code = ["NINT"]\n')
    assert problems[0] == (
        "ignore[0].bank_tx_code: unknown key (known: name, description, bank_tx_codes, text, own_account)"
    )


def test_a_rule_without_a_condition_is_reported_and_left_out():
    rules, _, problems = parse('[[ignore]]\nname = "everything"\nown_account = false\n')
    assert problems == ["ignore[0]: no condition: give bank_tx_codes, text or own_account = true"]
    assert rules == ()


def test_own_accounts_must_be_a_list_of_ibans():
    assert parse(f'own_accounts = "{SAVINGS}"')[2] == [
        'own_accounts: expected a list of our IBANs, like ["PL61 1090 1014 0000 0712 1981 2874"]'
    ]
    assert parse(f'own_accounts = ["{SAVINGS}", "PL27 1140 2004 0000 3002 0135 5388"]')[2] == [
        "own_accounts[1]: 'PL27 1140 2004 0000 3002 0135 5388' is not a valid IBAN"
    ]


def test_every_mistake_is_reported_at_once():
    _, _, problems = parse(
        """
[[ignore]]
description = "no name"
bank_tx_codes = "NINT"

[[ignore]]
name = "cards"
bank_tx_codes = ["PMNT//MCRD", "PMNT/MC*"]
own_account = "yes"

[[ignore]]
name = "cards"
text = "card"
"""
    )
    assert problems == [
        'ignore[0].name: missing (the name reports show, like "interest")',
        'ignore[0].bank_tx_codes: expected a non-empty list of codes, like ["PMNT/MCRD", "NINT"]',
        "ignore[1].own_account: expected true or false, got 'yes'",
        "ignore[1].bank_tx_codes: 'PMNT//MCRD' has an empty part (parts are separated by one \"/\")",
        'ignore[1].bank_tx_codes: in \'PMNT/MC*\', "*" must stand for a whole part, like "ACMT/*/INTR"',
    ]


def test_two_rules_of_one_name_are_reported():
    _, _, problems = parse(CARD_AND_INTEREST.replace("card settlement", "interest"))
    assert problems == ["ignore[1].name: 'interest' is already the name of ignore[0]"]


# -- catching lines ------------------------------------------------------------------------------------


def test_a_code_matches_by_its_whole_leading_parts_ignoring_case():
    lines = [
        credit("payout", "PMNT/MCRD/POSP"),
        credit("payout, lower case", "pmnt/mcrd/posp"),
        credit("another family", "PMNT/MCRDX/POSP"),
        credit("interest", "NINT"),
        credit("interest with its GVC", "NINT/805"),
        credit("German proprietary code", "NINT+805+9310+000"),
        credit("another type", "NINTX"),
        credit("any family", "ACMT/MCOP/INTR"),
        credit("another sub-family", "ACMT/MCOP/CHRG"),
        credit("no code", None),
    ]
    assert ignored(lines, rules_of(CARD_AND_INTEREST)) == {
        "payout": "card settlement",
        "payout, lower case": "card settlement",
        "interest": "interest",
        "interest with its GVC": "interest",
        "German proprietary code": "interest",
        "any family": "interest",
    }


def test_text_is_searched_in_the_title_and_the_payers_name_ignoring_case():
    rules = rules_of('[[ignore]]\nname = "deposit interest"\ntext = "^odsetki od lokaty"\n')
    lines = [
        credit("title", "FTRF/844", "ODSETKI OD LOKATY NR 101000022086"),
        credit("name", "FTRF/844", payer="Odsetki od lokaty"),
        credit("client", "NTRF/166", "FV/2026/11/0042 odsetki od lokaty"),
    ]
    assert ignored(lines, rules) == {"title": "deposit interest", "name": "deposit interest"}


def test_a_rule_catches_a_line_only_when_all_its_conditions_hold():
    rules = rules_of(
        '[[ignore]]\nname = "deposit interest"\nbank_tx_codes = ["FTRF/844"]\ntext = "odsetki"\n'
    )
    lines = [
        credit("both", "FTRF/844", "Odsetki od lokaty"),
        credit("code only", "FTRF/844", "Lokata nr 101000022086"),
        credit("text only", "PMNT/RCDT/ESCT", "Odsetki za zwloke FV/2026/01/0001"),
    ]
    assert ignored(lines, rules) == {"both": "deposit interest"}


OWN_TRANSFER = '[[ignore]]\nname = "own transfer"\nown_account = true\n'


def test_a_transfer_from_an_account_of_the_batch_is_an_own_transfer():
    lines = [
        credit("from savings", "PMNT/RCDT/ESCT", "przelew wlasny", iban=OURS, account=SAVINGS),
        credit("on savings", "PMNT/RCDT/ESCT", "FV/2026/11/0042", iban=CLIENT_IBAN),
    ]
    assert ignored(lines, rules_of(OWN_TRANSFER)) == {"from savings": "own transfer"}


def test_a_transfer_from_a_listed_own_account_is_an_own_transfer():
    rules, own_accounts, _ = parse(f'own_accounts = ["{SAVINGS}"]\n' + OWN_TRANSFER)
    lines = [
        credit("from savings", "NTRF/166", "Umbuchung", iban="pl27 1140 2004 0000 3002 0135 5387"),
        credit("from a client", "NTRF/166", "FV/2026/11/0042", iban=CLIENT_IBAN),
        credit("no payer's account", "NTRF/166", "FV/2026/11/0043"),
    ]
    assert ignored(lines, rules, own_accounts) == {"from savings": "own transfer"}


def test_money_out_never_appears():
    rules = rules_of(CARD_AND_INTEREST + OWN_TRANSFER)
    lines = [
        credit("interest charged", "NINT", amount="-12.40"),
        credit("to savings", "PMNT/ICDT/ESCT", iban=SAVINGS, amount="-500.00"),
        credit("nothing", "NINT", amount="0.00"),
    ]
    assert ignored(lines, rules, frozenset({SAVINGS})) == {}


def test_the_first_rule_that_catches_a_line_wins():
    rules = rules_of(OWN_TRANSFER + CARD_AND_INTEREST)
    lines = [credit("interest on savings", "ACMT/MCOP/INTR", iban=OURS), credit("interest", "ACMT/MCOP/INTR")]
    assert ignored(lines, rules) == {"interest on savings": "own transfer", "interest": "interest"}
    assert ignored(lines, rules[1:] + rules[:1]) == {
        "interest on savings": "interest",
        "interest": "interest",
    }


def test_the_note_tells_a_person_why_and_names_the_rule():
    table, _ = frames([credit("interest", "NINT")], [])
    result = ignored_by_rules(table, rules_of(CARD_AND_INTEREST), frozenset())
    assert result.columns == ["line_id", "rule", "note"]
    assert result["note"].to_list() == [
        "not an invoice payment: interest credited by the bank (rule 'interest')"
    ]


def test_without_rules_nothing_is_ignored():
    table, _ = frames([credit("interest", "NINT", iban=OURS)], [])
    assert ignored_by_rules(table, (), frozenset()).is_empty()


# -- the shipped rules ---------------------------------------------------------------------------------


def test_default_rules_file_ignore_rules_parse():
    raw = tomllib.loads(default_rules_path().read_text(encoding="utf-8"))
    problems: list[str] = []
    rules, _ = parse_ignore_rules(raw.get("ignore"), raw.get("own_accounts"), problems)
    assert problems == []
    assert len(rules) >= 4


DEFAULT_CODES = [(rule.name, code) for rule in the_default_rules() for code in rule.bank_tx_codes]


@pytest.mark.parametrize(("name", "code"), DEFAULT_CODES)
def test_each_default_code_is_caught_by_its_rule(name, code):
    """Also that no earlier rule shadows it: the rules are in an order where each code reaches its own."""
    lines = [credit("line", an_example_of(code), "FV/2026/11/0042", iban=CLIENT_IBAN)]
    assert ignored(lines, the_default_rules()) == {"line": name}


@pytest.mark.parametrize(
    "code", ["PMNT/RCDT/ESCT", "PMNT/RCDT/BOOK", "NTRF/166", "N051/051", "CREDIT", "195", "TRANSFER"]
)
def test_default_rules_leave_a_client_payment_alone_whatever_its_title_says(code):
    """A client's transfer whose title uses the words of every default rule (a late-interest note, a fee
    passed on, a card or a loan mentioned) is still a payment of an invoice."""
    titles = [f"FV/2026/01/0007 {rule.name}: {rule.description}" for rule in the_default_rules()]
    titles.append("late interest FV/2026/01/0007")
    lines = [
        credit(title, code, title, payer="ACME LOGISTICS SP Z O O", iban=CLIENT_IBAN) for title in titles
    ]
    assert ignored(lines, the_default_rules()) == {}
