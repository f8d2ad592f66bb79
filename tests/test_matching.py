"""Matching decisions, end to end through blocking, scoring and assignment (pure, no I/O)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.matching import match_tables
from reconcile.matching.engine import match_lines
from reconcile.matching.reference_join import whole_key
from reconcile.matching.references import whole_reference_key
from reconcile.matching.tables import frames
from reconcile.model import Decision
from reconcile.rules import load_rules
from tests.factories import invoice, line

RULES = load_rules()
KSEF = "5265877635-20261021-0100001AF629-7A"


def decide(lines, invoices):
    return {m.line.line_id: m for m in match_lines(lines, invoices, RULES)}


def test_invoice_number_and_exact_amount_is_posted():
    ln = line("2460.00", "Zaplata za fakture FV/2026/10/0101", payer="ACME LOGISTICS SP Z O O")
    m = decide([ln], [invoice(101, "FV/2026/10/0101", "2460.00"), invoice(102, "FV/2026/10/0102", "2460.00")])
    assert m[ln.line_id].decision is Decision.AUTO_POST
    assert m[ln.line_id].chosen.invoices[0].iri == "/invoices/101"
    assert "invoice number in the title" in m[ln.line_id].chosen.reasons()


def test_ksef_number_with_valid_checksum_is_posted():
    ln = line("15129.00", f"KSEF {KSEF}")
    m = decide([ln], [invoice(102, "FV/2026/10/0102", "15129.00", ksef=KSEF)])
    assert m[ln.line_id].decision is Decision.AUTO_POST


def test_ksef_number_with_wrong_checksum_is_not_evidence():
    ln = line("15129.00", f"KSEF {KSEF[:-2]}7B")
    m = decide([ln], [invoice(102, "FV/2026/10/0102", "15129.00", ksef=KSEF)])
    assert m[ln.line_id].decision is Decision.REVIEW  # the amount alone suggests it


def test_partial_payment_with_reference_but_no_payer_goes_to_review():
    ln = line("6000.00", "FV/2026/10/0108 rata 1")
    m = decide([ln], [invoice(108, "FV/2026/10/0108", "12300.00")])
    assert m[ln.line_id].decision is Decision.REVIEW
    assert m[ln.line_id].suggestions[0].invoices[0].iri == "/invoices/108"
    assert "below the 99% to post" in m[ln.line_id].note


def test_number_with_dropped_zeros_and_the_exact_amount_is_posted():
    ln = line("9840.00", "faktura FV/2026/10/107")
    m = decide([ln], [invoice(107, "FV/2026/10/0107", "9840.00")])
    assert m[ln.line_id].decision is Decision.AUTO_POST
    assert "zeros or prefix differ" in m[ln.line_id].chosen.reasons()


def test_number_with_dropped_zeros_two_open_invoices_share_goes_to_a_person():
    ln = line("9840.00", "faktura FV/2026/10/107")
    books = [invoice(107, "FV/2026/10/0107", "9840.00"), invoice(108, "FV/2026/10/00107", "9840.00")]
    assert decide([ln], books)[ln.line_id].decision is Decision.REVIEW


def test_amount_and_name_without_reference_is_only_suggested():
    ln = line("1845.00", "Facture octobre", currency="EUR", payer="CAFE LUMIERE SARL")
    m = decide([ln], [invoice(109, "FV/2026/11/0109", "1845.00", currency="EUR", client="Café Lumière SARL")])
    assert m[ln.line_id].decision is Decision.REVIEW


def test_two_equally_likely_invoices_are_both_suggested():
    ln = line("615.00", "przelew", payer="ACME LOGISTICS")
    m = decide([ln], [invoice(110, "FV/2026/11/0110", "615.00"), invoice(111, "FV/2026/11/0111", "615.00")])
    assert m[ln.line_id].decision is Decision.REVIEW
    assert {s.invoices[0].iri for s in m[ln.line_id].suggestions} == {"/invoices/110", "/invoices/111"}


def test_payment_in_another_currency_is_never_posted():
    ln = line("2460.00", "FV/2026/10/0101", currency="EUR")
    m = decide([ln], [invoice(101, "FV/2026/10/0101", "2460.00", currency="PLN")])
    assert m[ln.line_id].decision is Decision.UNMATCHED


def test_money_out_is_ignored():
    ln = line("-35.50", "Oplata za prowadzenie rachunku")
    assert decide([ln], [invoice(101, "FV/2026/10/0101", "35.50")])[ln.line_id].decision is Decision.IGNORED


def test_unknown_payment_is_unmatched():
    ln = line("1200.00", "darowizna", payer="JOHN DOE")
    assert (
        decide([ln], [invoice(101, "FV/2026/10/0101", "2460.00")])[ln.line_id].decision is Decision.UNMATCHED
    )


def test_two_payments_claiming_one_invoice_both_go_to_review():
    a = line("2460.00", "FV/2026/10/0101", ref="A")
    b = line("2460.00", "FV/2026/10/0101 again", ref="B")
    m = decide([a, b], [invoice(101, "FV/2026/10/0101", "2460.00")])
    assert m[a.line_id].decision is Decision.REVIEW
    assert m[b.line_id].decision is Decision.REVIEW
    assert "FV/2026/10/0101 is also claimed in this run by payment(s) B" in m[a.line_id].note
    assert "by payment(s) A" in m[b.line_id].note


def test_number_inside_a_longer_number_does_not_match():
    ln = line("500.00", "FV/2026/10/01234")
    m = decide([ln], [invoice(1, "FV/2026/10/0123", "700.00")])
    assert m[ln.line_id].decision is Decision.UNMATCHED


# -- the columnar core, as a caller with tables sees it ----------------------------------------------------


def table(lines, invoices):
    return match_tables(*frames(lines, invoices), RULES)


def test_the_core_gives_one_row_per_suggestion_with_rank_decision_invoice_and_amount():
    ln = line("615.00", "przelew", payer="ACME LOGISTICS")
    rows = table([ln], [invoice(110, "FV/2026/11/0110", "615.00"), invoice(111, "FV/2026/11/0111", "615.00")])
    assert rows.select("line_id", "rank", "decision", "invoice_iri", "amount").rows() == [
        (ln.line_id, 1, "review", "/invoices/110", Decimal("615.0000")),
        (ln.line_id, 2, "review", "/invoices/111", Decimal("615.0000")),
    ]


def test_an_auto_post_names_the_level_of_every_comparison():
    ln = line("2460.00", "FV/2026/10/0101", payer="ACME LOGISTICS SP Z O O")
    [row] = table([ln], [invoice(101, "FV/2026/10/0101", "2460.00")]).rows(named=True)
    assert (row["decision"], row["rank"], row["ref_text"]) == ("auto_post", 1, "FV 2026 10 0101")
    levels = [c.levels[row[f"level:{c.name}"]].label for c in RULES.comparisons]
    assert levels == [
        "invoice number in the title", "equals the open amount", "payer name is the client's",
        "nothing known of the payer's account", "paid after the invoice was issued",
    ]  # fmt: skip


def test_an_amount_shared_by_many_open_invoices_brings_none_of_them_in():
    many = [invoice(n, f"FV/2026/11/{n:04d}", "100.00") for n in range(RULES.max_amount_candidates + 1)]
    ln = line("100.00", "przelew")
    assert table([ln], many).select("decision", "invoice_iri").rows() == [("unmatched", None)]


def test_a_payer_name_alone_brings_no_invoice_in():
    ln = line("999.00", "przelew", payer="ACME LOGISTICS SP Z O O")
    assert table([ln], [invoice(101, "FV/2026/10/0101", "2460.00")])["decision"].to_list() == ["unmatched"]


def test_a_line_without_candidates_and_money_out_each_get_one_row_without_an_invoice():
    rows = table([line("1.00", "x", ref="A"), line("-5.00", "fee", ref="B"), line("0.00", "", ref="C")], [])
    assert rows.select("decision", "note", "invoice_iri").rows() == [
        ("unmatched", "no open invoice resembles this payment", None),
        ("ignored", "money out", None),
        ("ignored", "zero amount", None),
    ]


def test_a_short_invoice_number_counts_as_the_whole_title_but_not_inside_other_text():
    short = invoice(7, "1234", "50.00")
    alone, inside = line("50.00", "Faktura nr 1234", ref="A"), line("50.00", "order 1234 for ACME", ref="B")
    rows = {r["line_id"]: r for r in table([alone, inside], [short]).rows(named=True)}
    assert rows[alone.line_id]["ref_text"] == "Faktura nr 1234"
    assert rows[inside.line_id]["ref_text"] is None  # still suggested by its amount, not by the number


def test_a_split_payment_title_is_read_by_its_invoice_field_never_its_vat_amount():
    vat_lookalike = invoice(1, "FV 12345", "123.45")  # "12345" is the VAT amount below, written 123,45
    named = invoice(2, "FV 12/2026", "600.00")
    ln = line("600.00", "/VAT/123,45/IDC/5261040828/INV/FV 12/2026/TXT/towar")
    rows = table([ln], [vat_lookalike, named]).rows(named=True)
    assert [(r["invoice_iri"], r["decision"]) for r in rows] == [("/invoices/2", "auto_post")]


def test_a_short_number_in_a_split_payment_invoice_field_counts():
    ln = line("80.00", "/VAT/14,96/IDC/5261040828/INV/123/TXT/abonament")
    rows = table([ln], [invoice(3, "123", "80.00")]).rows(named=True)
    assert (rows[0]["invoice_iri"], rows[0]["ref_text"], rows[0]["decision"]) == ("/invoices/3", "123", "auto_post")


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["FAKTURA", "nr", "Nr.", "123", "FV/7", "za", "0042", "Zahlung", "-", "ß1"]),
                max_size=6).map(" ".join))  # fmt: skip
def test_the_cores_whole_title_key_is_the_reference_modules(title):
    assert pl.select(whole_key(pl.lit(title))).item() == whole_reference_key(title)


def test_a_number_read_with_zeros_dropped_does_not_hide_one_written_exactly_inside_it():
    exact = invoice(1, "2026-2500", "300.00")
    other = invoice(2, "INV-2026-02500", "999.00", client="Other Client GmbH")
    ln = line("300.00", "Inv 2026-2500 thank you", payer="ACME LOGISTICS SP Z O O")
    rows = table([ln], [exact, other]).rows(named=True)
    assert (rows[0]["invoice_iri"], rows[0]["decision"]) == ("/invoices/1", "auto_post")


def test_courtesy_words_around_a_short_number_leave_it_standing_alone():
    for title in ("RECHNUNG 9071 VIELEN DANK", "Betaling af faktura 9071", "Przelew za 9071 dziękujemy"):
        [row] = table([line("50.00", title)], [invoice(7, "9071", "50.00")]).rows(named=True)
        assert (row["ref_text"], row["decision"]) == (title, "auto_post")


def test_a_payment_naming_an_invoice_already_paid_goes_to_a_person_saying_so():
    ln = line("2460.00", "Zaplata za FV/2026/10/0101", payer="ACME LOGISTICS")
    m = decide([ln], [invoice(101, "FV/2026/10/0101", "0.00", amount="2460.00"), invoice(102, "FV/2026/10/0102", "99.00")])
    assert m[ln.line_id].decision is Decision.REVIEW
    assert m[ln.line_id].note.startswith("names FV/2026/10/0101, which is not open (already paid)")
    assert m[ln.line_id].suggestions == ()


def test_a_paid_invoice_is_never_a_candidate_even_by_its_amount():
    ln = line("2460.00", "przelew", payer="ACME LOGISTICS")
    assert decide([ln], [invoice(101, "FV/2026/10/0101", "0.00", amount="2460.00")])[ln.line_id].decision is (
        Decision.UNMATCHED
    )


def test_money_in_that_a_rule_says_is_no_invoice_payment_is_ignored_naming_the_rule():
    payout = replace(line("2460.00", "FV/2026/10/0101 card sales"), bank_tx_code="PMNT/MCRD/POSP")
    interest = replace(line("12.30", "KAPITALIZACJA ODSETEK"), bank_tx_code="NINT")
    client = replace(line("2460.00", "late interest FV/2026/10/0101", payer="ACME LOGISTICS"), bank_tx_code="PMNT/RCDT/ESCT")
    m = decide([payout, interest, client], [invoice(101, "FV/2026/10/0101", "2460.00")])
    assert m[payout.line_id].decision is Decision.IGNORED and "card settlement" in m[payout.line_id].note
    assert m[interest.line_id].decision is Decision.IGNORED and "'interest'" in m[interest.line_id].note
    assert m[client.line_id].decision is Decision.AUTO_POST


def test_a_transfer_from_another_of_our_accounts_is_ignored():
    ours = "PL27114020040000300201355387"
    other = replace(line("500.00", "przelew wlasny", iban=ours, ref="O1"))
    statement_of_ours = replace(line("-500.00", "przelew wlasny", ref="O2"), account=ours)
    m = decide([other, statement_of_ours], [invoice(101, "FV/2026/10/0101", "500.00")])
    assert m[other.line_id].decision is Decision.IGNORED and "own transfer" in m[other.line_id].note


def test_rules_that_require_no_strong_evidence_decide_by_probability_alone():
    # An exact amount and the client's name: a person decides under the shipped rules, for want of a
    # strong reference or account; rules that require nothing strong leave it to the probability.
    lines = [line("1234.56", "przelew", payer="ACME SP Z O O")]
    books = [invoice(1, "FV/2026/04/0001", "1234.56", client="Acme sp. z o.o.")]
    shipped = match_lines(lines, books, RULES)[0]
    assert "strong evidence" in shipped.note
    relaxed = match_lines(lines, books, replace(RULES, auto_post_requires=()))[0]
    assert "strong evidence" not in (relaxed.note or "")
    assert relaxed.decision in (Decision.AUTO_POST, Decision.REVIEW)
