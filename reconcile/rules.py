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
from reconcile.matching.names import payer_key
from reconcile.matching.signals import DAYS, FRACTION, MONEY_LIMITS, MONEY_RANGES, SIGNALS
from reconcile.statements.mt940_details import iban_or_none


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
class PayerAlias:
    """`[[alias]]`: a payer that pays for a client under another name, or from an account of its own.

    The client is given by its name (compared as reconcile.matching.names.payer_key folds names) or by its
    IRI in Flowtly. `payer` counts as the client's own name (the payer comparison finds the same name);
    `iban` counts as an IBAN confirmed for the client before (reconcile.matching.payer_lists.with_aliases).
    """

    client: str | None
    client_iri: str | None
    payer: str | None = None
    iban: str | None = None  # compact and valid (reconcile.statements.mt940_details.iban_or_none)


@dataclass(frozen=True, slots=True)
class NeverMatch:
    """`[[never_match]]`: a payer (by name or by IBAN) whose payments are never a client's; such pairs are
    dropped before scoring, so they are neither posted nor suggested."""

    client: str | None
    client_iri: str | None
    reason: str
    payer: str | None = None
    iban: str | None = None


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
    aliases: tuple[PayerAlias, ...] = ()  # payers that pay for a client under another name or account
    never_match: tuple[NeverMatch, ...] = ()  # payer and client pairs that are never a match


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


_ALIAS_KEYS = ("payer", "iban", "client", "client_iri")
_NEVER_KEYS = (*_ALIAS_KEYS, "reason")


def _tables(raw: Any, name: str, problems: list[str]) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(f"{name}: expected [[{name}]] tables")
        return []
    return raw


def _text(table: dict[str, Any], key: str, where: str, problems: list[str]) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"{where}: `{key}` must be text, got {value!r}")
        return None
    if not value.strip():
        problems.append(f"{where}: `{key}` is empty")
        return None
    return value.strip()


def _payer_entry(
    table: Any, where: str, known: tuple[str, ...], problems: list[str]
) -> dict[str, str | None] | None:
    """The fields of one [[alias]] or [[never_match]] table, checked (the IBAN made compact); None when the
    entry has a mistake: an entry read otherwise than written could drop a true match."""
    before = len(problems)
    if not isinstance(table, dict):
        problems.append(f"{where}: expected a table")
        return None
    for key in sorted(table.keys() - set(known)):
        problems.append(f"{where}: unknown key `{key}` (known: {', '.join(known)})")
    fields = {key: _text(table, key, where, problems) for key in known}
    for key in ("payer", "client"):
        value = fields[key]
        if value and not payer_key(value):
            problems.append(f"{where}: `{key}` {value!r} has no letter or digit to compare")
    if fields["iban"]:
        compact = iban_or_none(fields["iban"])
        if compact is None:
            problems.append(
                f"{where}: `iban` {fields['iban']!r} is not a valid IBAN (check it against the statement)"
            )
        fields["iban"] = compact
    if "client" in table and "client_iri" in table:
        problems.append(f"{where}: give `client` (the client's name) or `client_iri`, not both")
    elif "client" not in table and "client_iri" not in table:
        problems.append(
            f"{where}: no client: give `client` (the client's name, as in Flowtly) or `client_iri`"
        )
    if "payer" not in table and "iban" not in table:
        problems.append(f"{where}: no payer: give `payer` (a name as the bank writes it) or `iban`")
    return None if len(problems) > before else fields


def _aliases(raw: Any, problems: list[str]) -> tuple[PayerAlias, ...]:
    aliases = []
    for i, table in enumerate(_tables(raw, "alias", problems), start=1):
        fields = _payer_entry(table, f"[[alias]] {i}", _ALIAS_KEYS, problems)
        if fields is not None:
            aliases.append(
                PayerAlias(fields["client"], fields["client_iri"], fields["payer"], fields["iban"])
            )
    return tuple(aliases)


def _never_matches(raw: Any, problems: list[str]) -> tuple[NeverMatch, ...]:
    pairs = []
    for i, table in enumerate(_tables(raw, "never_match", problems), start=1):
        where, before = f"[[never_match]] {i}", len(problems)
        fields = _payer_entry(table, where, _NEVER_KEYS, problems)
        if isinstance(table, dict) and "payer" in table and "iban" in table:
            problems.append(f"{where}: give `payer` or `iban`, not both: write one [[never_match]] for each")
        if isinstance(table, dict) and "reason" not in table:
            problems.append(f"{where}: `reason` is missing: say why, for whoever reads these rules next")
        if fields is not None and len(problems) == before:
            reason = str(fields["reason"])
            pairs.append(
                NeverMatch(fields["client"], fields["client_iri"], reason, fields["payer"], fields["iban"])
            )
    return tuple(pairs)


def _contradictions(
    aliases: tuple[PayerAlias, ...], never: tuple[NeverMatch, ...], problems: list[str]
) -> None:
    """A payer and client both an alias and never a match: which was meant is the finance team's to say."""

    def client(entry: PayerAlias | NeverMatch) -> str:
        return f"iri {entry.client_iri}" if entry.client_iri else f"name {payer_key(entry.client)}"

    said: dict[tuple[str, str], int] = {}
    for i, alias in enumerate(aliases, start=1):
        payers = (
            f"iban {alias.iban}" if alias.iban else "",
            f"name {payer_key(alias.payer)}" if alias.payer else "",
        )
        for payer in filter(None, payers):
            said.setdefault((payer, client(alias)), i)
    for j, pair in enumerate(never, start=1):
        payer = f"iban {pair.iban}" if pair.iban else f"name {payer_key(pair.payer)}"
        if (alias_at := said.get((payer, client(pair)))) is not None:
            problems.append(
                f"[[never_match]] {j}: contradicts [[alias]] {alias_at}, which names the same payer and client"
            )


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
    aliases, never = _aliases(raw.get("alias"), problems), _never_matches(raw.get("never_match"), problems)
    _contradictions(aliases, never, problems)
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
        aliases=aliases,
        never_match=never,
    )
