"""The matching core on whole tables: candidates by joins, scores by expressions, decisions by one sort.

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
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from reconcile.matching.combined import combined_options
from reconcile.matching.ignore_rules import ignored_by_rules
from reconcile.matching.options import build_options, first_row_of, pair_number, with_evidence
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
    # Lines are known by their row numbers (_numbered) from here on, those set aside too.
    by_number = lines.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("line_id"))
    set_aside = ignored_by_rules(by_number, rules.ignore, rules.own_accounts).select("line_id", "note")
    lines, line_keys = _numbered(_prepare_lines(lines), "line_id")
    every_invoice, invoice_keys = _numbered(_prepare_invoices(invoices), "iri")
    # Names are compared once per distinct pair, found by these numbers (options.with_evidence).
    lines = lines.with_columns(first_row_of("payer", "line_id").alias("payer_id"))
    every_invoice = every_invoice.with_columns(first_row_of("client_name", "iri").alias("client_name_id"))
    books = every_invoice.filter(pl.col("open_units") > 0)
    learned = with_aliases(learned, rules.aliases, books)  # an alias IBAN is as if learned for its client
    incoming = lines.filter(pl.col("line_units") > 0, _none_of(set_aside["line_id"], lines.height))
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
    left = incoming.filter(_none_of(decided["line_id"], lines.height))
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


def _none_of(line_ids: pl.Series, lines: int) -> pl.Expr:
    """Whether each row's line is none of `line_ids`: lines are row numbers (below `lines`), so a look-up in
    a mask, where an anti join would hash a million numbers."""
    mask = np.ones(lines, dtype=np.bool_)
    mask[line_ids.to_numpy()] = False
    return pl.lit(pl.Series(mask)).gather(pl.col("line_id"))


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
    money = incoming.select("line_id", "line_currency", "line_units")  # a join carries every column it is given
    # On the amount alone, then the currency: polars encodes a key of two columns row by row before it
    # joins, an integer key it hashes as it is; the same amount in another currency is rare.
    by_amount = (
        money.join(usable, left_on="line_units", right_on="open_units")
        .filter(pl.col("line_currency") == pl.col("invoice_currency"))
        .select("line_id", "iri")
    )
    if leads.is_empty():
        return by_amount  # each invoice once per line already
    by_client = (
        leads.join(money, on="line_id")
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
    named_pairs = named.select(pair_number()).to_series().implode()
    by_amount = _amount_pairs(incoming, books, leads, rules).filter(~pair_number().is_in(named_pairs))
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
    # What deciding and the output read; the columns the conditions read stay behind. Lazily: the conditions'
    # common parts are computed once, and the comparisons side by side (half the time of eager steps).
    kept = ["line_id", "option", "size", "allocated", "name_order", "ref_text", "name_similarity", "line_amount"]
    return (
        options.lazy()
        .with_columns(*levels)
        .select(*kept, *(level_column(c.name) for c in rules.comparisons), odds.alias("odds"))
        .with_columns(
            strong_enough.alias("strong"),
            (pl.col("odds") / (1.0 + pl.col("odds"))).alias("probability"),
        )
        .collect()
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

_Rows = npt.NDArray[np.integer]  # row numbers of scored options
_NO_KEY = np.uint64(2**64 - 1)  # above every key: no key sets the top bit
# A line's options best first: the most probable, then the fewest invoices, then by invoice name and number.
_RANKED_BY = ("line_id", "probability", "size", "name_order", "option")
_DESCENDING = [False, True, False, False, False]


class _Ranking(NamedTuple):
    """How each line's options rank (_RANKED_BY). `key` sorts them: a line's keys make one run, best first,
    and hold its number above their lowest `low` bits; `line` is each option's line as that number (below
    `lines`), to index per-line arrays by."""

    key: npt.NDArray[np.uint64]
    line: _Rows
    low: int
    lines: int


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
    their option numbers (options.Options).

    Each option gets one integer key that ranks it (_ranking), and a place in its line where that is among
    the first few (_ranks); the rest reads only the rows that matter: each line's best and runner-up, and
    the suggestions shown."""
    scored = scored.rechunk()  # one chunk: the gathers at row numbers below are direct
    ranking = _ranking(scored)
    rank = _ranks(ranking, max(rules.max_suggestions, 2))  # the second is the runner-up
    best = _best(scored, ranking, rank, members, rules)
    verdict = _consistent(_verdict(best, names, rules), members, books, refs)
    single, combined = _shown(scored, rank, verdict, rules)
    unmatched = verdict.filter(pl.col("decision") == UNMATCHED).select("line_id", "decision", "note")
    return pl.concat([_allocated(single, combined, members), unmatched], how="diagonal_relaxed")


def _ranking(scored: pl.DataFrame) -> _Ranking:
    """Each option's key: its five ranking columns packed into one integer (_packed_ranking), or, where they
    do not pack (never at the sizes the core meets), its line's and its own place after a sort by them."""
    packed = _packed_ranking(scored)
    if packed is not None:
        return packed
    order = scored.select(pl.arg_sort_by(_RANKED_BY, descending=_DESCENDING)).to_series().to_numpy()
    starts = _starts(scored["line_id"].to_numpy()[order])
    first = np.zeros(len(order), dtype=np.int64)
    first[starts] = 1
    line = np.cumsum(first) - 1  # each place's line, numbered 0, 1...
    key, lines = np.empty(len(order), dtype=np.uint64), np.empty(len(order), dtype=np.int64)
    key[order] = (line.astype(np.uint64) << np.uint64(32)) | (np.arange(len(order)) - starts[line]).astype(np.uint64)
    lines[order] = line
    return _Ranking(key, lines, 32, len(starts))


def _packed_ranking(scored: pl.DataFrame) -> _Ranking | None:
    """Keys that pack _RANKED_BY: the line, the probability's place among the few distinct probabilities
    (most probable first), the size, and the option's place by name and number (_option_places). None
    where they do not fit in 63 bits, a key is null, negative or not a number, or line ids are too sparse
    to index by."""
    if scored.is_empty() or any(scored[c].null_count() for c in _RANKED_BY):
        return None
    probability = scored["probability"]
    integers = scored.select(pl.min_horizontal(pl.col(c).min() for c in ("line_id", "size", "name_order", "option")))
    line = scored["line_id"].to_numpy().astype(np.intp)  # numpy indexes by intp: others it converts each time
    if probability.is_nan().any() or not integers.item() >= 0 or int(line.max()) > 4 * len(line) + 2**20:
        return None
    places = _option_places(scored["option"].to_numpy().astype(np.intp), scored["name_order"].to_numpy())
    if places is None:
        return None
    distinct = probability.unique().sort().to_numpy()
    likeliest_first = np.searchsorted(distinct, probability.to_numpy())
    np.subtract(len(distinct) - 1, likeliest_first, out=likeliest_first)
    fields = [line, likeliest_first, scored["size"].to_numpy(), places]
    bits = [int(values.max()).bit_length() for values in fields]
    if sum(bits) > 63:  # a spare bit: no key is all ones, which _ranks reads as none
        return None
    key = np.zeros(scored.height, dtype=np.uint64)
    for values, width in zip(fields, bits, strict=True):
        key <<= np.uint64(width)
        key |= values.astype(np.uint64, copy=False)  # all checked not negative
    return _Ranking(key, line, sum(bits[1:]), int(line.max()) + 1)


def _option_places(option: npt.NDArray[np.integer], name_order: npt.NDArray[np.integer]) -> _Rows | None:
    """Each row's option's place among all options by name_order, then number: one number for the two last
    keys. None where name_order is not one per option (build_options gathers it by option), or the numbers
    are too sparse to index by."""
    count = int(option.max()) + 1
    if count > 4 * len(option) + 2**20 or int(name_order.max()) >= 2**32:
        return None
    by_option = np.zeros(count, dtype=np.uint32)
    by_option[option] = name_order
    if not np.array_equal(by_option[option], name_order):
        return None
    in_order = np.sort((by_option.astype(np.uint64) << np.uint64(32)) | np.arange(count, dtype=np.uint64))
    place = np.empty(count, dtype=np.uint32)
    place[(in_order & np.uint64(2**32 - 1)).astype(np.int64)] = np.arange(count, dtype=np.uint32)
    return place[option]


def _starts(line_ids: _Rows) -> _Rows:
    """Where each line's run begins in `line_ids` (sorted, so a line's options stand together)."""
    if not len(line_ids):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate([[True], line_ids[1:] != line_ids[:-1]]))


def _ranks(ranking: _Ranking, most: int) -> npt.NDArray[np.uint32]:
    """Per option, its place in its line (1 the best) where that is at most `most`, else 0. The keys alone
    are sorted (several times faster than carrying row numbers along); a line's k-th key is then the k-th
    of its run, and the option with that key its k-th."""
    ordered = pl.Series(ranking.key).sort().to_numpy()  # on every core, where np.sort keeps to one
    its_kth = np.right_shift(ordered, np.uint64(ranking.low))  # first each key's line, as `line` numbers it
    starts = _starts(its_kth)
    ends = np.append(starts[1:], len(ordered))[: len(starts)]
    lines = its_kth[starts].astype(np.intp)
    kth = np.empty(ranking.lines, dtype=np.uint64)
    rank = np.zeros(len(ordered), dtype=np.uint32)
    for place in range(1, most + 1):
        at = starts + place - 1
        has = at < ends
        if not has.any():
            break
        kth.fill(_NO_KEY)
        kth[lines[has]] = ordered[at[has]]
        np.take(kth, ranking.line, out=its_kth)
        rank[ranking.key == its_kth] = place
    return rank


def _best(
    scored: pl.DataFrame, ranking: _Ranking, rank: npt.NDArray[np.uint32], members: pl.DataFrame, rules: Rules
) -> pl.DataFrame:
    """Each line's best option with what deciding reads of it, and its runner-up's odds and option (null
    where there is none), in the order of `scored`. The runner-up is the second option; where the best is
    combined, the first that is no part of it (_alternatives)."""
    is_best = rank == 1
    columns = ["line_id", "option", "size", "allocated", "probability", "odds", "strong",
               *(level_column(c.name) for c in rules.comparisons)]  # fmt: skip
    best = scored.select(columns).filter(pl.Series(is_best))
    best_rows, seconds = np.flatnonzero(is_best), np.flatnonzero(rank == 2)
    second_of = np.full(ranking.lines, len(rank), dtype=np.int64)  # a row past the last: none
    second_of[ranking.line[seconds]] = seconds
    runner = second_of[ranking.line[best_rows]]
    combined = np.flatnonzero(best["size"].to_numpy() > 1)
    if len(combined):
        runner[combined] = _alternatives(scored, ranking, best_rows[combined], members)
    runners = scored.select(pl.col("odds").alias("runner_odds"), pl.col("option").alias("runner_option"))
    return pl.concat([best, runners.gather(runner, null_on_oob=True)], how="horizontal")


def _alternatives(scored: pl.DataFrame, ranking: _Ranking, best: _Rows, members: pl.DataFrame) -> _Rows:
    """For lines whose best option (at the rows `best`) is a combined one: the row of each one's best option
    that is an alternative to it, or len(scored) where none is. One invoice of the combined payment is a
    partial reading of the same evidence, not a rival; another set is a rival when it holds an invoice the
    best one does not."""
    owner_of = np.zeros(ranking.lines, dtype=np.int64)  # line -> which of `best` is its best
    owner_of[ranking.line[best]] = np.arange(len(best))
    listed = np.zeros(ranking.lines, dtype=np.bool_)
    listed[ranking.line[best]] = True
    rival = np.flatnonzero(listed[ranking.line])  # the best ones too, no rivals of themselves (below)
    rival = rival[np.argsort(ranking.key[rival])]  # line by line, best first
    owner = owner_of[ranking.line[rival]]
    line_id, option = scored["line_id"].to_numpy(), scored["option"].to_numpy()
    rival_options = _pairs(line_id[rival], option[rival])
    member_line, member_option, member_iri = (members[c].to_numpy() for c in ("line_id", "option", "iri"))
    member_sets = _pairs(member_line, member_option)
    of_best = _is_in(member_sets, np.sort(_pairs(line_id[best], option[best])))
    in_best = np.sort(_pairs(member_line[of_best], member_iri[of_best]))
    sets_with_others = np.sort(member_sets[~_is_in(_pairs(member_line, member_iri), in_best)])
    rivals = np.where(
        scored["size"].to_numpy()[rival] == 1,
        ~_is_in(rival_options, in_best),  # an option of one invoice is numbered by its invoice
        _is_in(rival_options, sets_with_others),
    )
    hits = np.flatnonzero(rivals)
    owners, first = np.unique(owner[hits], return_index=True)  # each line's first, best first
    alternative = np.full(len(best), scored.height, dtype=np.int64)
    alternative[owners] = rival[hits[first]]
    return alternative


def _pairs(line_id: _Rows, number: _Rows) -> npt.NDArray[np.uint64]:
    """A line's and an option's or invoice's numbers (row numbers, 32 bits) as one integer."""
    return (line_id.astype(np.uint64) << np.uint64(32)) | number.astype(np.uint64)


def _is_in(values: npt.NDArray[np.uint64], ascending: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
    """Whether each of `values` is one of `ascending` (sorted): a binary search each, no hash table."""
    if not len(ascending):
        return np.zeros(len(values), dtype=np.bool_)
    found: npt.NDArray[np.bool_] = ascending[np.minimum(np.searchsorted(ascending, values), len(ascending) - 1)] == values
    return found


def _verdict(best: pl.DataFrame, names: pl.Series, rules: Rules) -> pl.DataFrame:
    """Each line's decision and note from its best option (_best): line_id, option, size, allocated,
    decision, note ("" where posted). A note is written only where there is one to write."""
    probability = pl.col("probability")
    too_close = pl.col("runner_odds").is_not_null() & (pl.col("odds") < pl.col("runner_odds") * rules.min_odds_ratio)
    why = (
        pl.when(probability < rules.review_probability).then(1)
        .when(~pl.col("strong")).then(2)
        .when(probability < rules.auto_post_probability).then(3)
        .when(too_close).then(4)
        .otherwise(0)
    )  # fmt: skip
    best = best.with_columns(why.cast(pl.Int8).alias("why")).with_row_index("at")
    named = pl.lit(names).gather(pl.col("option"))
    below_auto = f"best candidate {{}}% likely, below the {rules.auto_post_probability:.0%} to post"
    notes = [
        pl.format("best candidate {} only {}% likely", named, _pct(probability)),
        pl.format("not posted automatically without strong evidence on: {}", _lacking(rules)),
        pl.format(below_auto, _pct(probability, 1)),
        pl.format("{} is nearly as likely as {}", pl.lit(names).gather(pl.col("runner_option")), named),
    ]
    noted = pl.concat(  # lazily: each filter then copies only the columns its note reads
        [best.lazy().filter(pl.col("why") == why).select("at", note.alias("note")) for why, note in enumerate(notes, 1)]
    ).collect()
    note = pl.repeat("", best.height, dtype=pl.String, eager=True).scatter(noted["at"], noted["note"])
    decision = pl.lit(pl.Series([AUTO_POST, UNMATCHED, REVIEW, REVIEW, REVIEW])).gather(pl.col("why"))  # by `why`
    return best.select("line_id", "option", "size", "allocated", decision.alias("decision"), note.alias("note"))


def _shown(
    scored: pl.DataFrame, rank: npt.NDArray[np.uint32], verdict: pl.DataFrame, rules: Rules
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The suggestions shown, of one invoice and combined: the options among their line's first
    max_suggestions that are at least review_probability likely (ranked best first, a line's suggestions
    are a prefix of its options), with rank, their line's decision and note, and rest. They are taken in
    the order of `scored`: a filter reads it once where a gather in rank order would jump about it."""
    shown = pl.Series((rank > 0) & (rank <= rules.max_suggestions)) & (scored["probability"] >= rules.review_probability)
    single = scored["size"] == 1
    lines = verdict["line_id"].to_numpy()
    at = np.empty(int(lines.max()) + 1 if len(lines) else 0, dtype=np.int64)  # line id -> its verdict's row
    at[lines] = np.arange(len(lines))
    said = verdict.select("decision", "note")
    ranks = pl.Series("rank", rank)
    tables = []
    for rows in (shown & single, shown & ~single):
        table = scored.filter(rows)
        tables.append(
            pl.concat(
                [table, ranks.filter(rows).cast(pl.Int64).to_frame(), said.gather(at[table["line_id"].to_numpy()])],
                how="horizontal",
            ).with_columns((pl.col("line_amount") - pl.col("allocated")).alias("rest"))
        )
    return tables[0], tables[1]


def _allocated(single: pl.DataFrame, combined: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Options of one invoice (`single`) and combined options (line_id, option, size, allocated...) one row
    per invoice they allocate to: `invoice_iri`, `part` and `amount`; an option of one invoice is that
    invoice, a combined one its `members`."""
    return pl.concat(
        [
            single.with_columns(
                pl.col("option").alias("invoice_iri"), pl.lit(1, dtype=pl.Int64).alias("part"),
                pl.col("allocated").alias("amount"),
            ),
            combined.join(members, on=["line_id", "option"]).rename({"iri": "invoice_iri"}),
        ],
        how="diagonal_relaxed",
    )  # fmt: skip


def _allocations(options: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """`options` one row per invoice they allocate to (_allocated)."""
    single = pl.col("size") == 1
    return _allocated(options.filter(single), options.filter(~single), members)


def _consistent(
    verdict: pl.DataFrame, members: pl.DataFrame, books: pl.DataFrame, refs: pl.DataFrame
) -> pl.DataFrame:
    """Lines of the batch that would post to the same invoice go to a person, each naming the others (by
    `refs`: line_id, ref, the bank's reference or else the line's id), unless their amounts say they are
    instalments: each pays part of it, and together no more than is open."""
    posted = verdict.select("line_id", "option", "size", "allocated").filter(verdict["decision"] == AUTO_POST)
    claims = _allocations(posted, members).select("line_id", pl.col("invoice_iri").alias("iri"), "amount")
    iris = claims["iri"].to_numpy()
    claims = claims.filter(pl.Series(np.bincount(iris)[iris] > 1)) if len(iris) else claims  # claimed twice
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
    clashes = verdict.select("line_id").with_row_index("at").join(others, on="line_id")
    return verdict.with_columns(
        verdict["decision"].scatter(clashes["at"], REVIEW),
        verdict["note"].scatter(clashes["at"], clashes.select(clash_note).to_series()),
    )


def frames(lines: Sequence[object], invoices: Sequence[object]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """BankLine and Invoice values as the two tables match_tables reads."""

    def table(values: Sequence[object], columns: tuple[str, ...]) -> pl.DataFrame:
        schema = {c: pl.Decimal(38, 4) if c in _DECIMALS else pl.Date if c in _DATES else pl.String for c in columns}
        return pl.DataFrame({c: [getattr(x, c) for x in values] for c in columns}, schema=schema)

    return table(lines, LINE_COLUMNS), table(invoices, INVOICE_COLUMNS)
