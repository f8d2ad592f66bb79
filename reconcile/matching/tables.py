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

from reconcile.matching.combined import combined_options
from reconcile.matching.ignore_rules import ignored_by_rules
from reconcile.matching.options import build_options, first_row_of, with_evidence
from reconcile.matching.payer_lists import never_pairs, with_aliases, without_never_matched
from reconcile.matching.payers import client_leads, payer_names, virtual_accounts
from reconcile.matching.reference_join import reference_pairs
from reconcile.matching.references import SPLIT_PAYMENT_PATTERN
from reconcile.matching.signals import SIGNALS, UNITS

if TYPE_CHECKING:  # the rules import the signals of this package: no cycle at run time
    from reconcile.rules import Rules

AUTO_POST, REVIEW, UNMATCHED, IGNORED = "auto_post", "review", "unmatched", "ignored"

# The columns match_tables reads; they are named as the fields of BankLine and Invoice.
LINE_COLUMNS = ("line_id", "bank_ref", "account", "currency", "amount", "booking_date", "counterparty_name",
                "counterparty_iban", "remittance", "structured_ref", "end_to_end_id", "bank_tx_code",
                "reported_charges")  # fmt: skip
INVOICE_COLUMNS = ("iri", "name", "client_name", "client_iri", "open_amount", "currency", "ksef_number",
                   "issue_date", "due_date", "bank_account")  # fmt: skip
_DECIMALS = ("amount", "open_amount", "reported_charges")
_DATES = ("booking_date", "issue_date", "due_date")

def level_column(comparison: str) -> str:
    """The output column holding the index of the level of `comparison` that fired."""
    return f"level:{comparison}"


def match_tables(
    lines: pl.DataFrame,
    invoices: pl.DataFrame,
    rules: Rules,
    learned: pl.DataFrame | None = None,
    *,
    never: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Decide every bank line: one row per line and allocation or suggestion, best first.

    `learned` is the payers confirmed before (reconcile.store.learned.LearnedPayers.frame()), or None;
    `never` the payer and client pairs people rejected (LearnedPayers.never_frame()), or None: they, and
    the rules' [[never_match]] pairs, are never an option (reconcile.matching.payer_lists).

    An option is one way to settle a line: one invoice, or several (a combined payment). Columns: line_id,
    rank (the option's: 1 = the allocations of an auto_post, or the first suggestion; null where there is
    no invoice), part (1, 2... within a combined payment), decision (auto_post, review, unmatched,
    ignored), invoice_iri, amount (what the option allocates to that invoice, Decimal, never more than it
    has open), rest (what the option leaves of the line unallocated: an overpayment), probability, odds,
    one `level:<comparison>` column per comparison, ref_text (the references found), name_similarity, and
    note (why a line is not posted).
    """
    set_aside = ignored_by_rules(lines, rules.ignore, rules.own_accounts)
    lines, line_keys = _numbered(_prepare_lines(lines), "line_id")
    every_invoice, invoice_keys = _numbered(_prepare_invoices(invoices), "iri")
    # Names are compared once per distinct pair, found by these numbers (options.with_evidence).
    lines = lines.with_columns(first_row_of("payer", "line_id").alias("payer_id"))
    every_invoice = every_invoice.with_columns(first_row_of("client_name", "iri").alias("client_name_id"))
    set_aside = set_aside.join(line_keys, left_on="line_id", right_on="key").select(
        pl.col("line_id_right").alias("line_id"), "note"
    )
    books = every_invoice.filter(pl.col("open_units") > 0)
    learned = with_aliases(learned, rules.aliases, books)  # an alias IBAN is as if learned for its client
    incoming = lines.filter(pl.col("line_units") > 0).join(set_aside, on="line_id", how="anti")
    virtual = virtual_accounts(books)
    leads = client_leads(incoming, virtual, learned).select("line_id", "client_iri").unique()
    # Titles are read against every invoice, paid ones too: a number that is a paid invoice's as written
    # is no loose reading of an open one's, and a line naming only paid invoices is told apart.
    named = reference_pairs(incoming, every_invoice, rules)
    pairs = _candidates(incoming, books, leads, named, rules)
    pairs, leads = without_never_matched(pairs, leads, incoming, books, never_pairs(rules.never_match, never))
    sets = combined_options(incoming, books, pairs, leads, rules)
    options, members, names = build_options(pairs, sets, lines, every_invoice)
    options = with_evidence(options, lines, every_invoice, learned, virtual, rules.aliases)
    refs = lines.select("line_id", pl.coalesce("bank_ref", pl.lit(line_keys["key"])).alias("ref"))
    decided = _decide(_score(options, rules), members, names, books, refs, rules)
    left = incoming.join(decided.select("line_id").unique(), on="line_id", how="anti")
    not_open = _naming_invoices_not_open(left, named, every_invoice.filter(pl.col("open_units") <= 0))
    unmatched = left.join(not_open, on="line_id", how="anti").select(
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
    not_invoices = set_aside.select("line_id", pl.lit(IGNORED).alias("decision"), "note")
    result = pl.concat([decided, not_open, unmatched, ignored, not_invoices], how="diagonal_relaxed")
    # Row numbers back to ids.
    return result.with_columns(
        pl.lit(line_keys["key"]).gather(pl.col("line_id")).alias("line_id"),
        pl.lit(invoice_keys["key"]).gather(pl.col("invoice_iri")).alias("invoice_iri"),
    ).select(_output_columns(rules))


def _numbered(table: pl.DataFrame, column: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`table` with `column` (an id) replaced by its row number, and the numbers with the ids (`key`): at a
    million rows, joins on small integers take a fifth of the time of joins on ids of two dozen characters."""
    numbered = table.with_row_index("_number").rechunk()  # one chunk: gathers at row numbers are direct
    keys = numbered.select(pl.col("_number").alias(column), pl.col(column).alias("key"))
    return numbered.drop(column).rename({"_number": column}), keys


def _naming_invoices_not_open(left: pl.DataFrame, named: pl.DataFrame, closed: pl.DataFrame) -> pl.DataFrame:
    """Lines no open invoice fits whose title names an invoice that is not open (paid in full): a double
    payment, or a payer's mistake; a person decides, told which. `named` are the pairs of reference_pairs."""
    named = named.join(left.select("line_id"), on="line_id", how="semi").join(
        closed.select("iri", "invoice_name"), on="iri"
    )
    return named.group_by("line_id").agg(pl.col("invoice_name").unique().sort().str.join(", ")).select(
        "line_id",
        pl.lit(REVIEW).alias("decision"),
        pl.format(
            "names {}, which is not open (already paid): a double payment or a mistake; no open invoice fits",
            "invoice_name",
        ).alias("note"),
    )


def _output_columns(rules: Rules) -> list[str]:
    levels = [level_column(c.name) for c in rules.comparisons]
    return ["line_id", "rank", "part", "decision", "invoice_iri", "amount", "rest", "probability", "odds",
            *levels, "ref_text", "name_similarity", "note"]  # fmt: skip


# -- preparing the tables ------------------------------------------------------------------------------


def _units(column: str) -> pl.Expr:
    return (pl.col(column) * UNITS).cast(pl.Int64)


def _prepare_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """The line columns the core uses. A Polish split-payment title (/VAT/.../IDC/.../INV/...) is read as
    its INV and TXT fields: the VAT amount and the supplier's tax id are no invoice numbers. The payer is the
    bank's payer field or, without one, the name the title writes after a payer label (payers.payer_names)."""
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
        _currency().alias("line_currency"),
        pl.col("amount").alias("line_amount"),
        _units("amount").alias("line_units"),
        payer_names(lines),  # the payer field, or the name the title writes after a payer label
        text.str.strip_chars().alias("text"),
        # Where a number stands alone, so that even a short one counts: the whole title (or INV field)
        # and the whole structured reference.
        pl.when(is_split).then(invoice_field).otherwise(pl.col("remittance")).alias("whole_title"),
        pl.col("structured_ref").alias("whole_reference"),
        _optional(lines, "bank_ref", pl.String),
        _optional(lines, "booking_date", pl.Date),
        _optional(lines, "counterparty_iban", pl.String).alias("payer_iban"),
        _optional(lines, "account", pl.String),
        # What the statement says charges took from the line on its way (BankLine.reported_charges), in
        # units like line_units; null when it reports none.
        (_optional(lines, "reported_charges", pl.Decimal(38, 4)).cast(pl.Decimal(38, 4)) * UNITS)
        .cast(pl.Int64)
        .alias("charge_units"),
    )


def _currency() -> pl.Expr:
    """The currency code as a category: a million options then carry a number each, not a text."""
    return pl.col("currency").cast(pl.String).cast(pl.Categorical)


def _optional(table: pl.DataFrame, column: str, dtype: pl.DataType | type[pl.DataType]) -> pl.Expr:
    """A column the core can do without (a date, a bank reference): null when the caller has none."""
    return pl.col(column) if column in table.columns else pl.lit(None, dtype=dtype).alias(column)


def _prepare_invoices(invoices: pl.DataFrame) -> pl.DataFrame:
    return invoices.select(
        "iri",
        pl.col("name").alias("invoice_name"),
        "client_name",
        "open_amount",
        _units("open_amount").alias("open_units"),
        _currency().alias("invoice_currency"),
        "ksef_number",
        _optional(invoices, "client_iri", pl.String),
        _optional(invoices, "issue_date", pl.Date),
        _optional(invoices, "due_date", pl.Date),
        _optional(invoices, "bank_account", pl.String),
    )


# -- candidates ----------------------------------------------------------------------------------------


def _amount_pairs(incoming: pl.DataFrame, books: pl.DataFrame, leads: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """(line, invoice) pairs with the exact open amount, in the same currency, where few invoices share it;
    and, whatever the sharing, among the invoices of a client the line's payer points to (`leads`)."""
    keys = ["invoice_currency", "open_units"]
    usable = books.select("iri", *keys).filter(pl.len().over(keys) <= rules.max_amount_candidates)
    by_amount = incoming.join(usable, left_on=["line_currency", "line_units"], right_on=keys).select("line_id", "iri")
    if leads.is_empty():
        return by_amount  # each invoice once per line already
    by_client = (
        leads.join(incoming.select("line_id", "line_currency", "line_units"), on="line_id")
        .join(
            books.select("iri", "client_iri", *keys),
            left_on=["client_iri", "line_currency", "line_units"],
            right_on=["client_iri", *keys],
        )
        .select("line_id", "iri")
    )
    return pl.concat([by_amount, by_client]).unique()


def _candidates(
    incoming: pl.DataFrame, books: pl.DataFrame, leads: pl.DataFrame, named: pl.DataFrame, rules: Rules
) -> pl.DataFrame:
    """Every candidate pair once, with the strongest reference found for it (`named`: the pairs of
    reference_pairs, of which those of open invoices count)."""
    named = named.join(books.select("iri"), on="iri", how="semi")
    by_amount = _amount_pairs(incoming, books, leads, rules).join(named, on=["line_id", "iri"], how="anti")
    return pl.concat([named, by_amount], how="diagonal_relaxed")


# -- scoring -------------------------------------------------------------------------------------------


def _score(options: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Each option's level per comparison (the first whose condition holds), odds and probability."""
    levels: list[pl.Expr] = []
    for comparison in rules.comparisons:
        index: pl.Expr = pl.lit(len(comparison.levels) - 1, dtype=pl.Int8)
        for i, level in reversed(list(enumerate(comparison.levels[:-1]))):
            assert level.when is not None  # only the last level is `else`
            index = pl.when(SIGNALS[level.when].condition(level.params)).then(pl.lit(i, dtype=pl.Int8)).otherwise(index)
        levels.append(index.alias(level_column(comparison.name)))
    # Each condition is evaluated once, for the level; the level gives the factor and whether it is strong.
    odds = pl.lit(rules.prior_odds, dtype=pl.Float64)
    for comparison in rules.comparisons:
        factors = pl.Series([lv.bayes_factor for lv in comparison.levels], dtype=pl.Float64)
        odds = odds * pl.lit(factors).gather(pl.col(level_column(comparison.name)))
    strong = _strong(rules)
    required = [pl.any_horizontal([strong[n] for n in group]) for group in rules.auto_post_requires]
    strong_enough = pl.all_horizontal(required) if required else pl.lit(True)  # nothing required: always
    # What deciding and the output read; the columns the conditions read stay behind.
    kept = ["line_id", "option", "size", "allocated", "name_order", "ref_text", "name_similarity", "line_amount"]
    return (
        options.with_columns(*levels)
        .select(*kept, *(level_column(c.name) for c in rules.comparisons), odds.alias("odds"))
        .with_columns(
            strong_enough.alias("strong"),
            (pl.col("odds") / (1.0 + pl.col("odds"))).alias("probability"),
        )
    )


def _strong(rules: Rules) -> dict[str, pl.Expr]:
    """Per comparison, whether the level it fired is one of its strong levels."""
    return {
        c.name: pl.col(level_column(c.name)).is_in([i for i, lv in enumerate(c.levels) if lv.label in c.strong_levels])
        for c in rules.comparisons
    }


def _lacking(rules: Rules) -> pl.Expr:
    """The names of the required groups none of whose comparisons fired a strong level ("amount, reference
    or payer"): words for the note of a best option, so only ever built for those."""
    strong = _strong(rules)
    lacking = [
        pl.when(pl.any_horizontal([strong[name] for name in group])).then(None).otherwise(pl.lit(" or ".join(group)))
        for group in rules.auto_post_requires
    ]
    return pl.concat_str(lacking, separator=", ", ignore_nulls=True) if lacking else pl.lit("")


# -- deciding ------------------------------------------------------------------------------------------


def _pct(probability: pl.Expr, decimals: int = 0) -> pl.Expr:
    """A probability as a percentage's text, as Python's `{:.0%}` and `{:.1%}` write it."""
    percent = (probability * 100).round(decimals)
    return percent.cast(pl.String) if decimals else percent.cast(pl.Int64).cast(pl.String)


def _decide(
    scored: pl.DataFrame,
    members: pl.DataFrame,
    names: pl.Series,
    books: pl.DataFrame,
    refs: pl.DataFrame,
    rules: Rules,
) -> pl.DataFrame:
    """Per line: the ranked options, the suggestions shown, and auto_post only when the best one is very
    probable, carries the required strong evidence, and clearly beats the runner-up; then the batch is
    made consistent (no invoice given more than it has open). `names` are the options' invoice names, at
    their option numbers (options.Options)."""
    ranked = scored.sort(
        ["line_id", "probability", "size", "name_order", "option"], descending=[False, True, False, False, False]
    ).with_columns(_position_in_line())
    named = pl.lit(names).gather(pl.col("option"))
    best = ranked.filter(pl.col("position") == 1).with_columns(named.alias("invoice_name"), _lacking(rules).alias("lacks"))
    runner = _runner_up(ranked, best, members).select(
        "line_id", pl.col("odds").alias("runner_odds"), named.alias("runner_name")
    )
    below_auto = f"best candidate {{}}% likely, below the {rules.auto_post_probability:.0%} to post"
    too_close = pl.col("runner_odds").is_not_null() & (pl.col("odds") < pl.col("runner_odds") * rules.min_odds_ratio)
    verdict = best.join(runner, on="line_id", how="left").select(
        "line_id",
        "option",
        "size",
        "allocated",
        pl.when(pl.col("probability") < rules.review_probability)
        .then(pl.lit(UNMATCHED))
        .when(~pl.col("strong") | (pl.col("probability") < rules.auto_post_probability) | too_close)
        .then(pl.lit(REVIEW))
        .otherwise(pl.lit(AUTO_POST))
        .alias("decision"),
        pl.when(pl.col("probability") < rules.review_probability)
        .then(pl.format("best candidate {} only {}% likely", "invoice_name", _pct(pl.col("probability"))))
        .when(~pl.col("strong"))
        .then(pl.format("not posted automatically without strong evidence on: {}", "lacks"))
        .when(pl.col("probability") < rules.auto_post_probability)
        .then(pl.format(below_auto, _pct(pl.col("probability"), 1)))
        .when(too_close)
        .then(pl.format("{} is nearly as likely as {}", "runner_name", "invoice_name"))
        .otherwise(pl.lit(""))
        .alias("note"),
    )
    verdict = _consistent(verdict, members, books, refs)
    # Ranked best first, a line's suggestions are a prefix of its options.
    shown = (
        ranked.filter(
            pl.col("probability") >= rules.review_probability, pl.col("position") <= rules.max_suggestions
        )
        .rename({"position": "rank"})
        .join(verdict.filter(pl.col("decision") != UNMATCHED).select("line_id", "decision", "note"), on="line_id")
        .with_columns((pl.col("line_amount") - pl.col("allocated")).alias("rest"))
    )
    unmatched = verdict.filter(pl.col("decision") == UNMATCHED).select("line_id", "decision", "note")
    return pl.concat([_allocations(shown, members), unmatched], how="diagonal_relaxed")


def _allocations(options: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """`options` (line_id, option, size, allocated) one row per invoice they allocate to: `invoice_iri`,
    `part` and `amount`; an option of one invoice is that invoice, a combined one its `members`."""
    single = pl.col("size") == 1
    return pl.concat(
        [
            options.filter(single).with_columns(
                pl.col("option").alias("invoice_iri"), pl.lit(1, dtype=pl.Int64).alias("part"),
                pl.col("allocated").alias("amount"),
            ),
            options.filter(~single).join(members, on=["line_id", "option"]).rename({"iri": "invoice_iri"}),
        ],
        how="diagonal_relaxed",
    )  # fmt: skip


def _runner_up(ranked: pl.DataFrame, best: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Each line's best option that is an alternative to its best one: not a part of it. One invoice of a
    combined payment that names both is a partial reading of the same evidence, not a rival.

    Only a combined best option has parts: where the best is one invoice, the runner-up is the second."""
    combined_best = best.filter(pl.col("size") > 1).select("line_id", "option")
    second = ranked.filter(pl.col("position") == 2).join(combined_best, on="line_id", how="anti")
    if combined_best.is_empty():
        return second
    in_best = combined_best.join(members, on=["line_id", "option"]).select("line_id", pl.col("iri").alias("invoice_iri"))
    rivals = ranked.filter(pl.col("position") > 1).join(combined_best.select("line_id"), on="line_id", how="semi")
    outside = _allocations(rivals.select("line_id", "option", "size", "allocated"), members).join(
        in_best, on=["line_id", "invoice_iri"], how="anti"
    )
    alternatives = rivals.join(outside.select("line_id", "option").unique(), on=["line_id", "option"], how="semi")
    return pl.concat(
        [second, alternatives.sort("line_id", "position").unique("line_id", keep="first")], how="vertical_relaxed"
    )


def _position_in_line() -> pl.Expr:
    """1, 2, 3... within each line of a table sorted by line: the row's index less that of its line's
    first row (no group-by: a line's rows stand together)."""
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    first = pl.when(pl.col("line_id") != pl.col("line_id").shift(1)).then(row).otherwise(None)
    return (row - first.fill_null(0).cum_max() + 1).alias("position")


def _consistent(
    verdict: pl.DataFrame, members: pl.DataFrame, books: pl.DataFrame, refs: pl.DataFrame
) -> pl.DataFrame:
    """Lines of the batch that would post to the same invoice go to a person, each naming the others (by
    `refs`: line_id, ref, the bank's reference or else the line's id), unless their amounts say they are
    instalments: each pays part of it, and together no more than is open."""
    claims = _allocations(verdict.filter(pl.col("decision") == AUTO_POST), members).rename({"invoice_iri": "iri"})
    if claims.is_empty():
        return verdict
    per_invoice = (
        claims.join(books.select("iri", "open_amount"), on="iri")
        .group_by("iri")
        .agg(
            pl.col("line_id").n_unique().alias("claims"),
            (pl.col("amount") < pl.col("open_amount")).all().alias("parts"),
            (pl.col("amount").sum() <= pl.col("open_amount").first()).alias("fits"),
        )
        .filter(pl.col("claims") > 1, ~(pl.col("parts") & pl.col("fits")))
    )
    names = books.select("iri", "invoice_name")
    clashing = claims.join(per_invoice.select("iri"), on="iri").select("line_id", "iri")
    others = (
        clashing.join(clashing, on="iri", suffix="_other")
        .filter(pl.col("line_id") != pl.col("line_id_other"))
        .join(refs.rename({"line_id": "line_id_other"}), on="line_id_other")
        .join(names, on="iri")
        .group_by("line_id")
        .agg(
            pl.col("ref").unique().sort().str.join(", ").alias("other_refs"),
            pl.col("invoice_name").unique().sort().str.join(", ").alias("clashing_names"),
        )
    )
    clash_note = pl.format("{} is also claimed in this run by payment(s) {}; a person decides", "clashing_names",
                           "other_refs")  # fmt: skip
    return verdict.join(others, on="line_id", how="left").select(
        "line_id",
        "option",
        pl.when(pl.col("other_refs").is_not_null()).then(pl.lit(REVIEW)).otherwise(pl.col("decision")).alias("decision"),
        pl.when(pl.col("other_refs").is_not_null()).then(clash_note).otherwise(pl.col("note")).alias("note"),
    )


def frames(lines: Sequence[object], invoices: Sequence[object]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """BankLine and Invoice values as the two tables match_tables reads."""

    def table(values: Sequence[object], columns: tuple[str, ...]) -> pl.DataFrame:
        schema = {c: pl.Decimal(38, 4) if c in _DECIMALS else pl.Date if c in _DATES else pl.String for c in columns}
        return pl.DataFrame({c: [getattr(x, c) for x in values] for c in columns}, schema=schema)

    return table(lines, LINE_COLUMNS), table(invoices, INVOICE_COLUMNS)
