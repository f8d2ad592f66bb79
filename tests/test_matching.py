"""Matching decisions, end to end through blocking, scoring and assignment (pure, no I/O)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from reconcile.matching import match_tables
from reconcile.matching.engine import match_lines
from reconcile.matching.reference_join import whole_key
from reconcile.matching.references import whole_reference_key
from reconcile.matching.tables import _decide, _lacking, _pct, _ranking, _ranks, frames
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


# -- deciding: the packed sort and the rows it picks, against a plain sort by five columns and joins --------


def decided_the_plain_way(scored, members, names, books, refs, rules):
    """tables._decide as it was written first: every option sorted by five columns, the rest by joins."""
    ranked = scored.sort(
        ["line_id", "probability", "size", "name_order", "option"], descending=[False, True, False, False, False]
    ).with_columns(pl.int_range(pl.len()).over("line_id").add(1).alias("position"))
    named = pl.lit(names).gather(pl.col("option"))
    best = ranked.filter(pl.col("position") == 1).with_columns(named.alias("invoice_name"), _lacking(rules).alias("lacks"))
    combined_best = best.filter(pl.col("size") > 1).select("line_id", "option")
    second = ranked.filter(pl.col("position") == 2).join(combined_best, on="line_id", how="anti")
    in_best = combined_best.join(members, on=["line_id", "option"]).select("line_id", pl.col("iri").alias("invoice_iri"))
    rivals = ranked.filter(pl.col("position") > 1).join(combined_best, on="line_id", how="semi")
    outside = plain_allocations(rivals, members).join(in_best, on=["line_id", "invoice_iri"], how="anti")
    alternatives = rivals.join(outside.select("line_id", "option").unique(), on=["line_id", "option"], how="semi")
    runner = pl.concat(
        [second, alternatives.sort("line_id", "position").unique("line_id", keep="first")], how="vertical_relaxed"
    ).select("line_id", pl.col("odds").alias("runner_odds"), named.alias("runner_name"))
    too_close = pl.col("runner_odds").is_not_null() & (pl.col("odds") < pl.col("runner_odds") * rules.min_odds_ratio)
    p, review, auto = pl.col("probability"), rules.review_probability, rules.auto_post_probability
    verdict = best.join(runner, on="line_id", how="left").select(
        "line_id", "option", "size", "allocated",
        pl.when(p < review).then(pl.lit("unmatched")).when(~pl.col("strong") | (p < auto) | too_close)
        .then(pl.lit("review")).otherwise(pl.lit("auto_post")).alias("decision"),
        pl.when(p < review).then(pl.format("best candidate {} only {}% likely", "invoice_name", _pct(p)))
        .when(~pl.col("strong")).then(pl.format("not posted automatically without strong evidence on: {}", "lacks"))
        .when(p < auto).then(pl.format(f"best candidate {{}}% likely, below the {auto:.0%} to post", _pct(p, 1)))
        .when(too_close).then(pl.format("{} is nearly as likely as {}", "runner_name", "invoice_name"))
        .otherwise(pl.lit("")).alias("note"),
    )  # fmt: skip
    claims = plain_allocations(verdict.filter(pl.col("decision") == "auto_post"), members).rename({"invoice_iri": "iri"})
    per_invoice = (
        claims.join(books.select("iri", "open_amount"), on="iri")
        .group_by("iri")
        .agg(
            pl.col("line_id").n_unique().alias("claims"),
            (pl.col("amount") < pl.col("open_amount")).all().alias("parts"),
            (pl.col("amount").sum() <= pl.col("open_amount").first()).alias("fits"),
        )
        .filter(pl.col("claims") > 1, ~(pl.col("parts") & pl.col("fits")))
    )
    clashing = claims.join(per_invoice.select("iri"), on="iri").select("line_id", "iri")
    others = (
        clashing.join(clashing, on="iri", suffix="_other")
        .filter(pl.col("line_id") != pl.col("line_id_other"))
        .join(refs.rename({"line_id": "line_id_other"}), on="line_id_other")
        .join(books.select("iri", "invoice_name"), on="iri")
        .group_by("line_id")
        .agg(pl.col("ref").unique().sort().str.join(", "), pl.col("invoice_name").unique().sort().str.join(", "))
    )
    clash = pl.col("ref").is_not_null()
    verdict = verdict.join(others, on="line_id", how="left").select(
        "line_id",
        pl.when(clash).then(pl.lit("review")).otherwise("decision").alias("decision"),
        pl.when(clash)
        .then(pl.format("{} is also claimed in this run by payment(s) {}; a person decides", "invoice_name", "ref"))
        .otherwise("note")
        .alias("note"),
    )
    shown = (
        ranked.filter(pl.col("probability") >= review, pl.col("position") <= rules.max_suggestions)
        .rename({"position": "rank"})
        .join(verdict.filter(pl.col("decision") != "unmatched"), on="line_id")
        .with_columns((pl.col("line_amount") - pl.col("allocated")).alias("rest"))
    )
    unmatched = verdict.filter(pl.col("decision") == "unmatched")
    return pl.concat([plain_allocations(shown, members), unmatched], how="diagonal_relaxed")


def plain_allocations(options, members):
    single = pl.col("size") == 1
    return pl.concat(
        [
            options.filter(single).with_columns(
                pl.col("option").alias("invoice_iri"), pl.lit(1, dtype=pl.Int64).alias("part"),
                pl.col("allocated").alias("amount"),
            ),
            options.filter(~single).join(members, on=["line_id", "option"]).rename({"iri": "invoice_iri"}),
        ],
        how="diagonal_relaxed",
    )  # fmt: skip


INVOICES = 5  # of the tables `options_to_decide` draws; their names repeat, so that names tie too


@st.composite
def options_to_decide(draw):
    """A few lines' options as _score leaves them, in any order: invoices and sets of them, with ties of
    probability, size and name, lines that share invoices, and the tables _decide reads beside."""
    invoice_names = draw(st.lists(st.sampled_from(["FV/1", "FV/2", "INV-7"]), min_size=INVOICES, max_size=INVOICES))
    open_amounts = [Decimal(100 * (i + 1)) for i in range(INVOICES)]
    rows, members, set_names = [], [], []
    for line_id in range(draw(st.integers(1, 6))):
        paid = Decimal(draw(st.sampled_from([100, 300, 600])))
        invoice = st.integers(0, INVOICES - 1)
        for iri in draw(st.lists(invoice, unique=True, max_size=4)):
            rows.append((line_id, iri, 1, min(paid, open_amounts[iri]), paid))
        for held in draw(st.lists(st.lists(invoice, unique=True, min_size=2, max_size=3), max_size=2)):
            held = sorted(held, key=lambda i: (invoice_names[i], i))
            option = INVOICES + len(set_names)
            set_names.append(" + ".join(invoice_names[i] for i in held))
            rows.append((line_id, option, len(held), sum(open_amounts[i] for i in held), paid))
            members += [(line_id, option, part, i, open_amounts[i]) for part, i in enumerate(held, 1)]
    names = pl.Series("invoice_name", invoice_names + set_names)
    likely = st.sampled_from([0.2, 0.9, 0.995, 0.9999, 0.9999])
    columns = {
        "line_id": pl.Series([r[0] for r in rows], dtype=pl.UInt32),
        "option": pl.Series([r[1] for r in rows], dtype=pl.UInt32),
        "size": pl.Series([r[2] for r in rows], dtype=pl.Int64),
        "allocated": pl.Series([r[3] for r in rows], dtype=pl.Decimal(38, 4)),
        "name_order": names.rank("dense").gather([r[1] for r in rows]),
        "ref_text": pl.Series([draw(st.sampled_from([None, "FV 1"])) for _ in rows], dtype=pl.String),
        "name_similarity": pl.Series([0.5] * len(rows), dtype=pl.Float64),
        "line_amount": pl.Series([r[4] for r in rows], dtype=pl.Decimal(18, 2)),
    }
    for c in RULES.comparisons:
        levels = st.integers(0, len(c.levels) - 1)
        columns[f"level:{c.name}"] = pl.Series([draw(levels) for _ in rows], dtype=pl.Int8)
    probability = pl.Series([draw(likely) for _ in rows], dtype=pl.Float64)
    columns |= {
        "odds": probability / (1 - probability),
        "strong": pl.Series([draw(st.sampled_from([True, True, False])) for _ in rows], dtype=pl.Boolean),
        "probability": probability,
    }
    scored = pl.DataFrame(columns).sample(fraction=1.0, shuffle=True, seed=draw(st.integers(0, 99)))
    member_table = pl.DataFrame(
        members,
        schema={"line_id": pl.UInt32, "option": pl.UInt32, "part": pl.Int64, "iri": pl.UInt32,
                "amount": pl.Decimal(18, 2)},
        orient="row",
    )  # fmt: skip
    books = pl.DataFrame(
        {"iri": pl.Series(range(INVOICES), dtype=pl.UInt32), "invoice_name": invoice_names,
         "open_amount": pl.Series(open_amounts, dtype=pl.Decimal(18, 2))}
    )  # fmt: skip
    refs = pl.DataFrame({"line_id": pl.Series(range(6), dtype=pl.UInt32), "ref": [f"R{i}" for i in range(6)]})
    return scored, member_table, names, books, refs


def same_rows(got: pl.DataFrame, expected: pl.DataFrame) -> None:
    assert got.columns == expected.columns
    assert_frame_equal(got.sort(got.columns, nulls_last=True), expected.sort(got.columns, nulls_last=True))


@given(options_to_decide(), st.integers(1, 3))
@settings(max_examples=150, deadline=None)
def test_deciding_on_the_packed_sort_gives_what_sorting_by_five_columns_and_joins_gives(tables, most):
    rules = replace(RULES, max_suggestions=most)
    same_rows(_decide(*tables, rules), decided_the_plain_way(*tables, rules))


@given(options_to_decide())
@settings(max_examples=3, deadline=None)
def test_deciding_without_options_gives_no_rows_in_the_columns_of_a_decision(tables):
    none = (tables[0].clear(), *tables[1:])
    same_rows(_decide(*none, RULES), decided_the_plain_way(*none, RULES))


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 9), st.sampled_from([0.2, 0.5, 0.9]), st.integers(1, 3),
                  st.integers(0, 4)),
        unique_by=lambda r: r[:2],
        max_size=30,
    ),
    st.booleans(),
    st.sampled_from([0, 2**40]),
    st.sampled_from([0, 2**40, 2**62]),
)  # fmt: skip
def test_options_are_ranked_as_sorting_by_their_five_keys_whether_or_not_they_pack(rows, by_option, line, size):
    # (line, option, probability, size, name_order); name_order is the option's own, or any; the numbers
    # pack into one integer, or do not, or line numbers are too far apart to index by.
    table = pl.DataFrame(
        {
            "line_id": [r[0] + line for r in rows],
            "option": [r[1] for r in rows],
            "probability": [r[2] for r in rows],
            "size": [r[3] + size for r in rows],
            "name_order": [r[1] % 4 if by_option else r[4] for r in rows],
        },
        schema={"line_id": pl.Int64, "option": pl.UInt32, "probability": pl.Float64, "size": pl.Int64,
                "name_order": pl.UInt32},
    )  # fmt: skip
    keys = table.rows()
    expected = sorted(range(len(keys)), key=lambda i: (keys[i][0], -keys[i][2], keys[i][3], keys[i][4], keys[i][1]))
    ranking = _ranking(table)
    assert list(np.argsort(ranking.key, kind="stable")) == expected
    places = {i: sum(keys[j][0] == keys[i][0] for j in expected[: expected.index(i) + 1]) for i in expected}
    assert list(_ranks(ranking, 2)) == [places[i] if places[i] <= 2 else 0 for i in range(len(keys))]
