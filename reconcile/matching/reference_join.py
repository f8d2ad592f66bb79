"""Candidate pairs by reference: the invoice numbers and KSeF numbers a payment title names, found by joins.

`reference_pairs(incoming, books, rules)` returns every (line, invoice) pair a title names, once, with the
strongest kind of reference found for it (`ref_kind`) and the text a person wrote there (`ref_text`):
- the invoice's number among the title's runs of consecutive words, as written (`invoice_number`) or with
  its leading zeros dropped (`invoice_number_loose`); only runs whose length is some key's length are built;
- a short number (under `min_reference_length`) only where it stands alone: the whole title, the whole
  structured reference, or a split-payment INV field;
- the invoice's KSeF number with a valid checksum (`ksef`).
No loop over lines in Python but for the few titles that may hold a KSeF number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from reconcile.matching.references import SHORT_MIN, TITLE_WORDS, find_ksef_numbers
from reconcile.matching.text import SPECIAL_LETTERS

if TYPE_CHECKING:  # the rules import the signals of this package: no cycle at run time
    from reconcile.rules import Rules

# The kinds of reference, strongest first: a pair named in several ways keeps the strongest.
REF_STRENGTH = {"ksef": 3, "invoice_number": 2, "invoice_number_loose": 1}
PAIR_SCHEMA = {"line_id": pl.String, "iri": pl.String, "ref_kind": pl.String, "ref_text": pl.String}
_KSEF_HINT = r"\d{10}-\d{8}-"  # cheap test for titles that may hold a KSeF number (checked in Python)
_KSEF_PARTS = (
    r"^(?P<nip>\d{10})-(?P<day>\d{8})-(?P<a>[0-9A-F]{6})-?(?P<b>[0-9A-F]{6})-(?P<check>[0-9A-F]{2})$"
)
# How much longer than the longest short invoice number a title may be and still hold nothing else but
# words like "faktura nr" around it.
_TITLE_WORDS_ROOM = 40


def reference_pairs(incoming: pl.DataFrame, books: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Every (line, invoice) pair a title names, once, with the strongest reference found for it.

    `incoming` has line_id, text (title, structured reference and end-to-end id), whole_title and
    whole_reference; `books` has iri, invoice_name and ksef_number.
    """
    found = pl.concat([_ksef_pairs(incoming, books), _number_pairs(incoming, books, rules)])
    return (
        found.with_columns(
            pl.col("ref_kind").replace_strict(REF_STRENGTH, return_dtype=pl.Int8).alias("strength")
        )
        .sort(["line_id", "iri", "strength", "ref_text"], descending=[False, False, True, False])
        .unique(["line_id", "iri"], keep="first", maintain_order=True)
        .drop("strength")
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


def _invoice_keys(books: pl.DataFrame) -> pl.DataFrame:
    """Each invoice's exact key (its pieces run together), loose key (leading zeros dropped) and name, for
    those with a digit in their number (a number of words only would match ordinary words of titles)."""
    return books.with_columns(_folded_tokens(pl.col("invoice_name")).alias("pieces")).select(
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
    if keys.is_empty():
        return pl.DataFrame(schema=PAIR_SCHEMA)
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


def _number_pairs(incoming: pl.DataFrame, books: pl.DataFrame, rules: Rules) -> pl.DataFrame:
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
        return pl.DataFrame(schema=PAIR_SCHEMA)
    found = hinted.select(
        "line_id",
        pl.col("text").map_elements(find_ksef_numbers, return_dtype=pl.List(pl.String)).alias("ksef"),
    ).explode("ksef")
    return found.join(ksef, on="ksef").select(
        "line_id", "iri", pl.lit("ksef").alias("ref_kind"), pl.col("ksef").alias("ref_text")
    )
