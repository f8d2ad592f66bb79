"""Name evidence for a whole table of (payer, client name) pairs: names.compare_names, column by column.

Each distinct name is prepared once, as columns (the twin of names._prepare); the levels nearly every pair
reaches are set by expressions that are shortcuts of names._compare, and the few other pairs go through
_compare itself, which stays the one statement of the rules. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import numpy.typing as npt
import polars as pl
from rapidfuzz.distance import Indel
from rapidfuzz.process import cpdist

from reconcile.matching.names import (
    _ASCII_NON_ALNUM,
    _CUT_OR_TRIMMED,
    _DIGRAPHS,
    _FOLD_TABLE,
    DIFFERENT,
    KEY_FILLER_WORDS,
    MISSING,
    RESEMBLES_AT,
    SAME,
    _compare,
    _Name,
    _numbers_and_letters,
    _words,
    key_positions,
)

# What str.strip() strips: Unicode's spaces and the ASCII separators \x1c..\x1f; U+3000 is the last of them.
_WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
_DIGRAPH_LETTERS = {chr(code): spelt for code, spelt in _DIGRAPHS.items()}
_PLACEHOLDER = "#"  # a word outside KEY_FILLER_WORDS, and no folded word
_NAME_FIELDS = list(_Name._fields)

_Rows = npt.NDArray[np.uint32]  # row numbers into the name table


def score_name_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    """`pairs` with name_similarity (Float64) and name_level (String, one of names.NAME_LEVELS) added: for
    each row exactly what names.compare_names gives for its payer and client_name (String; a null is a
    missing name, as there). Its other columns are kept; each distinct name is prepared once.

    Three levels are set for whole columns, each a shortcut of names._compare that its order of rules proves:
    - missing: a side without a key (its first rule);
    - same name: the Indel similarity of the keys, or of their umlaut spellings, is 1, which it is only for
      equal strings (its second rule);
    - different: that similarity is below RESEMBLES_AT, the numbers are equal (so the number rule cannot
      hold) and the payer cannot be the client's name cut by a bank (the truncation rule needs a payer of a
      cut length whose folded name, or umlaut spelling, starts the client's).
    The rest (a possible truncation, numbers that differ, a similarity at or above RESEMBLES_AT) is rare,
    and goes through _compare.
    """
    text = pl.concat([pairs["payer"], pairs["client_name"]]).fill_null("")  # None, like "", is missing
    names, rows = _name_rows(text)
    table = _name_table(names)
    payer, client = np.split(rows.to_numpy(), 2)
    return pl.concat(
        [pairs, _compare_rest(_decided(table, payer, client), table, payer, client)], how="horizontal"
    )


def _decided(table: pl.DataFrame, payer: _Rows, client: _Rows) -> pl.DataFrame:
    """name_similarity and name_level of the pairs that columns decide (see score_name_pairs); null elsewhere."""
    missing, numbers = table["key"].is_null(), table["numbers"]
    raw = _similarity(table, payer, client)
    pair = pl.DataFrame({
        "missing": missing.gather(payer) | missing.gather(client),
        "raw": raw,
        "same_numbers": numbers.gather(payer) == numbers.gather(client),
        "maybe_cut": _maybe_cut(table, payer, client, raw < 1.0),
    })  # fmt: skip
    same = pl.col("raw") == 1.0
    different = ~pl.col("maybe_cut") & pl.col("same_numbers") & (pl.col("raw") < RESEMBLES_AT)
    return pair.select(
        pl.when("missing").then(0.0).when(same).then(1.0).when(different).then("raw").alias("name_similarity"),
        pl.when("missing").then(pl.lit(MISSING)).when(same).then(pl.lit(SAME))
        .when(different).then(pl.lit(DIFFERENT)).alias("name_level"),
    )  # fmt: skip


def _name_rows(text: pl.Series, hashes: pl.Series | None = None) -> tuple[pl.Series, pl.Series]:
    """The distinct names, and the row of each text among them.

    Told apart by a 64-bit hash, which polars tables many times faster than strings, and checked by a
    second one; texts that share a hash (about never; a test passes `hashes` that do) are told apart by
    their text instead.
    """
    hashes = text.hash() if hashes is None else hashes
    first = hashes.arg_unique()
    names = text.gather(first)
    distinct = pl.DataFrame({"hash": hashes.gather(first)}).with_row_index("row")
    rows = pl.DataFrame({"hash": hashes}).join(distinct, on="hash", how="left", maintain_order="left")["row"]
    if (text.hash(seed=1) == names.hash(seed=1).gather(rows)).all():
        return names, rows
    names = text.unique(maintain_order=True)
    return names, text.replace_strict(names, pl.int_range(len(names), dtype=pl.UInt32, eager=True))


def _name_table(names: pl.Series) -> pl.DataFrame:
    """Each name as names._prepare prepares it: a column per _Name field, the key null for a missing name."""
    foreign = (names.str.len_bytes() != names.str.len_chars()).arg_true()
    composed = _nfc(names.gather(foreign))
    spelt = composed.str.replace_many(_DIGRAPH_LETTERS)
    spelt_rows = (spelt != composed).arg_true()
    texts = pl.concat(
        [names.clone().scatter(foreign, _in_ascii(composed)), _in_ascii(_nfc(spelt.gather(spelt_rows)))]
    )
    keys = _keys(texts.str.to_uppercase().str.replace_all(_ASCII_NON_ALNUM.pattern, " ").str.strip_chars(" "))
    alts = keys.slice(len(names)).select(
        foreign.gather(spelt_rows).alias("row"), alt="key", alt_folded="folded", alt_letters="letters"
    )
    return (
        keys.head(len(names))
        .with_row_index("row")
        .with_columns(cut=names.str.strip_chars(_WHITESPACE).str.len_chars().is_in(_CUT_OR_TRIMMED))
        .join(alts, on="row", how="left", maintain_order="left")
    )


def _nfc(texts: pl.Series) -> pl.Series:
    """Texts composed by Python's unicodedata, as names._prepare composes them (polars' may differ in version)."""
    return pl.Series([unicodedata.normalize("NFC", text) for text in texts.to_list()], dtype=pl.String)


def _in_ascii(composed: pl.Series) -> pl.Series:
    """Composed texts translated as names._ascii_fold translates them, but only their non-ASCII characters:
    the ASCII ones its table maps to themselves upper-cased, or to a space, as the upper-casing and spacing
    after it do anyway."""
    chars = composed.str.extract_all(r"[^\x00-\x7f]").explode().drop_nulls().unique().to_list()
    return composed.str.replace_many({ch: _FOLD_TABLE[ord(ch)] for ch in chars})


def _keys(folded: pl.Series) -> pl.DataFrame:
    """folded, key, numbers and letters of each folded name, as names._key_words and _prepare make them.

    Words are split off digits by names._words, where there are digits; which words make the key,
    key_positions decides once for each pattern of filler words, all other words being placeholders.
    """
    digits = folded.str.contains("[0-9]").arg_true()
    spaced = folded.clone().scatter(
        digits, [" ".join(_words(text)) for text in folded.gather(digits).to_list()]
    )
    words = spaced.str.split(" ")
    shapes = words.list.eval(
        pl.when(pl.element().is_in(KEY_FILLER_WORDS)).then(pl.element()).otherwise(pl.lit(_PLACEHOLDER))
    ).list.join(" ")
    distinct = shapes.unique().to_list()
    positions = pl.DataFrame(
        {"shape": distinct, "kept": [list(key_positions(shape.split(" "))) for shape in distinct]},
        schema={"shape": pl.String, "kept": pl.List(pl.UInt32)},
    )
    kept = shapes.to_frame("shape").join(positions, on="shape", how="left", maintain_order="left")["kept"]
    key = words.list.gather(kept).list.eval(pl.element().sort()).list.join(" ")  # list.sort is far slower
    key = pl.select(pl.when(folded != "").then(key)).to_series()
    numbered = [_numbers_and_letters(text) for text in key.gather(digits).to_list()]
    return pl.DataFrame({
        "folded": folded,
        "key": key,
        "numbers": pl.repeat("", len(key), eager=True).scatter(digits, [numbers for numbers, _ in numbered]),
        "letters": key.clone().scatter(digits, [letters for _, letters in numbered]),
    })  # fmt: skip


def _similarity(table: pl.DataFrame, payer: _Rows, client: _Rows) -> pl.Series:
    """names._compare's raw score of every pair: token_sort_ratio of the keys, or of their umlaut spellings
    when either name has one, whichever is higher (a missing key reads as "")."""
    keys = table["key"].fill_null("")
    raw = _indel(keys, payer, client)
    has_alt = table["alt"].is_not_null().to_numpy()
    either = np.flatnonzero(has_alt[payer] | has_alt[client])
    spelt = table.select(pl.coalesce("alt", "key").fill_null("")).to_series()
    raw[either] = np.maximum(raw[either], _indel(spelt, payer[either], client[either]))
    return pl.Series(raw)


def _indel(texts: pl.Series, payer: _Rows, client: _Rows) -> npt.NDArray[np.float64]:
    """Indel.normalized_similarity of the aligned texts, on every core (the same float as one call each).

    The texts are made afresh for the pairs, in their order: at a million lines, reading a few hundred
    thousand shared strings in random order costs rapidfuzz more than making them.
    """
    scores: npt.NDArray[np.float64] = cpdist(
        texts.gather(payer).to_list(), texts.gather(client).to_list(),
        scorer=Indel.normalized_similarity, dtype=np.float64, workers=-1,
    )  # fmt: skip
    return scores


def _maybe_cut(table: pl.DataFrame, payer: _Rows, client: _Rows, unequal: pl.Series) -> pl.Series:
    """The pairs _compare could call truncated: unequal keys, and a payer of a bank's cut length whose folded
    name, or its umlaut spelling, starts the client's."""
    candidates = np.flatnonzero(table["cut"].to_numpy()[payer] & unequal.to_numpy())
    folded = table.select("folded", spelt=pl.coalesce("alt_folded", "folded"))
    ends = pl.concat(
        [folded[payer[candidates]], folded[client[candidates]].select(client="folded", client_spelt="spelt")],
        how="horizontal",
    )
    starts = ends.select(
        pl.col("client").str.starts_with(pl.col("folded"))
        | pl.col("client_spelt").str.starts_with(pl.col("spelt"))
    ).to_series()
    return pl.zeros(len(payer), dtype=pl.Boolean, eager=True).scatter(candidates, starts)


def _compare_rest(scored: pl.DataFrame, table: pl.DataFrame, payer: _Rows, client: _Rows) -> pl.DataFrame:
    """The pairs no column decided, through names._compare with their names prepared as _Name."""
    rest = scored["name_level"].is_null().arg_true().to_numpy()
    rows = np.unique(np.concatenate([payer[rest], client[rest]]))
    prepared = dict(zip(rows.tolist(), _prepared(table[rows]), strict=True))
    pairs = zip(payer[rest].tolist(), client[rest].tolist(), strict=True)
    compared = [_compare(prepared[p], prepared[c]) for p, c in pairs]
    return scored.with_columns(
        scored["name_similarity"].clone().scatter(rest, [score for score, _ in compared]),
        scored["name_level"].clone().scatter(rest, [level for _, level in compared]),
    )


def _prepared(table: pl.DataFrame) -> list[_Name | None]:
    """Rows of the name table as the _Name names._prepare returns (None for a missing name)."""
    return [
        _Name(*fields) if fields[0] is not None else None for fields in table.select(_NAME_FIELDS).iter_rows()
    ]
