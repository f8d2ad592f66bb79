"""Candidate pairs by reference: the invoice numbers, KSeF numbers and creditor references a payment title
names, found by joins.

`reference_pairs(incoming, books, rules)` returns every (line, invoice) pair a title names, once, with the
strongest kind of reference found for it (`ref_kind`, REF_STRENGTH) and the text a person wrote there
(`ref_text`):
- the invoice's number among the title's runs of consecutive words, as written (`invoice_number`), with its
  leading zeros dropped or without its leading prefix word (`invoice_number_loose`); runs and numbers are
  joined as integers (_run_ids), and only runs that look like some number are put together;
- a short number (under `min_reference_length`) only where it stands alone: the whole title, the whole
  structured reference, or a split-payment INV field;
- the invoice's KSeF number with a valid checksum (`ksef`);
- a structured creditor reference whose check digit holds, built on the invoice's number
  (`creditor_reference`; how it is built is an assumption: reconcile.flowtly.assumptions);
- on a line that names no invoice otherwise, a number one character off the invoice's, when no other open
  invoice is that close and the line pays the invoice's open amount (`invoice_number_near`).
No loop over lines in Python but for the few titles that may hold a creditor reference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeVar

import polars as pl

from reconcile.flowtly.assumptions import creditor_reference_bodies
from reconcile.matching.creditor_references import (
    RF,
    find_creditor_references,
    parse_creditor_reference,
    reference_body,
)
from reconcile.matching.references import CRC8_TABLE, SHORT_MAX, SHORT_MIN, TITLE_WORDS
from reconcile.matching.text import SPECIAL_LETTERS

if TYPE_CHECKING:  # the rules import the signals of this package: no cycle at run time
    from reconcile.rules import Rules

# The kinds of reference, strongest first: a pair named in several ways keeps the strongest.
REF_STRENGTH = {"ksef": 5, "creditor_reference": 4, "invoice_number": 3, "invoice_number_loose": 2,
                "invoice_number_near": 1}  # fmt: skip
_KSEF_HINT = r"\d{10}-\d{8}-"  # cheap test for titles that may hold a KSeF number
# A KSeF number's layout (references.KSEF_PATTERN), with the hex digit before or after it where there is one.
_KSEF_RUN = r"[0-9A-F]?\d{10}-\d{8}-[0-9A-F]{6}-?[0-9A-F]{6}-[0-9A-F]{2}[0-9A-F]?"
_KSEF_LAYOUT = r"^\d{10}-\d{8}-[0-9A-F]{6}-?[0-9A-F]{6}-[0-9A-F]{2}$"
# Cheap tests for the texts that may hold a creditor reference (found and checked in Python,
# reconcile.matching.creditor_references): RF and two digits, an OGM with or without its +++, a QR reference,
# an FI-kort line, or digits after a word naming a scheme; a structured reference of digits alone.
_CREDITOR_HINT = (
    r"(?i)RF[0-9]{2}|[0-9]{3}\s*/\s*[0-9]{4}\s*/\s*[0-9]{5}|[0-9]{27}|[0-9]{2}(?: [0-9]{5}){5}|\+\s?71\s*<"
    r"|(?:VIITE|KID|REF|FIK|BETALINGS)[A-Z .:#<+-]{0,40}[0-9]"
)
_WHOLE_CREDITOR_HINT = r"^[\s0-9/+*<-]+$"
_CREDITOR_READING = pl.Struct({"numeric": pl.Boolean, "body": pl.String, "ref_text": pl.String})
# A near miss counts only where the line pays the invoice's open amount in its currency.
_LINE_MONEY, _INVOICE_MONEY = ["line_currency", "line_units"], ["invoice_currency", "open_units"]
# How much longer than the longest short invoice number a title may be and still hold nothing else but
# words like "faktura nr" around it.
_TITLE_WORDS_ROOM = 40
# A number of up to _CODED letters and digits is one Int128 (_run_ids), so that titles are joined to numbers
# on integers, not on text: its place in shortlex order (under 36**21 / 35), shifted by _CODED bits to hold
# where its pieces end. Longer numbers (rare) are joined as text (_text_runs).
_CODED = 20
_POWERS_OF_36 = pl.Series([36**k for k in range(_CODED + 1)], dtype=pl.Int128)
_POWERS_OF_2 = pl.Series([2**k for k in range(_CODED + 1)], dtype=pl.Int64)
_SHORTER = pl.Series([(36**k - 1) // 35 for k in range(_CODED + 1)], dtype=pl.Int128)  # texts shorter than k
# How a run names a number: as written, with leading zeros dropped, or without its prefix word.
_READING = pl.Enum(["written", "loose", "lost"])
# A run found, however: its pieces' rows (from `row` to before `end`), the invoice, and how it names it.
_RUN = ["row", "end", "iri", "reading"]
# The lazy queries here are collected by the streaming engine, which shares their rows out among the cores.
_ENGINE: Final = "streaming"
_Frame = TypeVar("_Frame", pl.DataFrame, pl.LazyFrame)


def reference_pairs(incoming: pl.DataFrame, books: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Every (line, invoice) pair a title names, once, with the strongest reference found for it.

    `incoming` has line_id, line_currency, line_units, text (title, structured reference and end-to-end id),
    whole_title and whole_reference; `books` has iri, invoice_name, invoice_currency, open_units and
    ksef_number.
    """
    keys, pieces, ksef = pl.collect_all(
        [_invoice_keys(books), _title_pieces(incoming), _ksef_pairs(incoming, books)], engine=_ENGINE
    )
    found = pl.concat([ksef, _creditor_pairs(incoming, keys), _number_pairs(incoming, pieces, keys, rules)])
    near = _near_pairs(incoming, pieces, keys, found, rules)
    return _strongest(pl.concat([found, near]))


def _no_pairs(lines: pl.DataFrame, invoices: pl.DataFrame) -> pl.DataFrame:
    """No pair, with the ids typed as the tables give them (text, or the core's row numbers)."""
    ids = {"line_id": lines.schema["line_id"], "iri": invoices.schema["iri"]}
    return pl.DataFrame(schema={**ids, "ref_kind": pl.String, "ref_text": pl.String})


def _strongest(found: pl.DataFrame) -> pl.DataFrame:
    """Each (line, invoice) pair once, with the strongest kind of reference found for it (REF_STRENGTH)."""
    return (
        found.with_columns(
            pl.col("ref_kind").replace_strict(REF_STRENGTH, return_dtype=pl.Int8).alias("strength")
        )
        .sort(["line_id", "iri", "strength", "ref_text"], descending=[False, False, True, False])
        .unique(["line_id", "iri"], keep="first", maintain_order=True)
        .drop("strength")
    )


# -- pieces of titles and of invoice numbers -------------------------------------------------------------


def _folded_tokens(text: pl.Expr) -> pl.Expr:
    """The text's upper-case ASCII letter-and-digit runs (reconcile.matching.text.tokens, on a column).
    Accents are taken off only where the text is not ASCII (it has more bytes than characters): on the
    others, most texts, that costliest step would change nothing."""
    specials, plain = zip(*SPECIAL_LETTERS.items(), strict=True)
    text = text.fill_null("")
    accented = pl.when(text.str.len_bytes() > text.str.len_chars()).then(text)
    unaccented = (
        accented.str.replace_many(list(specials), list(plain))
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
    )
    return pl.coalesce(unaccented, text).str.to_uppercase().str.extract_all(r"[0-9A-Z]+")


def _loose(piece: pl.Expr) -> pl.Expr:
    """Leading zeros dropped from a numeric piece (FV/2026/4/123 and FV/2026/04/0123 agree)."""
    stripped = piece.str.strip_chars_start("0")
    return (
        pl.when(piece.str.contains(r"^[0-9]+$"))
        .then(pl.when(stripped == "").then(pl.lit("0")).otherwise(stripped))
        .otherwise(piece)
    )


def _invoice_keys(books: pl.DataFrame) -> pl.LazyFrame:
    """Each invoice's exact key (its pieces run together), its pieces, the first of them (`prefix`) and
    their number (`width`), name and open amount, for those with a digit in their number (a number of
    words only would match ordinary words of titles)."""
    return (
        books.lazy()
        .with_columns(_folded_tokens(pl.col("invoice_name")).alias("pieces"))
        .select(
            "iri",
            pl.col("pieces").list.join("").alias("exact"),
            "pieces",
            pl.col("pieces").list.first().alias("prefix"),
            pl.col("pieces").list.len().alias("width"),
            pl.col("invoice_name").alias("text"),
            "invoice_currency",
            "open_units",
        )
        .filter(pl.col("exact").str.contains(r"[0-9]"))
    )


def _title_pieces(incoming: pl.DataFrame) -> pl.LazyFrame:
    """Every title's pieces in order, one row each: its `row` here, the piece before it in its title
    (`before`), its measures (_measured) and the base-36 digits it starts with (`first`; `loose_first`
    with leading zeros dropped) and ends with (`last`)."""
    # The digits of a KSeF number (its NIP, its date) are no invoice number of their own.
    text = pl.col("text").str.replace_all(f"(?i){_KSEF_RUN}", " ")
    line, piece = pl.col("line_id"), pl.col("piece")
    pieces = (
        incoming.lazy()
        .select("line_id", _folded_tokens(text).alias("piece"))
        .explode("piece")
        .drop_nulls("piece")
        .with_row_index("row")
        .with_columns(pl.when(line.shift(1) == line).then(piece.shift(1)).alias("before"))
    )
    value = pl.col("value")
    return _measured(pieces).with_columns(
        _first_digit(value, pl.col("size")).alias("first"),
        _first_digit(value, pl.col("loose_size")).alias("loose_first"),
        _last_digit(value).alias("last"),
    )


def _measured(pieces: pl.LazyFrame) -> pl.LazyFrame:
    """`pieces` with each piece's `size`, its size with leading zeros dropped (`loose_size`, see _loose),
    and its `value` as a number in base 36, which dropping zeros leaves as it is."""
    piece = pl.col("piece")
    zeros = pl.when(piece.str.starts_with("0")).then(piece)  # the few pieces _loose changes
    size = piece.str.len_bytes()  # pieces are ASCII
    return pieces.with_columns(
        size.alias("size"),
        pl.when(zeros.str.contains(r"^[0-9]+$"))
        .then(zeros.str.strip_chars_start("0").str.len_bytes().clip(lower_bound=1))
        .otherwise(size)
        .alias("loose_size"),
        piece.str.to_integer(base=36, dtype=pl.Int128, strict=False).alias("value"),  # null past 2**127
    )


def _first_digit(value: pl.Expr, size: pl.Expr) -> pl.Expr:
    """The first base-36 digit of a text of `size` characters and base-36 `value`; past _CODED + 1
    characters, where no run gets an id, a digit of no matter or null."""
    return (value // pl.lit(_POWERS_OF_36).gather((size - 1).clip(0, _CODED))).cast(pl.Int8, strict=False)


def _last_digit(value: pl.Expr) -> pl.Expr:
    """The last base-36 digit of a text of base-36 `value`."""
    return (value % 36).cast(pl.Int8)


# -- invoice numbers in titles ---------------------------------------------------------------------------


def _number_pairs(
    incoming: pl.DataFrame, pieces: pl.DataFrame, all_keys: pl.DataFrame, rules: Rules
) -> pl.DataFrame:
    """(line, invoice) pairs whose title names the invoice's number: as written, with its zeros dropped, or
    without its prefix word where that is what no other open invoice's number becomes."""
    min_length = rules.min_reference_length
    short = pl.col("exact").str.len_chars() < min_length
    alone = _whole_pairs(incoming, all_keys.filter(short, pl.col("exact").str.len_chars() >= SHORT_MIN))
    keys = all_keys.filter(~short)
    unprefixed = _lost_prefix_keys(keys, min_length)
    width = _widest(keys)
    runs = pl.concat(
        [
            _coded_runs(pieces, keys, unprefixed, width, min_length),
            _text_runs(pieces, keys, unprefixed, width, min_length),
        ]
    )
    reading = pl.col("reading")
    written = runs.filter(reading == "written")
    covered = _covered(written, pieces.height)
    # A run that is, or overlaps, some invoice's number as written is not also another's with zeros
    # dropped: "Inv 2026-1912" names 2026-1912 (perhaps paid), not INV-2026-01912.
    loose = _clear_of(runs.filter(reading == "loose"), covered)
    lost = _after_no_other_prefix(_clear_of(runs.filter(reading == "lost"), covered), unprefixed, pieces)
    found = _outermost(pl.concat([written, loose, lost]), written, pieces.height)
    kind = (
        pl.when(reading == "written").then(pl.lit("invoice_number")).otherwise(pl.lit("invoice_number_loose"))
    )
    found = found.with_columns(
        pieces["line_id"].gather(found["row"]).alias("line_id"), kind.alias("ref_kind")
    )
    return pl.concat([_spelled(found, pieces).select("line_id", "iri", "ref_kind", "ref_text"), alone])


def _widest(keys: pl.DataFrame) -> int:
    """The most pieces any key has: the longest run of a title worth building."""
    return int(keys.select(pl.col("width").max()).item() or 1) if keys.height else 0


def _lost_prefix_keys(keys: pl.DataFrame, min_length: int) -> pl.DataFrame:
    """Each invoice's key without its leading letters-only piece (FV/2026/04/0123 -> 2026040123), where
    what is left still has `min_length` characters and no other open invoice's key becomes the same without
    its prefix: FV/2026/0331 and FK/2026/0331 both lose theirs to 20260331, so neither counts by it. (Where
    it is another invoice's key as written, that one is found: see `_clear_of`.)"""
    rest = pl.col("exact").str.slice(pl.col("prefix").str.len_chars())
    return (
        keys.lazy()
        .filter(pl.col("prefix").str.contains(r"^[A-Z]+$"))
        .select("iri", rest.alias("exact"), "prefix")
        .filter(pl.col("exact").str.len_chars() >= min_length)
        .filter(pl.len().over("exact") == 1)
        .collect()
    )


def _reading(name: str) -> pl.Expr:
    """How the runs of a join name their numbers (_READING)."""
    return pl.lit(name, dtype=_READING).alias("reading")


def _as_written(keys: pl.LazyFrame, unprefixed: pl.LazyFrame) -> pl.LazyFrame:
    """The numbers of `keys` as written and without their prefix word (`exact`, `reading`)."""
    return pl.concat(
        [
            keys.select("iri", "exact", _reading("written")),
            unprefixed.join(keys, on="iri", how="semi").select("iri", "exact", _reading("lost")),
        ]
    )


def _coded_runs(
    pieces: pl.DataFrame, keys: pl.DataFrame, unprefixed: pl.DataFrame, width: int, min_length: int
) -> pl.DataFrame:
    """The runs of titles that name numbers of at most _CODED characters as written, with their zeros
    dropped or without their prefix word, joined to them on integers (_run_ids)."""
    keys = keys.filter(pl.col("exact").str.len_bytes() <= _CODED)
    if keys.is_empty():
        return _no_runs(keys)
    written, loose = pl.collect_all([_written_ids(keys, unprefixed), _key_runs(keys)], engine=_ENGINE)
    looks = {  # what the numbers' runs look like
        "size": written["size"],
        "loose_size": loose["loose_size"],
        "first": pl.concat([written["first"], loose["loose_first"]]),
        "last": written["last"],
    }
    runs = _title_runs(pieces, looks, width, min_length).collect(engine=_ENGINE).lazy()
    as_written = runs.join(written.lazy().select("iri", "reading", "written_id"), on="written_id")
    as_loose = runs.join(loose.lazy().select("iri", _reading("loose"), "loose_id"), on="loose_id")
    return pl.concat([as_written.select(_RUN), as_loose.select(_RUN)]).collect(engine=_ENGINE)


def _written_ids(keys: pl.DataFrame, unprefixed: pl.DataFrame) -> pl.LazyFrame:
    """The numbers as written and without their prefix word (`reading`), with their size, id
    (_shortlex) and first and last base-36 digits."""
    written = _as_written(keys.lazy(), unprefixed.lazy())
    size, value = pl.col("exact").str.len_bytes(), pl.col("exact").str.to_integer(base=36, dtype=pl.Int128)
    return written.select(
        "iri",
        "reading",
        size.alias("size"),
        _shortlex(value, size).alias("written_id"),
        _first_digit(value, size).alias("first"),
        _last_digit(value).alias("last"),
    )


def _key_runs(keys: pl.DataFrame) -> pl.LazyFrame:
    """Each number's pieces run together, told apart as a title's runs are (_run_ids), with the base-36
    digit they start with when leading zeros are dropped."""
    exploded = keys.lazy().select(pl.col("pieces").alias("piece")).explode("piece").with_row_index("row")
    pieces = _measured(exploded).collect(engine=_ENGINE)
    heads = keys.lazy().select("iri", "width", (pl.col("width").cum_sum() - pl.col("width")).alias("row"))
    value, loose_size = (pl.lit(pieces[column]).gather(pl.col("row")) for column in ("value", "loose_size"))
    runs = []
    for count in range(1, _widest(keys) + 1):
        run = _run_ids(pieces, count)
        runs.append(
            heads.filter(pl.col("width") == count).select(
                "iri",
                run["loose_size"].alias("loose_size"),
                run["loose_id"].alias("loose_id"),
                _first_digit(value, loose_size).alias("loose_first"),
            )
        )
    return pl.concat(runs)


def _title_runs(
    pieces: pl.DataFrame, looks: dict[str, pl.Series], width: int, min_length: int
) -> pl.LazyFrame:
    """The runs of up to `width` consecutive pieces of every title, of at least `min_length` characters, that
    look like some number (`looks`): of one of its sizes as written or loose, starting with a digit some
    number or its loose reading starts with and ending with one some number ends with; with their ids."""
    some = {look: values.unique().implode() for look, values in looks.items()}
    runs = []
    for count in range(1, width + 1):
        ahead, last = range(count), count - 1
        size = pl.sum_horizontal([pl.col("size").shift(-k) for k in ahead])
        loose_size = pl.sum_horizontal([pl.col("loose_size").shift(-k) for k in ahead])
        heads = pieces.lazy().filter(
            pl.col("line_id").shift(-last) == pl.col("line_id"),  # the run stays in its title
            size >= min_length,
            size.is_in(some["size"]) | loose_size.is_in(some["loose_size"]),
            pl.col("first").is_in(some["first"]) | pl.col("loose_first").is_in(some["first"]),
            pl.col("last").shift(-last).is_in(some["last"]),
        )
        run = _run_ids(pieces, count)
        runs.append(
            heads.select(
                "row",
                (pl.col("row") + count).alias("end"),
                run["written_id"].alias("written_id"),
                run["loose_id"].alias("loose_id"),
            )
        )
    return pl.concat(runs)


def _run_ids(pieces: pl.DataFrame, count: int) -> dict[str, pl.Expr]:
    """Of the run of `count` pieces starting at each `row` of `pieces` (_measured): its `loose_size` and two
    integers that tell runs apart, `written_id`, the place in shortlex order of its pieces run together
    (_shortlex), and `loose_id`, the same with leading zeros dropped, shifted to hold where each piece
    ends (bit k: k characters before the run's end)."""

    def ahead(column: str, k: int) -> pl.Expr:
        return pl.lit(pieces[column]).gather(pl.col("row") + k)

    written = loose = ahead("value", 0)
    ends = pl.lit(1, dtype=pl.Int64)
    for k in range(1, count):
        # Past _CODED characters a run gets no id: what is computed for it then is no matter.
        size, loose_size = (ahead(column, k).clip(upper_bound=_CODED) for column in ("size", "loose_size"))
        written = written * pl.lit(_POWERS_OF_36).gather(size) + ahead("value", k)
        loose = loose * pl.lit(_POWERS_OF_36).gather(loose_size) + ahead("value", k)
        ends = ends * pl.lit(_POWERS_OF_2).gather(loose_size) + 1
    size, loose_size = (
        pl.sum_horizontal(ahead(column, k) for k in range(count)) for column in ("size", "loose_size")
    )
    return {
        "loose_size": loose_size,
        "written_id": _shortlex(written, size),
        "loose_id": _shortlex(loose, loose_size) * 2**_CODED + ends,
    }


def _shortlex(value: pl.Expr, size: pl.Expr) -> pl.Expr:
    """A text's place among all texts of letters and digits, shorter ones first, from its `value` in base 36
    and its `size` (which tells "0123" from "123"); null past _CODED characters."""
    return pl.when(size <= _CODED).then(value + pl.lit(_SHORTER).gather(size.clip(upper_bound=_CODED)))


def _text_runs(
    pieces: pl.DataFrame, keys: pl.DataFrame, unprefixed: pl.DataFrame, width: int, min_length: int
) -> pl.DataFrame:
    """The runs of titles that name numbers of more than _CODED characters (rare) as written, with their
    zeros dropped or without their prefix word, joined to them as text."""
    keys = keys.filter(pl.col("exact").str.len_bytes() > _CODED)
    if keys.is_empty():
        return _no_runs(keys)
    written = _as_written(keys.lazy(), unprefixed.lazy()).collect()
    loose = keys.select("iri", pl.col("pieces").list.eval(_loose(pl.element())).list.join("-").alias("loose"))
    sizes, loose_sizes = written["exact"].str.len_chars().unique(), loose["loose"].str.len_chars().unique()
    windows = _title_windows(pieces, sizes, loose_sizes, width, min_length)
    as_written = windows.join(written, on="exact")
    as_loose = windows.join(loose, on="loose").with_columns(_reading("loose"))
    return pl.concat([as_written.select(_RUN), as_loose.select(_RUN)])


def _no_runs(keys: pl.DataFrame) -> pl.DataFrame:
    """No run, typed as the runs found are."""
    return pl.DataFrame(
        schema={"row": pl.UInt32, "end": pl.UInt32, "iri": keys.schema["iri"], "reading": _READING}
    )


def _title_windows(
    pieces: pl.DataFrame, sizes: pl.Series, loose_sizes: pl.Series, width: int, min_length: int
) -> pl.DataFrame:
    """The runs of up to `width` consecutive pieces of every title that could be a key, with their rows,
    their title and their text: as written (`exact`), with leading zeros dropped (`loose`), and as a person
    wrote it (`ref_text`).

    A title of n pieces has up to n x width runs; only those of at least `min_length` characters that hold a
    digit and whose length is one of `sizes`, or with zeros dropped one of `loose_sizes`, are built (counted
    from the pieces' lengths, before any text is put together).
    """
    pieces = pieces.with_columns(pl.col("piece").str.contains(r"[0-9]").alias("digit")).with_row_index("at")
    windows = []
    for count in range(1, width + 1):
        ahead = range(count)
        exact_size = pl.sum_horizontal([pl.col("size").shift(-k) for k in ahead])
        loose_size = pl.sum_horizontal([pl.col("loose_size").shift(-k) for k in ahead]) + (count - 1)
        heads = pieces.filter(
            pl.col("line_id").shift(-(count - 1)) == pl.col("line_id"),  # the run stays in its title
            pl.any_horizontal([pl.col("digit").shift(-k) for k in ahead]),
            exact_size >= min_length,
            exact_size.is_in(sizes.implode()) | loose_size.is_in(loose_sizes.implode()),
        ).select("at", "row", "line_id")
        parts = [pl.lit(pieces["piece"].gather(heads["at"] + k)) for k in ahead]
        windows.append(
            heads.select(
                "line_id",
                "row",
                (pl.col("row") + count).alias("end"),
                pl.concat_str(parts).alias("exact"),
                pl.concat_str([_loose(part) for part in parts], separator="-").alias("loose"),
                pl.concat_str(parts, separator=" ").alias("ref_text"),
            )
        )
    if not windows:
        return pl.DataFrame(schema={"line_id": pieces.schema["line_id"], "row": pl.UInt32, "end": pl.UInt32,
                                    "exact": pl.String, "loose": pl.String, "ref_text": pl.String})  # fmt: skip
    return pl.concat(windows)


def _covered(spans: pl.DataFrame, pieces: int) -> pl.Series:
    """For each k from 0 to `pieces`, how many of the first k pieces some of `spans` covers: a run of rows
    [row, end) shares a piece with one where the count grows from row to end."""
    rows = spans.select(pl.int_ranges("row", "end").explode()).to_series()
    covered = pl.zeros(pieces, dtype=pl.UInt32, eager=True).scatter(rows, 1)
    return pl.concat([pl.Series([0], dtype=pl.UInt32), covered.cum_sum()])


def _clear_of(runs: pl.DataFrame, covered: pl.Series) -> pl.DataFrame:
    """The runs that share no piece with a run found as written (`covered`: _covered): in
    "INV-2026-10145 04.08.2026", 2026 10145 04 is not FV/2026/10/14504 without its prefix."""
    return runs.filter(covered.gather(runs["end"]) == covered.gather(runs["row"]))


def _after_no_other_prefix(
    runs: pl.DataFrame, unprefixed: pl.DataFrame, pieces: pl.DataFrame
) -> pl.DataFrame:
    """The runs read as numbers without their prefix word (`unprefixed`) that stand first in their title or
    after a title word or a long word: after its own prefix, a number is found as written (FV 2026/04/0123),
    and after a number or a short word that may be another prefix, it is another document (FK 2026/04/0123
    is not FV/2026/04/0123)."""
    before = pl.col("before")
    return (
        runs.lazy()
        .join(unprefixed.lazy().select("iri", "prefix"), on="iri")
        .with_columns(pl.lit(pieces["before"]).gather(pl.col("row")).alias("before"))
        .filter(
            before.ne_missing(pl.col("prefix")),
            before.is_null()
            | before.is_in(list(TITLE_WORDS))
            | (before.str.contains(r"^[A-Z]+$") & (before.str.len_chars() > SHORT_MAX)),
        )
        .select(_RUN)
        .collect()
    )


def _outermost(runs: pl.DataFrame, written: pl.DataFrame, pieces: int) -> pl.DataFrame:
    """The runs not inside a longer run found as written (`written`): 2026/04/0123 inside FV/2026/04/0123
    is no reference of its own. Only a run found as written hides others: "INV 2026 2500" read as
    INV-2026-02500 with its zeros dropped must not hide invoice 2026-2500 written exactly.

    A run is inside a longer one where that starts before it and ends at or after its end, or starts with it
    and ends after it: the furthest end of the written runs starting at each row tells (a run reaching past
    a row is in that row's title)."""
    starting = written.group_by("row").agg(pl.col("end").max())
    furthest = pl.zeros(pieces, dtype=pl.UInt32, eager=True).scatter(starting["row"], starting["end"])
    before = pl.concat([pl.Series([0], dtype=pl.UInt32), furthest.cum_max()]).gather(runs["row"])
    return runs.filter((before < runs["end"]) & (furthest.gather(runs["row"]) <= runs["end"]))


def _spelled(runs: pl.DataFrame, pieces: pl.DataFrame) -> pl.DataFrame:
    """`runs` with the text a person wrote there (`ref_text`): their pieces, spaced."""
    piece, count = pl.lit(pieces["piece"]), pl.col("end") - pl.col("row")
    by_count = []
    for n in runs.select(count.unique()).to_series():
        spaced = pl.concat_str([piece.gather(pl.col("row") + k) for k in range(n)], separator=" ")
        by_count.append(runs.lazy().filter(count == n).with_columns(spaced.alias("ref_text")))
    if not by_count:
        return runs.with_columns(pl.lit(None, dtype=pl.String).alias("ref_text"))
    return pl.concat(by_count).collect(engine=_ENGINE)


def whole_key(text: pl.Expr) -> pl.Expr:
    """reconcile.matching.references.whole_reference_key on a column: the text's pieces without the title
    words (TITLE_WORDS) at either end, run together; null when nothing else is there."""
    words = "|".join(sorted(TITLE_WORDS, key=len, reverse=True))
    spaced = _folded_tokens(text).list.join(" ")
    core = spaced.str.replace(rf"^(?:(?:{words}) )+", "").str.replace(rf"(?: (?:{words}))+$", "")
    only_title_words = spaced.str.contains(rf"^(?:(?:{words})(?: |$))*$")
    return pl.when(only_title_words).then(None).otherwise(core.str.replace_all(" ", "", literal=True))


def _whole_pairs(incoming: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """(line, invoice) pairs where a short invoice number (under `min_reference_length` characters) is all a
    title says besides words like "faktura nr", or all a structured reference or split-payment INV field
    holds: found inside longer text, "123" would be any number."""
    if keys.is_empty():
        return _no_pairs(incoming, keys)
    longest = int(keys.select(pl.col("text").str.len_chars().max()).item())
    digits = keys.select(pl.col("exact").str.extract_all(r"[0-9]+").list.first().unique()).to_series()
    most_digits = int(keys.select(pl.col("exact").str.count_matches(r"[0-9]").max()).item())
    alone = pl.col("alone")
    # Digits never fold, and title words hold none: cheap first tests, one after the other, before any
    # folding.
    stands_alone = (
        incoming.unpivot(["whole_title", "whole_reference"], index="line_id", value_name="alone")
        .drop_nulls("alone")
        .filter(alone.str.len_chars() <= longest + _TITLE_WORDS_ROOM)  # more would not be alone
        .filter(alone.str.contains_any(digits.to_list()))
        .filter(alone.str.count_matches(r"[0-9]") <= most_digits)
        .with_columns(whole_key(alone).alias("exact"))
    )
    return stands_alone.join(keys.select("iri", "exact"), on="exact").select(
        "line_id", "iri", pl.lit("invoice_number").alias("ref_kind"), alone.alias("ref_text")
    )


# -- near misses -------------------------------------------------------------------------------------------


def _near_pairs(
    incoming: pl.DataFrame, pieces: pl.DataFrame, keys: pl.DataFrame, found: pl.DataFrame, rules: Rules
) -> pl.DataFrame:
    """(line, invoice) pairs where a line that names no invoice otherwise holds a run one character off the
    invoice's number (one substituted, or the last cut off), no other open invoice is that close to the run,
    and the line pays the invoice's open amount in its currency: a typo alone names nothing."""
    lonely = incoming.filter(~pl.col("line_id").is_in(found["line_id"].implode()))
    near = _near_keys(keys.filter(pl.col("exact").str.len_chars() >= rules.min_reference_length))
    if lonely.is_empty() or near.is_empty():
        return _no_pairs(incoming, keys)
    sizes = pl.concat([near["n"], near["n"] - 1]).unique()
    windows = _title_windows(
        pieces.filter(pl.col("line_id").is_in(lonely["line_id"].implode())),
        sizes,
        pl.Series(dtype=pl.UInt32),
        _widest(keys),
        rules.min_reference_length,
    )
    runs = _halved(
        windows.join(lonely.select("line_id", "line_currency", "line_units"), on="line_id").rename(
            {"exact": "run"}
        ),
        "run",
    )
    close = _close_at_the_amount(runs, near)
    if close.is_empty():
        return _no_pairs(incoming, keys)
    single = _close_to_one_invoice(close.select("run").unique(), near)
    return close.join(single, on="run", how="semi").select(
        "line_id", "iri", pl.lit("invoice_number_near").alias("ref_kind"), "ref_text"
    )


def _halved(frame: _Frame, column: str) -> _Frame:
    """`frame` with the length (n) and the first and second halves of `column`: a text one character off
    another of its length has one of its halves."""
    n = pl.col(column).str.len_chars()
    return frame.with_columns(
        n.alias("n"),
        pl.col(column).str.head(n // 2).alias("first"),
        pl.col(column).str.slice(n // 2).alias("second"),
    )


def _near_keys(keys: pl.DataFrame) -> pl.DataFrame:
    """The keys a near miss is looked for among, halved, with their last character cut off, and the open
    amount."""
    money = keys.select("iri", pl.col("exact").alias("key"), "invoice_currency", "open_units")
    return _halved(money, "key").with_columns(pl.col("key").str.head(-1).alias("cut"))


def _close_at_the_amount(runs: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """(run, invoice) pairs where the run is one character off the invoice's key, one substituted or the last
    cut off, and the line pays the invoice's open amount in its currency."""
    pair = ["line_id", "run", "ref_text", "iri"]
    runs_at, keys_at = runs.lazy(), keys.lazy()
    by_half = [
        runs_at.join(keys_at, left_on=[*_LINE_MONEY, "n", half], right_on=[*_INVOICE_MONEY, "n", half])
        for half in ("first", "second")
    ]
    substituted = _one_apart(pl.concat([found.select(*pair, "key") for found in by_half]))
    cut = runs_at.join(keys_at, left_on=[*_LINE_MONEY, "run"], right_on=[*_INVOICE_MONEY, "cut"])
    return pl.concat([substituted.select(pair), cut.select(pair)]).unique().collect(engine=_ENGINE)


def _one_apart(pairs: pl.LazyFrame) -> pl.LazyFrame:
    """The rows whose run and key, of one length, differ in exactly one character."""
    pairs = pairs.with_row_index("pair")
    characters = pairs.select("pair", pl.col("run").str.split(""), pl.col("key").str.split("")).explode(
        "run", "key"
    )
    one = characters.group_by("pair").agg((pl.col("run") != pl.col("key")).sum().alias("differ"))
    return pairs.join(one.filter(pl.col("differ") == 1), on="pair", how="semi").drop("pair")


def _close_to_one_invoice(runs: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """The runs exactly one open invoice's key is one character off (of any amount): a typo two invoices are
    that close to could be either's."""
    # A key one character off in its second half has there one of the characters keys' second halves hold.
    characters = sorted(set(keys["second"].str.join("").item()))
    runs_at, keys_at = _halved(runs.lazy(), "run"), keys.lazy()
    first_off = _one_apart(runs_at.join(keys_at.select("iri", "key", "n", "second"), on=["n", "second"]))
    second_off = _second_half_substitutions(runs_at, characters).join(keys_at.select("iri", "key"), on="key")
    cut = runs_at.join(keys_at.select("iri", "cut"), left_on="run", right_on="cut")
    close = pl.concat([found.select("run", "iri") for found in (first_off, second_off, cut)]).unique()
    single = close.group_by("run").agg(pl.len().alias("invoices")).filter(pl.col("invoices") == 1)
    return single.select("run").collect(engine=_ENGINE)


def _second_half_substitutions(runs: pl.LazyFrame, characters: list[str]) -> pl.LazyFrame:
    """Each run with one character of its second half replaced by each of `characters`, as `key`: the keys
    one substitution away that share the run's first half, found without joining on that half, which in a
    series numbered by year is shared by thousands of invoices (FV2026...)."""
    run, at = pl.col("run"), pl.col("at")
    around = (
        runs.select("run", pl.int_ranges(run.str.len_chars() // 2, run.str.len_chars()).alias("at"))
        .explode("at")
        .select("run", run.str.head(at).alias("head"), run.str.slice(at + 1).alias("tail"))
    )
    # The run itself is among them: no key, or its line would have named that invoice.
    return pl.concat(
        around.select("run", pl.concat_str(["head", pl.lit(char), "tail"]).alias("key"))
        for char in characters
    )


# -- KSeF numbers and creditor references -------------------------------------------------------------------


def _ksef_pairs(incoming: pl.DataFrame, books: pl.DataFrame) -> pl.LazyFrame:
    """(line, invoice) pairs whose title holds the invoice's KSeF number with a valid checksum
    (reconcile.matching.references.find_ksef_numbers, on a column)."""
    # A number counts where no hex digit stands right before or after it: the regex takes one in when
    # there is, and such a run is then too long to be read as a number.
    found = (
        incoming.lazy()
        .filter(pl.col("text").str.contains(_KSEF_HINT))
        .select("line_id", pl.col("text").str.to_uppercase().str.extract_all(_KSEF_RUN).alias("run"))
        .explode("run")
        .select("line_id", _ksef_canonical(pl.col("run")))
        .drop_nulls("ksef")
        .unique()
        .join(_invoice_ksef(books), on="ksef")
    )
    return found.filter(_ksef_checksum_holds(pl.col("ksef"))).select(
        "line_id", "iri", pl.lit("ksef").alias("ref_kind"), pl.col("ksef").alias("ref_text")
    )


def _invoice_ksef(books: pl.DataFrame) -> pl.LazyFrame:
    """Each invoice's KSeF number put in canonical form as _ksef_canonical does, the dash between the hex
    blocks dropped where there is one, its layout unchecked: a title's number that is the same has the
    layout. Its checksum needs no check either, as a title's number counts only when its own holds."""
    number = pl.col("ksef_number").str.strip_chars().str.to_uppercase()
    length, undashed = number.str.len_chars(), number.str.slice(0, 26) + number.str.slice(27)
    canonical = (
        pl.when(length == 35)
        .then(number)
        .when((length == 36) & (number.str.slice(26, 1) == "-"))
        .then(undashed)
    )
    return books.lazy().select("iri", canonical.alias("ksef")).drop_nulls("ksef")


def _ksef_canonical(number: pl.Expr) -> pl.Expr:
    """NIP-YYYYMMDD-HEX12-CC where `number` is a KSeF number's layout, dash between the hex blocks or not;
    else null."""
    dashed = number.str.slice(0, 26) + number.str.slice(27)  # the 36-character form less its 27th
    canonical = pl.when(number.str.len_chars() == 36).then(dashed).otherwise(number)
    return pl.when(number.str.contains(_KSEF_LAYOUT)).then(canonical).alias("ksef")


def _ksef_checksum_holds(canonical: pl.Expr) -> pl.Expr:
    """Whether a canonical KSeF number's last two characters are the CRC-8 of its first 32
    (reconcile.matching.references.crc8), one table lookup per character over the whole column."""
    table = pl.lit(pl.Series(list(CRC8_TABLE), dtype=pl.UInt8))
    data = canonical.str.head(32).cast(pl.Binary).bin.reinterpret(dtype=pl.Array(pl.UInt8, 32))
    crc: pl.Expr = pl.lit(0, dtype=pl.UInt8)
    for i in range(32):
        crc = table.gather(crc.xor(data.arr.get(i)))
    return crc == canonical.str.slice(33, 2).str.to_integer(base=16).cast(pl.UInt8)


def _creditor_pairs(incoming: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """(line, invoice) pairs whose title or structured reference holds a creditor reference, its check digit
    holding, built on the invoice's number."""
    hinted = incoming.filter(
        pl.col("text").str.contains(_CREDITOR_HINT)
        | pl.col("whole_reference").str.contains(_WHOLE_CREDITOR_HINT).fill_null(False)
    )
    if hinted.is_empty() or keys.is_empty():
        return _no_pairs(incoming, keys)
    readings = (
        hinted.select(
            "line_id",
            pl.struct("text", "whole_reference")
            .map_elements(_creditor_readings, return_dtype=pl.List(_CREDITOR_READING))
            .alias("reading"),
        )
        .explode("reading")
        .unnest("reading")
        .drop_nulls("body")
    )
    return readings.join(_creditor_keys(keys), on=["numeric", "body"]).select(
        "line_id", "iri", pl.lit("creditor_reference").alias("ref_kind"), "ref_text"
    )


def _creditor_readings(line: dict[str, Any]) -> list[dict[str, Any]]:
    """Every creditor reference of a line, in its text or read whole from its structured reference: whether
    its scheme is all digits, its body (reconcile.matching.creditor_references.reference_body), as written."""
    references = find_creditor_references(line["text"] or "")
    if line["whole_reference"]:
        references += parse_creditor_reference(line["whole_reference"])
    return [
        {"numeric": ref.kind != RF, "body": reference_body(ref), "ref_text": ref.raw}
        for ref in dict.fromkeys(references)
    ]


def _creditor_keys(keys: pl.DataFrame) -> pl.DataFrame:
    """The body a creditor reference built on each invoice's number has, by scheme (RF or all digits), where
    it is no other open invoice's (reconcile.flowtly.assumptions.creditor_reference_bodies). An RF body may
    be as short as the invoice's number (RF741 for invoice 1: its two check digits make it no accident);
    a body of digits alone needs SHORT_MIN of them, as a short number anywhere does."""
    rf, numeric = creditor_reference_bodies(pl.col("exact"))
    bodies = pl.concat(
        [
            keys.select("iri", pl.lit(False).alias("numeric"), rf.alias("body")),
            keys.select("iri", pl.lit(True).alias("numeric"), numeric.alias("body")),
        ]
    )
    length = pl.col("body").str.len_chars()
    return bodies.filter(pl.when(pl.col("numeric")).then(length >= SHORT_MIN).otherwise(length > 0)).filter(
        pl.len().over("numeric", "body") == 1
    )
