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
from reconcile.matching.references import (
    SHORT_MIN,
    SPLIT_PAYMENT_PATTERN,
    TITLE_WORDS,
    find_ksef_numbers,
)
from reconcile.matching.signals import SIGNALS, UNITS
from reconcile.matching.text import SPECIAL_LETTERS

if TYPE_CHECKING:  # the rules import the signals of this package: no cycle at run time
    from reconcile.rules import Rules

AUTO_POST, REVIEW, UNMATCHED, IGNORED = "auto_post", "review", "unmatched", "ignored"

# The columns match_tables reads; they are named as the fields of BankLine and Invoice.
LINE_COLUMNS = ("line_id", "currency", "amount", "counterparty_name", "remittance", "structured_ref",
                "end_to_end_id")  # fmt: skip
INVOICE_COLUMNS = ("iri", "name", "client_name", "open_amount", "currency", "ksef_number")

_REF_STRENGTH = {"ksef": 3, "invoice_number": 2, "invoice_number_loose": 1}
_KSEF_HINT = r"\d{10}-\d{8}-"  # cheap test for titles that may hold a KSeF number (checked in Python)
_KSEF_PARTS = (
    r"^(?P<nip>\d{10})-(?P<day>\d{8})-(?P<a>[0-9A-F]{6})-?(?P<b>[0-9A-F]{6})-(?P<check>[0-9A-F]{2})$"
)
# How much longer than the longest short invoice number a title may be and still hold nothing else but
# words like "faktura nr" around it.
_TITLE_WORDS_ROOM = 40


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
        _folded_tokens(pl.col("name")).alias("pieces"),
    )


def _folded_tokens(text: pl.Expr) -> pl.Expr:
    """The text's upper-case ASCII letter-and-digit runs (reconcile.matching.text.tokens, on a column)."""
    specials, plain = zip(*SPECIAL_LETTERS.items(), strict=True)
    folded = (
        text.fill_null("")
        .str.replace_many(list(specials), list(plain))
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_uppercase()
    )
    return folded.str.extract_all(r"[0-9A-Z]+")


def _loose(piece: pl.Expr) -> pl.Expr:
    """Leading zeros dropped from a numeric piece (FV/2026/4/123 and FV/2026/04/0123 agree)."""
    stripped = piece.str.strip_chars_start("0")
    return (
        pl.when(piece.str.contains(r"^[0-9]+$"))
        .then(pl.when(stripped == "").then(pl.lit("0")).otherwise(stripped))
        .otherwise(piece)
    )


# -- candidates ----------------------------------------------------------------------------------------


def _invoice_keys(books: pl.DataFrame) -> pl.DataFrame:
    """Each invoice's exact key (its pieces run together), loose key (leading zeros dropped) and name, for
    those with a digit in their number (a number of words only would match ordinary words of titles)."""
    return books.select(
        "iri",
        pl.col("pieces").list.join("").alias("exact"),
        pl.col("pieces").list.eval(_loose(pl.element())).list.join("-").alias("loose"),
        pl.col("pieces").list.len().alias("width"),
        pl.col("invoice_name").alias("text"),
    ).filter(pl.col("exact").str.contains(r"[0-9]"))


def _title_windows(incoming: pl.DataFrame, keys: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """The runs of consecutive pieces of every title that could be an invoice's key, with where each
    starts and ends and the text a person wrote there.

    A title of n pieces has up to n x width runs; only those whose length is the length of some key
    (counted from the pieces' lengths, before any text is put together) and that hold a digit are built.
    """
    pieces = (
        incoming.select("line_id", _folded_tokens(pl.col("text")).alias("piece"))
        .with_columns(pl.int_ranges(0, pl.col("piece").list.len()).alias("start"))
        .explode("piece", "start")
        .drop_nulls("piece")
        .with_columns(_loose(pl.col("piece")).alias("loose_piece"))
        .with_row_index("row")
        .with_columns(
            pl.col("piece").str.len_chars().alias("size"),
            pl.col("loose_piece").str.len_chars().alias("loose_size"),
            pl.col("piece").str.contains(r"[0-9]").alias("digit"),
        )
    )
    exact_sizes = keys.select(pl.col("exact").str.len_chars().unique()).to_series()
    loose_sizes = keys.select(pl.col("loose").str.len_chars().unique()).to_series()
    width = int(keys.select(pl.col("width").max()).item() or 1) if keys.height else 0
    columns = {name: pieces[name] for name in ("piece", "loose_piece")}
    windows = []
    for count in range(1, width + 1):
        ahead = range(count)
        exact_size = pl.sum_horizontal([pl.col("size").shift(-k) for k in ahead])
        loose_size = pl.sum_horizontal([pl.col("loose_size").shift(-k) for k in ahead]) + (count - 1)
        heads = pieces.filter(
            pl.col("line_id").shift(-(count - 1)) == pl.col("line_id"),  # the run stays in its title
            pl.any_horizontal([pl.col("digit").shift(-k) for k in ahead]),
            exact_size >= rules.min_reference_length,
            exact_size.is_in(exact_sizes.implode()) | loose_size.is_in(loose_sizes.implode()),
        ).select("row", "line_id", "start")
        parts = {
            f"{name}{k}": column.gather(heads["row"] + k) for name, column in columns.items() for k in ahead
        }
        windows.append(
            heads.with_columns(**parts).select(
                "line_id",
                "start",
                (pl.col("start") + count).alias("end"),
                pl.concat_str([pl.col(f"piece{k}") for k in ahead]).alias("exact"),
                pl.concat_str([pl.col(f"loose_piece{k}") for k in ahead], separator="-").alias("loose"),
                pl.concat_str([pl.col(f"piece{k}") for k in ahead], separator=" ").alias("ref_text"),
            )
        )
    if not windows:
        return pl.DataFrame(schema={"line_id": pl.String, "start": pl.Int64, "end": pl.Int64, "exact": pl.String,
                                    "loose": pl.String, "ref_text": pl.String})  # fmt: skip
    return pl.concat(windows)


def whole_key(text: pl.Expr) -> pl.Expr:
    """reconcile.matching.references.whole_reference_key on a column: the text's pieces without the title
    words (TITLE_WORDS) at either end, run together; null when nothing else is there."""
    pieces = _folded_tokens(text)
    kept = pieces.list.eval(~pl.element().is_in(list(TITLE_WORDS)))
    first = kept.list.arg_max()
    last = kept.list.len() - 1 - kept.list.reverse().list.arg_max()
    key = pieces.list.slice(first, last - first + 1).list.join("")
    return pl.when(kept.list.any()).then(key).otherwise(None)


def _whole_pairs(incoming: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """(line, invoice) pairs where a short invoice number (under `min_reference_length` characters) is all a
    title says besides words like "faktura nr", or all a structured reference or split-payment INV field
    holds: found inside longer text, "123" would be any number."""
    schema = {"line_id": pl.String, "iri": pl.String, "ref_kind": pl.String, "ref_text": pl.String}
    if keys.is_empty():
        return pl.DataFrame(schema=schema)
    longest = int(keys.select(pl.col("text").str.len_chars().max()).item())
    digits = keys.select(pl.col("exact").str.extract_all(r"[0-9]+").list.first().unique()).to_series()
    stands_alone = (
        incoming.unpivot(["whole_title", "whole_reference"], index="line_id", value_name="alone")
        .drop_nulls("alone")
        .filter(
            pl.col("alone").str.len_chars() <= longest + _TITLE_WORDS_ROOM,  # more would not be alone
            pl.col("alone").str.contains_any(digits.to_list()),  # digits never fold: a cheap first test
        )
        .with_columns(whole_key(pl.col("alone")).alias("exact"))
    )
    return stands_alone.join(keys.select("iri", "exact"), on="exact").select(
        "line_id", "iri", pl.lit("invoice_number").alias("ref_kind"), pl.col("alone").alias("ref_text")
    )


def _reference_pairs(incoming: pl.DataFrame, books: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """(line, invoice) pairs whose title names the invoice's number; a number found inside a longer one
    found as written in the same title is not a reference of its own (2026/04/0123 in FV/2026/04/0123)."""
    all_keys = _invoice_keys(books)
    short = pl.col("exact").str.len_chars() < rules.min_reference_length
    alone = _whole_pairs(incoming, all_keys.filter(short, pl.col("exact").str.len_chars() >= SHORT_MIN))
    keys = all_keys.filter(~short)
    windows = _title_windows(incoming, keys, rules)
    exact = windows.join(keys.select("iri", "exact"), on="exact").with_columns(
        pl.lit("invoice_number").alias("ref_kind")
    )
    # A run that is some invoice's number as written is not also another's with zeros dropped.
    loose = (
        windows.join(keys.select("iri", "loose"), on="loose")
        .join(exact.select("line_id", "start", "end").unique(), on=["line_id", "start", "end"], how="anti")
        .with_columns(pl.lit("invoice_number_loose").alias("ref_kind"))
    )
    spans = pl.concat([exact, loose]).drop("exact", "loose")
    # Only a run found as written hides the shorter runs inside it: "INV 2026 2500" read as INV-2026-02500
    # with its zeros dropped must not hide invoice 2026-2500 written exactly; both are then weighed.
    bounds = spans.select("line_id", "start", "end", "ref_kind").unique()
    outer = bounds.filter(pl.col("ref_kind") == "invoice_number").drop("ref_kind")
    inner = (
        bounds.drop("ref_kind")
        .unique()
        .join(outer, on="line_id", suffix="_outer")
        .filter(
            pl.col("start_outer") <= pl.col("start"),
            pl.col("end") <= pl.col("end_outer"),
            (pl.col("end_outer") - pl.col("start_outer")) > (pl.col("end") - pl.col("start")),
        )
        .select("line_id", "start", "end")
        .unique()
    )
    found = spans.join(inner, on=["line_id", "start", "end"], how="anti")
    return pl.concat([found.select("line_id", "iri", "ref_kind", "ref_text"), alone])


def _ksef_pairs(incoming: pl.DataFrame, books: pl.DataFrame) -> pl.DataFrame:
    """(line, invoice) pairs whose title holds the invoice's KSeF number with a valid checksum."""
    # The invoices' own numbers are only put in canonical form (the dash between the hex blocks may be
    # missing); their checksum needs no check, as a title's number counts only when its own holds.
    parts = pl.col("ksef_number").str.strip_chars().str.to_uppercase().str.extract_groups(_KSEF_PARTS)
    canonical = pl.format(
        "{}-{}-{}{}-{}", *(parts.struct.field(name) for name in ("nip", "day", "a", "b", "check"))
    )
    ksef = books.select("iri", canonical.alias("ksef")).drop_nulls("ksef")
    hinted = incoming.filter(pl.col("text").str.contains(_KSEF_HINT))
    if ksef.is_empty() or hinted.is_empty():
        return pl.DataFrame(
            schema={"line_id": pl.String, "iri": pl.String, "ref_kind": pl.String, "ref_text": pl.String}
        )
    found = hinted.select(
        "line_id",
        pl.col("text").map_elements(find_ksef_numbers, return_dtype=pl.List(pl.String)).alias("ksef"),
    ).explode("ksef")
    return found.join(ksef, on="ksef").select(
        "line_id", "iri", pl.lit("ksef").alias("ref_kind"), pl.col("ksef").alias("ref_text")
    )


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
    references = pl.concat([_ksef_pairs(incoming, books), _reference_pairs(incoming, books, rules)])
    strongest = (
        references.with_columns(
            pl.col("ref_kind").replace_strict(_REF_STRENGTH, return_dtype=pl.Int8).alias("strength")
        )
        .sort(["line_id", "iri", "strength", "ref_text"], descending=[False, False, True, False])
        .unique(["line_id", "iri"], keep="first", maintain_order=True)
        .drop("strength")
    )
    by_amount = _amount_pairs(incoming, books, rules).join(strongest, on=["line_id", "iri"], how="anti")
    return pl.concat([strongest, by_amount], how="diagonal_relaxed")


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
    table = pairs.join(incoming, on="line_id").join(books.drop("pieces", "ksef_number"), on="iri")
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
