"""Money in that is not a client paying an invoice (own transfers, card payouts, interest, bank charges...),
told apart by the `[[ignore]]` rules of the rules file and set aside before matching, with the rule named.

Pure: the rules are read from values already parsed from TOML, and lines are judged by polars expressions,
never by a loop over lines. Parsing never raises: each mistake is one problem with its place in the file.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from stdnum import iban as iban_check

from reconcile.matching.payers import compact

# The columns of `lines` that ignored_by_rules reads, named as the fields of reconcile.model.BankLine.
COLUMNS = (
    "line_id",
    "amount",
    "account",
    "counterparty_iban",
    "counterparty_name",
    "remittance",
    "bank_tx_code",
)

_KEYS = ("name", "description", "bank_tx_codes", "text", "own_account")
_ANY_PART = "*"
_OUTPUT = {"line_id": pl.String, "rule": pl.String, "note": pl.String}


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """Lines of money in that are not invoice payments; it catches a line when all its given conditions hold.

    A bank transaction code is written as the bank writes it, its parts separated by "/" ("+" in a German
    proprietary code counts as "/" too): a code matches when its leading parts are the pattern's, so
    "PMNT/MCRD" catches every merchant card code, "NINT" catches "NINT" and "NINT/805", and "*" stands for
    any one part ("ACMT/*/INTR"). Codes and text are compared ignoring case.
    """

    name: str  # shown in reports, like "interest"
    description: str
    bank_tx_codes: tuple[str, ...] = ()  # any one of them
    text: str | None = None  # a regular expression searched in the remittance, and in the payer's name
    own_account: bool = False  # the payer's IBAN is one of our accounts

    @property
    def note(self) -> str:
        return f"not an invoice payment: {self.description or self.name} (rule '{self.name}')"


def parse_ignore_rules(
    raw: object, own_accounts_raw: object, problems: list[str]
) -> tuple[tuple[IgnoreRule, ...], frozenset[str]]:
    """The `[[ignore]]` tables and the `own_accounts` list of a rules file (either may be absent), with a
    problem appended for each mistake; the own accounts come back as IBANs without spaces, in upper case."""
    rules: list[IgnoreRule] = []
    if raw is not None and not isinstance(raw, list):
        problems.append("ignore: expected [[ignore]] tables")
    for i, table in enumerate(raw if isinstance(raw, list) else []):
        rule = _rule(table, f"ignore[{i}]", problems)
        if rule is None:
            continue
        if rule.name in (seen := [r.name for r in rules]):
            problems.append(
                f"ignore[{i}].name: {rule.name!r} is already the name of ignore[{seen.index(rule.name)}]"
            )
        rules.append(rule)
    return tuple(rules), _own_accounts(own_accounts_raw, problems)


def _rule(table: object, where: str, problems: list[str]) -> IgnoreRule | None:
    """One [[ignore]] table, or None when it has a mistake: a rule left with fewer conditions than written
    would catch more than meant."""
    before = len(problems)
    if not isinstance(table, dict):
        problems.append(f"{where}: expected a table")
        return None
    for key in table.keys() - set(_KEYS):
        problems.append(f"{where}.{key}: unknown key (known: {', '.join(_KEYS)})")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f'{where}.name: missing (the name reports show, like "interest")')
        name = where
    description = table.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where}.description: expected text, got {description!r}")
        description = ""
    own_account = table.get("own_account", False)
    if not isinstance(own_account, bool):
        problems.append(f"{where}.own_account: expected true or false, got {own_account!r}")
        own_account = False
    codes = _codes(table.get("bank_tx_codes"), f"{where}.bank_tx_codes", problems)
    text = _text(table.get("text"), f"{where}.text", problems)
    if table.get("own_account", False) is False and not {"bank_tx_codes", "text"} & table.keys():
        problems.append(f"{where}: no condition: give bank_tx_codes, text or own_account = true")
    if len(problems) > before:
        return None
    return IgnoreRule(name.strip(), description.strip(), codes, text, own_account)


def _codes(raw: object, where: str, problems: list[str]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw or not all(isinstance(code, str) for code in raw):
        problems.append(f'{where}: expected a non-empty list of codes, like ["PMNT/MCRD", "NINT"]')
        return ()
    return tuple(code.strip() for code in raw if _code_is_valid(code, where, problems))


def _code_is_valid(code: str, where: str, problems: list[str]) -> bool:
    parts = _parts(code)
    if not all(parts):
        problems.append(f'{where}: {code!r} has an empty part (parts are separated by one "/")')
    elif any(_ANY_PART in part and part != _ANY_PART for part in parts):
        problems.append(f'{where}: in {code!r}, "*" must stand for a whole part, like "ACMT/*/INTR"')
    else:
        return True
    return False


def _text(raw: object, where: str, problems: list[str]) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        problems.append(f"{where}: expected a regular expression as text, got {raw!r}")
        return None
    try:  # checked by the engine that runs it: polars' (Rust) regular expressions, not Python's
        pl.Series([""], dtype=pl.String).str.contains(_text_pattern(raw))
    except pl.exceptions.PolarsError as exc:
        problems.append(f"{where}: not a valid regular expression ({_regex_error(str(exc))})")
        return None
    return raw


def _regex_error(message: str) -> str:
    """The reason polars gives (its line "error: ..."), without the expression it quotes."""
    reasons = [
        line.removeprefix("error:").strip() for line in message.splitlines() if line.startswith("error:")
    ]
    return reasons[0] if reasons else message.splitlines()[0]


def _own_accounts(raw: object, problems: list[str]) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        problems.append(
            'own_accounts: expected a list of our IBANs, like ["PL61 1090 1014 0000 0712 1981 2874"]'
        )
        return frozenset()
    accounts: set[str] = set()
    for i, account in enumerate(raw):
        if not isinstance(account, str) or not iban_check.is_valid(account):
            problems.append(f"own_accounts[{i}]: {account!r} is not a valid IBAN")
        else:
            accounts.add("".join(account.split()).upper())
    return frozenset(accounts)


def _parts(code: str) -> list[str]:
    return [part.strip() for part in code.strip().replace("+", "/").split("/")]


def _text_pattern(text: str) -> str:
    return f"(?i){text}"


def _code_pattern(codes: tuple[str, ...]) -> str:
    """One regular expression for a rule's codes: the leading parts of a code, part for part."""
    alternatives = (
        "/".join("[^/]+" if part == _ANY_PART else pl.escape_regex(part) for part in _parts(code))
        for code in codes
    )
    return f"(?i)^(?:{'|'.join(alternatives)})(?:/|$)"


def _condition(rule: IgnoreRule, code_column: str, ours: pl.Series) -> pl.Expr:
    """Whether the rule catches a line: all its given conditions hold (null counts as not). `code_column`
    says whether the line's code is one of the rule's (_codes_matched); `ours` are the payer IBANs, as the
    lines write them, that are accounts of ours."""
    conditions: list[pl.Expr] = []
    if rule.bank_tx_codes:
        conditions.append(pl.col(code_column))
    if rule.text is not None:
        pattern = _text_pattern(rule.text)
        in_title = pl.col("remittance").fill_null("").str.contains(pattern)
        conditions.append(in_title | pl.col("counterparty_name").fill_null("").str.contains(pattern))
    if rule.own_account:
        conditions.append(pl.col("counterparty_iban").is_in(ours.implode()))
    return pl.all_horizontal(conditions).fill_null(False)


def _codes_matched(lines: pl.DataFrame, rules: tuple[IgnoreRule, ...]) -> pl.DataFrame:
    """`lines` with a column per rule (_code<i>) saying whether the line's bank transaction code is one of
    the rule's (null without a code). A million lines carry a few dozen distinct codes: each rule's
    patterns are tried once per distinct code, not once per line."""
    code = pl.col("bank_tx_code").str.strip_chars().str.replace_all("+", "/", literal=True)
    distinct = lines.select(pl.col("bank_tx_code").unique().drop_nulls())
    matched = distinct.select(
        "bank_tx_code",
        *(code.str.contains(_code_pattern(r.bank_tx_codes)).alias(f"_code{i}") for i, r in enumerate(rules)
          if r.bank_tx_codes),
    )  # fmt: skip
    return lines.join(matched, on="bank_tx_code", how="left", maintain_order="left")


def ignored_by_rules(
    lines: pl.DataFrame, rules: tuple[IgnoreRule, ...], own_accounts: frozenset[str]
) -> pl.DataFrame:
    """The lines of money in (amount > 0) that a rule catches, the first rule in file order winning: columns
    line_id, rule (its name) and note (a sentence for the report). Money out is left to the core.

    `lines` needs the COLUMNS of this module, typed as reconcile.matching.tables.frames makes them. Our
    accounts are the `account` of every line given plus `own_accounts`.
    """
    if not rules:
        return pl.DataFrame(schema=_OUTPUT)
    listed = pl.Series("account", sorted(own_accounts), dtype=pl.String)
    # Each distinct account and payer IBAN is compacted once: a million lines name a few accounts of ours.
    accounts = lines.select(pl.col("account").unique()).select(compact("account")).to_series()
    ours = pl.concat([accounts, listed]).drop_nulls().unique()
    money_in = lines.select(COLUMNS).filter(pl.col("amount") > 0)  # narrow first, then filter
    payers = money_in.select(pl.col("counterparty_iban").unique())
    ours_as_written = payers.filter(compact("counterparty_iban").is_in(ours.implode())).to_series()
    which = pl.coalesce(
        [pl.when(_condition(rule, f"_code{i}", ours_as_written)).then(pl.lit(i, pl.UInt32))
         for i, rule in enumerate(rules)]
    )  # fmt: skip
    named = pl.DataFrame(
        {"rule_index": range(len(rules)), "rule": [r.name for r in rules], "note": [r.note for r in rules]},
        schema={"rule_index": pl.UInt32, **{c: pl.String for c in ("rule", "note")}},
    )
    return (
        _codes_matched(money_in, rules)
        .select("line_id", which.alias("rule_index"))
        .filter(pl.col("rule_index").is_not_null())
        .join(named, on="rule_index", maintain_order="left")
        .select(_OUTPUT.keys())
    )
