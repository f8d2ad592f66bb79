"""The matching core on whole tables: candidates by joins, scores by expressions, decisions by group-bys.

`match_tables` takes the bank lines and the open invoices as polars DataFrames and returns one row per line
and suggestion (or allocation), never looping over lines in Python but where a small set needs it (the few
titles that may hold a KSeF number, the distinct payer/client name pairs). No I/O; nothing here builds the
words of an explanation: `reconcile.matching.engine` does that for the rows a report shows.

Candidates come through two doors, each a join that is counted before it fans out:
- a reference: the invoice's number among the title's runs of consecutive words (as written, or with its
  leading zeros dropped), or its KSeF number with a valid checksum;
- the exact open amount in the same currency, when at most `max_amount_candidates` open invoices share it
  (a round amount shared by thousands of invoices is no lead).
A payer's name never brings a client's invoices in on its own: it only weighs in on pairs found otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from reconcile.matching.names import compare_name_pairs
from reconcile.matching.reference_join import reference_pairs
from reconcile.matching.references import SPLIT_PAYMENT_PATTERN
from reconcile.matching.signals import SIGNALS, UNITS

if TYPE_CHECKING:  # the rules import the signals of this package: no cycle at run time
    from reconcile.rules import Rules

AUTO_POST, REVIEW, UNMATCHED, IGNORED = "auto_post", "review", "unmatched", "ignored"

# The columns match_tables reads; they are named as the fields of BankLine and Invoice.
LINE_COLUMNS = ("line_id", "currency", "amount", "counterparty_name", "remittance", "structured_ref",
                "end_to_end_id")  # fmt: skip
INVOICE_COLUMNS = ("iri", "name", "client_name", "open_amount", "currency", "ksef_number")

def level_column(comparison: str) -> str:
    """The output column holding the index of the level of `comparison` that fired."""
    return f"level:{comparison}"


def match_tables(lines: pl.DataFrame, invoices: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Decide every bank line: one row per line and suggestion, best first.

    Columns: line_id, rank (1 = the allocation of an auto_post, or the first suggestion; null where there
    is no invoice), decision (auto_post, review, unmatched, ignored), invoice_iri, amount (what the line
    would allocate to it, Decimal), probability, odds, one `level:<comparison>` column per comparison,
    ref_text (the reference found), name_similarity, and note (why a line is not posted).
    """
    lines = _prepare_lines(lines)
    books = _prepare_invoices(invoices)
    incoming = lines.filter(pl.col("line_units") > 0)
    pairs = _candidates(incoming, books, rules)
    scored = _score(pairs, incoming, books, rules)
    decided = _decide(scored, rules)
    unmatched = incoming.join(decided.select("line_id").unique(), on="line_id", how="anti").select(
        "line_id",
        pl.lit(UNMATCHED).alias("decision"),
        pl.lit("no open invoice resembles this payment").alias("note"),
    )
    ignored = lines.filter(pl.col("line_units") <= 0).select(
        "line_id",
        pl.lit(IGNORED).alias("decision"),
        pl.when(pl.col("line_units") < 0)
        .then(pl.lit("money out"))
        .otherwise(pl.lit("zero amount"))
        .alias("note"),
    )
    return pl.concat([decided, unmatched, ignored], how="diagonal_relaxed").select(_output_columns(rules))


def _output_columns(rules: Rules) -> list[str]:
    levels = [level_column(c.name) for c in rules.comparisons]
    return ["line_id", "rank", "decision", "invoice_iri", "amount", "probability", "odds", *levels, "ref_text",
            "name_similarity", "note"]  # fmt: skip


# -- preparing the tables ------------------------------------------------------------------------------


def _units(column: str) -> pl.Expr:
    return (pl.col(column) * UNITS).cast(pl.Int64)


def _prepare_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """The line columns the core uses. A Polish split-payment title (/VAT/.../IDC/.../INV/...) is read as
    its INV and TXT fields: the VAT amount and the supplier's tax id are no invoice numbers."""
    split = pl.col("remittance").str.extract_groups(f"(?is){SPLIT_PAYMENT_PATTERN}")
    invoice_field = split.struct.field("inv")
    is_split = invoice_field.fill_null("") != ""
    title = (
        pl.when(is_split)
        .then(pl.concat_str([invoice_field, split.struct.field("txt").fill_null("")], separator=" "))
        .otherwise(pl.col("remittance").fill_null(""))
    )
    text = pl.concat_str(
        [title, *(pl.col(c).fill_null("") for c in ("structured_ref", "end_to_end_id"))], separator=" "
    )
    return lines.select(
        "line_id",
        pl.col("currency").alias("line_currency"),
        pl.col("amount").alias("line_amount"),
        _units("amount").alias("line_units"),
        pl.col("counterparty_name").alias("payer"),
        text.str.strip_chars().alias("text"),
        # Where a number stands alone, so that even a short one counts: the whole title (or INV field)
        # and the whole structured reference.
        pl.when(is_split).then(invoice_field).otherwise(pl.col("remittance")).alias("whole_title"),
        pl.col("structured_ref").alias("whole_reference"),
    )


def _prepare_invoices(invoices: pl.DataFrame) -> pl.DataFrame:
    return invoices.select(
        "iri",
        pl.col("name").alias("invoice_name"),
        "client_name",
        "open_amount",
        _units("open_amount").alias("open_units"),
        pl.col("currency").alias("invoice_currency"),
        "ksef_number",
    )


# -- candidates ----------------------------------------------------------------------------------------


def _amount_pairs(incoming: pl.DataFrame, books: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """(line, invoice) pairs with the exact open amount, in the same currency, where few invoices share it."""
    keys = ["invoice_currency", "open_units"]
    shared = books.group_by(keys).agg(pl.len().alias("sharing"))
    usable = books.join(shared.filter(pl.col("sharing") <= rules.max_amount_candidates), on=keys)
    return incoming.join(
        usable.select("iri", *keys), left_on=["line_currency", "line_units"], right_on=keys
    ).select("line_id", "iri")


def _candidates(incoming: pl.DataFrame, books: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Every candidate pair once, with the strongest reference found for it."""
    named = reference_pairs(incoming, books, rules)
    by_amount = _amount_pairs(incoming, books, rules).join(named, on=["line_id", "iri"], how="anti")
    return pl.concat([named, by_amount], how="diagonal_relaxed")


# -- scoring -------------------------------------------------------------------------------------------


def _name_evidence(pairs: pl.DataFrame) -> pl.DataFrame:
    """The name score and level of each distinct (payer, client) pair among the candidates, computed once
    (reconcile.matching.names.compare_name_pairs)."""
    distinct = pairs.select("payer", "client_name").unique().drop_nulls()
    scores, levels = compare_name_pairs(distinct["payer"].to_list(), distinct["client_name"].to_list())
    return distinct.with_columns(
        pl.Series("name_similarity", scores, dtype=pl.Float64),
        pl.Series("name_level", levels, dtype=pl.String),
    )


def _score(pairs: pl.DataFrame, incoming: pl.DataFrame, books: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Each pair's level per comparison (the first whose condition holds), odds and probability."""
    table = pairs.join(incoming, on="line_id").join(books.drop("ksef_number"), on="iri")
    table = table.join(_name_evidence(table), on=["payer", "client_name"], how="left")
    odds = pl.lit(rules.prior_odds, dtype=pl.Float64)
    lacking: list[pl.Expr] = []  # the name of each required comparison whose strong levels did not fire
    levels: list[pl.Expr] = []
    for comparison in rules.comparisons:
        index: pl.Expr = pl.lit(len(comparison.levels) - 1, dtype=pl.Int8)
        factor: pl.Expr = pl.lit(comparison.levels[-1].bayes_factor, dtype=pl.Float64)
        for i, level in reversed(list(enumerate(comparison.levels[:-1]))):
            assert level.when is not None  # only the last level is `else`
            holds = SIGNALS[level.when].condition(level.params)
            index = pl.when(holds).then(pl.lit(i, dtype=pl.Int8)).otherwise(index)
            factor = pl.when(holds).then(pl.lit(level.bayes_factor, dtype=pl.Float64)).otherwise(factor)
        column = level_column(comparison.name)
        levels.append(index.alias(column))
        odds = odds * factor
        if comparison.name in rules.auto_post_requires:
            strong_indexes = [
                i for i, lv in enumerate(comparison.levels) if lv.label in comparison.strong_levels
            ]
            lacking.append(pl.when(index.is_in(strong_indexes)).then(None).otherwise(pl.lit(comparison.name)))
    # What the line would give the invoice: all of it, or the open amount; nothing across currencies.
    allocated = (
        pl.when(pl.col("line_currency") == pl.col("invoice_currency"))
        .then(pl.min_horizontal("line_amount", "open_amount"))
        .otherwise(pl.lit(0).cast(pl.Decimal(38, 4)))
    )
    lacks = pl.concat_str(lacking, separator=", ", ignore_nulls=True) if lacking else pl.lit("")
    return table.with_columns(*levels, odds.alias("odds"), lacks.alias("lacks")).with_columns(
        (pl.col("lacks") == "").alias("strong"),
        (pl.col("odds") / (1.0 + pl.col("odds"))).alias("probability"),
        allocated.alias("amount"),
        pl.col("iri").alias("invoice_iri"),
    )


# -- deciding ------------------------------------------------------------------------------------------


def _pct(probability: pl.Expr, decimals: int = 0) -> pl.Expr:
    """A probability as a percentage's text, as Python's `{:.0%}` and `{:.1%}` write it."""
    percent = (probability * 100).round(decimals)
    return percent.cast(pl.String) if decimals else percent.cast(pl.Int64).cast(pl.String)


def _decide(scored: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Per line: the ranked candidates, the suggestions shown, and auto_post only when the best one is very
    probable, carries the required strong evidence, and clearly beats the runner-up; then no invoice is
    taken by two lines of the batch (both go to a person)."""
    ranked = scored.sort(
        ["line_id", "probability", "invoice_name"], descending=[False, True, False]
    ).with_columns(_position_in_line())
    best = ranked.filter(pl.col("position") == 1)
    runner = ranked.filter(pl.col("position") == 2).select(
        "line_id", pl.col("odds").alias("runner_odds"), pl.col("invoice_name").alias("runner_name")
    )
    below_auto = f"best candidate {{}}% likely, below the {rules.auto_post_probability:.0%} to post"
    verdict = best.join(runner, on="line_id", how="left").select(
        "line_id",
        pl.col("invoice_iri").alias("best_iri"),
        pl.when(pl.col("probability") < rules.review_probability)
        .then(pl.lit(UNMATCHED))
        .when(~pl.col("strong") | (pl.col("probability") < rules.auto_post_probability))
        .then(pl.lit(REVIEW))
        .when(
            pl.col("runner_odds").is_not_null()
            & (pl.col("odds") < pl.col("runner_odds") * rules.min_odds_ratio)
        )
        .then(pl.lit(REVIEW))
        .otherwise(pl.lit(AUTO_POST))
        .alias("decision"),
        pl.when(pl.col("probability") < rules.review_probability)
        .then(pl.format("best candidate {} only {}% likely", "invoice_name", _pct(pl.col("probability"))))
        .when(~pl.col("strong"))
        .then(pl.format("not posted automatically without strong evidence on: {}", "lacks"))
        .when(pl.col("probability") < rules.auto_post_probability)
        .then(pl.format(below_auto, _pct(pl.col("probability"), 1)))
        .when(
            pl.col("runner_odds").is_not_null()
            & (pl.col("odds") < pl.col("runner_odds") * rules.min_odds_ratio)
        )
        .then(pl.format("{} is nearly as likely as {}", "runner_name", "invoice_name"))
        .otherwise(pl.lit(""))
        .alias("note"),
    )
    verdict = _one_to_one(verdict, best)
    # Ranked best first, a line's suggestions are a prefix of its candidates.
    suggestions = ranked.filter(
        pl.col("probability") >= rules.review_probability, pl.col("position") <= rules.max_suggestions
    ).rename({"position": "rank"})
    shown = suggestions.join(verdict.filter(pl.col("decision") != UNMATCHED), on="line_id")
    unmatched = verdict.filter(pl.col("decision") == UNMATCHED).select("line_id", "decision", "note")
    return pl.concat([shown, unmatched], how="diagonal_relaxed")


def _position_in_line() -> pl.Expr:
    """1, 2, 3... within each line of a table sorted by line: the row's index less that of its line's
    first row (no group-by: a line's rows stand together)."""
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    first = pl.when(pl.col("line_id") != pl.col("line_id").shift(1)).then(row).otherwise(None)
    return (row - first.fill_null(0).cum_max() + 1).alias("position")


def _one_to_one(verdict: pl.DataFrame, best: pl.DataFrame) -> pl.DataFrame:
    """Every auto_post whose invoice another auto_post of the batch also takes goes to a person."""
    taken = (
        verdict.filter(pl.col("decision") == AUTO_POST)
        .group_by("best_iri")
        .agg(pl.len().alias("claims"))
        .filter(pl.col("claims") > 1)
        .join(best.select(pl.col("invoice_iri").alias("best_iri"), "invoice_name").unique(), on="best_iri")
    )
    return (
        verdict.join(taken, on="best_iri", how="left")
        .with_columns(
            pl.when(pl.col("claims").is_not_null() & (pl.col("decision") == AUTO_POST))
            .then(pl.lit(REVIEW))
            .otherwise(pl.col("decision"))
            .alias("decision"),
            pl.when(pl.col("claims").is_not_null() & (pl.col("decision") == AUTO_POST))
            .then(
                pl.format(
                    "{} other payment(s) in this run also point to {}", pl.col("claims") - 1, "invoice_name"
                )
            )
            .otherwise(pl.col("note"))
            .alias("note"),
        )
        .drop("claims", "invoice_name", "best_iri")
    )


def frames(lines: Sequence[object], invoices: Sequence[object]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """BankLine and Invoice values as the two tables match_tables reads."""
    line_rows = {c: [getattr(x, c) for x in lines] for c in LINE_COLUMNS}
    invoice_rows = {c: [getattr(x, c) for x in invoices] for c in INVOICE_COLUMNS}
    schema_l = {c: pl.Decimal(38, 4) if c == "amount" else pl.String for c in LINE_COLUMNS}
    schema_i = {c: pl.Decimal(38, 4) if c == "open_amount" else pl.String for c in INVOICE_COLUMNS}
    return pl.DataFrame(line_rows, schema=schema_l), pl.DataFrame(invoice_rows, schema=schema_i)
