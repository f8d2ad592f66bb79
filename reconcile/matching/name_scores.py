"""Name evidence for a whole table of (payer, client name) pairs: names.compare_names, column by column.

Pairs come as texts (score_name_pairs) or, from the engine, as the numbers of their names
(score_numbered_pairs: no pair is hashed or joined). Each distinct name is prepared once, as columns (the
twin of names._prepare), and each distinct key is numbered; the levels nearly every pair reaches are set
by array operations that are shortcuts of names._compare, and the few other pairs go through _compare
itself, which stays the one statement of the rules. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import numpy.typing as npt
import polars as pl
from rapidfuzz.distance import Indel
from rapidfuzz.process import cpdist

from reconcile.matching.names import (
    _CUT_OR_TRIMMED,
    _DIGRAPHS,
    _FOLD_TABLE,
    DIFFERENT,
    KEY_FILLER_WORDS,
    MISSING,
    NAME_LEVELS,
    RESEMBLES_AT,
    SAME,
    TRUNCATED,
    TRUNCATED_SCORE,
    _compare,
    _Name,
    _numbers_and_letters,
    _words,
    key_positions,
)

# What str.strip() strips: Unicode's spaces and the ASCII separators \x1c..\x1f; U+3000 is the last of them.
_WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
_DIGRAPH_LETTERS = {chr(code): spelt for code, spelt in _DIGRAPHS.items()}
# names._ASCII_NON_ALNUM ([^0-9A-Z]+, each run made one space), matching only the runs it changes: those
# with a character other than a space, and runs of spaces. Most names then need no replacement at all.
_NON_ALNUM_RUN = r"[^0-9A-Z]*[^0-9A-Z ][^0-9A-Z]*| {2,}"
_PLACEHOLDER = "#"  # a word outside KEY_FILLER_WORDS, and no folded word
_NAME_FIELDS = list(_Name._fields)
# The bits of a text's first 8 bytes, read as a big-endian integer, that its first n bytes (n = 0..8) fill.
_HEAD_MASKS = np.array([(1 << 64) - (1 << (64 - 8 * n)) for n in range(9)], dtype=np.uint64)
_BLOCK_BITS = 14  # 16,384 texts a block: about the Python strings a core's 1 MiB L2 cache holds

_LEVELS = pl.Series([*NAME_LEVELS, None], dtype=pl.String)  # by place; after the last, none
_MISSING, _SAME, _TRUNCATED, _DIFFERENT = (
    NAME_LEVELS.index(x) for x in (MISSING, SAME, TRUNCATED, DIFFERENT)
)

_Rows = npt.NDArray[np.integer]  # row numbers into the name table
_Scores = tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8]]  # each pair's score, and level in NAME_LEVELS


def score_name_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    """`pairs` with name_similarity (Float64) and name_level (String, one of names.NAME_LEVELS) added: for
    each row exactly what names.compare_names gives for its payer and client_name (String; a null is a
    missing name, as there). Its other columns are kept; each distinct name is prepared once."""
    text = pl.concat([pairs["payer"], pairs["client_name"]]).fill_null("")  # None, like "", is missing
    names, rows = _name_rows(text)
    payer, client = np.split(rows.to_numpy(), 2)
    return pl.concat([pairs, _frame(*_scores(*_name_table(names), payer, client))], how="horizontal")


def score_numbered_pairs(
    payers: pl.Series, payer: pl.Series, clients: pl.Series, client: pl.Series, alias: pl.Series | None = None
) -> pl.DataFrame:
    """name_similarity and name_level, as score_name_pairs gives them, of pairs given by number: `payer` a
    row of the names `payers`, `client` a row of `clients`; null where either number is null (no pair).

    Where `alias` holds, the payer is an alias of the client (payer_lists.alias_names): its name is the
    client's. Only the names the pairs number are read, each distinct one prepared once, and no pair is
    hashed or joined: the callers' numbers are already rows.
    """
    known = payer.is_not_null() & client.is_not_null()
    payers_used, payer_at = _numbered(payer.filter(known).to_numpy(), len(payers))
    clients_used, client_at = _numbered(client.filter(known).to_numpy(), len(clients))
    names, rows = _name_rows(
        pl.concat([payers.gather(payers_used), clients.gather(clients_used)]).fill_null("")
    )
    at = rows.to_numpy()
    payer_rows, client_rows = at[payer_at], at[len(payers_used) + client_at]
    if alias is not None:
        payer_rows = np.where(alias.filter(known).to_numpy(), client_rows, payer_rows)
    similarity, level = _scores(*_name_table(names), payer_rows, client_rows)
    if known.all():
        return _frame(similarity, level)
    spread = known.arg_true().to_numpy()
    every_similarity = np.full(len(known), np.nan)  # NaN, and the level after the last, are null
    every_level = np.full(len(known), len(NAME_LEVELS), dtype=np.uint8)
    every_similarity[spread], every_level[spread] = similarity, level
    return _frame(every_similarity, every_level)


def name_keys(names: pl.Series) -> pl.Series:
    """names.payer_key of each name, column by column; null for a missing name (where payer_key gives "")."""
    distinct, rows = _name_rows(names.fill_null(""))
    return _name_table(distinct)[0]["key"].gather(rows)


def _numbered(numbers: npt.NDArray[np.uint32], size: int) -> tuple[_Rows, _Rows]:
    """The distinct `numbers` (each below `size`), and the place of each of `numbers` among them."""
    used = np.zeros(size, dtype=bool)
    used[numbers] = True
    distinct = np.flatnonzero(used).astype(np.uint32)
    place = np.zeros(size, dtype=np.uint32)
    place[distinct] = np.arange(len(distinct), dtype=np.uint32)
    return distinct, place[numbers]


def _frame(similarity: npt.NDArray[np.float64], level: npt.NDArray[np.uint8]) -> pl.DataFrame:
    """name_similarity and name_level, from the scores and the levels' places in NAME_LEVELS (null for a NaN
    score and a place after the last)."""
    return pl.DataFrame({
        "name_similarity": pl.Series(similarity, dtype=pl.Float64, nan_to_null=True),
        "name_level": _LEVELS.gather(pl.Series(level, dtype=pl.UInt32)),
    })  # fmt: skip


def _scores(table: pl.DataFrame, spellings: pl.Series, payer: _Rows, client: _Rows) -> _Scores:
    """The score and level of each pair of rows of the name table.

    Four levels are set for whole columns, each a shortcut of names._compare that its order of rules proves:
    - missing: a side without a key (its first rule);
    - same name: equal keys, or equal umlaut spellings (its second rule);
    - truncated: the payer, of a bank's cut length, is the client's folded name cut inside a word with no
      digit cut off (the first case its third rule tries, see _maybe_cut);
    - different: the Indel similarity of the keys, or of their umlaut spellings when either name has one,
      whichever is higher, is below RESEMBLES_AT, the numbers are equal (so the number rule cannot hold) and
      the payer cannot be the client's name cut by a bank (the truncation rule needs a payer of a cut length
      whose folded name, or umlaut spelling, starts the client's).
    The rest (other possible truncations, numbers that differ, a similarity at or above RESEMBLES_AT) is
    rare, and goes through _compare. Keys are compared by their numbers among the distinct `spellings`.
    """
    key, spelt = table["spelling"].to_numpy(), table["spelt"].to_numpy()
    payer_key, client_key = key[payer], key[client]
    none = spellings.index_of("")  # a missing key is "" among the spellings (if any is missing)
    missing = (
        (payer_key == none) | (client_key == none) if none is not None else np.zeros(len(payer), dtype=bool)
    )
    same = (payer_key == client_key) | (spelt[payer] == spelt[client])
    similarity = np.where(missing, 0.0, 1.0)
    level = np.where(missing, _MISSING, _SAME).astype(np.uint8)
    todo = np.flatnonzero(~(missing | same))
    payer, client = payer[todo], client[todo]
    has_alt = table["alt"].is_not_null().to_numpy()
    raw = _similarity(spellings, key, spelt, has_alt[payer] | has_alt[client], payer, client)
    maybe_cut, truncated = _maybe_cut(table, payer, client)
    different = (raw < RESEMBLES_AT) & _same_numbers(table, payer, client) & ~maybe_cut
    similarity[todo[different]], level[todo[different]] = raw[different], _DIFFERENT
    similarity[todo[truncated]], level[todo[truncated]] = TRUNCATED_SCORE, _TRUNCATED
    rest = ~(different | truncated)
    similarity[todo[rest]], level[todo[rest]] = _compared(table, payer[rest], client[rest])
    return similarity, level


def _name_rows(text: pl.Series, hashes: pl.Series | None = None) -> tuple[pl.Series, pl.Series]:
    """The distinct texts, and the row of each text among them.

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


def _name_table(names: pl.Series) -> tuple[pl.DataFrame, pl.Series]:
    """Each name as names._prepare prepares it: a column per _Name field, the key null for a missing name;
    and the distinct keys (a missing one as ""), among which `spelling` numbers each name's key and `spelt`
    its umlaut spelling (its alt, or else its key)."""
    foreign = (names.str.len_bytes() != names.str.len_chars()).arg_true()
    composed = _nfc(names.gather(foreign))
    spelt = composed.str.replace_many(_DIGRAPH_LETTERS)
    spelt_rows = (spelt != composed).arg_true()
    translated = _in_ascii(pl.concat([composed, _nfc(spelt.gather(spelt_rows))]))  # then the spelt ones
    texts = pl.concat(
        [names.clone().scatter(foreign, translated.head(len(foreign))), translated.slice(len(foreign))]
    )
    folded, rows = _name_rows(
        _streamed(
            texts, pl.first().str.to_uppercase().str.replace_all(_NON_ALNUM_RUN, " ").str.strip_chars(" ")
        )
    )  # names as banks write them differ in case and punctuation: fewer once folded
    keys = _keys(folded)
    spellings, spelling = _name_rows(keys["key"].fill_null(""))
    keys = keys.with_columns(spelling=spelling).select(pl.all().gather(rows))
    alts, at = keys.slice(len(names)), foreign.gather(spelt_rows)
    table = keys.head(len(names)).with_columns(
        cut=names.str.strip_chars(_WHITESPACE).str.len_chars().is_in(_CUT_OR_TRIMMED),
        alt=_scattered(alts["key"], at, len(names)),
        alt_folded=_scattered(alts["folded"], at, len(names)),
        alt_letters=_scattered(alts["letters"], at, len(names)),
        spelt=keys["spelling"].head(len(names)).scatter(at, alts["spelling"]),
    )
    return table, spellings


def _scattered(values: pl.Series, at: pl.Series, size: int) -> pl.Series:
    """`values` at the rows `at` of `size` rows, null elsewhere."""
    return pl.repeat(None, size, dtype=values.dtype, eager=True).scatter(at, values)


def _streamed(column: pl.Series, expression: pl.Expr) -> pl.Series:
    """`expression` of the `column` (its pl.first()), by polars' streaming engine, which shares the rows out
    among the cores: an eager Series method keeps to one."""
    return column.to_frame().lazy().select(expression).collect(engine="streaming").to_series()


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
    words = _streamed(spaced, pl.first().str.split(" "))
    shapes = _streamed(words, pl.first().list.eval(
        pl.when(pl.element().is_in(KEY_FILLER_WORDS)).then(pl.element()).otherwise(pl.lit(_PLACEHOLDER))
    ).list.join(" "))  # fmt: skip
    distinct = shapes.unique().to_list()
    positions = pl.DataFrame(
        {"shape": distinct, "kept": [list(key_positions(shape.split(" "))) for shape in distinct]},
        schema={"shape": pl.String, "kept": pl.List(pl.UInt32)},
    )
    kept = shapes.to_frame("shape").join(positions, on="shape", how="left", maintain_order="left")["kept"]
    sorted_words = (
        pl.col("words").list.gather(pl.col("kept")).list.eval(pl.element().sort())
    )  # list.sort: slower
    key = (
        pl.DataFrame({"folded": folded, "words": words, "kept": kept}).lazy()
        .select(pl.when(pl.col("folded") != "").then(sorted_words.list.join(" ")))
        .collect(engine="streaming").to_series()
    )  # fmt: skip
    numbered = [_numbers_and_letters(text) for text in key.gather(digits).to_list()]
    return pl.DataFrame({
        "folded": folded,
        "key": key,
        "numbers": pl.repeat("", len(key), eager=True).scatter(digits, [numbers for numbers, _ in numbered]),
        "letters": key.clone().scatter(digits, [letters for _, letters in numbered]),
    })  # fmt: skip


def _similarity(
    spellings: pl.Series,
    key: _Rows,
    spelt: _Rows,
    either_spelt: npt.NDArray[np.bool_],
    payer: _Rows,
    client: _Rows,
) -> npt.NDArray[np.float64]:
    """names._compare's raw score of each pair: token_sort_ratio of the keys, or of their umlaut spellings
    when either name has one, whichever is higher (`key` and `spelt` number them among `spellings`)."""
    both = np.flatnonzero(either_spelt)
    scores = _indel(
        spellings,
        np.concatenate([key[payer], spelt[payer[both]]]),
        np.concatenate([key[client], spelt[client[both]]]),
    )
    raw = scores[: len(payer)]
    raw[both] = np.maximum(raw[both], scores[len(payer) :])
    return raw


def _indel(texts: pl.Series, left: _Rows, right: _Rows) -> npt.NDArray[np.float64]:
    """Indel.normalized_similarity of the texts at `left` and `right`, each distinct pair once, on every core
    (the same float as one call each).

    rapidfuzz reads each pair's two Python strings at about the cost of scoring them, and far faster from a
    core's cache: the pairs go by blocks of right texts that fit in it, by left text within a block, so
    both are read about in the order they were made in.
    """
    size, bits = np.uint64(len(texts)), np.uint64(_BLOCK_BITS)
    low = np.uint64((1 << _BLOCK_BITS) - 1)
    left, right = left.astype(np.uint64), right.astype(np.uint64)
    pairs, where = _factorize((((right >> bits) * size + left) << bits) | (right & low))
    block_and_left = pairs >> bits
    words = np.array(texts.to_list(), dtype=object)
    lefts, rights = words[block_and_left % size], words[((block_and_left // size) << bits) | (pairs & low)]
    scores: npt.NDArray[np.float64] = cpdist(
        lefts.tolist(), rights.tolist(), scorer=Indel.normalized_similarity, dtype=np.float64, workers=-1
    )
    return scores[where]


def _factorize(numbers: npt.NDArray[np.integer]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]]:
    """np.unique(numbers, return_inverse=True) of unsigned numbers: the distinct ones, sorted, and the place
    of each among them; by one sort of the numbers with their positions in the low bits, where both fit."""
    codes = numbers.astype(np.uint64, copy=False)
    shift = max(len(codes) - 1, 1).bit_length()
    if len(codes) == 0 or int(codes.max()) >> (64 - shift):
        distinct, where = np.unique(codes, return_inverse=True)
        return distinct, where
    packed = codes << np.uint64(shift)
    packed |= np.arange(len(codes), dtype=np.uint64)
    packed.sort()
    ordered = packed >> np.uint64(shift)
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    places = np.cumsum(new)
    places -= 1
    where = np.empty(len(codes), dtype=np.intp)
    where[packed & np.uint64((1 << shift) - 1)] = places
    return ordered[new], where


def _same_numbers(table: pl.DataFrame, payer: _Rows, client: _Rows) -> npt.NDArray[np.bool_]:
    """Whether the keys of each pair have the same numbers (most names have none)."""
    numbers = table["numbers"]
    if (numbers == "").all():
        return np.ones(len(payer), dtype=bool)
    number = _name_rows(numbers)[1].to_numpy()
    return number[payer] == number[client]


def _maybe_cut(
    table: pl.DataFrame, payer: _Rows, client: _Rows
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Of pairs of unequal keys, those _compare could call truncated: a payer of a bank's cut length whose
    folded name, or its umlaut spelling, starts the client's (compared as texts only where _may_start);
    and of those, the ones it does: the folded name is cut inside a word, with no digit cut off (the first
    case of names._truncated, which _cut_by_bank tries first)."""
    folded = table.select("folded", spelt=pl.coalesce("alt_folded", "folded"))
    maybe, truncated = np.zeros(len(payer), dtype=bool), np.zeros(len(payer), dtype=bool)
    candidates = np.flatnonzero(table["cut"].to_numpy()[payer])
    payer, client = payer[candidates], client[candidates]
    may = _may_start(folded["folded"], payer, client)
    has_alt = table["alt_folded"].is_not_null().to_numpy()
    spelt = np.flatnonzero(has_alt[payer] | has_alt[client])  # elsewhere the spelling is the folded name
    may[spelt] |= _may_start(folded["spelt"], payer[spelt], client[spelt])
    candidates, payer, client = candidates[may], payer[may], client[may]
    ends = pl.concat(
        [folded[payer], folded[client].select(client="folded", client_spelt="spelt")], how="horizontal"
    )
    starts = pl.col("client").str.starts_with(pl.col("folded"))
    rest = pl.col("client").str.slice(pl.col("folded").str.len_bytes())
    found = ends.select(
        maybe=starts | pl.col("client_spelt").str.starts_with(pl.col("spelt")),
        truncated=starts & (rest != "") & ~rest.str.starts_with(" ") & ~rest.str.contains("[0-9]"),
    )
    maybe[candidates], truncated[candidates] = found["maybe"].to_numpy(), found["truncated"].to_numpy()
    return maybe, truncated


def _may_start(folded: pl.Series, payer: _Rows, client: _Rows) -> npt.NDArray[np.bool_]:
    """Whether the client's folded name may start with the payer's: it is no shorter, and the same in the
    payer's first 8 bytes (folded names are ASCII: their first 8 bytes are read as one integer)."""
    head = (
        folded.str.slice(0, 8).str.pad_end(8, "\0").cast(pl.Binary)
        .bin.reinterpret(dtype=pl.UInt64, endianness="big").to_numpy()
    )  # fmt: skip
    length = folded.str.len_bytes().to_numpy()
    mask = _HEAD_MASKS[np.minimum(length[payer], 8)]
    return (length[client] >= length[payer]) & ((head[client] ^ head[payer]) & mask == 0)


def _compared(table: pl.DataFrame, payer: _Rows, client: _Rows) -> _Scores:
    """Score and level of the pairs no column decided, through names._compare, each distinct pair once, with
    its names prepared as _Name."""
    size = np.uint64(table.height)
    pairs, where = _factorize(payer.astype(np.uint64) * size + client.astype(np.uint64))
    payer, client = pairs // size, pairs % size
    rows = np.unique(np.concatenate([payer, client]))
    prepared = dict(zip(rows.tolist(), _prepared(table[rows]), strict=True))
    compared = [
        _compare(prepared[p], prepared[c]) for p, c in zip(payer.tolist(), client.tolist(), strict=True)
    ]
    similarity = np.array([score for score, _ in compared], dtype=np.float64)
    level = np.array([NAME_LEVELS.index(level) for _, level in compared], dtype=np.uint8)
    return similarity[where], level[where]


def _prepared(table: pl.DataFrame) -> list[_Name | None]:
    """Rows of the name table as the _Name names._prepare returns (None for a missing name)."""
    return [
        _Name(*fields) if fields[0] is not None else None for fields in table.select(_NAME_FIELDS).iter_rows()
    ]
