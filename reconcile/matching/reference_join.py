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
    # Collected in parts by the cores, the pieces are put back in one: they are picked by number (gather),
    # which is many times slower across parts.
    pieces = pieces.rechunk()
    found = pl.concat([ksef, _creditor_pairs(incoming, keys), _number_pairs(incoming, pieces, keys, rules)])
    near = _near_pairs(incoming, pieces, keys, found, rules)
    return _strongest(pl.concat([found, near]))


def _no_pairs(lines: pl.DataFrame, invoices: pl.DataFrame) -> pl.DataFrame:
    """No pair, with the ids typed as the tables give them (text, or the core's row numbers)."""
    ids = {"line_id": lines.schema["line_id"], "iri": invoices.schema["iri"]}
    return pl.DataFrame(schema={**ids, "ref_kind": pl.String, "ref_text": pl.String})


def _strongest(found: pl.DataFrame) -> pl.DataFrame:
    """Each (line, invoice) pair once, with the strongest kind of reference found for it (REF_STRENGTH),
    in the pairs' order. Few pairs are found more than once: only those are ranked."""
    pair = ["line_id", "iri"]
    found = found.sort(pair)
    same = [pl.all_horizontal(pl.col(column) == pl.col(column).shift(k) for column in pair) for k in (1, -1)]
    repeated = found.select(pl.any_horizontal(same).fill_null(False)).to_series()
    strength = pl.col("ref_kind").replace_strict(REF_STRENGTH, return_dtype=pl.Int8)
    best = (
        found.with_row_index("at")
        .filter(repeated)
        .sort([*pair, strength, "ref_text"], descending=[False, False, True, False])
        .unique(pair, keep="first")
    )
    return found.filter(~repeated | pl.int_range(pl.len()).is_in(best["at"].implode()))


# -- pieces of titles and of invoice numbers -------------------------------------------------------------


def _folded_tokens(text: pl.Expr) -> pl.Expr:
    """The text's upper-case ASCII letter-and-digit runs (reconcile.matching.text.tokens, on a column).
    Accents are taken off only where the text is not ASCII (it has more bytes than characters): on the
    others, most texts, that costliest step would change nothing. Where it holds no other characters than
    _QUICK's, they are replaced in one pass, as decomposing it would fold them."""
    text = text.fill_null("")
    accented = pl.when(text.str.len_bytes() > text.str.len_chars()).then(text)
    quick = accented.str.replace_many(*_QUICK)
    slow = _unaccented(pl.when(accented.str.contains(_SLOW)).then(accented))
    return pl.coalesce(slow, quick, text).str.to_uppercase().str.extract_all(r"[0-9A-Z]+")


def _unaccented(text: pl.Expr) -> pl.Expr:
    """The text with its accents taken off: letters NFKD decomposes into a plain one and an accent, and the
    few it leaves as they are (SPECIAL_LETTERS)."""
    specials, plain = zip(*SPECIAL_LETTERS.items(), strict=True)
    return (
        text.str.replace_many(list(specials), list(plain))
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
    )


def _quick_folds() -> tuple[tuple[list[str], list[str]], str]:
    """The characters of the Latin alphabets, their accents and the spaces, dashes and signs written with
    them, each with what _unaccented makes of it where that is ASCII (ą: a, ß: ss, a no-break space: a
    space) or the character itself (–), to replace them by; and a pattern for any other character."""
    blocks = [(0x80, 0x250), (0x300, 0x370), (0x1E00, 0x1F00), (0x2000, 0x2070), (0x20A0, 0x20D0)]
    characters = pl.Series("character", [chr(code) for start, end in blocks for code in range(start, end)])
    folds = characters.to_frame().with_columns(_unaccented(pl.col("character")).alias("fold"))
    fold, same = pl.col("fold"), pl.col("fold") == pl.col("character")
    quick = folds.filter((fold.str.len_bytes() == fold.str.len_chars()) | same)
    known = "".join(f"\\x{{{ord(character):x}}}" for character in quick["character"])
    replaced = quick.filter(~same)
    return (replaced["character"].to_list(), replaced["fold"].to_list()), f"[^\\x00-\\x7f{known}]"


_QUICK, _SLOW = _quick_folds()


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
    (`before`) and its measures (_measured). Titles with no digit are left out: every number a title is read
    for has one (_invoice_keys), and folding makes no digit of a letter of ASCII."""
    # The digits of a KSeF number (its NIP, its date) are no invoice number of their own.
    text = pl.col("text").str.replace_all(f"(?i){_KSEF_RUN}", " ")
    line, piece = pl.col("line_id"), pl.col("piece")
    pieces = (
        incoming.lazy()
        .select("line_id", text.alias("text"))
        .filter(_may_hold_a_digit(pl.col("text")))
        .select("line_id", _folded_tokens(pl.col("text")).alias("piece"))
        .explode("piece")
        .drop_nulls("piece")
        .with_row_index("row")
        .with_columns(pl.when(line.shift(1) == line).then(piece.shift(1)).alias("before"))
    )
    return _measured(pieces)


def _may_hold_a_digit(text: pl.Expr) -> pl.Expr:
    """Whether the text holds a digit, or may once folded (it is not ASCII: full-width digits fold to
    ASCII ones)."""
    return text.str.contains(r"[0-9]") | (text.str.len_bytes() > text.str.len_chars())


def _measured(pieces: pl.LazyFrame) -> pl.LazyFrame:
    """`pieces` with each piece's `size`, its `value` as a number in base 36 and the base-36 digits it starts
    (`first`) and ends (`last`) with."""
    piece, value = pl.col("piece"), pl.col("value")
    return pieces.with_columns(
        piece.str.len_bytes().alias("size"),  # pieces are ASCII
        piece.str.to_integer(base=36, dtype=pl.Int128, strict=False).alias("value"),  # null past 2**127
    ).with_columns(_first_digit(value, pl.col("size")).alias("first"), _last_digit(value).alias("last"))


def _loosened(pieces: pl.DataFrame) -> pl.DataFrame:
    """`pieces` (_measured) with each piece's size and first base-36 digit once its leading zeros are dropped
    (`loose_size`, `loose_first`: _loose), which leaves its value as it is. Only numbers starting with a
    zero change: they are measured apart."""
    piece = pl.col("piece")
    zeros = (
        pieces.select(piece)
        .with_row_index("at")
        .filter(piece.str.starts_with("0"))
        .filter(piece.str.contains(r"^[0-9]+$"))
        .select("at", piece.str.strip_chars_start("0").alias("stripped"))
    )
    size = zeros["stripped"].str.len_bytes().clip(lower_bound=1)
    first = zeros["stripped"].str.head(1).str.to_integer(base=36, dtype=pl.Int8, strict=False).fill_null(0)
    return pieces.with_columns(
        pieces["size"].scatter(zeros["at"], size).alias("loose_size"),
        pieces["first"].scatter(zeros["at"], first).alias("loose_first"),
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
    keys = all_keys.select("iri", "exact", "pieces", "prefix", "width").filter(~short)
    unprefixed = _lost_prefix_keys(keys, min_length)
    width = _widest(keys)
    alone = _whole_pairs(incoming, all_keys.filter(short, pl.col("exact").str.len_chars() >= SHORT_MIN))
    ids = _written_ids(keys, unprefixed).collect(engine=_ENGINE)
    long = _text_runs(pieces, keys, unprefixed, width, min_length)
    as_written = pl.col("reading") == "written"
    looks = _looks(ids.filter(as_written))
    coded_written = _runs_as_written(pieces, ids.filter(as_written), looks, width, min_length)
    written = pl.concat([coded_written, long.filter(as_written)])
    reach = _reach(written, pieces.height)
    covered = _covered(reach)
    # A run that is, or overlaps, some invoice's number as written is not also another's with zeros
    # dropped: "Inv 2026-1912" names 2026-1912 (perhaps paid), not INV-2026-01912. So the other readings
    # are looked for among the pieces no such run covers alone.
    coded = keys.filter(pl.col("exact").str.len_bytes() <= _CODED)
    coded_others = _runs_read_otherwise(
        _uncovered(pieces, covered),
        coded,
        ids.filter(~as_written),
        _loose_looks(coded, looks),
        width,
        min_length,
    )
    others = _clear_of(pl.concat([coded_others, long.filter(~as_written)]), covered)
    lost = _after_no_other_prefix(others.filter(pl.col("reading") == "lost"), unprefixed, pieces)
    loose = others.filter(pl.col("reading") == "loose")
    found = _outermost(pl.concat([written, loose, lost]), reach)
    kind = pl.when(as_written).then(pl.lit("invoice_number")).otherwise(pl.lit("invoice_number_loose"))
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
    rest = pl.col("exact").str.slice(pl.col("prefix").str.len_bytes())  # keys are ASCII
    lost = (
        keys.lazy()
        .filter(pl.col("prefix").str.contains(r"^[A-Z]+$"))
        .select("iri", rest.alias("exact"), "prefix")
        .filter(pl.col("exact").str.len_bytes() >= min_length)
        .collect()
    )
    return lost.filter(~_shared(lost["exact"]))


def _shared(texts: pl.Series) -> pl.Series:
    """Whether another row has the same text. Told by the texts' hashes, sorted, which is many times
    cheaper than by the texts; the few rows whose hash another shares are then compared by their texts."""
    hashes = texts.hash()
    ordered = hashes.sort()
    twice = ordered.filter((ordered == ordered.shift(1)) | (ordered == ordered.shift(-1)))
    maybe = hashes.is_in(twice.implode()).arg_true()
    shared = maybe.filter(texts.gather(maybe).is_duplicated())
    return pl.zeros(texts.len(), dtype=pl.Boolean, eager=True).scatter(shared, True)


def _reading(name: str) -> pl.Expr:
    """How the runs of a join name their numbers (_READING)."""
    return pl.lit(name, dtype=_READING).alias("reading")


def _as_written(keys: pl.LazyFrame, unprefixed: pl.LazyFrame, coded: bool) -> pl.LazyFrame:
    """The numbers of `keys` of at most _CODED characters (`coded`), or of more, as written and without
    their prefix word (`exact`, `reading`)."""
    size = pl.col("exact").str.len_bytes()
    short, lost_short = size <= _CODED, size + pl.col("prefix").str.len_bytes() <= _CODED
    return pl.concat(
        [
            keys.filter(short if coded else ~short).select("iri", "exact", _reading("written")),
            unprefixed.filter(lost_short if coded else ~lost_short).select("iri", "exact", _reading("lost")),
        ]
    )


def _written_ids(keys: pl.DataFrame, unprefixed: pl.DataFrame) -> pl.LazyFrame:
    """The numbers of at most _CODED characters as written and without their prefix word (`reading`), with
    their id (_shortlex), size and first and last base-36 digits."""
    written = _as_written(keys.lazy(), unprefixed.lazy(), coded=True)
    size, value = pl.col("exact").str.len_bytes(), pl.col("exact").str.to_integer(base=36, dtype=pl.Int128)
    return written.select(
        "iri",
        "reading",
        _shortlex(value, size).alias("id"),
        size.alias("size"),
        _first_digit(value, size).alias("first"),
        _last_digit(value).alias("last"),
    )


def _key_runs(keys: pl.DataFrame) -> pl.DataFrame:
    """Each number's pieces run together with their zeros dropped, told apart as a title's runs are
    (_run_ids: `id`)."""
    if keys.is_empty():
        return pl.DataFrame(schema={"iri": keys.schema["iri"], "reading": _READING, "id": pl.Int128})
    exploded = keys.lazy().select(pl.col("pieces").alias("piece")).explode("piece")
    pieces = _loosened(_measured(exploded).collect(engine=_ENGINE).rechunk())
    heads = keys.lazy().select("iri", "width", (pl.col("width").cum_sum() - pl.col("width")).alias("at"))
    runs = [
        heads.filter(pl.col("width") == count).select(
            "iri", _reading("loose"), _run_ids(pieces, count, loose=True).alias("id")
        )
        for count in range(1, _widest(keys) + 1)
    ]
    return pl.concat(runs).collect(engine=_ENGINE)


def _looks(ids: pl.DataFrame) -> dict[str, pl.Series]:
    """What the runs naming the numbers of `ids` (_written_ids) look like: their sizes, and the base-36
    digits they start and end with."""
    return {look: ids[look].unique() for look in ("size", "first", "last")}


def _runs_as_written(
    pieces: pl.DataFrame, ids: pl.DataFrame, looks: dict[str, pl.Series], width: int, min_length: int
) -> pl.DataFrame:
    """The runs of titles (`pieces`) that name numbers of `ids` (_written_ids, that look so: _looks) as
    written."""
    if ids.is_empty() or pieces.is_empty():
        return _no_runs(ids)
    runs = _title_runs(pieces, {"written_id": looks}, width, min_length)
    found = runs.join(ids.lazy().select("iri", "reading", pl.col("id").alias("written_id")), on="written_id")
    return found.select(_RUN).collect(engine=_ENGINE)


def _runs_read_otherwise(
    pieces: pl.DataFrame,
    keys: pl.DataFrame,
    unprefixed: pl.DataFrame,
    loose_looks: dict[str, pl.Series],
    width: int,
    min_length: int,
) -> pl.DataFrame:
    """The runs of titles (`pieces`, _loosened) that name numbers of `keys` with their zeros dropped (that
    look so: `loose_looks`), or without their prefix word (`unprefixed`: _written_ids)."""
    if keys.is_empty() or pieces.is_empty():
        return _no_runs(keys)
    looks = {"loose_id": loose_looks} | (
        {"written_id": _looks(unprefixed)} if not unprefixed.is_empty() else {}
    )
    runs = _title_runs(pieces, looks, width, min_length).collect(engine=_ENGINE)
    numbers = {"loose_id": _key_runs(_ending_as_some_run(keys, runs)), "written_id": unprefixed}
    found = [
        runs.lazy()
        .join(numbers[on].lazy().select("iri", "reading", pl.col("id").alias(on)), on=on)
        .select(_RUN)
        for on in looks
    ]
    return pl.concat(found).collect(engine=_ENGINE)


def _ending_as_some_run(keys: pl.DataFrame, runs: pl.DataFrame) -> pl.DataFrame:
    """The `keys` of as many pieces as some of `runs` and ending with the last piece it ends with (its
    `last_value`: zeros dropped or not, the base-36 value is the same): only those may be named with their
    zeros dropped, and they are few of many."""

    def ending(last_value: pl.Expr, width: pl.Expr) -> pl.Expr:  # one integer for both (wider: no matter)
        return last_value * 32 + width.cast(pl.Int128)

    last_value = pl.col("pieces").list.last().str.to_integer(base=36, dtype=pl.Int128, strict=False)
    ends = runs.select(ending(pl.col("last_value"), pl.col("end") - pl.col("row")).unique()).to_series()
    return keys.select("iri", "pieces", "width").filter(
        ending(last_value, pl.col("width")).is_in(ends.implode())
    )


def _loose_looks(keys: pl.DataFrame, written: dict[str, pl.Series]) -> dict[str, pl.Series]:
    """What the runs naming `keys` with their zeros dropped may look like (more than they do), from what
    they look like as written (_looks): of a size up to _CODED, starting with the base-36 digit a number
    does as written or, if it starts with zeros, without them, and ending with the digit it ends with."""
    zeros = (
        keys.filter(pl.col("prefix").str.starts_with("0"))["prefix"].str.strip_chars_start("0").str.head(1)
    )
    return {
        "size": pl.int_range(1, _CODED + 1, eager=True, dtype=pl.UInt32),
        "first": pl.concat(
            [written["first"], zeros.str.to_integer(base=36, dtype=pl.Int8, strict=False).fill_null(0)]
        ),
        "last": written["last"],
    }


def _title_runs(
    pieces: pl.DataFrame, looks: dict[str, dict[str, pl.Series]], width: int, min_length: int
) -> pl.LazyFrame:
    """The runs of up to `width` consecutive pieces of a title (`pieces`, in order, maybe with gaps), of at
    least `min_length` characters, that look like some number (`looks`, by the id a run naming it has: its
    sizes, the base-36 digits it starts and ends with); with those ids, and the `last_value` of their last
    piece where they may be read with zeros dropped."""
    measures = {"written_id": ("size", "first"), "loose_id": ("loose_size", "loose_first")}
    sizes = {"size", *(measures[on][0] for on in looks)}
    # Once for all runs: whether a piece starts or ends as some number does, and the sizes of the pieces up
    # to it (a run's size is that at its last piece less that before its first).
    marked = (
        pieces.select(
            "line_id",
            "row",
            *sizes,
            *(
                pl.col(measures[on][1]).is_in(some["first"].implode()).alias(f"starts_{on}")
                for on, some in looks.items()
            ),
            *(pl.col("last").is_in(some["last"].implode()).alias(f"ends_{on}") for on, some in looks.items()),
            *(pl.col(size).cum_sum().alias(f"upto_{size}") for size in sizes),
        )
        .with_row_index("at")
        .lazy()
    )

    def run_size(size: str, last: int) -> pl.Expr:
        return pl.col(f"upto_{size}").shift(-last) - pl.col(f"upto_{size}") + pl.col(size)

    runs = []
    for count in range(1, width + 1):
        last = count - 1
        like = [
            pl.col(f"starts_{on}")
            & pl.col(f"ends_{on}").shift(-last)
            & run_size(measures[on][0], last).is_in(some["size"].implode())
            for on, some in looks.items()
        ]
        heads = marked.filter(
            pl.col("line_id").shift(-last) == pl.col("line_id"),  # the run stays in its title
            pl.col("row").shift(-last) == pl.col("row") + last,  # with no gap
            run_size("size", last) >= min_length,
            pl.any_horizontal(like),
        )
        ids = [_run_ids(pieces, count, on == "loose_id").alias(on) for on in looks]
        if "loose_id" in looks:
            ids.append(pl.lit(pieces["value"]).gather(pl.col("at") + last).alias("last_value"))
        runs.append(heads.select("row", (pl.col("row") + count).alias("end"), *ids))
    return pl.concat(runs)


def _uncovered(pieces: pl.DataFrame, covered: pl.Series) -> pl.DataFrame:
    """The pieces no run of `covered` (_covered) covers, in stretches of a title that hold a digit (every
    number has one), loosened (_loosened): the words around a number a title names are left out."""
    free = pieces.select("line_id", "row", "piece").with_row_index("at").filter(covered.diff().slice(1) == 0)
    line, row = pl.col("line_id"), pl.col("row")
    marks = free.select(
        ((line != line.shift(1)) | (row != row.shift(1) + 1)).fill_null(True).alias("starts"),
        ((line != line.shift(-1)) | (row + 1 != row.shift(-1))).fill_null(True).alias("ends"),
        pl.col("piece").str.contains(r"[0-9]").cast(pl.UInt32).alias("digit"),
    )
    before = pl.concat([pl.Series([0], dtype=pl.UInt32), marks["digit"].cum_sum()], rechunk=True)
    # A stretch holds a digit where there are more before its end than before its start.
    holds = before.gather(marks["ends"].arg_true() + 1) > before.gather(marks["starts"].arg_true())
    stretch = marks["starts"].cast(pl.UInt32).cum_sum() - 1
    kept = free.filter(holds.gather(stretch))["at"]
    return _loosened(pieces.select("line_id", "row", "piece", "size", "value", "first", "last").gather(kept))


def _run_ids(pieces: pl.DataFrame, count: int, loose: bool) -> pl.Expr:
    """An integer that tells the run of `count` pieces starting at each `at` of `pieces` (_measured) from
    others: as written (not `loose`), the place in shortlex order of its pieces run together (_shortlex);
    `loose` (of _loosened pieces), the same with leading zeros dropped, shifted to hold where each piece ends
    (bit k: k characters before the run's end)."""

    def ahead(column: str, k: int) -> pl.Expr:
        return pl.lit(pieces[column]).gather(pl.col("at") + k)

    sizes = "loose_size" if loose else "size"
    value = ahead("value", 0)
    ends = pl.lit(1, dtype=pl.Int64)
    for k in range(1, count):
        # Past _CODED characters a run gets no id: what is computed for it then is no matter.
        size = ahead(sizes, k).clip(upper_bound=_CODED)
        value = value * pl.lit(_POWERS_OF_36).gather(size) + ahead("value", k)
        ends = ends * pl.lit(_POWERS_OF_2).gather(size) + 1
    at = _shortlex(value, pl.sum_horizontal(ahead(sizes, k) for k in range(count)))
    return at * 2**_CODED + ends if loose else at


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
    written = _as_written(keys.lazy(), unprefixed.lazy(), coded=False).collect()
    loose = keys.select("iri", pl.col("pieces").list.eval(_loose(pl.element())).list.join("-").alias("loose"))
    sizes, loose_sizes = written["exact"].str.len_chars().unique(), loose["loose"].str.len_chars().unique()
    windows = _title_windows(_loosened(pieces), sizes, loose_sizes, width, min_length)
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
        like = exact_size.is_in(sizes.implode())
        if not loose_sizes.is_empty():
            loose_size = pl.sum_horizontal([pl.col("loose_size").shift(-k) for k in ahead]) + (count - 1)
            like |= loose_size.is_in(loose_sizes.implode())
        heads = pieces.filter(
            pl.col("line_id").shift(-(count - 1)) == pl.col("line_id"),  # the run stays in its title
            pl.any_horizontal([pl.col("digit").shift(-k) for k in ahead]),
            exact_size >= min_length,
            like,
        ).select("at", "row", "line_id")
        parts = [pl.lit(pieces["piece"].gather(heads["at"] + k)) for k in ahead]
        texts = [pl.concat_str(parts).alias("exact"), pl.concat_str(parts, separator=" ").alias("ref_text")]
        if not loose_sizes.is_empty():
            texts.append(pl.concat_str([_loose(part) for part in parts], separator="-").alias("loose"))
        windows.append(heads.select("line_id", "row", (pl.col("row") + count).alias("end"), *texts))
    if not windows:
        return pl.DataFrame(schema={"line_id": pieces.schema["line_id"], "row": pl.UInt32, "end": pl.UInt32,
                                    "exact": pl.String, "ref_text": pl.String, "loose": pl.String})  # fmt: skip
    return pl.concat(windows)


def _reach(written: pl.DataFrame, pieces: int) -> pl.Series:
    """For each of the `pieces`, the furthest end of the runs of `written` starting there (0: none)."""
    furthest = pl.zeros(pieces, dtype=pl.UInt32, eager=True)
    count = written["end"] - written["row"]
    # The longer last: each row keeps the furthest end of those starting there.
    for n in count.unique().sort():
        starting = written.filter(count == n)
        furthest = furthest.scatter(starting["row"], starting["end"])
    return furthest


def _covered(reach: pl.Series) -> pl.Series:
    """For each k from 0 to the number of pieces, how many of the first k pieces some run covers, from how
    far the runs starting at each reach (_reach): a piece is covered where one starting at it or before it
    reaches past it. A run of rows [row, end) shares a piece with them where the count grows from row to
    end."""
    covered = reach.cum_max() > pl.int_range(reach.len(), eager=True, dtype=pl.UInt32)
    return pl.concat([pl.Series([0], dtype=pl.UInt32), covered.cast(pl.UInt32).cum_sum()], rechunk=True)


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


def _outermost(runs: pl.DataFrame, reach: pl.Series) -> pl.DataFrame:
    """The runs not inside a longer run found as written (how far they reach: _reach): 2026/04/0123 inside
    FV/2026/04/0123 is no reference of its own. Only a run found as written hides others: "INV 2026 2500"
    read as INV-2026-02500 with its zeros dropped must not hide invoice 2026-2500 written exactly.

    A run is inside a longer one where that starts before it and ends at or after its end, or starts with it
    and ends after it: the furthest end of the written runs starting at each row tells (a run reaching past
    a row is in that row's title)."""
    before = pl.concat([pl.Series([0], dtype=pl.UInt32), reach.cum_max()], rechunk=True).gather(runs["row"])
    return runs.filter((before < runs["end"]) & (reach.gather(runs["row"]) <= runs["end"]))


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
        .filter(~alone.str.contains(f"[0-9]{{{most_digits + 1}}}"))  # that many digits in a row: too many
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
    money = incoming.select("line_id", *_LINE_MONEY)
    lonely = money.filter(~pl.col("line_id").is_in(found["line_id"].implode()))
    near = (  # keys are ASCII: their length is their number of bytes
        keys.select("iri", pl.col("exact").alias("key"), *_INVOICE_MONEY)
        .with_columns(pl.col("key").str.len_bytes().alias("n"))
        .filter(pl.col("n") >= rules.min_reference_length)
    )
    if lonely.is_empty() or near.is_empty():
        return _no_pairs(incoming, keys)
    sizes = pl.concat([near["n"], near["n"] - 1]).unique()
    lonely_pieces = pieces.select("line_id", "row", "piece", "size").filter(
        pl.col("line_id").is_in(lonely["line_id"].implode())
    )
    windows = _title_windows(
        lonely_pieces, sizes, pl.Series(dtype=pl.UInt32), _widest(keys), rules.min_reference_length
    )
    runs = _halved(windows.join(lonely, on="line_id").rename({"exact": "run"}), "run")
    close = _close_at_the_amount(runs, near)
    if close.is_empty():
        return _no_pairs(incoming, keys)
    single = _close_to_one_invoice(close["run"].unique(), near)
    return close.filter(pl.col("run").is_in(single.implode())).select(
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


def _close_at_the_amount(runs: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """(run, invoice) pairs where the run is one character off the invoice's key, one substituted or the last
    cut off, and the line pays the invoice's open amount in its currency: among the keys at the runs'
    amounts only."""
    pair = ["line_id", "run", "ref_text", "iri"]
    amounts = runs.select(
        pl.col(line).alias(invoice) for line, invoice in zip(_LINE_MONEY, _INVOICE_MONEY, strict=True)
    )
    at_amounts = keys.join(amounts.unique(), on=_INVOICE_MONEY, how="semi")
    runs_at = runs.lazy()
    keys_at = _halved(at_amounts.lazy().drop("n"), "key").with_columns(
        pl.col("key").str.head(-1).alias("cut")
    )
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


def _close_to_one_invoice(runs: pl.Series, keys: pl.DataFrame) -> pl.Series:
    """The runs exactly one open invoice's key is one character off (of any amount): a typo two invoices are
    that close to could be either's."""
    second = keys.select("iri", "key", "n", pl.col("key").str.slice(pl.col("n") // 2).alias("second"))
    # A key one character off in its second half, or with one more at its end, has there one of the
    # characters keys' second halves hold: digits, and the few others of the halves that hold more.
    others = second.filter(pl.col("second").str.contains(r"[^0-9]"))["second"].str.join("").item()
    characters = pl.DataFrame({"character": sorted(set("0123456789" + others))})
    runs_at = _halved(runs.to_frame("run"), "run")
    first_off = _one_apart(runs_at.lazy().join(second.lazy(), on=["n", "second"])).collect(engine=_ENGINE)
    others_off = _one_more_or_second_half_off(runs_at, characters).join(keys.select("iri", "key"), on="key")
    close = pl.concat([found.select("run", "iri") for found in (first_off, others_off)]).unique()
    return close.filter(pl.len().over("run") == 1)["run"]


def _one_more_or_second_half_off(runs: pl.DataFrame, characters: pl.DataFrame) -> pl.DataFrame:
    """Each run with one character of its second half replaced by each of `characters`, or one of them put
    at its end, as `key`: the keys one substitution away that share the run's first half, found without
    joining on that half, which in a series numbered by year is shared by thousands of invoices (FV2026...),
    and those the run is with their last character cut off."""
    run, at, n = pl.col("run"), pl.col("at"), pl.col("n")
    around = (
        runs.select("run", "n", pl.int_ranges(n // 2, n + 1).alias("at"))  # at n: after the run
        .explode("at")
        .select("run", run.str.head(at).alias("head"), run.str.slice(at + 1).alias("tail"))
    )
    # The run itself is among them: no key, or its line would have named that invoice.
    return around.join(characters, how="cross").select(
        "run", pl.concat_str(["head", "character", "tail"]).alias("key")
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
    length = number.str.len_chars()
    dashed = pl.when((length == 36) & (number.str.slice(26, 1) == "-")).then(number)  # the few put together
    canonical = pl.when(length == 35).then(number).otherwise(dashed.str.slice(0, 26) + dashed.str.slice(27))
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
    hinted = incoming.select("line_id", "text", "whole_reference").filter(
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
