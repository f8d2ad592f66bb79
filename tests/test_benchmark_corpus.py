"""The benchmark corpus (benchmarks/corpus.py) says the truth: what it calls right is right, traps are traps."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from benchmarks.corpus import KINDS, Corpus, ksef_number, make_corpus

TRAPS = {k.name for k in KINDS if k.trap}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return make_corpus(2_000, 2_000, seed=11)


def test_the_same_seed_gives_the_same_corpus(corpus):
    again = make_corpus(2_000, 2_000, seed=11)
    assert again.invoices == corpus.invoices
    assert again.lines == corpus.lines
    assert again.truth == corpus.truth


def test_another_seed_gives_another_corpus(corpus):
    other = make_corpus(2_000, 2_000, seed=12)
    assert [ln.remittance for ln in other.lines] != [ln.remittance for ln in corpus.lines]


def test_every_kind_is_present_at_2000_lines(corpus):
    found = Counter(t.kind for t in corpus.truth.values())
    assert set(found) == {k.name for k in KINDS}


def test_every_line_has_its_truth(corpus):
    assert [ln.line_id for ln in corpus.lines] == list(corpus.truth)


def test_allocations_never_exceed_the_line_amount(corpus):
    for line in corpus.lines:
        allocations = corpus.truth[line.line_id].allocations
        assert sum(allocations.values()) <= max(line.amount, 0), line


def test_should_auto_lines_pay_open_invoices_that_have_enough_open(corpus):
    open_invoices = {inv.iri: inv for inv in corpus.invoices}
    for line in corpus.lines:
        truth = corpus.truth[line.line_id]
        if not truth.should_auto:
            continue
        assert truth.allocations, line
        for iri, amount in truth.allocations.items():
            invoice = open_invoices[iri]
            assert 0 < amount <= invoice.open_amount, (line, invoice)
            assert invoice.currency == line.currency


def test_no_invoice_is_paid_by_two_lines(corpus):
    paid = Counter(iri for t in corpus.truth.values() for iri in t.allocations)
    assert max(paid.values()) == 1


def test_traps_are_never_for_automatic_posting(corpus):
    assert {"trap_amount_only", "trap_name_only", "trap_other_client_reference", "trap_already_paid"} <= TRAPS
    assert not [t for t in corpus.truth.values() if t.kind in TRAPS and t.should_auto]
    assert not [t for t in corpus.truth.values() if t.kind == "no_reference" and t.should_auto]


def test_a_double_payment_names_an_invoice_that_is_not_open(corpus):
    numbers_paid = {inv.name for inv in corpus.paid}
    numbers_open = {inv.name for inv in corpus.invoices}
    lines = [ln for ln in corpus.lines if corpus.truth[ln.line_id].kind == "trap_already_paid"]
    for line in lines:
        named = corpus.truth[line.line_id].note.removeprefix("paid ")
        assert named in numbers_paid and named not in numbers_open
        assert named in line.remittance or named in line.remittance.upper()


def test_a_typo_is_one_character_off_its_invoice_and_no_invoice_number(corpus):
    numbers = {inv.iri: inv.name for inv in corpus.invoices}
    every_number = set(numbers.values()) | {inv.name for inv in corpus.paid}
    typos = [t for t in corpus.truth.values() if t.kind == "typo_reference"]
    assert typos
    for truth in typos:
        (iri,) = truth.allocations
        right, typo = numbers[iri], truth.note
        assert len(typo) == len(right) and sum(a != b for a, b in zip(typo, right, strict=True)) == 1
        assert typo not in every_number


def test_invoice_numbers_are_unique(corpus):
    numbers = [inv.name for inv in [*corpus.invoices, *corpus.paid]]
    assert len(numbers) == len(set(numbers))


def test_ksef_numbers_carry_their_crc8():
    # the number reconcile's own tests use: 5265877635-20261021-0100001AF629-7A
    assert ksef_number(date(2026, 10, 21), 0x0100001AF629) == "5265877635-20261021-0100001AF629-7A"


def test_payer_ibans_have_valid_check_digits(corpus):
    letters = {chr(c): str(c - 55) for c in range(65, 91)}
    for iban in {ln.counterparty_iban for ln in corpus.lines if ln.counterparty_iban}:
        rearranged = "".join(letters.get(ch, ch) for ch in iban[4:] + iban[:4])
        assert int(rearranged) % 97 == 1, iban


def test_the_engine_benchmark_counts_candidates_on_the_cores_numbered_tables() -> None:
    """make bench reads the core's candidate step directly: it must be given the tables as the core numbers
    them (a change there once made the benchmark print an error in place of its figures)."""
    from benchmarks.engine_scale import scale_bench

    figures = scale_bench(300, 300)
    assert figures["auto_post"] > 0
    assert figures["candidates_avg"] >= 1
    assert figures["candidates_max"] >= figures["candidates_p50"] >= 1
