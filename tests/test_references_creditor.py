"""Structured creditor references: found with their check digits, or not at all."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.be import ogm_vcs
from stdnum.ch import esr
from stdnum.iso7064 import mod_97_10
from stdnum.no import kontonr

from reconcile.matching.creditor_references import (
    BE_OGM,
    CH_QR,
    DK_FIK,
    FI_REF,
    NO_KID,
    RF,
    CreditorReference,
    creditor_reference_key,
    find_creditor_references,
    finnish_check_digit,
    is_kid,
    kid_mod11_check_digit,
    parse_creditor_reference,
)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(r.kind, r.canonical) for r in find_creditor_references(text)]


# -- ISO 11649 RF ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Invoice RF18 5390 0754 7034, thank you",  # the ISO 11649 example, in groups of four
        "rf18539007547034",
        "ref:RF18 5390 0754 7034.",
        "RF18 5390 0754 7034 XYZ",  # a short word after it is no group of the reference
    ],
)
def test_rf_reference_is_found_compact_or_in_groups_of_four(title):
    assert (RF, "RF18539007547034") in kinds(title)


def test_rf_reference_may_hold_letters():
    assert kinds("RF18 5390 0754 70Y") == [(RF, "RF185390075470Y")]


def test_rf_reference_with_a_wrong_check_digit_is_not_a_reference():
    assert kinds("RF17 5390 0754 7034") == []


def test_rf_inside_a_word_is_not_a_reference():
    assert kinds("SURF18539007547034") == []


def rf_references() -> st.SearchStrategy[str]:
    body = st.from_regex(r"[0-9A-Z]{1,21}", fullmatch=True)
    return body.map(lambda b: f"RF{mod_97_10.calc_check_digits(b + 'RF')}{b}")


def grouped(reference: str) -> str:
    return " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))


@settings(max_examples=300)
@given(rf_references(), st.booleans(), st.text(max_size=30), st.text(max_size=30))
def test_every_valid_rf_reference_is_found_in_any_surrounding_text(reference, in_groups, before, after):
    written = grouped(reference) if in_groups else reference
    assert reference in [r.canonical for r in find_creditor_references(f"{before} {written} {after}")]


@settings(max_examples=300)
@given(rf_references(), st.data())
def test_an_rf_reference_with_one_digit_changed_is_never_found(reference, data):
    digits = [i for i, ch in enumerate(reference) if ch.isdigit()]
    i = data.draw(st.sampled_from(digits))
    changed = (
        reference[:i] + str((int(reference[i]) + data.draw(st.integers(1, 9))) % 10) + reference[i + 1 :]
    )
    assert changed not in [r.canonical for r in find_creditor_references(f"paid {changed} today")]


# -- Belgian OGM/VCS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    ["+++010/8068/17183+++", "***010/8068/17183***", "+++ 010 / 8068 / 17183 +++", "ref 010/8068/17183"],
)
def test_belgian_structured_communication_is_found(title):
    assert kinds(title) == [(BE_OGM, "10806817183")]


def test_belgian_structured_communication_with_a_wrong_check_is_not_a_reference():
    assert kinds("+++010/8068/17184+++") == []


def test_twelve_bare_digits_are_a_belgian_reference_only_as_a_whole_field():
    assert BE_OGM not in [k for k, _ in kinds("tel 010806817183")]
    assert BE_OGM in [r.kind for r in parse_creditor_reference("010806817183")]


@settings(max_examples=200)
@given(st.integers(1, 10**10 - 1), st.integers(0, 11), st.integers(1, 9))
def test_a_belgian_reference_is_found_and_with_one_digit_changed_never(base, position, change):
    digits = f"{base:010d}" + ogm_vcs.calc_check_digits(f"{base:010d}")
    assert kinds(f"+++{ogm_vcs.format(digits)}+++") == [(BE_OGM, digits.lstrip("0"))]
    changed = digits[:position] + str((int(digits[position]) + change) % 10) + digits[position + 1 :]
    assert kinds(f"+++{ogm_vcs.format(changed)}+++") == []


# -- Swiss QR reference ------------------------------------------------------------------------------------

QR = "210000000003139471430009017"  # the QR-bill guidelines' example


@pytest.mark.parametrize("title", [f"Rechnung {QR}", "Ref 21 00000 00003 13947 14300 09017 CHF 150.00"])
def test_swiss_qr_reference_is_found_compact_or_printed_in_groups(title):
    assert kinds(title) == [(CH_QR, QR)]


@pytest.mark.parametrize("title", [QR[:-1] + "6", QR[1:], QR + "1", "1 21 00000 00003 13947 14300 09017"])
def test_swiss_qr_reference_with_a_wrong_check_or_length_is_not_found(title):
    assert kinds(title) == []


@settings(max_examples=200)
@given(st.from_regex(r"[0-9]{26}", fullmatch=True), st.integers(0, 26), st.integers(1, 9))
def test_a_swiss_qr_reference_is_found_and_with_one_digit_changed_never(base, position, change):
    reference = base + esr.calc_check_digit(base)
    assume(reference.lstrip("0")[:-1])
    assert kinds(f"zahlung {reference}") == [(CH_QR, reference.lstrip("0"))]
    changed = reference[:position] + str((int(reference[position]) + change) % 10) + reference[position + 1 :]
    assert kinds(f"zahlung {changed}") == []


# -- Finnish reference number ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "canonical"),
    [
        ("viite 12 34561", "1234561"),  # Finance Finland's example, printed in groups of five
        ("Viitenumero: 1 23456 71234 56784", "1234567123456784"),
        ("VIITE 00000000000001234561", "1234561"),  # the machine-readable form, zeros in front
        ("ref. 123453", "123453"),
    ],
)
def test_finnish_reference_is_found_after_a_word_naming_it(title, canonical):
    assert (FI_REF, canonical) in kinds(title)


def test_finnish_reference_without_a_word_naming_it_is_not_found():
    assert kinds("lasku 1234561") == []  # one number in ten passes the check by chance


def test_finnish_reference_with_a_wrong_check_digit_is_not_found():
    assert kinds("viite 1234562") == []


@settings(max_examples=200)
@given(st.from_regex(r"[1-9][0-9]{2,18}", fullmatch=True), st.data())
def test_a_finnish_reference_is_found_and_with_one_digit_changed_never(base, data):
    reference = base + finnish_check_digit(base)
    assert (FI_REF, reference) in kinds(f"viite {reference}")
    i = data.draw(st.integers(0, len(reference) - 1))
    changed = (
        reference[:i] + str((int(reference[i]) + data.draw(st.integers(1, 9))) % 10) + reference[i + 1 :]
    )
    assert FI_REF not in [k for k, _ in kinds(f"viite {changed}")]


# -- Norwegian KID -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "canonical"),
    [
        ("KID 12345678903", "12345678903"),  # MOD10 (Luhn)
        ("KID-nr: 12345003", "12345003"),  # MOD11
        ("kidnummer 1000005-", "1000005-"),  # MOD11 whose check is "-"
    ],
)
def test_kid_is_found_after_the_word_kid(title, canonical):
    assert kinds(title) == [(NO_KID, canonical)]


def test_kid_without_the_word_is_not_found():
    assert kinds("faktura 12345678903") == []


def test_kid_with_neither_check_digit_is_not_a_kid():
    assert kinds("KID 12345678904") == []


@settings(max_examples=300)
@given(st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_kid_mod11_agrees_with_norwegian_account_numbers(base):
    """Norwegian account numbers carry the same MOD11 check digit (stdnum.no.kontonr)."""
    assume(not base.startswith("0000"))  # kontonr reads those as a postgiro number
    check = kid_mod11_check_digit(base)
    assert kontonr.is_valid(base + check) == (check != "-")
    assert is_kid(base + check)


@settings(max_examples=200)
@given(st.from_regex(r"[0-9]{1,24}", fullmatch=True))
def test_every_kid_with_a_luhn_check_digit_is_found(base):
    reference = base + luhn.calc_check_digit(base)
    assume(len(reference.lstrip("0")) >= 2)
    assert (NO_KID, reference.lstrip("0")) in kinds(f"betaling KID: {reference}")


# -- Danish FIK (+71) --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "+71<000000000000026+81234567<",  # the OCR line: card type, payment id, creditor number
        "Betaling +71 <000000000000026 +81234567<",
        "FIK 71 000000000000026",
        "Betalings-ID 000000000000026",
    ],
)
def test_danish_fik_payment_id_is_found(title):
    assert kinds(title) == [(DK_FIK, "26")]  # payment id 2 and its check digit 6 (Nets' FI-kort example)


def test_danish_fik_with_a_wrong_check_digit_is_not_found():
    assert kinds("+71<000000000000027+81234567<") == []


def test_fifteen_bare_digits_are_no_fik_in_free_text():
    assert kinds("000000000000026") == []


# -- whole fields and invoice keys -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("RF18 5390 0754 7034", "RF18539007547034"),
        ("+++010/8068/17183+++", "10806817183"),
        ("010806817183", "10806817183"),
        ("12 34561", "1234561"),
        ("00000000000001234561", "1234561"),
        ("+71<000000000000026+81234567<", "26"),
        ("1000005-", "1000005-"),
        ("viite 12 34561", "1234561"),  # not a reference as a whole: read as a title
    ],
)
def test_an_invoice_reference_is_keyed_by_its_canonical_form(value, key):
    assert creditor_reference_key(value) == key


@pytest.mark.parametrize(
    "value", ["NOTPROVIDED", "RF17 5390 0754 7034", "1234562", "FV/2026/04/0123", "", "1"]
)
def test_a_value_that_is_no_valid_creditor_reference_has_no_key(value):
    assert creditor_reference_key(value) is None


def test_one_number_read_under_several_schemes_has_one_key():
    readings = parse_creditor_reference("12345672")
    assert {r.kind for r in readings} >= {FI_REF} and {r.canonical for r in readings} == {"12345672"}


def test_the_same_number_in_a_title_and_on_an_invoice_meets_under_one_key():
    on_invoice = creditor_reference_key("1234561")
    assert CreditorReference(FI_REF, "1234561", "12 34561") in find_creditor_references("viite 12 34561")
    assert on_invoice == "1234561"
