"""Finding invoice and KSeF numbers in payment titles, split-payment fields and near misses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.matching.references import (
    TITLE_WORDS,
    NearMiss,
    ReferenceIndex,
    SplitPayment,
    crc8,
    find_ksef_numbers,
    normalise_ksef,
    parse_split_payment,
)

KSEF = "5265877635-20250826-0100001AF629-AF"  # the example in Flowtly's notes


def test_ksef_checksum_of_the_published_example_holds():
    assert normalise_ksef(KSEF) == KSEF
    assert f"{crc8(KSEF[:32].encode()):02X}" == "AF"


def test_ksef_with_the_optional_hyphen_between_the_hex_halves_is_canonicalised():
    assert normalise_ksef("5265877635-20250826-010000-1AF629-AF") == KSEF


def test_ksef_with_a_hyphen_elsewhere_is_not_a_ksef_number():
    assert normalise_ksef("5265877635-20250826-0100001-AF629-AF") is None


def test_ksef_found_in_lower_case_title():
    assert find_ksef_numbers(f"zaplata {KSEF.lower()} dziekuje") == [KSEF]


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("FV/2026/04/0123", "invoice_number"),
        ("fv 2026-04-0123", "invoice_number"),
        ("FV2026040123", "invoice_number"),
        ("Faktura nr FV/2026/4/123 z dnia", "invoice_number_loose"),
    ],
)
def test_invoice_number_written_many_ways(title, kind):
    index = ReferenceIndex()
    index.add("/invoices/1", "FV/2026/04/0123", None)
    hits = index.find(title)
    assert [(h.invoice_iri, h.kind) for h in hits] == [("/invoices/1", kind)]


def test_short_or_digitless_numbers_are_not_indexed():
    index = ReferenceIndex(min_length=4)
    index.add("/invoices/1", "12", None)
    index.add("/invoices/2", "ABCDE", None)
    assert index.find("payment 12 ABCDE") == []


# -- KSeF numbers as banks write them ----------------------------------------------------------------------


def test_ksef_in_lower_case_is_canonicalised():
    assert normalise_ksef(KSEF.lower()) == KSEF


def test_ksef_without_the_dash_between_the_hex_blocks_is_found_in_a_title():
    assert find_ksef_numbers("KSEF 5265877635-20250826-0100001af629-AF zaplata") == [KSEF]


@pytest.mark.parametrize(
    "written",
    [
        "5265877635 - 20250826 - 010000-1AF629 - AF",  # spaces around the dashes
        "5265877635-20250826-0100001AF629 -AF",
        "5265877635202508260100001AF629AF",  # a title stripped of punctuation
    ],
)
def test_ksef_with_spaces_or_without_dashes_is_found_only_when_lenient(written):
    assert find_ksef_numbers(f"KSeF: {written}.") == []  # what the engine reads today
    assert find_ksef_numbers(f"KSeF: {written}.", lenient=True) == [KSEF]


def test_ksef_with_a_wrong_checksum_is_not_found_even_when_lenient():
    assert find_ksef_numbers(f"{KSEF[:-2]} 7B", lenient=True) == []


def test_ksef_glued_to_more_hex_digits_is_not_found():
    assert find_ksef_numbers(f"{KSEF}0", lenient=True) == []
    assert find_ksef_numbers(f"A{KSEF.replace('-', '')}", lenient=True) == []


def ksef_numbers() -> st.SearchStrategy[str]:
    body = st.tuples(
        st.from_regex(r"[1-9][0-9]{9}", fullmatch=True),
        st.dates(date(2022, 1, 1), date(2099, 12, 31)).map(lambda d: d.strftime("%Y%m%d")),
        st.from_regex(r"[0-9A-F]{12}", fullmatch=True),
    ).map(lambda t: f"{t[0]}-{t[1]}-{t[2]}")
    return body.map(lambda b: f"{b}-{crc8(b.encode()):02X}")


@settings(max_examples=200)
@given(ksef_numbers(), st.sampled_from([" - ", "- ", "-", ""]), st.text(max_size=20), st.text(max_size=20))
def test_every_valid_ksef_number_is_found_however_its_dashes_are_written(number, dash, before, after):
    written = (
        number[:10] + dash + number[11:19] + dash + number[20:26] + dash + number[26:32] + dash + number[33:]
    )
    assert number in find_ksef_numbers(f"{before} {written} {after}", lenient=True)


@settings(max_examples=200)
@given(ksef_numbers(), st.integers(0, 34), st.integers(1, 15))
def test_a_ksef_number_with_one_character_changed_is_never_found(number, position, change):
    if number[position] == "-":
        return
    alphabet = "0123456789" if position < 19 else "0123456789ABCDEF"
    changed = alphabet[(alphabet.index(number[position]) + change) % len(alphabet)]
    mistyped = number[:position] + changed + number[position + 1 :]
    if mistyped != number:  # CRC-8 detects every error within 8 consecutive bits
        assert find_ksef_numbers(f"zaplata {mistyped} dziekuje", lenient=True) == []


# -- invoice numbers: find_references, the precision-first signal ----------------------------------------


def index_of(*names: str, min_length: int = 4) -> ReferenceIndex:
    index = ReferenceIndex(min_length=min_length)
    for n, name in enumerate(names, start=1):
        index.add(f"/invoices/{n}", name, None)
    return index


def found(index: ReferenceIndex, title: str, **texts: str) -> list[tuple[str, str]]:
    return [(h.invoice_iri, h.kind) for h in index.find_references(title, **texts)]


@pytest.mark.parametrize(
    "title", ["INV202600331", "inv 2026 00331", "Inv.2026/00331", "zaplata inv-2026-00331"]
)
def test_number_in_any_case_with_any_separators_or_none_is_found(title):
    assert found(index_of("INV-2026-00331"), title) == [("/invoices/1", "invoice_number")]


def test_number_with_leading_zeros_dropped_is_found_as_loose():
    assert found(index_of("FV/2026/04/0123"), "faktura FV/2026/4/123") == [
        ("/invoices/1", "invoice_number_loose")
    ]


@pytest.mark.parametrize(
    "title",
    ["123", "Faktura nr 123", "invoice no. 123", "FV 123", "Zaplata za fakture nr 123 dziekuje", "0123"],
)
def test_short_number_counts_when_it_is_the_whole_title(title):
    assert [iri for iri, _ in found(index_of("123"), title)] == ["/invoices/1"]


@pytest.mark.parametrize(
    "title", ["zaplata 123 zl", "Faktura 123 z 15.04.2026", "order 1230", "123 456", "FV/2026/04/123"]
)
def test_short_number_inside_longer_text_is_never_a_reference(title):
    assert found(index_of("123"), title) == []


ordinary_words = st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True).filter(
    lambda w: w.upper() not in TITLE_WORDS and not w.upper().startswith("RF")
)


@settings(max_examples=300)
@given(st.lists(ordinary_words, min_size=1, max_size=6), st.data(), st.sampled_from([" ", "/", ", ", "-"]))
def test_a_short_number_among_other_words_is_never_a_reference(words, data, separator):
    position = data.draw(st.integers(0, len(words)))
    title = separator.join([*words[:position], "123", *words[position:]])
    assert found(index_of("123"), title) == []


def test_four_character_number_is_found_anywhere_only_by_the_old_find():
    index = index_of("1234")
    assert [h.kind for h in index.find("order 1234 for ACME")] == ["invoice_number"]  # the old find (the core reads short numbers only whole)
    assert found(index, "order 1234 for ACME") == []
    assert found(index, "Invoice 1234") == [("/invoices/1", "invoice_number")]


def test_short_number_counts_as_the_whole_structured_reference():
    assert found(index_of("123"), "przelew srodkow", structured_ref="123") == [
        ("/invoices/1", "invoice_number")
    ]


def test_short_number_as_the_end_to_end_id_is_not_a_reference():
    assert found(index_of("123"), "przelew srodkow", end_to_end_id="123") == []


def test_short_number_as_the_body_of_an_rf_reference_counts():
    assert found(index_of("123"), "payment RF78123") == [("/invoices/1", "invoice_number")]


def test_number_that_lost_its_prefix_word_is_found_when_unique():
    hits = found(index_of("FV/2026/04/0123", "FV/2026/04/0124"), "zaplata 2026/04/0123")
    assert hits == [("/invoices/1", "invoice_number_without_prefix")]


def test_number_that_lost_its_prefix_is_not_found_when_two_invoices_share_the_rest():
    assert found(index_of("FV/2026/04/0123", "FK/2026/04/0123"), "2026/04/0123") == []


@pytest.mark.parametrize("title", ["FK 2026/04/0123", "12 2026/04/0123", "A1 2026/04/0123"])
def test_number_that_lost_its_prefix_is_not_found_after_what_may_be_another_prefix(title):
    assert found(index_of("FV/2026/04/0123"), title) == []


def test_number_too_short_without_its_prefix_is_not_found():
    assert found(index_of("FV/12345"), "przelew 12345") == []


def test_number_with_its_prefix_is_not_also_found_without_it():
    assert found(index_of("FV/2026/04/0123"), "FV/2026/04/0123") == [("/invoices/1", "invoice_number")]


@pytest.mark.parametrize("title", ["PAYMENTINV202600331", "INV202600331THANKS", "zaplataINV-2026-00331"])
def test_number_glued_to_a_title_word_is_found(title):
    assert found(index_of("INV-2026-00331"), title) == [("/invoices/1", "invoice_number_glued")]


def test_short_word_is_unglued_only_before_a_digit():
    assert found(index_of("123456"), "NR123456") == [("/invoices/1", "invoice_number_glued")]


@pytest.mark.parametrize("title", ["XINV202600331", "FV123456", "INV2026003311"])
def test_number_glued_to_anything_but_a_title_word_is_not_found(title):
    assert found(index_of("INV-2026-00331", "123456"), title) == []


def test_number_inside_a_longer_number_is_not_a_reference_of_its_own():
    hits = found(index_of("FV/2026/04/0123", "2026/04/0123"), "FV/2026/04/0123")
    assert hits == [("/invoices/1", "invoice_number")]


# -- near misses ------------------------------------------------------------------------------------------


def near(index: ReferenceIndex, title: str) -> list[tuple[str, str]]:
    return [(m.invoice_iri, m.kind) for m in index.near_misses(title)]


def test_one_character_substituted_is_a_near_miss_and_not_a_reference():
    index = index_of("FV/2026/04/0123")
    assert index.find_references("FV/2026/04/0128") == []
    assert index.near_misses("FV/2026/04/0128") == [
        NearMiss("/invoices/1", "FV2026040123", "FV 2026 04 0128", "one_character_differs")
    ]


def test_last_character_cut_off_is_a_near_miss():
    assert near(index_of("FV/2026/04/0123"), "faktura FV/2026/04/012") == [
        ("/invoices/1", "last_character_missing")
    ]


def test_every_invoice_that_close_is_returned_so_the_caller_can_ask_for_exactly_one():
    index = index_of(*(f"FV/2026/04/012{d}" for d in range(10)))
    assert len(near(index, "FV/2026/04/012")) == 10
    assert len(near(index, "FV/2026/04/012X")) == 10


def test_a_number_found_as_written_has_no_near_misses():
    assert near(index_of("FV/2026/04/0123", "FV/2026/04/0124"), "FV/2026/04/0124") == []


def test_two_characters_off_is_no_near_miss():
    assert near(index_of("FV/2026/04/0123"), "FV/2026/04/0198") == []


def test_short_numbers_have_no_near_misses():
    assert near(index_of("12345", "123"), "zaplata 12346 124") == []


@settings(max_examples=300)
@given(
    st.lists(st.from_regex(r"[1-9][0-9AB]{5,7}", fullmatch=True), min_size=1, max_size=30, unique=True),
    st.data(),
)
def test_near_misses_are_exactly_the_invoices_one_substitution_or_one_cut_away(keys, data):
    index = index_of(*keys)
    key = data.draw(st.sampled_from(keys))
    position = data.draw(st.integers(0, len(key) - 1))
    title = data.draw(
        st.sampled_from(
            [key[:-1], key[:position] + data.draw(st.sampled_from("0123456789AB")) + key[position + 1 :]]
        )
    )
    if title in keys:
        return
    expected = {
        (f"/invoices/{n}", "one_character_differs")
        for n, k in enumerate(keys, start=1)
        if len(k) == len(title) and sum(a != b for a, b in zip(k, title, strict=True)) == 1
    } | {(f"/invoices/{n}", "last_character_missing") for n, k in enumerate(keys, start=1) if k[:-1] == title}
    assert set(near(index, title)) == expected


# -- Polish split payment (MPP) ----------------------------------------------------------------------------

MPP = "/VAT/123,45/IDC/5261040828/INV/FV 12/2026/TXT/zaplata za uslugi"


def test_split_payment_fields_are_read():
    assert parse_split_payment(MPP) == SplitPayment(
        Decimal("123.45"), "5261040828", "FV 12/2026", "zaplata za uslugi"
    )


def test_split_payment_without_free_text():
    split = parse_split_payment("/VAT/23,00/IDC/5261040828/INV/123")
    assert split is not None
    assert (split.invoice_number, split.text) == ("123", "")


def test_split_payment_idc_is_read_as_a_nip_when_its_check_digit_holds():
    assert parse_split_payment(MPP).idc_nip == "5261040828"  # the supplier's: on money in, ours
    assert parse_split_payment(MPP.replace("5261040828", "5261040829")).idc_nip is None


@pytest.mark.parametrize(
    "title", ["Zaplata za FV 12/2026", "/VAT/abc/IDC/5261040828/INV/1", "/INV/123/VAT/1,00/IDC/1"]
)
def test_a_title_without_the_split_payment_fields_in_order_is_no_split_payment(title):
    assert parse_split_payment(title) is None


def test_split_payment_inv_field_counts_a_short_number():
    assert found(index_of("123"), "/VAT/23,00/IDC/5261040828/INV/123/TXT/dziekuje") == [
        ("/invoices/1", "invoice_number")
    ]


def test_split_payment_vat_amount_and_idc_are_never_read_as_invoice_numbers():
    index = index_of("123/45", "5261040828")
    title = "/VAT/123,45/IDC/5261040828/INV/FV 99/2026"
    assert [h.invoice_iri for h in index.find(title)] == ["/invoices/1", "/invoices/2"]  # the old find (the core reads short numbers only whole)
    assert found(index, title) == []


# -- creditor references on invoices ---------------------------------------------------------------------


def test_invoice_carrying_a_creditor_reference_is_found_by_it_in_the_title_or_the_structured_field():
    index = ReferenceIndex()
    index.add("/invoices/1", "FV/2026/04/0123", None, creditor_reference="RF18 5390 0754 7034")
    index.add("/invoices/2", "FV/2026/04/0124", None, creditor_reference="+++010/8068/17183+++")
    assert found(index, "payment rf18539007547034") == [("/invoices/1", "creditor_reference")]
    assert found(index, "", structured_ref="010806817183") == [("/invoices/2", "creditor_reference")]


def test_a_creditor_reference_no_invoice_carries_finds_nothing():
    index = ReferenceIndex()
    index.add("/invoices/1", "FV/2026/04/0123", None, creditor_reference="RF18 5390 0754 7034")
    assert found(index, "+++010/8068/17183+++") == []


@given(st.binary(max_size=64), st.sampled_from([0x07, 0x31, 0x9B]), st.integers(0, 255))
def test_crc8_by_table_is_the_bitwise_crc8(data: bytes, poly: int, init: int) -> None:
    crc = init
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    assert crc8(data, poly, init) == crc
