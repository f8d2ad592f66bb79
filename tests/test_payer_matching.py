"""Who paid, end to end through match_tables: the payer a title names, the rules' aliases and the payer and
client pairs never to match (from the rules and from the store)."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from decimal import Decimal
from typing import Any

import polars as pl

from reconcile.matching import match_tables
from reconcile.matching.engine import match_lines
from reconcile.matching.tables import frames
from reconcile.model import Decision, Invoice
from reconcile.rules import Rules, default_rules_path, load_rules, parse_rules
from tests.factories import invoice, line

RULES = load_rules()
PAYER = next(c for c in RULES.comparisons if c.name == "payer")
ACCOUNT = next(c for c in RULES.comparisons if c.name == "account")
BLUE, NORD = "/clients/9", "/clients/4"
IBAN = "PL10105000997603123456789123"


def rules_with(**tables: list[dict[str, Any]]) -> Rules:
    """The shipped rules with these [[alias]] or [[never_match]] tables added, through the loader."""
    raw = tomllib.loads(default_rules_path().read_text(encoding="utf-8"))
    raw.update(tables)
    return parse_rules(raw, "test.toml")


def client_invoice(number: int, name: str, amount: str, client: str, iri: str, currency: str = "PLN") -> Invoice:
    return replace(invoice(number, name, amount, client=client, currency=currency), client_iri=iri)


def blue(number: int = 42, amount: str = "1200.00") -> Invoice:
    return client_invoice(number, f"INV-2026-{number:04d}", amount, "Blue Harbor Trading LLC", BLUE, "USD")


def decide(lines, invoices, rules=RULES, learned=None, never=None) -> pl.DataFrame:
    return match_tables(*frames(lines, invoices), rules, learned, never=never)


def payer_level(row: dict[str, Any]) -> str:
    return PAYER.levels[row["level:payer"]].label


# -- the payer a title names ------------------------------------------------------------------------------


def test_a_wire_without_a_payer_field_is_compared_by_the_name_its_title_writes():
    ln = line("1200.00", "WIRE FROM BLUE HARBOR TRADING LLC INV-2026-0042", currency="USD")
    [row] = decide([ln], [blue()]).rows(named=True)
    assert payer_level(row) == "payer name is the client's"
    assert row["name_similarity"] == 1.0


def test_a_title_without_a_payer_label_leaves_the_payer_unknown():
    ln = line("1200.00", "BLUE HARBOR TRADING LLC INV-2026-0042", currency="USD")
    [row] = decide([ln], [blue()]).rows(named=True)
    assert payer_level(row) == "no payer or client name to compare"
    assert row["name_similarity"] is None


def test_the_payer_field_wins_over_a_name_in_the_title():
    ln = line("1200.00", "WIRE FROM NORDHAVN SHIPPING INV-2026-0042", currency="USD", payer="BLUE HARBOR TRADING")
    [row] = decide([ln], [blue()]).rows(named=True)
    assert payer_level(row) == "payer name is the client's"


def test_a_blank_payer_field_is_no_payer():
    ln = line("1200.00", "ORIG:BLUE HARBOR TRADING LLC ID:123 PMT DET:INV-2026-0042", currency="USD", payer="  ")
    [row] = decide([ln], [blue()]).rows(named=True)
    assert payer_level(row) == "payer name is the client's"


def test_the_explanation_names_the_payer_read_in_the_title():
    ln = line("1200.00", "WIRE FROM BLUE HARBOR TRADING LLC INV-2026-0042", currency="USD")
    [m] = match_lines([ln], [blue()], RULES)
    [payer] = [e for e in m.suggestions[0].evidence if e.comparison == "payer"]
    assert payer.detail == "'BLUE HARBOR TRADING LLC' ~ 'Blue Harbor Trading LLC', 100%"


# -- aliases ----------------------------------------------------------------------------------------------


def test_a_payer_the_rules_call_an_alias_of_the_client_has_the_clients_name():
    ln = line("1200.00", "INV-2026-0042", currency="USD", payer="BLUE HARBOUR HOLDINGS")
    [before] = decide([ln], [blue()]).rows(named=True)
    assert payer_level(before) != "payer name is the client's"
    by_name = rules_with(alias=[{"payer": "Blue Harbour Holdings Inc.", "client": "BLUE HARBOR TRADING L.L.C."}])
    by_iri = rules_with(alias=[{"payer": "BLUE HARBOUR HOLDINGS", "client_iri": BLUE}])
    for rules in (by_name, by_iri):
        [row] = decide([ln], [blue()], rules).rows(named=True)
        assert payer_level(row) == "payer name is the client's"
        assert row["probability"] > before["probability"]


def test_the_explanation_says_the_name_is_an_alias():
    ln = line("1200.00", "INV-2026-0042", currency="USD", payer="BLUE HARBOUR HOLDINGS")
    rules = rules_with(alias=[{"payer": "BLUE HARBOUR HOLDINGS", "client_iri": BLUE}])
    [m] = match_lines([ln], [blue()], rules)
    [payer] = [e for e in m.suggestions[0].evidence if e.comparison == "payer"]
    assert (payer.level, payer.detail) == (
        "payer name is the client's", "'BLUE HARBOUR HOLDINGS' pays for 'Blue Harbor Trading LLC': an alias in the rules"
    )


def test_an_alias_speaks_for_its_client_only():
    ln = line("1200.00", "przelew", currency="USD", payer="BLUE HARBOUR HOLDINGS")
    nord = client_invoice(7, "INV-2026-0007", "1200.00", "Nordhavn Shipping ApS", NORD, "USD")
    rules = rules_with(alias=[{"payer": "BLUE HARBOUR HOLDINGS", "client": "Blue Harbor Trading LLC"}])
    rows = {r["invoice_iri"]: payer_level(r) for r in decide([ln], [blue(), nord], rules).rows(named=True)}
    assert rows == {"/invoices/42": "payer name is the client's", "/invoices/7": "payer name differs from the client's"}


def test_an_alias_iban_is_as_if_learned_for_the_client_and_leads_to_its_invoices():
    ln = line("1200.00", "payment", currency="USD", payer="BH HOLDINGS", iban=IBAN)
    crowd = [
        client_invoice(n, f"INV-2026-{n:04d}", "1200.00", f"Client {n}", f"/clients/{n}", "USD")
        for n in range(100, 100 + RULES.max_amount_candidates + 1)
    ]  # one amount too many invoices share: no lead by the amount alone
    assert decide([ln], [blue(), *crowd])["decision"].to_list() == ["unmatched"]
    rules = rules_with(alias=[{"iban": "pl10 1050 0099 7603 1234 5678 9123", "client": "Blue Harbor Trading LLC"}])
    [row] = decide([ln], [blue(), *crowd], rules).rows(named=True)
    assert row["invoice_iri"] == "/invoices/42" and row["decision"] == "auto_post"
    assert ACCOUNT.levels[row["level:account"]].label == "payer's IBAN confirmed for this client before"


def test_an_alias_iban_learned_for_another_client_too_is_shared():
    ln = line("1200.00", "INV-2026-0042", currency="USD", iban=IBAN)
    learned = pl.DataFrame(
        [(IBAN, NORD, 4, 1)], schema=["iban", "client_iri", "count", "clients"], orient="row"
    )
    rules = rules_with(alias=[{"iban": IBAN, "client_iri": BLUE}])
    [row] = decide([ln], [blue()], rules, learned).rows(named=True)
    assert ACCOUNT.levels[row["level:account"]].label == "payer's IBAN confirmed for this client and for others"


# -- pairs never to match ---------------------------------------------------------------------------------


def acme_line(**kwargs: Any):
    return line("2460.00", "Zaplata za fakture FV/2026/10/0101", payer="ACME LOGISTICS SP Z O O", **kwargs)


ACME_INVOICE = invoice(101, "FV/2026/10/0101", "2460.00")  # of Acme Logistics sp. z o.o., /clients/1


def test_a_pair_the_rules_never_match_is_neither_posted_nor_suggested():
    assert decide([acme_line()], [ACME_INVOICE])["decision"].to_list() == ["auto_post"]
    for entry in (
        {"payer": "Acme Logistics", "client": "ACME LOGISTICS SPÓŁKA Z O.O.", "reason": "a namesake"},
        {"payer": "ACME LOGISTICS SP Z O O", "client_iri": "/clients/1", "reason": "a namesake"},
        {"iban": IBAN, "client_iri": "/clients/1", "reason": "the parent company's account"},
    ):
        rows = decide([acme_line(iban=IBAN)], [ACME_INVOICE], rules_with(never_match=[entry]))
        assert rows.select("decision", "invoice_iri").rows() == [("unmatched", None)], entry


def test_a_pair_never_to_match_leaves_the_other_clients_invoices():
    other = client_invoice(102, "FV/2026/10/0102", "2460.00", "Bałtycka Hurtownia Spożywcza S.A.", "/clients/2")
    rules = rules_with(never_match=[{"payer": "ACME LOGISTICS", "client_iri": "/clients/1", "reason": "namesake"}])
    rows = decide([acme_line()], [ACME_INVOICE, other], rules)
    assert rows.select("decision", "invoice_iri").rows() == [("review", "/invoices/102")]


def test_a_pair_never_to_match_is_in_no_combined_payment():
    ln = line("300.00", "FV/2026/11/0001 FV/2026/11/0002", payer="ACME LOGISTICS")
    books = [invoice(1, "FV/2026/11/0001", "100.00"), invoice(2, "FV/2026/11/0002", "200.00")]
    best = decide([ln], books).filter(pl.col("rank") == 1)
    assert best.select("decision", "invoice_iri").rows() == [("auto_post", "/invoices/1"), ("auto_post", "/invoices/2")]
    rules = rules_with(never_match=[{"payer": "ACME LOGISTICS", "client_iri": "/clients/1", "reason": "namesake"}])
    assert decide([ln], books, rules)["invoice_iri"].to_list() == [None]


def test_a_learned_iban_never_to_match_its_client_leads_nowhere():
    ln = line("300.00", "payment", iban=IBAN)  # a combined payment the learned IBAN alone would point to
    books = [invoice(1, "FV/2026/11/0001", "100.00"), invoice(2, "FV/2026/11/0002", "200.00")]
    learned = pl.DataFrame([(IBAN, "/clients/1", 3, 1)], schema=["iban", "client_iri", "count", "clients"], orient="row")
    assert decide([ln], books, learned=learned)["invoice_iri"].to_list() == ["/invoices/1", "/invoices/2"]
    never = stored_never(("iban", IBAN, "/clients/1"))
    assert decide([ln], books, learned=learned, never=never)["invoice_iri"].to_list() == [None]


def stored_never(*rows: tuple[str, str, str]) -> pl.DataFrame:
    """As reconcile.store.learned.LearnedPayers.never_frame() gives them."""
    return pl.DataFrame(
        [(*row, "rejected by a person") for row in rows],
        schema=["payer_kind", "payer", "client_iri", "reason"],
        orient="row",
    )


def test_a_pair_people_rejected_in_the_store_is_never_an_option():
    never = stored_never(("name", "ACME LOGISTICS", "/clients/1"))  # the payer_key the store writes
    rows = decide([acme_line()], [ACME_INVOICE], never=never)
    assert rows.select("decision", "invoice_iri").rows() == [("unmatched", None)]
    never = stored_never(("name", "ACME LOGISTICS", "/clients/2"))  # another client: nothing changes
    assert decide([acme_line()], [ACME_INVOICE], never=never)["decision"].to_list() == ["auto_post"]


def test_a_payer_read_in_the_title_is_never_matched_too():
    ln = line("1200.00", "WIRE FROM BLUE HARBOR TRADING LLC INV-2026-0042", currency="USD")
    never = stored_never(("name", "BLUE HARBOR TRADING", BLUE))
    assert decide([ln], [blue()], never=never)["invoice_iri"].to_list() == [None]


def test_match_lines_passes_the_rejected_pairs_on():
    never = stored_never(("name", "ACME LOGISTICS", "/clients/1"))
    [m] = match_lines([acme_line()], [ACME_INVOICE], RULES, never=never)
    assert m.decision is Decision.UNMATCHED and m.suggestions == ()
    assert m.line.amount == Decimal("2460.00")
