"""A match is a set of allocations: combined payments, instalments, fees, overpayments, and a batch in which no
invoice is given more than it has open. Engine-level (pure) tests, then the outbox with a real sandbox."""

from __future__ import annotations

import itertools
from collections import Counter
from contextlib import nullcontext
from dataclasses import replace
from datetime import date
from decimal import Decimal
from unittest import mock

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconcile.flowtly.sandbox import SandboxOptions, make_seed, start_sandbox
from reconcile.matching import combined
from reconcile.matching.combined import (
    MAX_SETS,
    SEARCH_BUDGET,
    _may_add_up,
    combined_options,
    subsets_summing_to,
)
from reconcile.matching.engine import match_lines
from reconcile.matching.options import build_options
from reconcile.matching.signals import PARTLY_NAMED
from reconcile.model import BankLine, Decision, Invoice, make_line_id
from reconcile.pipeline import RunRequest, run
from reconcile.rules import load_rules
from reconcile.statements.writers.camt import write_camt053
from reconcile.store.state import State
from tests.factories import invoice, line
from tests.payments import in_process_settings, open_invoices

RULES = load_rules()
PAYER = "ACME LOGISTICS SP Z O O"


def decide(lines, invoices):
    return {m.line.line_id: m for m in match_lines(lines, invoices, RULES)}


def allocations(match) -> dict[str, Decimal]:
    return {a.invoice.iri: a.amount for a in match.chosen.allocations}


# -- the subset sum --------------------------------------------------------------------------------------


def test_subsets_summing_to_finds_every_exact_set_within_the_size():
    assert sorted(subsets_summing_to([500, 300, 200, 100], 600, max_size=3)) == [(0, 3), (1, 2, 3)]
    assert subsets_summing_to([500, 300, 200, 100], 600, max_size=2) == [(0, 3)]
    assert subsets_summing_to([500, 300], 700, max_size=4) == []


def test_subsets_summing_to_stops_at_its_budget_on_many_equal_amounts():
    assert len(subsets_summing_to([100] * 60, 300, max_size=3, limit=4, budget=500)) <= 4


def naive_subsets(values, target, *, max_size, min_size=2, limit=MAX_SETS, budget=SEARCH_BUDGET):
    """subsets_summing_to as a plain depth-first search, one node per value looked at: the reference."""
    if max_size < max(min_size, 1):
        return []
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ordered = [values[i] for i in order]
    rest = [sum(ordered[k:]) for k in range(len(ordered) + 1)]
    found, nodes = [], 0

    def search(start, remaining, chosen):
        nonlocal nodes
        for k in range(start, len(ordered)):
            nodes += 1
            if nodes > budget or rest[k] < remaining:
                return
            if ordered[k] == remaining and len(chosen) + 1 >= min_size:
                yield tuple(sorted(order[j] for j in (*chosen, k)))
            elif ordered[k] < remaining and len(chosen) + 1 < max_size:
                yield from search(k + 1, remaining - ordered[k], [*chosen, k])

    for subset in search(0, target, []):
        found.append(subset)
        if len(found) == limit:
            break
    return found


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from([1, 2, 3, 5, 7, 10, 30, 100]), max_size=16),
    st.integers(1, 60),
    st.integers(0, 7),
    st.integers(0, 4),
    st.integers(1, 5),
    st.sampled_from([3, 10, 40, 200, 2000]),
)
def test_subsets_summing_to_finds_what_a_plain_search_within_its_budget_finds(
    values, target, most, least, limit, budget
):
    kw = {"max_size": most, "min_size": least, "limit": limit, "budget": budget}
    assert subsets_summing_to(values, target, **kw) == naive_subsets(values, target, **kw)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from([1, 2, 3, 5, 8, 13, 40]), min_size=3, max_size=12),
                          st.integers(3, 60), st.integers(3, 6)), min_size=1, max_size=6))  # fmt: skip
def test_may_add_up_is_false_only_where_no_three_to_room_values_add_up(groups):
    values = np.array([v for amounts, _, _ in groups for v in sorted(amounts, reverse=True)], dtype=np.int64)
    counts = np.array([len(amounts) for amounts, _, _ in groups])
    targets = np.array([target for _, target, _ in groups])
    rooms = np.array([room for _, _, room in groups])
    maybe = _may_add_up(values, counts, targets, rooms, np.ones(len(groups), dtype=bool))
    for (amounts, target, room), may in zip(groups, maybe, strict=True):
        some = any(
            sum(subset) == target
            for size in range(3, room + 1)
            for subset in itertools.combinations(amounts, size)
        )
        assert may == (some or room > 5)


def reference_combined(incoming, books, pairs, leads, rules) -> list[tuple[int, str, int]]:
    """combined_options row by row, in plain Python: the groups, their invoices, the sets and their order."""
    lines = {r["line_id"]: r for r in incoming.iter_rows(named=True)}
    owners = [r for r in books.iter_rows(named=True) if r["client_iri"] is not None and r["open_units"] > 0]
    by_iri = {r["iri"]: r for r in owners}
    named: dict[int, set[int]] = {}
    for r in pairs.filter(pl.col("ref_kind").is_not_null()).iter_rows(named=True):
        named.setdefault(r["line_id"], set()).add(r["iri"])

    def fits(line_id, iri):
        known = line_id in lines and iri in by_iri
        return known and by_iri[iri]["invoice_currency"] == lines[line_id]["line_currency"]

    rows = [(ln, iri) for ln, iris in named.items() for iri in iris if fits(ln, iri)]
    per_line = Counter(ln for ln, _ in rows)
    by_client: dict[tuple[int, str], list[int]] = {}
    for ln, iri in rows:
        by_client.setdefault((ln, by_iri[iri]["client_iri"]), []).append(iri)
    searched = []
    for (ln, client), iris in by_client.items():
        rest = lines[ln]["line_units"] - sum(by_iri[i]["open_units"] for i in iris)
        alone = per_line[ln] == 1 and rest > 0
        several = per_line[ln] > 1 and (len(iris) > 1 or rest > 0) and rest >= 0
        if alone or (several and len(iris) <= rules.combined_max_invoices):
            searched.append((ln, client, sorted(iris), rest))
    kept = {(ln, client) for ln, client, _, _ in searched}
    paid = [r for r in pairs.iter_rows(named=True) if fits(r["line_id"], r["iri"])]
    exact = {r["line_id"] for r in paid if by_iri[r["iri"]]["open_units"] == lines[r["line_id"]]["line_units"]}
    for r in leads.iter_rows(named=True):
        if r["line_id"] in lines and r["line_id"] not in exact and (r["line_id"], r["client_iri"]) not in kept:
            searched.append((r["line_id"], r["client_iri"], [], lines[r["line_id"]]["line_units"]))
    out = []
    for ln, client, iris, rest in searched:
        sets: list[list[int]] = [[]]
        if rest > 0:
            others = sorted(
                (r for r in owners if r["client_iri"] == client and fits(ln, r["iri"]) and r["open_units"] <= rest
                 and r["iri"] not in named.get(ln, set())),
                key=lambda r: (r["issue_date"] is None, -(r["issue_date"] or date.min).toordinal(), r["iri"]),
            )[: rules.combined_search_invoices]  # fmt: skip
            if not others:
                continue
            room, least = rules.combined_max_invoices - len(iris), 1 if iris else 2
            amounts, ids = [r["open_units"] for r in others], [r["iri"] for r in others]
            small = [[ids[a]] for a in range(len(ids)) if amounts[a] == rest] + [
                [ids[a], ids[b]]
                for a, b in itertools.combinations(range(len(ids)), 2)
                if amounts[a] + amounts[b] == rest
            ]
            sets = [s for s in small if least <= len(s) <= room] or [
                [ids[i] for i in subset] for subset in subsets_summing_to(amounts, rest, max_size=room, min_size=3)
            ]
        for added in sorted(sets, key=lambda s: (len(s), " ".join(map(str, s))))[:MAX_SETS]:
            members = sorted(iris + added)
            out.extend((ln, "+".join(map(str, members)), iri) for iri in members)
    return sorted(out)


@st.composite
def combined_batches(draw):
    """Invoices of a few clients in two currencies, lines that pay some of one client's invoices in one
    currency (and maybe a little more), the pairs naming some of those and some others, and payer leads:
    what combined_options reads."""
    day = st.sampled_from([date(2026, 1, d) for d in (1, 2, 3)] + [None])
    client, currency = st.sampled_from(["/c/1", "/c/1", "/c/2", None]), st.sampled_from(["PLN", "PLN", "EUR"])
    amount = st.sampled_from([0, 100, 200, 300, 500, 800, 1300, 2100])
    invoices = draw(st.lists(st.tuples(client, currency, amount, day), min_size=3, max_size=18))
    iris = draw(st.permutations(range(40)))[: len(invoices)]
    books = pl.DataFrame(
        {"iri": iris, "client_iri": [c for c, _, _, _ in invoices], "invoice_currency": [k for _, k, _, _ in invoices],
         "open_units": [a for _, _, a, _ in invoices], "issue_date": [d for _, _, _, d in invoices]},
        schema={"iri": pl.UInt32, "client_iri": pl.String, "invoice_currency": pl.Categorical, "open_units": pl.Int64,
                "issue_date": pl.Date},
    )  # fmt: skip
    line_ids = sorted(draw(st.sets(st.integers(0, 30), min_size=1, max_size=5)))
    lines, named, led = [], set(), set()
    for line_id in line_ids:
        first = draw(st.integers(0, len(invoices) - 1))
        alike = [i for i, inv in enumerate(invoices) if inv[:2] == invoices[first][:2] and i != first]
        paid = [first, *draw(st.lists(st.sampled_from(alike), max_size=6, unique=True) if alike else st.just([]))]
        units = sum(invoices[i][2] for i in paid) + draw(st.sampled_from([0, 0, 100]))
        lines.append((line_id, invoices[paid[0]][1], units or 100))
        named |= {(line_id, iris[i]) for i in paid[: draw(st.integers(0, 3))]}
        if draw(st.booleans()) and invoices[paid[0]][0]:
            led.add((line_id, invoices[paid[0]][0]))
    named |= draw(st.sets(st.tuples(st.sampled_from([*line_ids, 31]), st.sampled_from(iris)), max_size=4))
    incoming = pl.DataFrame(
        lines, schema={"line_id": pl.UInt32, "line_currency": pl.Categorical, "line_units": pl.Int64}, orient="row"
    )
    pairs = pl.DataFrame(
        [(ln, iri, draw(st.sampled_from(["invoice_number", "invoice_number", None]))) for ln, iri in sorted(named)],
        schema={"line_id": pl.UInt32, "iri": pl.UInt32, "ref_kind": pl.String}, orient="row",
    )  # fmt: skip
    leads = pl.DataFrame(sorted(led), schema={"line_id": pl.UInt32, "client_iri": pl.String}, orient="row")
    rules = replace(
        RULES, combined_max_invoices=draw(st.integers(3, 6)), combined_search_invoices=draw(st.integers(3, 8))
    )
    return incoming, books, pairs, leads, rules


@settings(max_examples=300, deadline=None)
@given(combined_batches(), st.booleans())
def test_combined_options_finds_the_sets_a_plain_reading_finds_even_when_client_hashes_collide(batch, one_hash):
    with mock.patch.object(combined, "_client", lambda: pl.lit(7, dtype=pl.UInt64)) if one_hash else nullcontext():
        got = combined_options(*batch)
    assert sorted(got.iter_rows()) == reference_combined(*batch)


# -- combined payments ------------------------------------------------------------------------------------


def test_a_sets_option_reads_its_weakest_reference_and_its_members_by_name():
    # One line, four invoices of one client; its title names invoice 0 by its KSeF number and 1 by its number.
    amounts = [Decimal("100.00"), Decimal("200.00"), Decimal("300.00"), Decimal("400.00")]
    invoices = pl.DataFrame(
        {"invoice_name": ["FV/4", "FV/3", "FV/2", "FV/1"], "client_name_id": [0] * 4,
         "open_units": [int(a * 10_000) for a in amounts], "invoice_currency": ["PLN"] * 4,
         "issue_date": [date(2026, 1, d) for d in (1, 2, 3, 4)], "due_date": [date(2026, 2, d) for d in (1, 2, 3, 4)],
         "open_amount": amounts},
        schema_overrides={
            "client_name_id": pl.UInt32, "invoice_currency": pl.Categorical, "open_amount": pl.Decimal(18, 2)
        },
    )  # fmt: skip
    lines = pl.DataFrame(
        {"line_currency": ["PLN"], "line_amount": [Decimal("1000.00")], "line_units": [10_000_000],
         "booking_date": [date(2026, 3, 1)], "charge_units": [0], "payer_id": [0]},
        schema_overrides={"line_currency": pl.Categorical, "line_amount": pl.Decimal(18, 2), "payer_id": pl.UInt32},
    )  # fmt: skip
    pairs = pl.DataFrame(
        {"line_id": [0] * 4, "iri": [0, 1, 2, 3], "ref_kind": ["ksef", "invoice_number", None, None],
         "ref_text": ["K0", "N1", None, None]},
        schema_overrides={"line_id": pl.UInt32, "iri": pl.UInt32},
    )  # fmt: skip
    sets = pl.DataFrame(
        {"line_id": [0] * 6, "option": ["0+1", "0+1", "0+2", "0+2", "2+3", "2+3"], "iri": [0, 1, 0, 2, 2, 3]},
        schema_overrides={"line_id": pl.UInt32, "iri": pl.UInt32},
    )
    options, members, names = build_options(pairs, sets, lines, invoices)
    combined = options.filter(pl.col("option") >= 4).sort("option")  # numbered after the invoices, in order
    assert combined["ref_kind"].to_list() == ["invoice_number", PARTLY_NAMED, None]
    assert combined["ref_text"].to_list() == ["N1, K0", "K0", ""]  # in the order of the members' names
    assert combined["named_elsewhere"].to_list() == [0, 1, 2]
    assert combined["allocated"].to_list() == [Decimal("300.00"), Decimal("400.00"), Decimal("700.00")]
    assert names.to_list() == ["FV/4", "FV/3", "FV/2", "FV/1", "FV/3 + FV/4", "FV/2 + FV/4", "FV/1 + FV/2"]
    assert members.sort("option", "part").select("option", "part", "iri").rows() == [
        (4, 1, 1), (4, 2, 0), (5, 1, 2), (5, 2, 0), (6, 1, 3), (6, 2, 2)
    ]  # fmt: skip




def test_a_payment_naming_two_invoices_that_add_up_posts_both_in_full():
    ln = line("3000.00", "FV/2026/10/0101, FV/2026/10/0102", payer=PAYER)
    books = [invoice(101, "FV/2026/10/0101", "2460.00"), invoice(102, "FV/2026/10/0102", "540.00"),
             invoice(103, "FV/2026/10/0103", "540.00")]  # fmt: skip
    m = decide([ln], books)[ln.line_id]
    assert m.decision is Decision.AUTO_POST
    assert allocations(m) == {"/invoices/101": Decimal("2460.00"), "/invoices/102": Decimal("540.00")}
    assert m.chosen.rest == 0
    assert m.chosen.label == "FV/2026/10/0101 + FV/2026/10/0102"


def test_a_combined_payment_naming_only_some_invoices_is_suggested_as_a_set_not_posted():
    ln = line("3000.00", "FV/2026/10/0101 i inne", payer=PAYER)
    books = [invoice(101, "FV/2026/10/0101", "2460.00"), invoice(102, "FV/2026/10/0102", "540.00")]
    m = decide([ln], books)[ln.line_id]
    assert m.decision is Decision.REVIEW
    assert {inv.iri for inv in m.suggestions[0].invoices} == {"/invoices/101", "/invoices/102"}


def test_two_sets_that_fit_equally_go_to_a_person_with_both():
    ln = line("1000.00", "FV/2026/10/0101 i inne", payer=PAYER)
    books = [invoice(101, "FV/2026/10/0101", "400.00"), invoice(102, "FV/2026/10/0102", "600.00"),
             invoice(103, "FV/2026/10/0103", "600.00")]  # fmt: skip
    m = decide([ln], books)[ln.line_id]
    assert m.decision is Decision.REVIEW
    sets = [{inv.iri for inv in s.invoices} for s in m.suggestions[:2]]
    assert {"/invoices/101", "/invoices/102"} in sets and {"/invoices/101", "/invoices/103"} in sets


@pytest.mark.parametrize("others", [1, 2, 3, 4])
def test_a_combined_payment_naming_one_invoice_is_completed_by_up_to_several_others(others):
    # One or two more invoices are found by joins over the batch, three or four by the search in Python.
    named = invoice(101, "FV/2026/10/0101", "1000.00")
    rest = [invoice(110 + k, f"FV/2026/10/01{10 + k}", f"{100 * 2**k}.00") for k in range(others)]
    decoys = [invoice(130 + k, f"FV/2026/10/01{30 + k}", f"{7000 + k}.00") for k in range(3)]
    total = Decimal("1000.00") + sum((inv.open_amount for inv in rest), Decimal(0))
    ln = line(f"{total}", "FV/2026/10/0101 i inne", payer=PAYER)
    m = decide([ln], [named, *rest, *decoys])[ln.line_id]
    assert m.decision is Decision.REVIEW  # only one of the set is named: suggested, not posted
    assert {inv.iri for inv in m.suggestions[0].invoices} == {named.iri, *(inv.iri for inv in rest)}


def test_a_combined_payment_with_many_equal_sets_shows_a_few_and_goes_to_a_person():
    books = [invoice(101, "FV/2026/10/0101", "1000.00")] + [
        invoice(110 + k, f"FV/2026/10/01{10 + k}", "100.00") for k in range(12)
    ]
    ln = line("1300.00", "FV/2026/10/0101 i inne", payer=PAYER)
    m = decide([ln], books)[ln.line_id]
    assert m.decision is Decision.REVIEW
    sets = [s for s in m.suggestions if len(s.invoices) == 4]
    assert 2 <= len(sets) <= RULES.max_suggestions
    assert all("/invoices/101" in {inv.iri for inv in s.invoices} for s in sets)


def test_invoices_of_another_client_never_join_a_combined_payment():
    ln = line("3000.00", "FV/2026/10/0101 FV/2026/10/0102", payer=PAYER)
    other = Invoice("/invoices/102", 102, "FV/2026/10/0102", "Other Client SA", "/clients/2", Decimal("540.00"),
                    Decimal("540.00"), "PLN", "sent")  # fmt: skip
    m = decide([ln], [invoice(101, "FV/2026/10/0101", "2460.00"), other])[ln.line_id]
    assert m.decision is Decision.REVIEW
    assert all(len(s.allocations) == 1 for s in m.suggestions)


# -- part payments, fees and overpayments -------------------------------------------------------------------


def test_an_instalment_naming_its_invoice_posts_what_was_paid_and_leaves_the_rest_open():
    ln = line("6000.00", "FV/2026/10/0108 rata 1", payer=PAYER)
    m = decide([ln], [invoice(108, "FV/2026/10/0108", "12300.00")])[ln.line_id]
    assert m.decision is Decision.AUTO_POST
    assert allocations(m) == {"/invoices/108": Decimal("6000.00")}
    assert "part of the open amount" in m.chosen.reasons()


def test_a_foreign_banks_fee_deducted_from_a_eur_payment_posts_what_arrived():
    ln = line("1835.00", "Invoice FV/2026/11/0109", currency="EUR", payer="CAFE LUMIERE SARL")
    books = [invoice(109, "FV/2026/11/0109", "1845.00", currency="EUR", client="Café Lumière SARL")]
    m = decide([ln], books)[ln.line_id]
    assert m.decision is Decision.AUTO_POST
    assert allocations(m) == {"/invoices/109": Decimal("1835.00")}
    assert "the open amount less a bank's fee" in m.chosen.reasons()


def test_a_small_overpayment_posts_the_open_amount_and_reports_the_rest():
    ln = line("2470.00", "FV/2026/10/0101", payer=PAYER)
    m = decide([ln], [invoice(101, "FV/2026/10/0101", "2460.00")])[ln.line_id]
    assert m.decision is Decision.AUTO_POST
    assert allocations(m) == {"/invoices/101": Decimal("2460.00")}
    assert m.chosen.rest == Decimal("10.00")


def test_an_overpayment_naming_its_invoice_posts_the_open_amount_and_leaves_the_rest_for_a_person():
    ln = line("37500.00", "FV/2026/10/0101", payer=PAYER)  # 25% over: the invoice is paid, 7,500.00 is left
    m = decide([ln], [invoice(101, "FV/2026/10/0101", "30000.00")])[ln.line_id]
    assert m.decision is Decision.AUTO_POST
    assert allocations(m) == {"/invoices/101": Decimal("30000.00")}
    assert m.chosen.rest == Decimal("7500.00")
    assert "more than the open amount by at most 25%" in m.chosen.reasons()


def test_an_overpayment_of_more_than_a_quarter_goes_to_a_person():
    ln = line("37500.01", "FV/2026/10/0101", payer=PAYER)
    m = decide([ln], [invoice(101, "FV/2026/10/0101", "30000.00")])[ln.line_id]
    assert m.decision is Decision.REVIEW


def test_an_overpayment_whose_title_names_another_invoice_is_no_overpayment():
    # The rest may well pay FV/2026/10/0102, of another client: a person decides.
    ln = line("3000.00", "FV/2026/10/0101 FV/2026/10/0102", payer=PAYER)
    other = Invoice("/invoices/102", 102, "FV/2026/10/0102", "Other Client SA", "/clients/2", Decimal("900.00"),
                    Decimal("900.00"), "PLN", "sent")  # fmt: skip
    m = decide([ln], [invoice(101, "FV/2026/10/0101", "2460.00"), other])[ln.line_id]
    assert m.decision is Decision.REVIEW


def test_two_instalments_that_fit_the_open_amount_are_both_posted():
    a = line("4000.00", "FV/2026/10/0108 rata 1", payer=PAYER, ref="A")
    b = line("5000.00", "FV/2026/10/0108 rata 2", payer=PAYER, ref="B")
    m = decide([a, b], [invoice(108, "FV/2026/10/0108", "12300.00")])
    assert m[a.line_id].decision is Decision.AUTO_POST and m[b.line_id].decision is Decision.AUTO_POST


def test_two_part_payments_that_together_exceed_the_open_amount_both_go_to_a_person_naming_each_other():
    a = line("8000.00", "FV/2026/10/0108 rata 1", payer=PAYER, ref="A")
    b = line("8000.00", "FV/2026/10/0108 rata 2", payer=PAYER, ref="B")
    m = decide([a, b], [invoice(108, "FV/2026/10/0108", "12300.00")])
    assert m[a.line_id].decision is Decision.REVIEW and m[b.line_id].decision is Decision.REVIEW
    assert "by payment(s) B" in m[a.line_id].note and "by payment(s) A" in m[b.line_id].note


def test_a_payment_booked_long_before_the_invoice_was_issued_is_not_posted_on_its_number_alone():
    ln = line("2460.00", "FV/2026/10/0101", booked=date(2026, 1, 5))
    inv = invoice(101, "FV/2026/10/0101", "2460.00")
    early = Invoice(**{**{f: getattr(inv, f) for f in inv.__slots__}, "issue_date": date(2026, 10, 1)})
    assert "paid before the invoice was issued" in decide([ln], [early])[ln.line_id].suggestions[0].reasons()


# -- invariants ---------------------------------------------------------------------------------------------

_amounts = st.integers(min_value=1, max_value=2_000).map(lambda n: Decimal(n) * 5)


@st.composite
def batches(draw):
    n_invoices = draw(st.integers(1, 6))
    books = [
        invoice(100 + i, f"FV/2026/10/{100 + i:04d}", f"{draw(_amounts):.2f}",
                client=draw(st.sampled_from(["Acme Logistics sp. z o.o.", None])))
        for i in range(n_invoices)
    ]  # fmt: skip
    lines = []
    for j in range(draw(st.integers(1, 6))):
        named = draw(st.lists(st.sampled_from(books), max_size=3, unique_by=lambda b: b.iri))
        amount = draw(st.one_of(_amounts, st.just(sum((b.open_amount for b in named), Decimal(0)) or Decimal(5))))
        title = " ".join(b.name for b in named) if draw(st.booleans()) else "przelew"
        lines.append(line(f"{amount:.2f}", title, payer=draw(st.sampled_from([PAYER, None])), ref=f"L{j}"))
    return lines, books


@settings(max_examples=150, deadline=None)
@given(batches())
@example(  # two lines naming one invoice, each paying all of it: never both
    (
        [line("10.00", "FV/2026/10/0100", payer=PAYER, ref="L0"), line("10.00", "FV/2026/10/0100", payer=PAYER, ref="L1")],
        [invoice(100, "FV/2026/10/0100", "10.00")],
    )
)
def test_auto_posts_never_over_allocate_and_always_have_a_reference(batch):
    lines, books = batch
    by_iri = {b.iri: b for b in books}
    given_to: Counter[str] = Counter()
    for m in match_lines(lines, books, RULES):
        if m.decision is not Decision.AUTO_POST:
            continue
        assert m.chosen.allocated + m.chosen.rest == m.line.amount
        assert m.chosen.allocated <= m.line.amount and m.chosen.rest >= 0
        assert all(0 < a.amount <= by_iri[a.invoice.iri].open_amount for a in m.chosen.allocations)
        assert not m.chosen.reasons().startswith("reference: no reference"), "an amount alone is never enough"
        for a in m.chosen.allocations:
            given_to[a.invoice.iri] += a.amount
    assert all(given_to[iri] <= by_iri[iri].open_amount for iri in given_to)


# -- the outbox: one posting per allocation, finished after a crash, never doubled -------------------------


def _combined_statement(invoices: list[Invoice], folder, account: str):
    booked = date(2026, 11, 20)
    amount = sum((inv.open_amount for inv in invoices), Decimal(0))
    ln = BankLine(
        line_id=make_line_id(account, "COMB-1", booking_date=booked, amount=amount, currency="PLN"),
        bank_ref="COMB-1", account=account, currency="PLN", amount=amount, booking_date=booked,
        counterparty_name=invoices[0].client_name, remittance=" ".join(inv.name for inv in invoices),
    )  # fmt: skip
    path = folder / "combined.xml"
    path.write_bytes(write_camt053([ln], account=account, currency="PLN", statement_id="STMT-COMB"))
    return path


def test_a_combined_payment_cut_off_after_its_first_posting_is_finished_by_the_next_run_never_doubled(
    tmp_path, monkeypatch
):
    with start_sandbox(make_seed(30, n_clients=3, seed=5), options=SandboxOptions(token="t")) as sandbox:
        by_client: dict[str | None, list[Invoice]] = {}
        for inv in open_invoices(sandbox):
            if inv.currency == "PLN":
                by_client.setdefault(inv.client_iri, []).append(inv)
        pair = next(invs[:2] for invs in by_client.values() if len(invs) >= 2)
        statement = _combined_statement(pair, tmp_path, "PL61109010140000071219812874")
        settings = in_process_settings(sandbox, tmp_path)
        real_mark_posted = State.mark_posted

        def power_cut(self, posting, remote_iri, run_id):
            raise SystemExit("simulated power cut")  # Flowtly has the first posting; our state does not

        monkeypatch.setattr(State, "mark_posted", power_cut)
        with pytest.raises(SystemExit):
            run(settings, RunRequest(statements=(statement,)))
        monkeypatch.setattr(State, "mark_posted", real_mark_posted)
        summary = run(settings, RunRequest(statements=(statement,)))
        assert not summary.errors
        ours = Counter(
            (tx["invoice"], str(tx["amount"])) for tx in sandbox.snapshot()["invoiceTransactions"]
            if tx["transaction"].get("bankReference") == "COMB-1"
        )  # fmt: skip
        assert ours == Counter({(inv.iri, str(inv.open_amount)): 1 for inv in pair})


# -- the payer's account: learned IBANs and virtual accounts ------------------------------------------------

IBAN = "PL10105000997603123456789123"


def learned(*rows: tuple[str, str, int, int]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["iban", "client_iri", "count", "clients"], orient="row")


def test_a_payer_iban_confirmed_for_the_client_and_the_exact_amount_post_without_a_reference():
    ln = line("615.00", "przelew", payer="ACME LOGISTICS", iban=IBAN)
    books = [invoice(110, "FV/2026/11/0110", "615.00")]
    assert match_lines([ln], books, RULES)[0].decision is Decision.REVIEW  # nothing known: a person decides
    m = match_lines([ln], books, RULES, learned=learned((IBAN, "/clients/1", 3, 1)))[0]
    assert m.decision is Decision.AUTO_POST
    assert "payer's IBAN confirmed for this client before" in m.chosen.reasons()


def test_an_iban_that_paid_for_several_clients_is_no_key_to_post():
    ln = line("615.00", "przelew", payer="ACME LOGISTICS", iban=IBAN)
    shared = learned((IBAN, "/clients/1", 3, 2), (IBAN, "/clients/9", 1, 2))
    m = match_lines([ln], [invoice(110, "FV/2026/11/0110", "615.00")], RULES, learned=shared)[0]
    assert m.decision is Decision.REVIEW


def test_a_learned_payer_with_two_open_invoices_of_that_amount_goes_to_a_person():
    ln = line("615.00", "przelew", payer="ACME LOGISTICS", iban=IBAN)
    books = [invoice(110, "FV/2026/11/0110", "615.00"), invoice(111, "FV/2026/11/0111", "615.00")]
    m = match_lines([ln], books, RULES, learned=learned((IBAN, "/clients/1", 3, 1)))[0]
    assert m.decision is Decision.REVIEW and len(m.suggestions) == 2


def test_a_learned_payer_finds_its_invoice_even_when_the_amount_is_shared_by_too_many():
    ln = line("100.00", "przelew", payer="ACME LOGISTICS", iban=IBAN)
    others = [
        Invoice(f"/invoices/{n}", n, f"FV/2026/11/{n:04d}", "Someone Else", f"/clients/{n}", Decimal("100.00"),
                Decimal("100.00"), "PLN", "sent")
        for n in range(200, 200 + RULES.max_amount_candidates + 1)
    ]  # fmt: skip
    books = [invoice(110, "FV/2026/11/0110", "100.00"), *others]
    m = match_lines([ln], books, RULES, learned=learned((IBAN, "/clients/1", 3, 1)))[0]
    assert m.decision is Decision.AUTO_POST and m.chosen.invoices[0].iri == "/invoices/110"


def test_a_learned_payer_is_searched_for_a_set_of_its_clients_invoices_in_the_lines_currency_only():
    ln = line("300.00", "przelew", payer="ACME LOGISTICS", iban=IBAN)
    books = [invoice(110, "FV/2026/11/0110", "100.00"), invoice(111, "FV/2026/11/0111", "200.00", currency="EUR"),
             invoice(112, "FV/2026/11/0112", "200.00")]  # fmt: skip
    m = match_lines([ln], books, RULES, learned=learned((IBAN, "/clients/1", 3, 1)))[0]
    options = [m.chosen, *m.suggestions] if m.chosen else m.suggestions
    assert {inv.iri for inv in options[0].invoices} == {"/invoices/110", "/invoices/112"}
    in_euro = [invoice(110, "FV/2026/11/0110", "100.00", currency="EUR"), books[1]]
    m = match_lines([ln], in_euro, RULES, learned=learned((IBAN, "/clients/1", 3, 1)))[0]
    assert m.decision is Decision.UNMATCHED


def test_money_reaching_a_clients_virtual_account_identifies_the_client():
    virtual, main = "PL27114020040000300201355387", "PL61109010140000071219812874"

    def with_account(inv: Invoice, account: str) -> Invoice:
        return replace(inv, bank_account=account)

    books = [
        with_account(invoice(110, "FV/2026/11/0110", "615.00"), virtual),
        with_account(invoice(111, "FV/2026/11/0111", "999.00", client="Other SA"), main),
        with_account(invoice(112, "FV/2026/11/0112", "10.00", client="Third SA"), main),
    ]
    books[1] = replace(books[1], client_iri="/clients/2")
    books[2] = replace(books[2], client_iri="/clients/3")
    ln = replace(line("615.00", "przelew"), account=virtual)
    m = match_lines([ln], books, RULES)[0]
    assert m.decision is Decision.AUTO_POST
    assert "paid into the client's virtual account" in m.chosen.reasons()


def test_a_posting_teaches_the_payers_iban_and_the_next_run_posts_by_it(tmp_path):
    with start_sandbox(make_seed(12, n_clients=4, seed=5), options=SandboxOptions(token="t")) as sandbox:
        invs = [inv for inv in open_invoices(sandbox) if inv.currency == "PLN"]
        first, second = next(
            (a, b) for a in invs for b in invs
            if a.iri < b.iri and a.client_iri == b.client_iri and a.open_amount != b.open_amount
        )  # fmt: skip
        account, booked = "PL61109010140000071219812874", date(2026, 11, 20)

        def statement(name: str, ref: str, inv: Invoice, title: str):
            ln = BankLine(
                line_id=make_line_id(account, ref, booking_date=booked, amount=inv.open_amount, currency="PLN"),
                bank_ref=ref, account=account, currency="PLN", amount=inv.open_amount, booking_date=booked,
                counterparty_name="J. SMITH", counterparty_iban=IBAN, remittance=title,
            )  # fmt: skip
            path = tmp_path / name
            path.write_bytes(write_camt053([ln], account=account, currency="PLN", statement_id=name))
            return path

        settings = in_process_settings(sandbox, tmp_path)
        one = run(settings, RunRequest(statements=(statement("a.xml", "R-1", first, f"Zaplata {first.name}"),)))
        assert one.counts["posted"] == 1
        two = run(settings, RunRequest(statements=(statement("b.xml", "R-2", second, "przelew"),)))
        assert two.counts["posted"] == 1
        posted = [tx for tx in sandbox.snapshot()["invoiceTransactions"] if tx["transaction"].get("bankReference") == "R-2"]
        assert [tx["invoice"] for tx in posted] == [second.iri]
