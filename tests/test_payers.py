"""Evidence from payers learned before and from clients' virtual accounts, the payer a title names, and the
rules' aliases and pairs never to match, on small hand-built tables."""

from __future__ import annotations

import string
from datetime import date

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from reconcile.matching.names import KEY_FILLER_WORDS, payer_key
from reconcile.matching.payer_lists import (
    LISTED_SCHEMA,
    _core,
    _keys_among,
    alias_names,
    never_pairs,
    with_aliases,
    without_never_matched,
)
from reconcile.matching.payers import (
    client_leads,
    learned_evidence,
    payer_names,
    virtual_accounts,
    virtual_evidence,
)
from reconcile.rules import NeverMatch, PayerAlias

ACME, BOREAL, CEDAR = "/clients/1", "/clients/2", "/clients/3"
ACME_PAYS = "PL61109010140000071219812874"  # confirmed for Acme only
ACCOUNTANT = "DE89370400440532013000"  # confirmed for Acme and for Boreal
STRANGER = "NL91ABNA0417164300"  # never confirmed
MAIN = "PL27114020040000300201355387"  # the company's account, on most invoices
ACME_VIRTUAL = "PL83101010230000261395100000"
SHARED = "PL02109024020000000612345678"  # on invoices of two clients


def learned() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "iban": [ACME_PAYS, ACCOUNTANT, ACCOUNTANT],
            "client_iri": [ACME, ACME, BOREAL],
            "count": [3, 1, 2],
            "last_seen": [date(2026, 11, 2), date(2026, 9, 1), date(2026, 10, 1)],
            "clients": [1, 2, 2],
        }
    )


def pairs(*rows: tuple[str, str, str | None, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"line_id": pl.String, "iri": pl.String, "payer_iban": pl.String, "client_iri": pl.String},
        orient="row",
    )


def books(*rows: tuple[str, str | None, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"iri": pl.String, "client_iri": pl.String, "bank_account": pl.String}, orient="row"
    )


def the_books() -> pl.DataFrame:
    return books(
        ("/invoices/1", ACME, MAIN),
        ("/invoices/2", BOREAL, MAIN),
        ("/invoices/3", CEDAR, MAIN),
        ("/invoices/4", ACME, "pl83 1010 1023 0000 2613 9510 0000"),  # Flowtly may write it in groups
        ("/invoices/5", ACME, ACME_VIRTUAL),
        ("/invoices/6", BOREAL, SHARED),
        ("/invoices/7", CEDAR, SHARED),
        ("/invoices/8", CEDAR, None),
    )


def incoming(*rows: tuple[str, str | None, str]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"line_id": pl.String, "payer_iban": pl.String, "account": pl.String}, orient="row"
    )


def levels(table: pl.DataFrame) -> list[tuple[str, str | None, int]]:
    return table.select("line_id", "iban_level", "iban_count").rows()


# -- learned payer IBANs -------------------------------------------------------------------------------


def test_an_iban_confirmed_for_this_client_alone_is_learned():
    found = learned_evidence(pairs(("L1", "/invoices/1", ACME_PAYS, ACME)), learned())
    assert levels(found) == [("L1", "learned", 3)]


def test_an_iban_that_paid_for_several_clients_is_demoted():
    found = learned_evidence(pairs(("L1", "/invoices/2", ACCOUNTANT, BOREAL)), learned())
    assert levels(found) == [("L1", "learned_shared", 2)]


def test_an_iban_known_only_for_other_clients_is_evidence_against():
    found = learned_evidence(
        pairs(("L1", "/invoices/2", ACME_PAYS, BOREAL), ("L2", "/invoices/3", ACCOUNTANT, CEDAR)), learned()
    )
    assert levels(found) == [("L1", "learned_other", 0), ("L2", "learned_other", 0)]


def test_no_iban_an_unknown_iban_or_an_unknown_client_says_nothing():
    found = learned_evidence(
        pairs(
            ("L1", "/invoices/1", None, ACME),
            ("L2", "/invoices/1", STRANGER, ACME),
            ("L3", "/invoices/9", ACME_PAYS, None),
        ),
        learned(),
    )
    assert levels(found) == [("L1", None, 0), ("L2", None, 0), ("L3", None, 0)]


def test_nothing_learned_yet_leaves_every_pair_unknown():
    table = pairs(("L1", "/invoices/1", ACME_PAYS, ACME))
    found = learned_evidence(table, None)
    assert levels(found) == [("L1", None, 0)]
    assert found.columns == [*table.columns, "iban_level", "iban_count"]
    assert found.schema["iban_level"] == pl.String and found.schema["iban_count"] == pl.Int64


def test_the_evidence_keeps_every_pair_once_and_in_order():
    payers = (ACME_PAYS, ACCOUNTANT, None)
    table = pairs(*[(f"L{i}", f"/invoices/{i % 3}", payers[i % 3], ACME) for i in range(9)])
    found = learned_evidence(table, learned())
    assert found.select("line_id", "iri").equals(table.select("line_id", "iri"))


# -- virtual accounts ----------------------------------------------------------------------------------


def test_an_account_on_one_clients_invoices_is_that_clients_virtual_account():
    assert virtual_accounts(the_books()).rows() == [(ACME_VIRTUAL, ACME)]


def test_the_main_account_is_no_virtual_account_even_with_a_single_client():
    one_client = books(
        ("/invoices/1", ACME, MAIN), ("/invoices/2", ACME, MAIN), ("/invoices/3", ACME, ACME_VIRTUAL)
    )
    assert virtual_accounts(one_client).rows() == [(ACME_VIRTUAL, ACME)]
    assert virtual_accounts(books(("/invoices/1", ACME, MAIN))).is_empty()


def test_each_currency_has_its_main_account_even_when_one_client_alone_pays_in_it():
    eur_main = "PL27114020040000300201355387"
    table = books(
        ("/invoices/1", ACME, MAIN), ("/invoices/2", BOREAL, MAIN), ("/invoices/3", CEDAR, eur_main)
    ).with_columns(pl.Series("invoice_currency", ["PLN", "PLN", "EUR"]))
    assert virtual_accounts(table).is_empty()


def test_accounts_tied_for_the_most_invoices_are_all_taken_for_main():
    tied = books(("/invoices/1", ACME, ACME_VIRTUAL), ("/invoices/2", BOREAL, MAIN))
    assert virtual_accounts(tied).is_empty()


def test_an_account_on_an_invoice_without_client_identifies_no_one():
    unknown = books(
        ("/invoices/1", ACME, MAIN),
        ("/invoices/2", BOREAL, MAIN),
        ("/invoices/3", ACME, ACME_VIRTUAL),
        ("/invoices/4", None, ACME_VIRTUAL),
        ("/invoices/5", None, SHARED),
    )
    assert virtual_accounts(unknown).is_empty()


def test_a_pair_knows_when_the_line_reached_the_clients_virtual_account():
    table = pl.DataFrame(
        {
            "line_id": ["L1", "L1", "L2", "L3"],
            "iri": ["/invoices/1", "/invoices/2", "/invoices/1", "/invoices/6"],
            "account": ["PL83 1010 1023 0000 2613 9510 0000", ACME_VIRTUAL, MAIN, SHARED],
            "client_iri": [ACME, BOREAL, ACME, BOREAL],
        }
    )
    found = virtual_evidence(table, virtual_accounts(the_books()))
    assert found["virtual_account"].to_list() == [True, False, False, False]
    assert found.columns == [*table.columns, "virtual_account"]


# -- client leads --------------------------------------------------------------------------------------


def test_a_learned_iban_and_a_virtual_account_lead_to_their_client():
    lines = incoming(("L1", ACME_PAYS, MAIN), ("L2", STRANGER, ACME_VIRTUAL), ("L3", ACME_PAYS, ACME_VIRTUAL))
    assert sorted(client_leads(lines, virtual_accounts(the_books()), learned()).rows()) == [
        ("L1", ACME, "learned_iban"),
        ("L2", ACME, "virtual_account"),
        ("L3", ACME, "learned_iban"),
        ("L3", ACME, "virtual_account"),
    ]


def test_the_main_account_is_never_a_lead():
    lines = incoming(("L1", None, MAIN), ("L2", STRANGER, "pl27 1140 2004 0000 3002 0135 5387"))
    assert client_leads(lines, virtual_accounts(the_books()), learned()).is_empty()


def test_an_account_shared_by_two_clients_is_no_lead():
    assert client_leads(incoming(("L1", None, SHARED)), virtual_accounts(the_books()), learned()).is_empty()


def test_an_iban_that_paid_for_several_clients_is_no_lead():
    assert client_leads(incoming(("L1", ACCOUNTANT, MAIN)), virtual_accounts(the_books()), learned()).is_empty()


def test_leads_without_anything_learned_come_from_virtual_accounts_alone():
    lines = incoming(("L1", ACME_PAYS, MAIN), ("L2", None, ACME_VIRTUAL))
    found = client_leads(lines, virtual_accounts(the_books()), None)
    assert found.rows() == [("L2", ACME, "virtual_account")]
    assert found.schema == pl.Schema({"line_id": pl.String, "client_iri": pl.String, "via": pl.String})


# -- who paid: the payer field, or the name a title writes after a payer label ----------------------------


def test_a_line_without_a_payer_takes_the_name_its_title_writes_after_a_label():
    lines = pl.DataFrame(
        {
            "counterparty_name": [None, "", "ACME SP Z O O", None, None, "   "],
            "remittance": [
                "WIRE FROM BLUE HARBOR TRADING LLC INV-2026-0042",
                "NADA?21WCA: JAN KOWALSKI TYTUL: FV/1",  # an MT940 line break inside the label
                "WIRE FROM BLUE HARBOR TRADING LLC",  # the bank's payer field wins
                "BLUE HARBOR TRADING LLC INV-2026-0042",  # no label: no name guessed
                None,
                "WIRE FROM NOT PROVIDED",  # a label followed by filler only
            ],
        },
        schema={"counterparty_name": pl.String, "remittance": pl.String},
    )
    assert payer_names(lines).to_list() == [
        "BLUE HARBOR TRADING LLC", "JAN KOWALSKI", "ACME SP Z O O", None, None, "   "
    ]  # fmt: skip
    assert payer_names(lines).name == "payer"


def test_lines_whose_titles_name_no_payer_keep_their_payer_column_as_it_is():
    lines = pl.DataFrame({"counterparty_name": ["ACME", None], "remittance": ["WIRE FROM X Y", "FV/1"]})
    assert payer_names(lines).to_list() == ["ACME", None]


# -- pairs never to match, and aliases -------------------------------------------------------------------


def options(*rows: tuple[str, str | None, str | None, str | None, str | None]) -> pl.DataFrame:
    schema = ["line_id", "payer", "payer_iban", "client_iri", "client_name"]
    return pl.DataFrame(rows, schema={c: pl.String for c in schema}, orient="row")


def never(*rows: tuple[str, str, str | None, str | None]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=LISTED_SCHEMA, orient="row")


def test_a_pair_is_never_matched_by_the_payers_iban_or_name_key_and_the_clients_iri_or_name_key():
    table = options(
        ("L1", "ACME SP Z O O", "pl61 1090 1014 0000 0712 1981 2874", ACME, "Acme sp. z o.o."),
        ("L2", "Kowalski Jan", None, BOREAL, "Boreal SA"),
        ("L3", "ŁUKASZ NOWAK", None, CEDAR, "Cedar Ltd"),
        ("L4", "LUKASZ NOWAK", None, CEDAR, "Cedar Ltd"),
        ("L5", "JAN KOWALSKI", None, ACME, "Acme sp. z o.o."),  # the name is listed for Boreal only
        ("L6", None, None, BOREAL, "Boreal SA"),
    )
    listed = never(
        ("iban", ACME_PAYS, ACME, None),
        ("name", "JAN KOWALSKI", None, "BOREAL"),
        ("name", "LUKASZ NOWAK", CEDAR, None),
    )
    assert kept_pairs(table, listed)["line_id"].to_list() == ["L5", "L6"]
    assert kept_pairs(table, never())["line_id"].to_list() == ["L1", "L2", "L3", "L4", "L5", "L6"]


def kept_pairs(table: pl.DataFrame, listed: pl.DataFrame) -> pl.DataFrame:
    """The pairs without_never_matched keeps of `table` (options()), each row a line and its own invoice."""
    incoming = table.select("line_id", "payer", "payer_iban")
    books = table.select(pl.col("line_id").alias("iri"), "client_iri", "client_name")
    pairs = table.select("line_id", pl.col("line_id").alias("iri"))
    no_leads = pl.DataFrame(schema={"line_id": pl.String, "client_iri": pl.String})
    return without_never_matched(pairs, no_leads, incoming, books, listed)[0]


def test_the_rules_and_the_store_pairs_are_one_table():
    rules = [
        NeverMatch("Boreal S.A.", None, "a namesake", payer="Kowalski Jan"),
        NeverMatch(None, CEDAR, "the parent's account", iban=ACME_PAYS),
    ]
    stored = pl.DataFrame({"payer_kind": ["name"], "payer": ["ACME"], "client_iri": [BOREAL], "reason": ["no"]})
    assert sorted(never_pairs(rules, stored).rows()) == [
        ("iban", ACME_PAYS, CEDAR, None),
        ("name", "ACME", BOREAL, None),
        ("name", "JAN KOWALSKI", None, "BOREAL"),
    ]
    assert never_pairs([], None).is_empty()


def test_an_alias_iban_is_learned_for_its_client_by_iri_or_by_name():
    aliases = [PayerAlias(None, CEDAR, iban=STRANGER), PayerAlias("BOREAL S.A.", None, iban=ACME_PAYS)]
    table = books(("/invoices/2", BOREAL, MAIN)).with_columns(pl.lit("Boreal SA").alias("client_name"))
    found = with_aliases(learned(), aliases, table)
    assert found is not None
    assert found.select("iban", "client_iri", "count", "clients").rows() == [
        (ACCOUNTANT, ACME, 1, 2),
        (ACCOUNTANT, BOREAL, 2, 2),
        (STRANGER, CEDAR, 1, 1),
        (ACME_PAYS, ACME, 3, 2),  # it pays for Boreal too now: shared
        (ACME_PAYS, BOREAL, 1, 2),
    ]
    assert with_aliases(None, [], table) is None


def test_an_alias_name_gives_the_option_its_clients_name_for_that_client_only():
    table = options(
        ("L1", "BH HOLDINGS", None, ACME, "Acme sp. z o.o."),
        ("L1", "BH HOLDINGS", None, BOREAL, "Boreal SA"),
        ("L2", "ACME", None, ACME, "Acme sp. z o.o."),
    )
    found = alias_names(table, [PayerAlias("ACME SP Z O O", None, payer="B.H. Holdings")])
    assert found["payer"].to_list() == ["BH HOLDINGS", "BH HOLDINGS", "ACME"]  # "B H" is not "BH"
    found = alias_names(table, [PayerAlias(None, ACME, payer="bh holdings")])
    assert found["payer"].to_list() == ["Acme sp. z o.o.", "BH HOLDINGS", "ACME"]
    assert found.columns == table.columns


_NAME_PIECES = ["Acme", "ACME", "acme", " ", "  ", ".", "-", "&", "/", "0", "007", "12", "x1", "1x", "Sp. z o.o.", "S.A.",
                "GmbH & Co. KG", "and", "und", "AB", "Oy", "A/S", "Ltd", "LLC", "s", "a", "o", "z", "Kowalski", "Jan"]  # fmt: skip


@given(st.lists(st.sampled_from(_NAME_PIECES), max_size=8).map("".join) | st.text(alphabet=string.printable, max_size=30))
@example("SP Z O O")  # all of it a legal form: payer_key keeps a word, and the core is empty on both sides
@example("Partner007 AND Co")
def test_an_ascii_name_has_the_core_of_its_payer_key(name):
    """What lets without_never_matched and alias_names run payer_key only on the names that may have a key."""
    key = payer_key(name)
    core = pl.DataFrame({"name": [name], "key": [key]}).select(_core(pl.col("name")), _core(pl.col("key"))).row(0)
    assert core[0] == core[1] == " ".join(sorted(w for w in key.split() if w not in KEY_FILLER_WORDS))


def test_a_name_beyond_ascii_is_keyed_in_python():
    found = _keys_among(pl.Series(["ŁUKASZ NOWAK", "Lukasz Nowak Sp. z o.o.", "Nowak Lukasz", "Łukasz Nowa", None]),
                        {"LUKASZ NOWAK"})  # fmt: skip
    assert sorted(found.rows()) == [
        ("Lukasz Nowak Sp. z o.o.", "LUKASZ NOWAK"), ("Nowak Lukasz", "LUKASZ NOWAK"), ("ŁUKASZ NOWAK", "LUKASZ NOWAK")
    ]  # fmt: skip
