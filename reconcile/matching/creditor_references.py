"""Structured creditor references: ISO 11649 RF, Belgian OGM/VCS, Swiss QR reference, Finnish reference
number, Norwegian KID and Danish FIK (+71), found in payment titles and in a bank's structured reference field.

A creditor reference is the number a company prints on its invoice so that the payment can be matched without
a person; every scheme ends in a check digit. This module must never call a number a reference when its check
digit fails, and never read a bare number in free text as one of the one-digit-checked schemes (Finnish, KID,
FIK: one number in ten passes by chance) unless the text names the scheme (`viite`, `KID`, `+71<`). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from stdnum import iso11649, luhn
from stdnum.be import ogm_vcs
from stdnum.ch import esr

RF = "rf"  # ISO 11649
BE_OGM = "be_ogm"  # Belgian structured communication (OGM/VCS)
CH_QR = "ch_qr"  # Swiss QR reference (ex-ESR/ISR reference)
FI_REF = "fi_ref"  # Finnish reference number (viitenumero)
NO_KID = "no_kid"  # Norwegian KID (kundeidentifikasjon)
DK_FIK = "dk_fik"  # Danish FI-kort type 71 payment id (betalings-id)


@dataclass(frozen=True, slots=True)
class CreditorReference:
    """A creditor reference whose check digit holds.

    `canonical` is the key to match on: for RF the compact upper-case reference (`RF18539007547034`); for the
    all-digit schemes the digits without leading zeros, because every one of their check-digit rules ignores
    leading zeros and payers drop them (Finnish and Swiss references are printed without them), so one number
    read under two schemes is one key. `raw` is the text as written.
    """

    kind: str
    canonical: str
    raw: str


# -- check digits ----------------------------------------------------------------------------------------


def finnish_check_digit(base: str) -> str:
    """Finance Finland, "Kotimaisen viitteen rakenneohje": the base's digits times 7, 3, 1, 7, 3, 1, ... from
    the right, summed; the check digit is what brings the sum to the next multiple of ten."""
    total = sum(int(d) * (7, 3, 1)[i % 3] for i, d in enumerate(reversed(base)))
    return str(-total % 10)


def kid_mod11_check_digit(base: str) -> str:
    """Nets (Mastercard Payment Services), "KID" / OCR giro specification, MOD11: weights 2, 3, 4, 5, 6, 7, 2,
    ... from the right; the check digit is 11 minus the remainder, 0 for remainder 0 and "-" for remainder 1."""
    remainder = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(base))) % 11
    return "0" if remainder == 0 else "-" if remainder == 1 else str(11 - remainder)


def is_finnish_reference(number: str) -> bool:
    """4 to 20 digits, the last one the 7-3-1 check digit (Finance Finland)."""
    return number.isascii() and number.isdigit() and 4 <= len(number) <= 20 and _finnish_ok(number)


def is_kid(number: str) -> bool:
    """2 to 25 characters, digits with a MOD10 (Luhn) or MOD11 check digit; MOD11 may end in "-" (Nets)."""
    if not 2 <= len(number) <= 25 or not number.isascii() or not number[:-1].isdigit():
        return False
    mod11 = kid_mod11_check_digit(number[:-1]) == number[-1]
    return mod11 or (number[-1].isdigit() and luhn.is_valid(number))


def is_fik71_payment_id(number: str) -> bool:
    """The 15-digit payment id of a Danish FI-kort type 71, its last digit a modulus-10 (Luhn) check digit
    (Nets, FI-indbetalingskort; e.g. payment id 2 is printed 000000000000026)."""
    return len(number) == 15 and number.isascii() and number.isdigit() and luhn.is_valid(number)


def _finnish_ok(number: str) -> bool:
    return finnish_check_digit(number[:-1]) == number[-1]


def _is_ogm(digits: str) -> bool:
    return len(digits) == 12 and ogm_vcs.is_valid(digits)


def _is_qr_reference(digits: str) -> bool:
    """SIX, Swiss Implementation Guidelines for the QR-bill, QR reference: 27 digits, modulo 10 recursive."""
    return len(digits) == 27 and esr.is_valid(digits)


def _digit_key(digits: str) -> str:
    return digits.lstrip("0")


# -- free text -------------------------------------------------------------------------------------------

# ISO 11649: "RF", two check digits, up to 21 letters or digits; printed in groups of four (EPC guidance).
_RF_START = re.compile(r"(?<![0-9A-Z])RF[0-9]{2}[0-9A-Z]*")
_RF_GROUP = re.compile(r" ([0-9A-Z]{1,4})(?![0-9A-Z])")
# Febelfin: +++123/4567/89012+++ (or ***...***); banks also print it with spaces and without the +++.
_OGM = re.compile(
    r"(?<![0-9/])(?:(?:\+{3}|\*{3})\s*)?([0-9]{3})\s*/\s*([0-9]{4})\s*/\s*([0-9]{5})(?![0-9/])(?:\s*(?:\+{3}|\*{3}))?"
)
# QR-bill guidelines: 27 digits, printed 2 + 5 x 5 ("21 00000 00003 13947 14300 09017").
_QR = re.compile(
    r"(?<![0-9])(?:[0-9]{27}|(?<![0-9] )[0-9]{2}(?: [0-9]{5}){5}(?! [0-9]{5}(?![0-9])))(?![0-9])"
)
# Nets FI-kort OCR line: +71<payment id (15)+creditor number (8)<
_FIK_LINE = re.compile(r"(?<![0-9A-Z])\+\s?71\s*<\s*([0-9]{15})(?![0-9])(?:\s*\+\s*([0-9]{8})\s*<)?")
# The words that name a one-digit-checked scheme; the number must follow them.
_KEYWORD = re.compile(
    r"(?<![0-9A-Z])(?:(?P<fi>VIITENUMERO|VIITENRO|VIITE)|(?P<kid>KID(?:[ -]?(?:NR|NUMMER|NO))?)"
    r"|(?P<ref>REF(?:ERENCE|ERENS|ERENSNUMMER)?(?:[ .]*(?:NO|NR|NUMBER|NUMMER))?)"
    r"|(?P<fik>FIK(?:[ .-]*NR)?(?:[ .:]*\+?71)?|BETALINGS-?ID))(?![0-9A-Z])[ .:#<-]*"
)
_DIGIT_GROUPS = re.compile(r"[0-9]+(?: [0-9]+)*-?(?![0-9A-Z])")


def find_creditor_references(text: str) -> list[CreditorReference]:
    """Every creditor reference in a payment title whose check digit holds, in order, without repeats.

    Self-identifying forms are found anywhere (RF..., +++ddd/dddd/ddddd+++, a 27-digit QR reference, +71<...);
    a Finnish reference or KID only after a word naming it. When a reference is followed by more groups that
    could continue it, every reading whose check digit holds is returned: the index of invoice references
    decides which one is ours.
    """
    upper = text.upper()
    found: list[CreditorReference] = []
    for ref in _free_text_references(upper):
        if len(_digit_key(ref.canonical)) >= 2 and ref not in found:
            found.append(ref)
    return found


def _free_text_references(upper: str) -> Iterator[CreditorReference]:
    yield from _rf_references(upper)
    for m in _OGM.finditer(upper):
        if _is_ogm(digits := "".join(m.groups())):
            yield CreditorReference(BE_OGM, _digit_key(digits), m.group(0).strip())
    for m in _QR.finditer(upper):
        if _is_qr_reference(digits := m.group(0).replace(" ", "")):
            yield CreditorReference(CH_QR, _digit_key(digits), m.group(0))
    for m in _FIK_LINE.finditer(upper):
        if is_fik71_payment_id(m.group(1)):
            yield CreditorReference(DK_FIK, _digit_key(m.group(1)), m.group(0).strip())
    for m in _KEYWORD.finditer(upper):
        yield from _after_keyword(upper, m)


def _rf_references(upper: str) -> Iterator[CreditorReference]:
    for start in _RF_START.finditer(upper):
        reading, end = start.group(0), start.end()
        while True:
            if iso11649.is_valid(reading):
                yield CreditorReference(RF, reading, upper[start.start() : end])
            group = _RF_GROUP.match(upper, end)
            if len(reading) % 4 or not group or len(reading) + len(group.group(1)) > 25:
                break
            reading, end = reading + group.group(1), group.end()


def _after_keyword(upper: str, keyword: re.Match[str]) -> Iterator[CreditorReference]:
    number = _DIGIT_GROUPS.match(upper, keyword.end())
    if not number:
        return
    groups = number.group(0).split(" ")
    first = groups[0]
    if keyword.group("fik"):
        if is_fik71_payment_id(first):
            yield CreditorReference(DK_FIK, _digit_key(first), first)
        return
    if keyword.group("fi") or keyword.group("ref"):
        yield from _finnish_readings(groups)
    if (keyword.group("kid") or keyword.group("ref")) and is_kid(first):
        yield CreditorReference(NO_KID, _digit_key(first), first)


def _finnish_readings(groups: list[str]) -> Iterator[CreditorReference]:
    """Finance Finland: printed in groups of five separated by a space, leading zeros left out."""
    groups = [g.rstrip("-") for g in groups]
    for n in range(len(groups), 0, -1):
        if n > 1 and (len(groups[0]) > 5 or any(len(g) != 5 for g in groups[1:n])):
            continue
        if is_finnish_reference(digits := "".join(groups[:n])):
            yield CreditorReference(FI_REF, _digit_key(digits), " ".join(groups[:n]))


# -- a whole field ---------------------------------------------------------------------------------------

_OGM_WHOLE = re.compile(
    r"(?:\+{3}|\*{3})?\s*([0-9]{3})\s*/?\s*([0-9]{4})\s*/?\s*([0-9]{5})\s*(?:\+{3}|\*{3})?"
)


def parse_creditor_reference(value: str) -> list[CreditorReference]:
    """The readings of a field that holds one reference and nothing else (a camt `CdtrRefInf/Ref`, the
    reference an invoice carries): every scheme whose format and check digit the whole value passes.

    All readings of one value share one `canonical`. A value that is not a reference as a whole is searched
    as free text instead.
    """
    compact = value.strip().upper()
    if compact.startswith("RF"):
        return (
            [CreditorReference(RF, iso11649.compact(compact), value.strip())]
            if iso11649.is_valid(compact)
            else []
        )
    readings = [r for r in _whole_readings(compact) if len(_digit_key(r.canonical)) >= 2]
    return readings or find_creditor_references(value)


def creditor_reference_key(value: str) -> str | None:
    """The key under which an invoice carrying `value` as its creditor reference is indexed, or None when
    `value` is no creditor reference whose check digit holds."""
    readings = parse_creditor_reference(value)
    return readings[0].canonical if readings else None


def reference_body(ref: CreditorReference) -> str:
    """What a reference carries besides its scheme's prefix and check digits: an RF reference's characters
    after "RF" and its two check digits; another scheme's digits before its check digit (two for an OGM,
    modulo 97), leading zeros dropped as in `canonical`."""
    if ref.kind == RF:
        return ref.canonical[4:]
    return _digit_key(ref.canonical[: -2 if ref.kind == BE_OGM else -1])


def _whole_readings(compact: str) -> Iterator[CreditorReference]:
    raw = compact
    if (ogm := _OGM_WHOLE.fullmatch(compact)) and _is_ogm(digits := "".join(ogm.groups())):
        yield CreditorReference(BE_OGM, _digit_key(digits), raw)
    if (fik := _FIK_LINE.fullmatch(compact)) and is_fik71_payment_id(fik.group(1)):
        yield CreditorReference(DK_FIK, _digit_key(fik.group(1)), raw)
    digits = compact.replace(" ", "")
    if not (digits.isascii() and digits.rstrip("-").isdigit() and digits.count("-") <= 1):
        return
    if digits.endswith("-"):
        if is_kid(digits):
            yield CreditorReference(NO_KID, _digit_key(digits), raw)
        return
    if _is_qr_reference(digits.zfill(27)) and len(digits) <= 27:
        yield CreditorReference(CH_QR, _digit_key(digits), raw)
    if is_finnish_reference(digits):
        yield CreditorReference(FI_REF, _digit_key(digits), raw)
    if is_kid(digits):
        yield CreditorReference(NO_KID, _digit_key(digits), raw)
    if is_fik71_payment_id(digits):
        yield CreditorReference(DK_FIK, _digit_key(digits), raw)
