"""Payer names: keys, the level a payer/client pair reaches, many pairs at once, the payer in a title."""

from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from reconcile.matching.name_scores import score_name_pairs
from reconcile.matching.names import (
    DIFFERENT,
    DIFFERS_IN_NUMBER,
    DIFFERS_IN_WORD,
    MISSING,
    MT940_CONTINUATION,
    NAME_LEVELS,
    PAYER_LABEL_HINT,
    RESEMBLES,
    RESEMBLES_AT,
    SAME,
    TRUNCATED,
    NameEvidence,
    compare_names,
    line_payer,
    payer_from_remittance,
    payer_key,
)
from reconcile.matching.text import fold

# Letters text.fold drops and payer_key transliterates.
_BEYOND_TEXT_FOLD = "ðÐıħĦŧŦĸ"


def level(payer: str | None, client: str | None) -> str:
    return compare_names(payer, client).level


# --- payer_key ---------------------------------------------------------------------------------------------


def test_a_legal_form_written_by_a_bank_is_the_same_form():
    assert payer_key("ACME SP Z O O") == payer_key("Acme sp. z o.o.") == payer_key("ACME SP.ZO.O.") == "ACME"


@pytest.mark.parametrize(
    "name",
    ["Nordlys Sp. z o.o.", "Nordlys Sp. z o.o. sp.k.", "Nordlys sp.j.", "Nordlys S.A.", "Nordlys S.K.A.",
     "Nordlys ApS", "Nordlys A/S", "Nordlys I/S", "Nordlys GmbH", "Nordlys GmbH & Co. KG", "Nordlys AG",
     "Nordlys e.K.", "Nordlys Ltd", "Nordlys Limited", "Nordlys PLC", "Nordlys LLC", "Nordlys, Inc.",
     "Nordlys B.V.", "Nordlys N.V.", "Nordlys VOF", "Nordlys SARL", "Nordlys SAS", "Nordlys S.r.l.",
     "Nordlys S.p.A.", "Nordlys S.L.", "Nordlys Oy", "Nordlys Oyj", "Nordlys AB", "AB Nordlys (publ)",
     "Nordlys AS", "Nordlys ASA", "Nordlys s.r.o.", "Nordlys a.s.", "Nordlys Kft.", "Nordlys Zrt.",
     "Nordlys Nyrt.", "UAB Nordlys"],
)  # fmt: skip
def test_legal_forms_of_many_languages_are_dropped(name):
    assert payer_key(name) == "NORDLYS"


def test_single_letters_are_kept_because_they_may_be_initials():
    assert payer_key("Kowalski A") == "A KOWALSKI"
    assert payer_key("A. S. Watson") == "A S WATSON"


def test_a_form_in_single_letters_is_dropped_only_at_the_end():
    assert payer_key("Nowak A/S") == "NOWAK"
    assert payer_key("A/S Nowak") == "A NOWAK S"


def test_a_name_that_is_only_a_form_keeps_it():
    assert payer_key("S.A.") == "A S"


def test_word_order_is_ignored():
    assert payer_key("Kowalski Jan") == payer_key("JAN KOWALSKI") == "JAN KOWALSKI"


def test_letters_without_an_ascii_base_are_transliterated():
    assert payer_key("Łukasz Żółw") == "LUKASZ ZOLW"
    assert payer_key("Guðrún Þórsdóttir") == "GUDRUN THORSDOTTIR"
    assert payer_key("ÆRØ Œuvre Straße") == "AERO OEUVRE STRASSE"


def test_a_number_stands_apart_from_letters_and_loses_leading_zeros():
    assert payer_key("PARTNER1") == payer_key("partner_1") == payer_key("Partner 001") == "1 PARTNER"


def test_ampersand_und_and_and_are_all_dropped():
    assert payer_key("Müller & Söhne") == payer_key("Müller und Söhne") == "MULLER SOHNE"
    assert payer_key("Smith and Sons") == payer_key("SMITH & SONS")


def test_a_name_without_latin_letters_has_no_key():
    assert payer_key("---") == payer_key("") == payer_key(None) == ""


# --- compare_names -----------------------------------------------------------------------------------------


def test_a_bank_writing_the_legal_form_its_way_is_the_same_name():
    assert compare_names("ACME SP Z O O", "Acme sp. z o.o.") == NameEvidence(1.0, SAME)


def test_a_person_written_surname_first_is_the_same_name():
    assert level("KOWALSKI JAN", "Jan Kowalski") == SAME


def test_umlauts_spelt_ue_oe_are_the_same_name():
    assert level("MUELLER UND SOEHNE GMBH", "Müller & Söhne GmbH") == SAME


def test_umlauts_stripped_to_their_letter_are_the_same_name():
    assert level("MULLER & SOHNE GMBH", "Müller & Söhne GmbH") == SAME


def test_nordic_letters_spelt_out_are_the_same_name():
    assert level("OERSTED AS", "Ørsted A/S") == SAME
    assert level("AALBORG VVS", "Ålborg VVS ApS") == SAME


def test_ue_in_a_name_without_an_umlaut_is_not_an_umlaut():
    assert level("BAUER", "Baur") != SAME


def test_a_name_cut_by_the_bank_at_35_characters_is_truncated():
    payer = "ACME LOGISTICS SPOLKA Z OGRANICZONA"
    assert len(payer) == 35
    client = "ACME Logistics Spółka z ograniczoną odpowiedzialnością"
    assert compare_names(payer, client) == NameEvidence(0.95, TRUNCATED)


def test_a_name_cut_inside_a_word_at_20_characters_is_truncated():
    assert level("JAN KOWALSKI TRANSPO", "Jan Kowalski Transport") == TRUNCATED


def test_a_prefix_of_a_length_no_bank_cuts_at_is_not_truncated():
    payer = "JAN KOWALSKI TRANSPORT"
    assert len(payer) == 22
    assert level(payer, "Jan Kowalski Transport Międzynarodowy") != TRUNCATED


def test_a_whole_shorter_name_at_a_cut_length_is_not_truncated():
    # 18 characters and a prefix, but the cut fell between words and took "POLSKA": another company's name.
    assert level("JAN KOWALSKI TRANS", "Jan Kowalski Trans Polska") == RESEMBLES


def test_a_cut_that_takes_a_number_off_is_not_truncation():
    assert level("HURTOWNIA SPOZYWCZA", "Hurtownia Spożywcza nr 12 Sp. z o.o.") == DIFFERS_IN_NUMBER


def test_a_cut_inside_a_number_is_not_truncation():
    assert level("PRZEDSIEBIORSTWO HANDLOWE 1", "Przedsiębiorstwo Handlowe 12") == DIFFERS_IN_NUMBER


def test_partner_1_is_not_partner_3_whatever_rapidfuzz_says():
    assert fuzz.token_sort_ratio("partner_1", "partner_3") > 85
    evidence = compare_names("partner_1", "partner_3")
    assert evidence.level == DIFFERS_IN_NUMBER
    assert evidence.score <= 0.5


def test_firma_2_is_not_firma_3():
    assert level("Firma 2 Sp. z o.o.", "Firma 3") == DIFFERS_IN_NUMBER


def test_a_number_on_one_side_only_is_a_different_payer():
    assert level("Firma 2 Sp. z o.o.", "Firma Sp. z o.o.") == DIFFERS_IN_NUMBER


def test_kowalski_jan_is_not_kowalska_anna_whatever_rapidfuzz_says():
    assert fuzz.token_sort_ratio("KOWALSKI JAN", "KOWALSKA ANNA") >= RESEMBLES_AT * 100
    evidence = compare_names("Kowalski Jan", "Kowalska Anna")
    assert evidence.level == DIFFERS_IN_WORD
    assert evidence.score <= 0.5


def test_a_surname_in_its_other_gender_is_another_person():
    assert level("Ivanov Alex", "Ivanova Alex") == DIFFERS_IN_WORD


def test_a_different_first_name_is_another_person():
    assert level("Nowak Jan", "Nowak Janusz") == DIFFERS_IN_WORD


def test_two_initials_that_differ_are_two_people():
    assert level("KOWALSKI A", "Kowalski S") == DIFFERS_IN_WORD


def test_a_short_word_one_letter_apart_is_a_distinctive_word():
    assert level("DELL POLSKA", "DHL Polska Sp. z o.o.") == DIFFERS_IN_WORD


def test_an_initial_that_agrees_with_the_first_name_resembles():
    assert level("KOWALSKI J", "Jan Kowalski") == RESEMBLES


def test_a_long_word_mistyped_once_resembles():
    assert level("KOWLASKI JAN", "Jan Kowalski") == RESEMBLES


def test_a_common_word_shared_by_unrelated_companies_is_no_match():
    assert level("ACME POLSKA", "Beta Polska Sp. z o.o.") == DIFFERENT
    assert level("POLSKA", "Acme Polska Sp. z o.o.") == DIFFERENT
    assert level("ORLEN POLSKA", "Orange Polska S.A.") == DIFFERS_IN_WORD


@pytest.mark.parametrize(("payer", "client"), [(None, "Acme"), ("", "Acme"), ("Acme", None), ("---", "Acme")])
def test_a_missing_name_is_missing(payer, client):
    assert compare_names(payer, client) == NameEvidence(0.0, MISSING)


# --- score_name_pairs (reconcile.matching.name_scores) ----------------------------------------------------

PAIRS = [
    ("ACME SP Z O O", "Acme sp. z o.o."),
    ("MUELLER UND SOEHNE GMBH", "Müller & Söhne GmbH"),
    ("ACME LOGISTICS SPOLKA Z OGRANICZONA", "ACME Logistics Spółka z ograniczoną odpowiedzialnością"),
    ("partner_1", "partner_3"),
    ("Kowalski Jan", "Kowalska Anna"),
    ("KOWALSKI J", "Jan Kowalski"),
    ("ACME POLSKA", "Beta Polska Sp. z o.o."),
    ("ACME\0 SP Z O O", "Acme sp. z o.o."),
    (None, "Acme"),
]


def test_a_table_of_pairs_compares_as_one_by_one():
    scored = score_name_pairs(pl.DataFrame(PAIRS, schema=["payer", "client_name"], orient="row"))
    got = [NameEvidence(s, lv) for s, lv in scored.select("name_similarity", "name_level").iter_rows()]
    assert got == [compare_names(p, c) for p, c in PAIRS]
    assert set(scored["name_level"]) <= set(NAME_LEVELS)


# --- payer_from_remittance ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remittance", "payer"),
    [
        ("WIRE FROM BLUE HARBOR TRADING LLC", "BLUE HARBOR TRADING LLC"),
        ("WIRE FROM BLUE HARBOR TRADING LLC/", "BLUE HARBOR TRADING LLC"),
        (  # Chase
            "WIRE TYPE:WIRE IN DATE:260315 TIME:0912 ET TRN:2026031500123456 SEQ:123456/000789 "
            "ORIG:BLUE HARBOR TRADING LLC ID:123456789 SND BK:JPMORGAN CHASE BANK, NA ID:0002 PMT DET:INV 42",
            "BLUE HARBOR TRADING LLC",
        ),
        (  # Fedwire, with the originator's address after its name
            "FEDWIRE CREDIT VIA: WELLS FARGO BANK/121000248 B/O: BLUE HARBOR TRADING LLC NEW YORK NY 10001 "
            "REF: CHASE NYC/CTR/BNF=ACME/OBI=INV 42 IMAD: 0315B1QGC01C001234",
            "BLUE HARBOR TRADING LLC",
        ),
        ("ORG=BLUE HARBOR TRADING LLC BNF=ACME SP Z O O OBI=INV 2026/0042", "BLUE HARBOR TRADING LLC"),
        ("ORIGINATOR NAME: BLUE HARBOR TRADING LLC ORIGINATOR ADDRESS: 1 MAIN ST", "BLUE HARBOR TRADING LLC"),
        (  # NACHA, whose originator name has 16 characters
            "ORIG CO NAME:BLUE HARBOR TRAD ORIG ID:1234567890 DESC DATE:260315 CO ENTRY DESCR:PAYMENT",
            "BLUE HARBOR TRAD",
        ),
        (  # SWIFT MT103 field 50F: the account, then numbered lines, 1/ the name
            "ORDERING CUSTOMER: /PL61109010140000071219812874 1/JAN KOWALSKI 2/UL DLUGA 5 3/PL/WARSZAWA",
            "JAN KOWALSKI",
        ),
        ("NADAWCA: JAN KOWALSKI UL. DLUGA 5 00-001 WARSZAWA TYTUL: FV/2026/10/0101", "JAN KOWALSKI"),
        ("ZLECENIODAWCA: ACME SP. Z O.O. TYTUŁ: FV/2026/10/0101", "ACME SP. Z O.O."),
        (  # wolph/mt940's sample: the street follows the name
            "GIRO AUS ONLINE-SIC 80532 AUFTRAGGEBER: JANE DOE EXAMPLESTRASSE 10 1234 MITTEILUNGEN: RECHNUNG",
            "JANE DOE",
        ),
        ("SVWZ+RE 2026-0042 ABWA+MUELLER UND SOEHNE GMBH", "MUELLER UND SOEHNE GMBH"),
        ("ABWA+Aral Tankstelle Chemni?23tz Leipziger Straße 257", "Aral Tankstelle Chemnitz"),
    ],
)
def test_the_payer_named_after_a_label_is_found(remittance, payer):
    assert payer_from_remittance(remittance) == payer


@pytest.mark.parametrize(
    "remittance",
    ["WIRE FROM NOT PROVIDED", "B/O CUSTOMER", "WIRE FROM ACCOUNT 12345678", "NADAWCA: BRAK DANYCH",
     "ORIGINATOR NAME: ORIGINATOR ADDRESS: 1 MAIN ST"],
)  # fmt: skip
def test_a_label_followed_by_filler_gives_no_payer(remittance):
    assert payer_from_remittance(remittance) is None


@pytest.mark.parametrize(
    "remittance",
    ["BLUE HARBOR TRADING LLC FV/2026/11/0120", "Zapłata za fakturę FV/2026/10/0101",
     "BNF=ACME SP Z O O OBI=INV 42", "WIRE TO BLUE HARBOR TRADING LLC", "", None],
)  # fmt: skip
def test_no_payer_is_guessed_without_a_label_that_names_the_payer(remittance):
    assert payer_from_remittance(remittance) is None


# --- properties --------------------------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZąćęłńóśźżĄĆĘŁŃÓŚŹŻäöüßÄÖÜéèàçñøåæØÅÆ"
_FORMS = ["", " Sp. z o.o.", " S.A.", " GmbH & Co. KG", " A/S", " Ltd", " B.V.", " SARL", " s.r.o."]


def _a_name_word(word: str) -> bool:
    """Not a word a legal form or a connector is made of, which would read as one when moved."""
    return payer_key(f"Xq {word}") == payer_key(f"{word} Xq") == " ".join(sorted(["XQ", fold(word)]))


words = st.text(alphabet=_LETTERS, min_size=2, max_size=10).filter(_a_name_word)
names = st.tuples(st.lists(words, min_size=1, max_size=4), st.sampled_from(_FORMS))


@given(names, st.randoms(use_true_random=False))
@example((["Kowalski", "Jan"], " Sp. z o.o."), random.Random(1))
def test_a_name_is_the_same_name_as_itself_folded_upper_cased_and_reordered(name, rng):
    core, form = name
    written = " ".join(core) + form
    reordered = " ".join(rng.sample(core, len(core))) + form
    for other in (written, written.upper(), fold(written), reordered):
        assert level(other, written) == SAME


@given(st.text().filter(lambda text: not set(text) & set(_BEYOND_TEXT_FOLD)))
@example("Łukasz Żółw ½ ǅ ŉ ß ﬁ Σας")
def test_a_name_and_its_text_fold_have_the_same_key(text):
    assert payer_key(text) == payer_key(fold(text))


@given(names, st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from([" ", "_", "-", ""]))
@example((["partner"], ""), 1, 3, "_")
@example((["Hurtownia"], ""), 1, 12, " ")
def test_appending_a_different_number_never_gives_the_same_name(name, i, j, sep):
    if i == j:
        return
    written = " ".join(name[0]) + name[1]
    assert level(f"{written}{sep}{i}", f"{written}{sep}{j}") in (DIFFERS_IN_NUMBER, DIFFERENT)


@given(names, names)
def test_a_score_stays_within_its_level(a, b):
    evidence = compare_names(" ".join(a[0]) + a[1], " ".join(b[0]) + b[1])
    bounds = {SAME: (1.0, 1.0), TRUNCATED: (0.95, 0.95), RESEMBLES: (RESEMBLES_AT, 0.94),
              DIFFERS_IN_NUMBER: (0.0, 0.5), DIFFERS_IN_WORD: (0.0, 0.5),
              DIFFERENT: (0.0, RESEMBLES_AT - 1e-9)}  # fmt: skip
    low, high = bounds[evidence.level]
    assert low <= evidence.score <= high


def test_a_partnership_written_without_dots_is_the_same_name():
    # Polish banks write "sp.j." as "SPJ" (the demo's Zielony Ogród statement line).
    assert compare_names("ZIELONY OGROD SPJ", "Zielony Ogród sp.j.").level == SAME


# --- the payer of a line, and the hint that picks the titles worth reading -----------------------------------


@pytest.mark.parametrize(
    ("name", "remittance", "payer"),
    [
        (None, "WIRE FROM BLUE HARBOR TRADING LLC INV-2026-0042", "BLUE HARBOR TRADING LLC"),
        ("  ", "B/O: BLUE HARBOR TRADING LLC NEW YORK NY", "BLUE HARBOR TRADING LLC"),
        ("ACME SP Z O O", "WIRE FROM BLUE HARBOR TRADING LLC", "ACME SP Z O O"),  # the bank's field wins
        (None, "BLUE HARBOR TRADING LLC INV-2026-0042", None),
        ("", "FV/2026/10/0101", ""),
    ],
)
def test_a_lines_payer_is_its_payer_field_or_else_the_name_its_title_writes(name, remittance, payer):
    assert line_payer(name, remittance) == payer


def _hinted(text: str) -> bool:
    """What the columnar engine asks of a title before reading it (reconcile.matching.payers.payer_names)."""
    column = pl.Series([text]).str.replace_all(MT940_CONTINUATION, "").str.contains(PAYER_LABEL_HINT)
    return bool(column[0])


_LABEL_PIECES = ["WIRE FROM ", "Incoming wire transfer from ", "ORIG:", "orig co name:", "ORG=", "B/O ", "by order of ",
                 "Ordering Customer: ", "NADAWCA: ", "zleceniodawca:", "DANE NADAWCY:", "Auftraggeber: ", "ABWA+",
                 "originator name=", "?21", "?2", "1", "İ", "ı", "I", "i", " ", "/", ":", "ACME", "LLC", "Ł"]  # fmt: skip


@given(st.lists(st.sampled_from(_LABEL_PIECES), max_size=8).map("".join) | st.text(max_size=40))
@example("WİRE FROM ACME LLC")  # Python's IGNORECASE takes the Turkish İ for I
@example("NADA?21WCA: JAN KOWALSKI")  # an MT940 line break inside the label
@example("zleceniodawca:ACME")  # found once: the hint had ZLECIEN for ZLECEN
def test_every_title_a_payer_is_read_in_holds_the_hint(text):
    if payer_from_remittance(text) is not None:
        assert _hinted(text)
