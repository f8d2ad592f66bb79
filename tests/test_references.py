"""Finding invoice and KSeF numbers in payment titles."""

from __future__ import annotations

import pytest

from reconcile.matching.references import ReferenceIndex, crc8, find_ksef_numbers, normalise_ksef

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
