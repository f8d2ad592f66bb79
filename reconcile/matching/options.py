"""The options of each bank line, and what the signals read of them.

An option is one way to settle a line: one invoice, or a combined payment's set of invoices
(reconcile.matching.combined). Each option row carries what the signals read (reconcile.matching.signals):
the line's money and date, the invoice's (or the set's) open amount and dates, the reference that named it,
and the evidence on the payer: IBAN learned before, virtual account, name.

The core's ids are row numbers (reconcile.matching.tables._numbered), so a line's or an invoice's columns are
taken by a gather at its number, never by a hash join over millions of option rows. An option is numbered
by its invoice's number, or, for a combined set, by a number after the last invoice's: one text column
indexed by option then gives every option's invoice name (`Options.names`). The order of the rows does not
matter: deciding sorts them, ties broken by the option's number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import polars as pl

from reconcile.matching.name_scores import name_keys, score_numbered_pairs
from reconcile.matching.names import payer_key
from reconcile.matching.payer_lists import alias_names
from reconcile.matching.payers import compact, learned_evidence, virtual_evidence
from reconcile.matching.reference_join import REF_STRENGTH
from reconcile.matching.signals import PARTLY_NAMED

if TYPE_CHECKING:  # the rules import the signals of this package: no cycle at run time
    from reconcile.rules import PayerAlias

# What the signals read of an invoice, and of a line.
_INVOICE = ["client_name_id", "open_units", "invoice_currency", "issue_date", "due_date"]
_LINE = ["line_currency", "line_amount", "line_units", "booking_date", "charge_units", "payer_id"]
_KIND_OF = {strength: kind for kind, strength in REF_STRENGTH.items()}  # each kind has a strength of its own


class Options(NamedTuple):
    """The options of every line and their members."""

    options: pl.DataFrame  # one row per line and option
    # The invoices of each combined set: line_id, option, part (1, 2... by invoice name), iri, amount. An
    # option of one invoice is its own member: that invoice (the option's number), `allocated` to it.
    members: pl.DataFrame
    names: pl.Series  # each option's invoice name ("A + B" for a set), at the option's number


def first_row_of(column: str, number: str) -> pl.Expr:
    """The number of the first row holding the same `column` value (null for null): the id of a distinct
    value that is also where to gather it from, with no table of distinct values beside."""
    return pl.when(pl.col(column).is_not_null()).then(pl.col(number).min().over(column))


def pair_number() -> pl.Expr:
    """A (line_id, iri) pair as one integer: both are row numbers (under 2**32), so a pair is told apart from
    others by one hash or comparison, not two."""
    return pl.col("line_id").cast(pl.UInt64) * 2**32 + pl.col("iri")


def at(table: pl.DataFrame, numbers: pl.Series, columns: Sequence[str]) -> pl.DataFrame:
    """`columns` of `table` at the rows `numbers` (the core's ids are row numbers): a gather, no join."""
    return table.select(pl.col(columns).gather(numbers))


def build_options(pairs: pl.DataFrame, sets: pl.DataFrame, lines: pl.DataFrame, invoices: pl.DataFrame) -> Options:
    """The options to score, one row per line and option: the candidate `pairs` (line_id, iri, ref_kind,
    ref_text) one invoice each, and the combined `sets` (line_id, option, iri) of combined_options. Each
    option says what it would allocate of the line (`allocated`: the open amount, or all of the line when
    that is less; nothing across currencies).

    `lines` and `invoices` are the core's prepared tables, whole: row n is line (invoice) number n. Each
    column is gathered once per pair: the line's serve the allocation and the signals alike.
    """
    # The columns read, in one chunk each (as the core's tables have them): a gather is then direct.
    lines, invoices = lines.select(_LINE).rechunk(), invoices.select(*_INVOICE, "open_amount", "invoice_name").rechunk()
    line, invoice = at(lines, pairs["line_id"], _LINE), at(invoices, pairs["iri"], [*_INVOICE, "open_amount"])
    singles = pl.concat(
        [
            pairs.select(
                "line_id",
                pl.col("iri").alias("option"),
                pl.col("iri").alias("invoice"),
                pl.lit(1, dtype=pl.Int64).alias("size"),
                "ref_kind",
                "ref_text",
                pl.col("ref_kind").is_not_null().cast(pl.UInt32).alias("named_in"),
            ),
            invoice.select(_INVOICE),
            # All of the line, or the open amount; nothing across currencies.
            pl.concat([line, invoice.select("open_amount")], how="horizontal").select(
                pl.when(pl.col("line_currency") == invoice["invoice_currency"])
                .then(pl.min_horizontal("line_amount", "open_amount"))
                .otherwise(pl.lit(0).cast(pl.Decimal(38, 4)))
                .alias("allocated")
            ),
        ],
        how="horizontal",
    )
    combined, members, set_names = _combined(pairs, sets, invoices)
    options = pl.concat([singles, combined.select(singles.columns)])
    names = pl.concat([invoices["invoice_name"], set_names])
    # How many invoices the title names that the option leaves out: an overpayment is no overpayment when
    # the title names what the rest pays. Counted per line number, read by a gather.
    named = pairs.filter(pl.col("ref_kind").is_not_null())["line_id"].to_numpy()
    per_line = pl.Series(np.bincount(named, minlength=lines.height), dtype=pl.UInt32)
    options = options.select(
        pl.exclude("named_in"),
        (pl.lit(per_line).gather(pl.col("line_id")) - pl.col("named_in")).alias("named_elsewhere"),
        # Ties of probability and size are broken by the invoice name, written A + B for a set.
        pl.lit(names.rank("dense")).gather(pl.col("option")).alias("name_order"),
    )
    line = pl.concat([line, at(lines, combined["line_id"], _LINE)])
    return Options(pl.concat([options, line], how="horizontal"), members, names)


def _combined(
    pairs: pl.DataFrame, sets: pl.DataFrame, invoices: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """The combined options (one row per set), their members, and their names at option - invoice count.
    A member's reference is looked up among the few pairs that name a member, found by one integer a pair
    (line and invoice), not by a join over all the pairs."""
    first = invoices.height  # a set's option number comes after every invoice's
    numbered = sets.select("line_id", "option").unique(maintain_order=True).with_row_index("number")
    pair = pair_number().alias("pair")
    in_sets = sets.join(numbered, on=["line_id", "option"]).select(
        "line_id", (pl.col("number") + first).cast(pl.UInt32).alias("option"), "iri", pair
    )
    referenced = (
        pairs.filter(pl.col("line_id").is_in(sets["line_id"].implode()))  # the few lines with sets first
        .filter(pl.col("ref_kind").is_not_null() | pl.col("ref_text").is_not_null())
        .select(pair, "ref_kind", "ref_text")
        .filter(pl.col("pair").is_in(in_sets["pair"].implode()))
    )
    in_sets = in_sets.join(referenced, on="pair", how="left").drop("pair")
    in_sets = (
        pl.concat([in_sets, at(invoices, in_sets["iri"], [*_INVOICE, "invoice_name", "open_amount"])], how="horizontal")
        .sort(["option", "invoice_name"])  # an option is of one line
        .with_columns(pl.col("ref_kind").replace_strict(REF_STRENGTH, default=0, return_dtype=pl.Int8).alias("strength"))
    )  # fmt: skip
    combined = in_sets.group_by("option", maintain_order=True).agg(
        pl.col("line_id").first(),
        pl.col("iri").first().alias("invoice"),  # the client's, as every member's
        pl.col("strength").min().alias("weakest"),
        pl.col("strength").max().alias("strongest"),
        "ref_text",  # joined below: a join of lists costs less than one per group
        "invoice_name",
        pl.col("client_name_id").first(),
        pl.col("open_units").sum(),
        pl.col("open_amount").sum().alias("allocated"),
        pl.col("invoice_currency").first(),
        pl.col("issue_date").max(),
        pl.col("due_date").min(),
        pl.len().alias("size"),
        (pl.col("strength") > 0).sum().alias("named_in"),
    ).select(
        pl.exclude("weakest", "strongest"),
        # A set is named when the title names every invoice in it, and as weakly as its weakest.
        pl.when(pl.col("weakest") > 0)
        .then(pl.col("weakest").replace_strict(_KIND_OF, default=None, return_dtype=pl.String))
        .when(pl.col("strongest") > 0)
        .then(pl.lit(PARTLY_NAMED))
        .alias("ref_kind"),
    ).with_columns(
        pl.col("ref_text").list.join(", "),  # the nulls left out
        pl.col("invoice_name").list.join(" + "),
        # As the pairs' options have them.
        pl.col("size").cast(pl.Int64),
        pl.col("allocated").cast(pl.Decimal(38, 4)),
    )
    option = in_sets["option"].to_numpy().astype(np.int64)
    starts = np.flatnonzero(np.diff(option, prepend=-1))  # each set's members are one run, by name
    part = np.arange(len(option)) - np.repeat(starts, np.diff(np.append(starts, len(option)))) + 1
    members = in_sets.select(
        "line_id", "option", pl.Series("part", part, dtype=pl.Int64), "iri", pl.col("open_amount").alias("amount")
    )
    return combined, members, combined.sort("option")["invoice_name"]


# -- evidence on the payer -------------------------------------------------------------------------------


def with_evidence(
    options: pl.DataFrame,
    lines: pl.DataFrame,
    invoices: pl.DataFrame,
    learned: pl.DataFrame | None,
    virtual: pl.DataFrame,
    aliases: Sequence[PayerAlias],
) -> pl.DataFrame:
    """The options with what is known of their payer for their client: iban_level and iban_count
    (payers.learned_evidence), virtual_account (payers.virtual_evidence), name_similarity and name_level
    (name_scores.score_numbered_pairs, of the payer's name, or of the client's own for an alias of the rules).

    The IBAN and account evidence is looked up only for the options of the lines whose IBAN was learned or
    whose money reached a virtual account, and put in place by row: no join over millions of options. The
    new columns are stacked beside the options' as they are (with_columns would first copy every column of
    the options into one chunk)."""
    height = options.height
    level = pl.repeat(None, height, dtype=pl.String, eager=True).alias("iban_level")
    count = pl.zeros(height, dtype=pl.Int64, eager=True).alias("iban_count")
    virtual_account = pl.repeat(False, height, eager=True).alias("virtual_account")
    if learned is not None and not learned.is_empty():
        known = lines.select(compact("payer_iban").is_in(learned["iban"].implode()).fill_null(False))
        rows, some = _with_payer_and_client(options, known.to_series(), lines, invoices)
        evidence = learned_evidence(some, learned)  # row for row
        level, count = level.scatter(rows, evidence["iban_level"]), count.scatter(rows, evidence["iban_count"])
    if not virtual.is_empty():
        reached = lines.select(compact("account").is_in(virtual["account"].implode()).fill_null(False))
        rows, some = _with_payer_and_client(options, reached.to_series(), lines, invoices)
        virtual_account = virtual_account.scatter(rows, virtual_evidence(some, virtual)["virtual_account"])
    return _name_evidence(options.hstack([level, count, virtual_account]), lines, invoices, aliases)


def _with_payer_and_client(
    options: pl.DataFrame, flagged: pl.Series, lines: pl.DataFrame, invoices: pl.DataFrame
) -> tuple[pl.Series, pl.DataFrame]:
    """The rows of the options of the lines `flagged` (one Boolean per line), and those options with the
    line's payer IBAN and account and the invoice's client: the few whose evidence a join must look up."""
    rows = flagged.gather(options["line_id"]).arg_true()
    some = options.select(pl.col("line_id", "option", "invoice").gather(rows))
    return rows, pl.concat(
        [
            some.select("line_id", "option"),
            at(lines, some["line_id"], ["payer_iban", "account"]),
            at(invoices, some["invoice"], ["client_iri"]),
        ],
        how="horizontal",
    )


def _name_evidence(
    options: pl.DataFrame, lines: pl.DataFrame, invoices: pl.DataFrame, aliases: Sequence[PayerAlias]
) -> pl.DataFrame:
    """name_similarity and name_level of each option's payer and client names, scored by their numbers
    (name_scores.score_numbered_pairs: each distinct name prepared once, no join back); where the rules call
    the payer an alias of the client, the client's own name stands for the payer's."""
    alias = _aliased(options, lines, invoices, aliases) if any(alias.payer for alias in aliases) else None
    scored = score_numbered_pairs(
        lines["payer"], options["payer_id"], invoices["client_name"], options["client_name_id"], alias
    )
    return pl.concat([options, scored], how="horizontal")


def _aliased(
    options: pl.DataFrame, lines: pl.DataFrame, invoices: pl.DataFrame, aliases: Sequence[PayerAlias]
) -> pl.Series:
    """Whether the rules call each option's payer an alias of its client (payer_lists.alias_names, an alias
    being of one client). Only a payer whose name has an alias's payer_key can be one (name_keys tells the
    few, once per name): only their options are read."""
    payers = options["payer_id"].drop_nulls().unique()
    keys = name_keys(lines["payer"].gather(payers))
    listed = payers.filter(keys.is_in([payer_key(alias.payer) for alias in aliases if alias.payer]))
    some = options.select("payer_id", "client_name_id", "invoice").with_row_index("row")
    some = some.filter(pl.col("payer_id").is_in(listed.implode()), pl.col("client_name_id").is_not_null())
    texts = some.select(
        "row",
        lines["payer"].gather(some["payer_id"]).alias("payer"),
        invoices["client_name"].gather(some["client_name_id"]).alias("client_name"),
        invoices["client_iri"].gather(some["invoice"]).alias("client_iri"),
        pl.lit(None, dtype=pl.String).alias("payer_iban"),
    )
    named = alias_names(texts, aliases).filter(pl.col("payer").ne_missing(texts["payer"]))
    return pl.zeros(options.height, dtype=pl.Boolean, eager=True).scatter(named["row"], True)
