"""Matching rules: `rules/*.toml` loaded and validated into typed values.

Validation collects every problem and reports them together, each with its place in the file, so that a
person fixing a rules file fixes it once.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from reconcile.errors import RulesError
from reconcile.matching.ignore_rules import IgnoreRule, parse_ignore_rules
from reconcile.matching.signals import DAYS, FRACTION, MONEY_LIMITS, MONEY_RANGES, SIGNALS


@dataclass(frozen=True, slots=True)
class Level:
    label: str
    when: str | None  # None for the `else` level
    bayes_factor: float
    params: dict[str, Any]  # as the signal's kinds say (reconcile.matching.signals)


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]
    strong_levels: frozenset[str]

    @property
    def topic(self) -> str | None:
        """The signal whose explanation speaks for the comparison (that of its first condition)."""
        return next((level.when for level in self.levels if level.when), None)


@dataclass(frozen=True, slots=True)
class Rules:
    source: str
    prior_odds: float
    comparisons: tuple[Comparison, ...]
    auto_post_probability: float
    review_probability: float
    min_odds_ratio: float
    # Each group's comparisons: at least one of them must fire a strong level to post without a person.
    auto_post_requires: tuple[tuple[str, ...], ...]
    max_suggestions: int
    min_reference_length: int
    max_amount_candidates: int
    combined_max_invoices: int  # the most invoices one combined payment is searched for
    combined_search_invoices: int  # the most of one client's open invoices a combined search looks at
    ignore: tuple[IgnoreRule, ...] = ()  # money in that is not an invoice payment, in file order
    own_accounts: frozenset[str] = frozenset()  # our accounts besides those of the statements read


def default_rules_path() -> Path:
    """rules/default.toml beside the package in a checkout, or the copy inside an installed wheel."""
    checkout = Path(__file__).resolve().parent.parent / "rules" / "default.toml"
    if checkout.is_file():
        return checkout
    return Path(str(resources.files("reconcile") / "_rules" / "default.toml"))


def load_rules(path: Path | None = None) -> Rules:
    path = path or default_rules_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RulesError(path, ["the rules file does not exist"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(path, [f"not valid TOML ({exc})"]) from None
    return parse_rules(raw, str(path))


def _number(
    raw: dict[str, Any],
    key: str,
    where: str,
    problems: list[str],
    *,
    lo: float,
    hi: float,
    default: float | None = None,
) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{where}{key}: expected a number, got {value!r}")
        return default if default is not None else 0.0
    if not lo <= value <= hi:
        problems.append(f"{where}{key}: {value} is outside {lo}..{hi}")
    return float(value)


def _money(value: Any, where: str, problems: list[str]) -> Decimal | None:
    """An amount written as text ("35.00"): a float would not say the amount exactly."""
    try:
        amount = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        problems.append(f"{where}: expected an amount as text, like \"35.00\", got {value!r}")
        return None
    return amount


def _by_currency(raw: Any, where: str, problems: list[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table of currencies, like {{ EUR = ... }}")
        return {}
    for currency in raw:
        if not (len(currency) == 3 and currency.isascii() and currency.isalpha() and currency.isupper()):
            problems.append(f"{where}.{currency}: not a currency code (three capital letters, like EUR)")
    return raw


def _param(raw: dict[str, Any], name: str, kind: str, at: str, problems: list[str]) -> Any:
    """One parameter of a level, checked as its kind says."""
    if kind == FRACTION:
        return _number(raw, name, at, problems, lo=0, hi=1)
    if kind == DAYS:
        return int(_number(raw, name, at, problems, lo=0, hi=3650))
    table = _by_currency(raw.get(name), f"{at}{name}", problems)
    out: dict[str, Any] = {}
    for currency, value in table.items():
        where = f"{at}{name}.{currency}"
        if kind == MONEY_LIMITS:
            out[currency] = _money(value, where, problems)
        elif not isinstance(value, list) or len(value) != 2:
            problems.append(f"{where}: expected [least, most], like [\"0.50\", \"35.00\"]")
        else:
            least, most = (_money(v, where, problems) for v in value)
            if least is not None and most is not None and least > most:
                problems.append(f"{where}: the least ({least}) is more than the most ({most})")
            out[currency] = (least, most)
    assert kind in (MONEY_LIMITS, MONEY_RANGES), kind
    return out


def _levels(raw_levels: Any, where: str, problems: list[str]) -> tuple[Level, ...]:
    if not isinstance(raw_levels, list) or not raw_levels:
        problems.append(f"{where}levels: expected a non-empty list")
        return ()
    levels: list[Level] = []
    for i, raw in enumerate(raw_levels):
        at = f"{where}levels[{i}]."
        if not isinstance(raw, dict):
            problems.append(f"{at[:-1]}: expected a table")
            continue
        label = raw.get("label")
        if not isinstance(label, str) or not label:
            problems.append(f"{at}label: missing")
            label = f"level {i}"
        is_else = raw.get("else") is True
        when = raw.get("when")
        params: dict[str, Any] = {}
        if is_else:
            if when is not None:
                problems.append(f"{at}when: an `else` level has no condition")
            if i != len(raw_levels) - 1:
                problems.append(f"{at}else: only the last level can be `else`")
        elif when not in SIGNALS:
            problems.append(f"{at}when: unknown condition {when!r} (known: {', '.join(SIGNALS)})")
        else:
            for param, kind in SIGNALS[when].params.items():
                params[param] = _param(raw, param, kind, at, problems)
        bf = _number(raw, "bayes_factor", at, problems, lo=0, hi=1e9)
        if bf <= 0:
            problems.append(f"{at}bayes_factor: must be above 0")
        levels.append(Level(label=label, when=None if is_else else str(when), bayes_factor=bf, params=params))
    if levels and levels[-1].when is not None:
        problems.append(f"{where}levels: the last level must be `else = true`")
    return tuple(levels)


def parse_rules(raw: dict[str, Any], source: str) -> Rules:
    problems: list[str] = []
    if raw.get("version") != 1:
        problems.append(f"version: expected 1, got {raw.get('version')!r}")
    prior = _number(raw, "prior_odds", "", problems, lo=1e-9, hi=1e6, default=0.05)
    raw_decision = raw.get("decision")
    decision: dict[str, Any] = raw_decision if isinstance(raw_decision, dict) else {}
    if not raw.get("decision"):
        problems.append("decision: missing table [decision]")
    d = "decision."
    auto = _number(decision, "auto_post_probability", d, problems, lo=0.5, hi=1, default=0.99)
    review = _number(decision, "review_probability", d, problems, lo=0, hi=1, default=0.3)
    if review > auto:
        problems.append("decision.review_probability: must not exceed auto_post_probability")
    ratio = _number(decision, "min_odds_ratio", d, problems, lo=1, hi=1e9, default=100)
    max_sugg = int(_number(decision, "max_suggestions", d, problems, lo=1, hi=20, default=3))
    min_ref = int(_number(decision, "min_reference_length", d, problems, lo=1, hi=50, default=5))
    max_amt = int(_number(decision, "max_amount_candidates", d, problems, lo=1, hi=100000, default=50))
    combined_max = int(_number(decision, "combined_max_invoices", d, problems, lo=2, hi=12, default=6))
    combined_pool = int(_number(decision, "combined_search_invoices", d, problems, lo=2, hi=200, default=40))
    raw_requires = decision.get("auto_post_requires", [])
    requires: list[tuple[str, ...]] = []
    if isinstance(raw_requires, list):
        for entry in raw_requires:
            group = (entry,) if isinstance(entry, str) else tuple(entry) if isinstance(entry, list) else ()
            if group and all(isinstance(x, str) for x in group):
                requires.append(group)
                continue
            problems.append(
                f"decision.auto_post_requires: {entry!r} is neither a comparison name nor a list of them"
            )
    else:
        problems.append("decision.auto_post_requires: expected a list of comparison names")

    comparisons: list[Comparison] = []
    raw_comps = raw.get("comparisons")
    if not isinstance(raw_comps, list) or not raw_comps:
        problems.append("comparisons: expected at least one [[comparisons]] table")
        raw_comps = []
    for i, rc in enumerate(raw_comps):
        where = f"comparisons[{i}]."
        if not isinstance(rc, dict):
            problems.append(f"comparisons[{i}]: expected a table")
            continue
        name = rc.get("name")
        if not isinstance(name, str) or not name:
            problems.append(f"{where}name: missing")
            name = f"comparison {i}"
        levels = _levels(rc.get("levels"), f"comparisons[{i}] ({name}).", problems)
        strong = rc.get("strong_levels", [])
        labels = {lv.label for lv in levels}
        if not isinstance(strong, list):
            problems.append(f"{where}strong_levels: expected a list of level labels")
            strong = []
        for label in strong:
            if label not in labels:
                problems.append(f"{where}strong_levels: no level labelled {label!r}")
        comparisons.append(
            Comparison(
                name=name,
                description=str(rc.get("description", "")),
                levels=levels,
                strong_levels=frozenset(strong),
            )
        )
    names = [c.name for c in comparisons]
    for req in (name for group in requires for name in group):
        if req not in names:
            problems.append(f"decision.auto_post_requires: no comparison named {req!r}")
        elif not next(c for c in comparisons if c.name == req).strong_levels:
            problems.append(f"decision.auto_post_requires: comparison {req!r} has no strong_levels")
    ignore, own_accounts = parse_ignore_rules(raw.get("ignore"), raw.get("own_accounts"), problems)
    if problems:
        raise RulesError(source, problems)
    return Rules(
        source=source,
        prior_odds=prior,
        comparisons=tuple(comparisons),
        auto_post_probability=auto,
        review_probability=review,
        min_odds_ratio=ratio,
        auto_post_requires=tuple(requires),
        max_suggestions=max_sugg,
        min_reference_length=min_ref,
        max_amount_candidates=max_amt,
        combined_max_invoices=combined_max,
        combined_search_invoices=combined_pool,
        ignore=ignore,
        own_accounts=own_accounts,
    )
