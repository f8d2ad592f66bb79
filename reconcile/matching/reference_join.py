"""Candidate pairs by reference: the invoice numbers, KSeF numbers and creditor references a payment title
names, found by joins.

`reference_pairs(incoming, books, rules)` returns every (line, invoice) pair a title names, once, with the
strongest kind of reference found for it (`ref_kind`, REF_STRENGTH) and the text a person wrote there
(`ref_text`):
- the invoice's number among the title's runs of consecutive words, as written (`invoice_number`), with its
  leading zeros dropped or without its leading prefix word (`invoice_number_loose`); only runs whose length
  is some key's length are built;
- a short number (under `min_reference_length`) only where it stands alone: the whole title, the whole
  structured reference, or a split-payment INV field;
- the invoice's KSeF number with a valid checksum (`ksef`);
- a structured creditor reference whose check digit holds, built on the invoice's number
  (`creditor_reference`; how it is built is an assumption: reconcile.flowtly.assumptions);
- on a line that names no invoice otherwise, a number one character off the invoice's, when no other open
  invoice is that close and the line pays the invoice's open amount (`invoice_number_near`).
No loop over lines in Python but for the few titles that may hold a KSeF number or a creditor reference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def reference_pairs(incoming: pl.DataFrame, books: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """Every (line, invoice) pair a title names, once, with the strongest reference found for it.

    `incoming` has line_id, line_currency, line_units, text (title, structured reference and end-to-end id),
    whole_title and whole_reference; `books` has iri, invoice_name, invoice_currency, open_units and
    ksef_number.
    """
    keys = _invoice_keys(books)
    pieces = _title_pieces(incoming)
    found = pl.concat(
        [
            _ksef_pairs(incoming, books),
            _creditor_pairs(incoming, keys),
            _number_pairs(incoming, pieces, keys, rules),
        ]
    )
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
    """Each invoice's exact key (its pieces run together), loose key (leading zeros dropped), first piece,
    width in pieces, name and open amount, for those with a digit in their number (a number of words only
    would match ordinary words of titles)."""
    return (
        books.with_columns(_folded_tokens(pl.col("invoice_name")).alias("pieces"))
        .select(
            "iri",
            pl.col("pieces").list.join("").alias("exact"),
            pl.col("pieces").list.eval(_loose(pl.element())).list.join("-").alias("loose"),
            pl.col("pieces").list.first().alias("prefix"),
            pl.col("pieces").list.len().alias("width"),
            pl.col("invoice_name").alias("text"),
            "invoice_currency",
            "open_units",
        )
        .filter(pl.col("exact").str.contains(r"[0-9]"))
    )


def _lost_prefix_keys(keys: pl.DataFrame, min_length: int) -> pl.DataFrame:
    """Each invoice's key without its leading letters-only piece (FV/2026/04/0123 -> 2026040123), where
    what is left still has `min_length` characters and no other open invoice's key becomes the same without
    its prefix: FV/2026/0331 and FK/2026/0331 both lose theirs to 20260331, so neither counts by it. (Where
    it is another invoice's key as written, that one is found: see `_clear_of`.)"""
    rest = pl.col("exact").str.slice(pl.col("prefix").str.len_chars())
    return (
        keys.filter(pl.col("prefix").str.contains(r"^[A-Z]+$"))
        .select("iri", rest.alias("exact"), "prefix")
        .filter(pl.col("exact").str.len_chars() >= min_length)
        .filter(pl.col("exact").is_unique())
    )


def _title_pieces(incoming: pl.DataFrame) -> pl.DataFrame:
    """Every title's pieces in order, one row each: where in its title the piece stands (`start`), the piece
    and the piece with its leading zeros dropped, their lengths, whether it holds a digit, and the piece
    before it in its title (`before`)."""
    # The digits of a KSeF number (its NIP, its date) are no invoice number of their own.
    text = pl.col("text").str.replace_all(f"(?i){_KSEF_RUN}", " ")
    return (
        incoming.select("line_id", _folded_tokens(text).alias("piece"))
        .with_columns(pl.int_ranges(0, pl.col("piece").list.len()).alias("start"))
        .explode("piece", "start")
        .drop_nulls("piece")
        .with_columns(_loose(pl.col("piece")).alias("loose_piece"))
        .with_columns(
            pl.col("piece").str.len_chars().alias("size"),
            pl.col("loose_piece").str.len_chars().alias("loose_size"),
            pl.col("piece").str.contains(r"[0-9]").alias("digit"),
            pl.when(pl.col("start") > 0).then(pl.col("piece").shift(1)).alias("before"),
        )
    )


def _title_windows(
    pieces: pl.DataFrame, sizes: pl.Series, loose_sizes: pl.Series, width: int, min_length: int
) -> pl.DataFrame:
    """The runs of up to `width` consecutive pieces of every title that could be a key, with where each
    starts and ends, the piece before it, and the text a person wrote there.

    A title of n pieces has up to n x width runs; only those of at least `min_length` characters that hold a
    digit and whose length is one of `sizes`, or with zeros dropped one of `loose_sizes`, are built (counted
    from the pieces' lengths, before any text is put together).
    """
    pieces = pieces.with_row_index("row")
    columns = {name: pieces[name] for name in ("piece", "loose_piece")}
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
        ).select("row", "line_id", "start", "before")
        parts = {
            f"{name}{k}": column.gather(heads["row"] + k) for name, column in columns.items() for k in ahead
        }
        windows.append(
            heads.with_columns(**parts).select(
                "line_id",
                "start",
                (pl.col("start") + count).alias("end"),
                "before",
                pl.concat_str([pl.col(f"piece{k}") for k in ahead]).alias("exact"),
                pl.concat_str([pl.col(f"loose_piece{k}") for k in ahead], separator="-").alias("loose"),
                pl.concat_str([pl.col(f"piece{k}") for k in ahead], separator=" ").alias("ref_text"),
            )
        )
    if not windows:
        return pl.DataFrame(schema={"line_id": pieces.schema["line_id"], "start": pl.Int64, "end": pl.Int64,
                                    "before": pl.String, "exact": pl.String, "loose": pl.String,
                                    "ref_text": pl.String})  # fmt: skip
    return pl.concat(windows)


def _widest(keys: pl.DataFrame) -> int:
    """The most pieces any key has: the longest run of a title worth building."""
    return int(keys.select(pl.col("width").max()).item() or 1) if keys.height else 0


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
    stands_alone = (
        incoming.unpivot(["whole_title", "whole_reference"], index="line_id", value_name="alone")
        .drop_nulls("alone")
        .filter(
            pl.col("alone").str.len_chars() <= longest + _TITLE_WORDS_ROOM,  # more would not be alone
            # Digits never fold, and title words hold none: cheap first tests, before any folding.
            pl.col("alone").str.count_matches(r"[0-9]") <= most_digits,
            pl.col("alone").str.contains_any(digits.to_list()),
        )
        .with_columns(whole_key(pl.col("alone")).alias("exact"))
    )
    return stands_alone.join(keys.select("iri", "exact"), on="exact").select(
        "line_id", "iri", pl.lit("invoice_number").alias("ref_kind"), pl.col("alone").alias("ref_text")
    )


def _number_pairs(
    incoming: pl.DataFrame, pieces: pl.DataFrame, all_keys: pl.DataFrame, rules: Rules
) -> pl.DataFrame:
    """(line, invoice) pairs whose title names the invoice's number: as written, with its zeros dropped, or
    without its prefix word where that is what no other open invoice's number becomes."""
    short = pl.col("exact").str.len_chars() < rules.min_reference_length
    alone = _whole_pairs(incoming, all_keys.filter(short, pl.col("exact").str.len_chars() >= SHORT_MIN))
    keys = all_keys.filter(~short)
    unprefixed = _lost_prefix_keys(keys, rules.min_reference_length)
    sizes = pl.concat([keys["exact"], unprefixed["exact"]]).str.len_chars().unique()
    loose_sizes = keys["loose"].str.len_chars().unique()
    windows = _title_windows(pieces, sizes, loose_sizes, _widest(keys), rules.min_reference_length)
    exact = windows.join(keys.select("iri", "exact"), on="exact").with_columns(
        pl.lit("invoice_number").alias("ref_kind")
    )
    written = exact.select("line_id", "start", "end").unique()
    # A run that is, or overlaps, some invoice's number as written is not also another's with zeros
    # dropped: "Inv 2026-1912" names 2026-1912 (perhaps paid), not INV-2026-01912.
    loose = _clear_of(windows.join(keys.select("iri", "loose"), on="loose"), written).with_columns(
        pl.lit("invoice_number_loose").alias("ref_kind")
    )
    # After its own prefix, a number is found as written (FV 2026/04/0123).
    lost = windows.join(unprefixed, on="exact").filter(pl.col("before").ne_missing(pl.col("prefix")))
    lost = _after_no_other_prefix(_clear_of(lost, written)).with_columns(
        pl.lit("invoice_number_loose").alias("ref_kind")
    )
    found = _outermost(pl.concat([exact, loose, lost.select(loose.columns)]).drop("exact", "loose"))
    return pl.concat([found.select("line_id", "iri", "ref_kind", "ref_text"), alone])


def _after_no_other_prefix(runs: pl.DataFrame) -> pl.DataFrame:
    """The runs that stand first in their title or after a title word or a long word, never after a
    number or a short word that may be another prefix: FK 2026/04/0123 is another document than
    FV/2026/04/0123."""
    before = pl.col("before")
    return runs.filter(
        before.is_null()
        | before.is_in(list(TITLE_WORDS))
        | (before.str.contains(r"^[A-Z]+$") & (before.str.len_chars() > SHORT_MAX))
    )


def _clear_of(runs: pl.DataFrame, written: pl.DataFrame) -> pl.DataFrame:
    """The runs that share no piece with a run found as written: in "INV-2026-10145 04.08.2026", 2026 10145 04
    is not FV/2026/10/14504 without its prefix."""
    overlapping = (
        runs.select("line_id", "start", "end")
        .join(written, on="line_id", suffix="_written")
        .filter(pl.col("start") < pl.col("end_written"), pl.col("start_written") < pl.col("end"))
    )
    return runs.join(overlapping, on=["line_id", "start", "end"], how="anti")


def _outermost(spans: pl.DataFrame) -> pl.DataFrame:
    """The spans not inside a longer run found as written in the same title: 2026/04/0123 inside
    FV/2026/04/0123 is no reference of its own. Only a run found as written hides others: "INV 2026 2500"
    read as INV-2026-02500 with its zeros dropped must not hide invoice 2026-2500 written exactly."""
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
    return spans.join(inner, on=["line_id", "start", "end"], how="anti")


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


def _halved(frame: pl.DataFrame, column: str) -> pl.DataFrame:
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
    by_half = [
        runs.join(keys, left_on=[*_LINE_MONEY, "n", half], right_on=[*_INVOICE_MONEY, "n", half])
        for half in ("first", "second")
    ]
    substituted = _one_apart(pl.concat([found.select(*pair, "key") for found in by_half]))
    cut = runs.join(keys, left_on=[*_LINE_MONEY, "run"], right_on=[*_INVOICE_MONEY, "cut"])
    return pl.concat([substituted.select(pair), cut.select(pair)]).unique()


def _one_apart(pairs: pl.DataFrame) -> pl.DataFrame:
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
    runs = _halved(runs, "run")
    first_off = _one_apart(runs.join(keys.select("iri", "key", "n", "second"), on=["n", "second"]))
    # A key one character off in its second half has there one of the characters keys' second halves hold.
    characters = sorted(set(keys["second"].str.join("").item()))
    second_off = _second_half_substitutions(runs, characters).join(keys.select("iri", "key"), on="key")
    cut = runs.join(keys.select("iri", "cut"), left_on="run", right_on="cut")
    close = pl.concat([found.select("run", "iri") for found in (first_off, second_off, cut)]).unique()
    return close.group_by("run").agg(pl.len().alias("invoices")).filter(pl.col("invoices") == 1).select("run")


def _second_half_substitutions(runs: pl.DataFrame, characters: list[str]) -> pl.DataFrame:
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


def _ksef_pairs(incoming: pl.DataFrame, books: pl.DataFrame) -> pl.DataFrame:
    """(line, invoice) pairs whose title holds the invoice's KSeF number with a valid checksum
    (reconcile.matching.references.find_ksef_numbers, on a column)."""
    # The invoices' own numbers are only put in canonical form (the dash between the hex blocks may be
    # missing); their checksum needs no check, as a title's number counts only when its own holds.
    ksef = books.select("iri", _ksef_canonical(pl.col("ksef_number").str.strip_chars().str.to_uppercase()))
    ksef = ksef.drop_nulls("ksef")
    hinted = incoming.filter(pl.col("text").str.contains(_KSEF_HINT))
    if ksef.is_empty() or hinted.is_empty():
        return _no_pairs(incoming, books)
    # A number counts where no hex digit stands right before or after it: the regex takes one in when
    # there is, and such a run is then too long to be read as a number.
    found = (
        hinted.select("line_id", pl.col("text").str.to_uppercase().str.extract_all(_KSEF_RUN).alias("run"))
        .explode("run")
        .select("line_id", _ksef_canonical(pl.col("run")))
        .drop_nulls("ksef")
        .unique()
        .join(ksef, on="ksef")
    )
    return found.filter(_ksef_checksum_holds(pl.col("ksef"))).select(
        "line_id", "iri", pl.lit("ksef").alias("ref_kind"), pl.col("ksef").alias("ref_text")
    )


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
    codes = {c: ord(c) for c in "0123456789ABCDEF-"}
    crc: pl.Expr = pl.lit(0, dtype=pl.UInt8)
    for i in range(32):
        byte = canonical.str.slice(i, 1).replace_strict(codes, return_dtype=pl.UInt8)
        crc = table.gather(crc.xor(byte))
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
