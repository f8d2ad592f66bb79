"""Pairs by reference on whole tables: a number without its prefix word, one character off, or built into a
creditor reference (reconcile.matching.reference_join)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.be import ogm_vcs
from stdnum.iso7064 import mod_97_10

from reconcile.matching import reference_join
from reconcile.matching.creditor_references import finnish_check_digit
from reconcile.matching.reference_join import (
    REF_STRENGTH,
    _folded_tokens,
    _shared,
    _strongest,
    _unaccented,
    reference_pairs,
    whole_key,
)
from reconcile.matching.references import TITLE_WORDS, find_ksef_numbers, whole_reference_key
from reconcile.matching.tables import _prepare_invoices, _prepare_lines, frames
from reconcile.model import BankLine, Invoice
from reconcile.rules import load_rules
from tests.factories import invoice, line
from tests.test_references import ksef_numbers

RULES = load_rules()
FV = "FV/2026/04/0123"  # its key FV2026040123; its digits 2026040123


def found(lines: list[BankLine], invoices: list[Invoice]) -> set[tuple[str, str, str]]:
    """(invoice, kind of reference, text as written) of every pair reference_pairs returns."""
    line_table, invoice_table = frames(lines, invoices)
    pairs = reference_pairs(_prepare_lines(line_table), _prepare_invoices(invoice_table), RULES)
    return {(p["iri"], p["ref_kind"], p["ref_text"]) for p in pairs.iter_rows(named=True)}


# -- a number without its prefix word ----------------------------------------------------------------------


def test_number_that_lost_its_prefix_word_is_found():
    invoices = [invoice(1, FV, "100.00"), invoice(2, "FV/2026/04/0124", "100.00")]
    assert found([line("100.00", "Zaplata za fakture 2026/04/0123")], invoices) == {
        ("/invoices/1", "invoice_number_loose", "2026 04 0123")
    }


def test_number_that_lost_a_prefix_two_invoices_share_the_rest_of_is_not_found():
    invoices = [invoice(1, "FV/2026/04/0123", "100.00"), invoice(2, "FK/2026/04/0123", "100.00")]
    assert found([line("100.00", "2026/04/0123")], invoices) == set()


def test_number_that_lost_its_prefix_is_not_found_after_what_may_be_another_prefix():
    assert found([line("100.00", "FK 2026/04/0123")], [invoice(1, FV, "250.00")]) == set()


def test_number_with_its_prefix_is_found_as_written_only():
    assert found([line("100.00", "Faktura FV/2026/04/0123")], [invoice(1, FV, "100.00")]) == {
        ("/invoices/1", "invoice_number", "FV 2026 04 0123")
    }


def test_number_that_lost_its_prefix_is_not_read_across_a_number_found_as_written():
    invoices = [invoice(1, "INV-2026-10145", "100.00"), invoice(2, "FV/2026/10/14504", "100.00")]
    assert found([line("100.00", "RE-Nr. INV-2026-10145 04.08.2026")], invoices) == {
        ("/invoices/1", "invoice_number", "INV 2026 10145")
    }


# -- how a number is spelled: accents, long numbers -------------------------------------------------------


@pytest.mark.parametrize(
    "accented",
    [
        "Zapłata za fakturę FV/2026/04/0123",  # letters with accents, and Ł that NFKD leaves as it is
        "Straße, Rechnung FV/2026/04/0123",
        "Faktura ＦＶ/２０２６/０４/０１２３",  # full-width letters and digits NFKD reads as ASCII
        "Re\u0301gle\u0301 FV/2026/04/0123",  # accents written as combining marks
    ],
)
def test_a_title_with_accents_names_the_invoice_as_its_plain_spelling_does(accented):
    # Both titles in one table: titles that are not ASCII are folded apart from the others.
    line_table, invoice_table = frames(
        [line("100.00", accented), line("100.00", "Faktura FV/2026/04/0123")], [invoice(1, FV, "100.00")]
    )
    pairs = reference_pairs(_prepare_lines(line_table), _prepare_invoices(invoice_table), RULES)
    both = [("/invoices/1", "invoice_number", "FV 2026 04 0123")] * 2
    assert pairs.select("iri", "ref_kind", "ref_text").rows() == both


def test_an_invoice_number_with_a_letter_nfkd_leaves_is_found_in_its_plain_spelling():
    assert found([line("100.00", "Rg. 123/L/2026")], [invoice(1, "Rg.123/Ł/2026", "100.00")]) == {
        ("/invoices/1", "invoice_number", "RG 123 L 2026")
    }


# Numbers up to 20 characters are joined to titles as integers, longer ones as text: both alike. With these
# tails, FV/2026/04/0123 has 12, 20, 21 and 25 characters.
@pytest.mark.parametrize("tail", ["", "/ABCDEFGH", "/ABCDEFGHI", "/ABCDEFGHIJKLM"])
@pytest.mark.parametrize(
    ("title", "kind", "text"),
    [
        ("Faktura FV/2026/04/0123", "invoice_number", "FV 2026 04 0123"),
        ("Faktura FV 2026 4 123", "invoice_number_loose", "FV 2026 4 123"),
        ("Faktura 2026/04/0123", "invoice_number_loose", "2026 04 0123"),
        ("XY 2026/04/0123", None, None),  # after what may be another prefix
    ],
)
def test_long_numbers_are_read_as_short_ones_are(tail, title, kind, text):
    invoices = [invoice(1, FV + tail, "100.00"), invoice(2, "FV/2026/04/0124" + tail, "100.00")]
    spelled = tail.replace("/", " ")
    expected = {("/invoices/1", kind, text + spelled)} if kind else set()
    assert found([line("100.00", title + tail)], invoices) == expected


def corpus_tables(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The benchmark's corpus (every kind of title), as reference_pairs takes it."""
    from benchmarks.corpus import make_corpus

    corpus = make_corpus(1500, 1500, seed)
    return _prepare_lines(corpus.line_frame()), _prepare_invoices(corpus.invoice_frame())


def test_numbers_joined_as_text_give_what_numbers_joined_as_integers_give(monkeypatch):
    # Read twice: numbers up to 20 characters as integers, then with that bound at 8, most of them as text.
    incoming, books = corpus_tables(7)
    as_integers = reference_pairs(incoming, books, RULES).sort("line_id", "iri")
    monkeypatch.setattr(reference_join, "_CODED", 8)
    assert as_integers.height > 500
    assert reference_pairs(incoming, books, RULES).sort("line_id", "iri").equals(as_integers)


def test_readings_looked_for_among_few_pieces_and_numbers_are_those_of_all(monkeypatch):
    # Numbers are read with zeros dropped or without their prefix word among the pieces no run as written
    # covers, and with zeros dropped only where some run ends with their last piece: read again among all
    # pieces, for all numbers, the same pairs are found.
    incoming, books = corpus_tables(3)
    among_few = reference_pairs(incoming, books, RULES)
    monkeypatch.setattr(
        reference_join, "_uncovered", lambda pieces, covered: reference_join._loosened(pieces)
    )
    monkeypatch.setattr(reference_join, "_ending_as_some_run", lambda keys, runs: keys)
    assert among_few.filter(pl.col("ref_kind") == "invoice_number_loose").height > 50
    assert reference_pairs(incoming, books, RULES).equals(among_few)


# -- near misses -------------------------------------------------------------------------------------------


def test_a_run_that_is_another_invoices_number_as_written_is_no_loose_reading():
    # "Inv 2026-1912" is 2026-1912 (even paid), not INV-2026-01912 with its zero dropped.
    invoices = [invoice(1, "INV-2026-01912", "338.97"), invoice(2, "2026-1912", "0.00")]
    assert found([line("324.56", "Inv 2026-1912 thank you")], invoices) == {
        ("/invoices/2", "invoice_number", "2026 1912")
    }


def test_the_date_inside_a_ksef_number_is_no_invoice_number():
    ksef = "5265877635-20260106-8BC736AD74B7-38"
    invoices = [invoice(1, "FV/2026/01/0051", "5524.61", ksef=ksef), invoice(2, "2026-0106", "3409.65")]
    assert found([line("5524.61", ksef)], invoices) == {("/invoices/1", "ksef", ksef)}


def test_number_with_one_character_wrong_is_a_near_miss_when_the_amount_agrees():
    assert found([line("100.00", "Faktura FV/2026/04/0128")], [invoice(1, FV, "100.00")]) == {
        ("/invoices/1", "invoice_number_near", "FV 2026 04 0128")
    }


def test_number_with_its_last_character_cut_off_is_a_near_miss():
    assert found([line("100.00", "Faktura FV/2026/04/012")], [invoice(1, FV, "100.00")]) == {
        ("/invoices/1", "invoice_number_near", "FV 2026 04 012")
    }


def test_near_miss_two_open_invoices_are_that_close_to_is_no_pair():
    invoices = [invoice(1, FV, "100.00"), invoice(2, "FV/2026/04/0124", "300.00")]
    assert found([line("100.00", "Faktura FV/2026/04/0128")], invoices) == set()


@pytest.mark.parametrize(("amount", "currency"), [("100.01", "PLN"), ("100.00", "EUR")])
def test_near_miss_is_no_pair_unless_the_line_pays_the_open_amount_in_its_currency(amount, currency):
    assert found([line(amount, "FV/2026/04/0128", currency=currency)], [invoice(1, FV, "100.00")]) == set()


def test_line_naming_an_invoice_has_no_near_misses():
    invoices = [invoice(1, FV, "100.00"), invoice(2, "FV/2026/05/0001", "300.00")]
    assert found([line("100.00", "FV/2026/04/0128, FV/2026/05/0001")], invoices) == {
        ("/invoices/2", "invoice_number", "FV 2026 05 0001")
    }


# Invoice numbers of one series, a few characters apart: many are one character off another.
SERIES = st.lists(
    st.from_regex(r"FV/2026/0[1-3]/01[0-9]{2}", fullmatch=True), min_size=1, max_size=6, unique=True
)
AMOUNTS = st.sampled_from(["100.00", "200.00"])


@settings(max_examples=60)
@given(SERIES, AMOUNTS, st.data())
def test_a_near_miss_is_never_paired_with_an_invoice_the_line_does_not_pay_the_open_amount_of(
    numbers, paid, data
):
    invoices = [invoice(n, number, data.draw(AMOUNTS)) for n, number in enumerate(numbers)]
    number = data.draw(st.sampled_from(numbers))
    at = data.draw(st.integers(0, len(number) - 1))
    typo = number[:at] + data.draw(st.sampled_from("0129V")) + number[at + 1 :]
    title = data.draw(st.sampled_from([number[:-1], typo]))
    open_amounts = {inv.iri: inv.open_amount for inv in invoices}
    for iri, kind, _ in found([line(paid, title)], invoices):
        if kind == "invoice_number_near":
            assert open_amounts[iri] == Decimal(paid)


# -- creditor references -----------------------------------------------------------------------------------


def rf(body: str, check: str | None = None) -> str:
    """An ISO 11649 reference on `body`, with its check digits or the ones given."""
    return f"RF{check or mod_97_10.calc_check_digits(body + 'RF')}{body}"


def test_rf_reference_built_on_the_invoice_number_is_found():
    reference = rf("FV2026040123")
    assert found([line("100.00", f"Payment {reference}")], [invoice(1, FV, "250.00")]) == {
        ("/invoices/1", "creditor_reference", reference)
    }


def test_rf_reference_with_a_broken_check_is_not_found():
    broken = rf("FV2026040123", check="00")
    assert found([line("100.00", f"Payment {broken}")], [invoice(1, FV, "250.00")]) == set()


def test_belgian_ogm_built_on_the_invoice_digits_is_found():
    digits = "2026040123" + ogm_vcs.calc_check_digits("2026040123")
    ogm = f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"
    assert found([line("100.00", f"Betaling {ogm}")], [invoice(1, FV, "250.00")]) == {
        ("/invoices/1", "creditor_reference", ogm)
    }


def test_finnish_reference_in_a_title_is_found_only_after_its_keyword():
    reference = "2026040123" + finnish_check_digit("2026040123")
    lines = [line("100.00", f"Lasku, viite {reference}"), line("100.00", f"Lasku {reference}")]
    assert found(lines, [invoice(1, FV, "250.00")]) == {("/invoices/1", "creditor_reference", reference)}


def test_finnish_reference_as_the_whole_structured_reference_needs_no_keyword():
    reference = "2026040123" + finnish_check_digit("2026040123")
    paid = replace(line("100.00", "Lasku"), structured_ref=reference)
    assert found([paid], [invoice(1, FV, "250.00")]) == {("/invoices/1", "creditor_reference", reference)}


def test_creditor_reference_two_open_invoices_could_be_built_on_is_no_pair():
    digits = "2026040123" + ogm_vcs.calc_check_digits("2026040123")
    invoices = [invoice(1, FV, "250.00"), invoice(2, "FK/2026/04/0123", "250.00")]
    assert found([line("100.00", f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++")], invoices) == set()


# -- the columnar readings agree with the definitions in reconcile.matching.references ----------------------


@settings(max_examples=60)
@given(ksef_numbers(), st.sampled_from(["-", ""]), st.sampled_from(["", "A", "7", "-", " ", "x"]),
       st.sampled_from(["", "0", "F", "-", " ", "."]), st.integers(-34, 34), st.booleans())  # fmt: skip
def test_ksef_pairs_are_the_numbers_find_ksef_numbers_finds(number, dash, before, after, typo, lower):
    written = number[:26] + dash + number[26:]
    if typo >= 0 and written[typo] != "-":  # a typo half of the time
        written = written[:typo] + ("0" if written[typo] != "0" else "1") + written[typo + 1 :]
    title = f"Zaplata {before}{written}{after} dziekuje"
    title = title.lower() if lower else title
    pairs = found([line("100.00", title)], [invoice(1, "FV/1/2026", "100.00", ksef=number)])
    expected = {("/invoices/1", "ksef", number)} if number in find_ksef_numbers(title) else set()
    assert pairs == expected


@settings(max_examples=150)
@given(st.lists(st.sampled_from([*sorted(TITLE_WORDS)[:12], "12", "A1", "nr.", "Łódź", "fv/12", "-", ""]),
                max_size=6).map(" ".join))  # fmt: skip
def test_whole_key_is_whole_reference_key_on_a_column(text):
    column = pl.DataFrame({"text": [text]}).select(whole_key(pl.col("text"))).item()
    assert column == whole_reference_key(text)


# -- the shortcuts agree with the long ways -----------------------------------------------------------------

LATIN = st.characters(min_codepoint=0x20, max_codepoint=0x2FF)
ANY = st.characters(codec="utf-8", exclude_categories=["Cs"])


@settings(max_examples=200)
@given(
    st.lists(
        st.text(st.one_of(LATIN, ANY, st.sampled_from("ａ２ﬁŁß\u0301\u00a0–€")), max_size=12), max_size=8
    )
)
def test_folding_by_replacements_is_folding_by_decomposition(texts):
    column = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    slow = _unaccented(pl.col("text")).str.to_uppercase().str.extract_all(r"[0-9A-Z]+")
    assert column.select(_folded_tokens(pl.col("text"))).equals(column.select(slow))


@given(st.lists(st.sampled_from(["", "A", "B", "AB", "FV2026", "2026"]), max_size=12))
def test_shared_texts_are_the_duplicated_ones(texts):
    series = pl.Series(texts, dtype=pl.String)
    assert _shared(series).to_list() == series.is_duplicated().to_list()


FOUND = st.tuples(st.sampled_from(["l1", "l2"]), st.sampled_from(["i1", "i2"]), st.sampled_from(sorted(REF_STRENGTH)),
                  st.sampled_from(["FV 1", "FV 01", "1"]))  # fmt: skip


@given(st.lists(FOUND, max_size=10))
def test_strongest_ranks_the_pairs_found_more_than_once(rows):
    found = pl.DataFrame(
        rows, schema=dict.fromkeys(["line_id", "iri", "ref_kind", "ref_text"], pl.String), orient="row"
    )
    strength = pl.col("ref_kind").replace_strict(REF_STRENGTH, return_dtype=pl.Int8)
    ranked = found.sort([pl.col("line_id"), pl.col("iri"), strength, pl.col("ref_text")],
                        descending=[False, False, True, False])  # fmt: skip
    assert _strongest(found).equals(ranked.unique(["line_id", "iri"], keep="first", maintain_order=True))
