"""Name evidence for a table of pairs at once: exactly names.compare_names, pair by pair."""

from __future__ import annotations

import sys
from unittest import mock

import numpy as np
import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st
from rapidfuzz.distance import Indel

from reconcile.matching import name_scores
from reconcile.matching.name_scores import (
    _NON_ALNUM_RUN,
    _WHITESPACE,
    _factorize,
    _indel,
    _name_rows,
    _name_table,
    _prepared,
    name_keys,
    score_name_pairs,
    score_numbered_pairs,
)
from reconcile.matching.names import (
    _ASCII_NON_ALNUM,
    _DIGRAPHS,
    BANK_CUT_LENGTHS,
    DIFFERENT,
    DIFFERS_IN_NUMBER,
    DIFFERS_IN_WORD,
    MISSING,
    NAME_LEVELS,
    RESEMBLES,
    SAME,
    TRUNCATED,
    NameEvidence,
    _prepare,
    compare_names,
    payer_key,
)
from reconcile.matching.text import fold


def pairs_frame(pairs: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(pairs, schema={"payer": pl.String, "client_name": pl.String}, orient="row")


def evidence(scored: pl.DataFrame) -> list[NameEvidence]:
    return [
        NameEvidence(score, level) for score, level in scored.select("name_similarity", "name_level").rows()
    ]


def one_by_one(pairs: list[tuple[str, str]]) -> list[NameEvidence]:
    return [compare_names(payer, client) for payer, client in pairs]


EVERY_LEVEL = {
    ("ACME SP Z O O", "Acme sp. z o.o."): SAME,
    ("MUELLER UND SOEHNE GMBH", "Müller & Söhne GmbH"): SAME,
    ("NORDLYS HANDEL OG TRANSPORT KOEBEN", "Nordlys Handel og Transport København ApS"): TRUNCATED,
    ("KOWLASKI JAN", "Jan Kowalski"): RESEMBLES,
    ("partner_1", "partner_3"): DIFFERS_IN_NUMBER,
    ("ORLEN POLSKA", "Orange Polska S.A."): DIFFERS_IN_WORD,
    ("ACME POLSKA", "Beta Polska Sp. z o.o."): DIFFERENT,
    ("---", "Acme"): MISSING,
}


def test_each_pair_gets_the_level_and_score_compare_names_gives():
    pairs = list(EVERY_LEVEL)
    scored = score_name_pairs(pairs_frame(pairs))
    assert evidence(scored) == one_by_one(pairs)
    assert scored["name_level"].to_list() == list(EVERY_LEVEL.values())
    assert set(EVERY_LEVEL.values()) == set(NAME_LEVELS)


def test_the_pairs_come_back_in_their_order_with_two_columns_added():
    pairs = pairs_frame(list(EVERY_LEVEL))
    scored = score_name_pairs(pairs)
    assert scored.select("payer", "client_name").equals(pairs)
    assert scored.schema == pl.Schema(
        {"payer": pl.String, "client_name": pl.String, "name_similarity": pl.Float64, "name_level": pl.String}
    )


def test_a_null_name_is_missing_a_repeated_pair_scores_alike_and_other_columns_stay():
    pairs = pl.DataFrame(
        {"option": [1, 2, 3], "payer": [None, "ACME SP Z O O", "ACME SP Z O O"], "client_name": ["Acme"] * 3}
    )
    scored = score_name_pairs(pairs)
    assert scored.drop("name_similarity", "name_level").equals(pairs)
    assert evidence(scored) == [NameEvidence(0.0, MISSING), NameEvidence(1.0, SAME), NameEvidence(1.0, SAME)]


def test_no_pairs_give_no_rows():
    assert score_name_pairs(pairs_frame([])).height == 0


def test_a_name_on_both_sides_of_pairs_is_one_name():
    names, rows = _name_rows(pl.Series(["Acme", "Beta", "Acme", "Beta", "Gamma"]))
    assert names.to_list() == ["Acme", "Beta", "Gamma"]
    assert rows.to_list() == [0, 1, 0, 1, 2]


def test_names_that_share_a_hash_are_still_told_apart():
    text = pl.Series(["Acme", "Beta", "Acme", "Gamma"])
    names, rows = _name_rows(text, hashes=pl.Series([7, 7, 7, 7], dtype=pl.UInt64))
    assert names.gather(rows).to_list() == text.to_list()
    assert names.n_unique() == len(names) == 3


def test_a_bank_cut_counts_the_characters_str_strip_keeps():
    spaces = [chr(code) for code in range(0x3001, sys.maxunicode + 1) if chr(code).isspace()]
    assert spaces == []  # so _WHITESPACE, which stops at U+3000, is every character str.strip() strips
    assert all(ch.isspace() for ch in _WHITESPACE)


# --- properties --------------------------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZąćęłńóśźżĄĆĘŁŃÓŚŹŻäöüßÄÖÜéøåæØÅ"
_FORMS = [
    "",
    " Sp. z o.o.",
    " sp.k.",
    " S.A.",
    " GmbH & Co. KG",
    " A/S",
    " Ltd",
    " B.V.",
    " und Söhne",
    " AB",
]
_LEADING = ["", "AB ", "UAB ", "OOO "]
_DIGRAPH_SPELLING = str.maketrans(_DIGRAPHS)
_CUTS = sorted(BANK_CUT_LENGTHS | {n - 1 for n in BANK_CUT_LENGTHS})

word = st.text(alphabet=_LETTERS, min_size=1, max_size=9) | st.integers(0, 120).map(str)
company = st.builds(
    lambda lead, words, form: lead + " ".join(words) + form,
    st.sampled_from(_LEADING),
    st.lists(word, min_size=1, max_size=4),
    st.sampled_from(_FORMS),
)
# Anything polars can hold: control characters, odd spaces, letters text.fold drops.
odd_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


@st.composite
def as_a_bank_writes(draw: st.DrawFn, name: str) -> str:
    """The name upper-cased, folded, spelt with digraphs, cut at a bank's length, mistyped or reordered."""
    how = draw(st.sampled_from(["upper", "fold", "digraphs", "cut", "typo", "reorder", "number", "as is"]))
    if how == "upper":
        return name.upper()
    if how == "fold":
        return fold(name)
    if how == "digraphs":
        return name.translate(_DIGRAPH_SPELLING).upper()
    if how == "cut":
        written = draw(st.sampled_from([name.upper(), fold(name), name.translate(_DIGRAPH_SPELLING).upper()]))
        return written[: draw(st.sampled_from(_CUTS))]
    if how == "typo" and name:
        at = draw(st.integers(0, len(name) - 1))
        return name[:at] + draw(st.sampled_from("AEIOUXZ ")) + name[at + 1 :]
    if how == "reorder":
        return " ".join(draw(st.permutations(name.split())))
    if how == "number":
        return f"{name} {draw(st.integers(0, 9))}"
    return name


@st.composite
def name_pairs(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Clients, and payers: each client as banks write it, and a few unrelated names; all pairs of them."""
    clients = draw(st.lists(company | odd_text, min_size=1, max_size=5, unique=True))
    payers = [draw(as_a_bank_writes(draw(st.sampled_from(clients)))) for _ in range(draw(st.integers(1, 8)))]
    payers += draw(st.lists(company | odd_text, max_size=2))
    return list(dict.fromkeys((payer, client) for payer in payers for client in clients))


@given(name_pairs())
@example([("ACME LOGISTICS SPOLKA Z OGRANICZONA", "ACME Logistics Spółka z ograniczoną odpowiedzialnością")])
@example([("MOELLER AALBORG APS", "Møller Ålborg ApS"), ("MØLLER ÅLBORG", "Møller Ålborg ApS")])
@example(
    [("HURTOWNIA NR 12", "Hurtownia nr 13"), ("PARTNER1", "Partner 01"), ("", "Acme"), ("ACME", "½ ǅ ﬁ")]
)
@example([("ACME\0 SP Z O O", "Acme sp. z o.o."), (" Acme Trans Polska Sp z o.o.\u3000", "ACME TRANS")])
@example(
    [("JAN KOWALSKI TRANS", "Jan Kowalski Trans Polska"), ("HURTOWNIA WARSZAWA 1", "Hurtownia Warszawa 123")]
)
def test_a_table_of_pairs_scores_as_compare_names_does_one_by_one(pairs):
    assert evidence(score_name_pairs(pairs_frame(pairs))) == one_by_one(pairs)


@given(st.lists(company | odd_text | company.flatmap(as_a_bank_writes), max_size=12, unique=True))
@example(["Müller & Söhne GmbH", "Nordlys A/S", "A. S. Watson", "Jan i Anna", "AB", "0 07 PARTNER1"])
def test_each_name_is_prepared_as_compare_names_prepares_it(names):
    prepared = _prepared(_name_table(pl.Series(names, dtype=pl.String))[0])
    assert prepared == [_prepare(name) for name in names]


@given(name_pairs(), st.data())
def test_pairs_given_by_number_score_as_compare_names_does(pairs, data):
    """Names on both sides, missing numbers (no pair), aliases (the client's name for the payer's)."""
    payers, clients = [payer for payer, _ in pairs] + [None], [client for _, client in pairs] + [None]
    number = st.none() | st.integers(0, len(payers) - 1)
    rows = data.draw(st.lists(st.tuples(number, number, st.booleans()), max_size=12))
    scored = score_numbered_pairs(
        pl.Series(payers, dtype=pl.String),
        pl.Series([payer for payer, _, _ in rows], dtype=pl.UInt32),
        pl.Series(clients, dtype=pl.String),
        pl.Series([client for _, client, _ in rows], dtype=pl.UInt32),
        pl.Series([alias for _, _, alias in rows], dtype=pl.Boolean),
    )
    expected = [
        None if p is None or c is None else compare_names(clients[c] if alias else payers[p], clients[c])
        for p, c, alias in rows
    ]
    got = [None if level is None else NameEvidence(score, level) for score, level in scored.rows()]
    assert got == expected
    assert scored.columns == ["name_similarity", "name_level"]


@given(st.lists(st.text(alphabet="AB 1", max_size=6), min_size=1, max_size=12, unique=True), st.data())
def test_indel_by_blocks_of_texts_is_rapidfuzz_pair_by_pair(texts, data):
    number = st.integers(0, len(texts) - 1)
    pairs = data.draw(st.lists(st.tuples(number, number), max_size=30))
    left, right = (np.array([pair[side] for pair in pairs], dtype=np.uint32) for side in (0, 1))
    with mock.patch.object(name_scores, "_BLOCK_BITS", 2):  # blocks of 4 texts
        scores = _indel(pl.Series(texts, dtype=pl.String), left, right)
    assert scores.tolist() == [Indel.normalized_similarity(texts[a], texts[b]) for a, b in pairs]


@given(st.lists(st.integers(0, 2**40), max_size=40), st.booleans())
def test_factorize_is_np_unique_with_the_inverse(codes, wide):
    array = np.array(codes, dtype=np.uint64) | np.uint64(2**63 if wide else 0)  # too wide to pack: np.unique
    distinct, where = _factorize(array)
    expected, inverse = np.unique(array, return_inverse=True)
    assert distinct.tolist() == expected.tolist()
    assert where.tolist() == inverse.tolist()


@given(st.text(max_size=20) | st.text(alphabet="AZ09 .-&/", max_size=20))
def test_runs_of_other_characters_are_spaced_as_names_space_them(text):
    upper = text.upper()
    assert pl.Series([upper]).str.replace_all(_NON_ALNUM_RUN, " ").item() == _ASCII_NON_ALNUM.sub(" ", upper)


@given(st.lists(company | odd_text | company.flatmap(as_a_bank_writes) | st.none(), max_size=12))
def test_name_keys_are_payer_keys_and_none_for_a_missing_name(names):
    keys = name_keys(pl.Series(names, dtype=pl.String)).to_list()
    assert keys == [payer_key(name) or None for name in names]
