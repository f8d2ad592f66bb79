"""Comparing a payer's name on a bank line with an invoice's client name, and finding it in a title.

Banks truncate, reorder and upper-case names, and drop or abbreviate legal forms ("ACME SP Z O O" for
"Acme sp. z o.o."), so names are folded and stripped of legal forms before rapidfuzz compares them. Pure:
no I/O. Never calls two names the same payer when they differ in a number or a distinctive word.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import OSA, Indel

from reconcile.matching.text import fold

# Letters text.fold drops because Unicode does not decompose them (Icelandic eth, Turkish dotless i, ...).
_MORE_LETTERS = str.maketrans(
    {"ð": "d", "Ð": "D", "ı": "i", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T", "ĸ": "k"}
)
# How German and Scandinavian banks write umlauts, ø and å when they cannot print them: Müller -> MUELLER.
_DIGRAPHS = str.maketrans({"ä": "ae", "Ä": "AE", "ö": "oe", "Ö": "OE", "ü": "ue", "Ü": "UE", "ø": "oe",
                           "Ø": "OE", "å": "aa", "Å": "AA"})  # fmt: skip
_ASCII_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
_DIGITS_AND_LETTERS = re.compile(r"(?<=[A-Z])(?=[0-9])|(?<=[0-9])(?=[A-Z])")

# Legal forms as people write them; each is folded into a word sequence and dropped only as a whole.
_LEGAL_FORMS = [
    # Polish
    "Sp. z o.o.", "Sp. zo.o.", "Sp. z oo", "Sp. zoo", "spzoo", "Spółka z o.o.",
    "Spółka z ograniczoną odpowiedzialnością", "Sp. z ograniczoną odpowiedzialnością", "Spółka akcyjna",
    "Spółka jawna", "Spółka komandytowa", "Spółka komandytowo-akcyjna", "Spółka partnerska", "Spółka cywilna",
    "sp.j.", "sp.k.", "sp.p.", "S.K.A.", "S.A.", "S.C.", "SA", "SKA", "SJ", "SK", "SC", "SPJ", "SPK", "SPP",
    # German, Austrian, Swiss
    "GmbH", "gGmbH", "mbH", "Gesellschaft mit beschränkter Haftung", "AG", "KG", "KGaA", "OHG", "UG",
    "UG (haftungsbeschränkt)", "haftungsbeschränkt", "e.K.", "e.Kfm.", "e.Kfr.", "e.V.", "eG", "GbR", "PartG",
    "PartG mbB", "mbB", "SE", "Co.", "Sàrl", "SAGL",
    # English
    "Ltd", "Limited", "PLC", "LLC", "L.L.C.", "LLP", "L.L.P.", "LP", "L.P.", "Inc", "Incorporated", "Corp",
    "Corporation", "Company", "Pty", "Pty Ltd",
    # Dutch, Belgian, French, Italian, Spanish, Portuguese
    "B.V.", "BV", "N.V.", "NV", "V.O.F.", "VOF", "C.V.", "BVBA", "CVBA", "VZW", "SPRL", "SARL", "S.A.R.L.",
    "S.à r.l.", "SAS", "S.A.S.", "SASU", "EURL", "SNC", "SCI", "S.r.l.", "Srl", "SRLS", "S.p.A.", "SpA",
    "S.n.c.", "S.L.", "SL", "S.L.U.", "SLU", "S.A.U.", "SAU", "S.Coop.", "Sociedad Limitada",
    "Sociedad Anónima", "Lda", "Ltda", "S/A",
    # Nordic
    "Oy", "Oyj", "AB", "AB (publ)", "(publ)", "AS", "ASA", "ApS", "A/S", "I/S", "K/S", "P/S", "AMBA",
    "A.m.b.A.", "HB", "KB", "ANS", "DA", "Ky", "Tmi",
    # Czech, Slovak, Hungarian, Baltic, Balkan, Romanian, Bulgarian, Russian
    "s.r.o.", "sro", "spol. s r.o.", "a.s.", "k.s.", "v.o.s.", "Kft.", "Zrt.", "Nyrt.", "Bt.", "Kkt.", "UAB",
    "SIA", "OÜ", "d.o.o.", "d.d.", "EOOD", "OOD", "AD", "OOO", "ZAO", "OAO", "PAO", "AO",
]  # fmt: skip
# Forms written before the name ("AB Volvo", "UAB Baltic Trade", "OOO Romashka"); all others only after it.
_LEADING_FORMS = ["AB", "Oy", "Oyj", "AS", "UAB", "SIA", "OÜ", "AO", "OOO", "ZAO", "OAO", "PAO"]
# "&" is punctuation to fold; its words are dropped too, so "Müller & Söhne" is "MUELLER UND SOEHNE".
# Single letters (Polish "i", Spanish "y", Italian "e") are kept: they may be a person's initial.
_CONNECTORS = frozenset(["AND", "UND", "ET", "EN", "OG", "OCH"])


class _FoldTable(dict[int, str]):
    """A str.translate table that folds one character as text.fold does; learnt from text.fold itself.

    text.fold works character by character (transliterate, decompose, drop accents, upper-case; anything
    else becomes a space), so asking it once per character seen gives the same result at C speed.
    """

    def __missing__(self, code: int) -> str:
        folded = fold(f"a{chr(code)}b".translate(_MORE_LETTERS))[1:-1]
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def _ascii_fold(text: str) -> str:
    """text.fold, with the letters it drops transliterated (ð, ı, ħ, ŧ, ĸ)."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)
    return _ASCII_NON_ALNUM.sub(" ", text.upper()).strip()


def _form_table(forms: list[str]) -> dict[str, list[tuple[str, ...]]]:
    """Legal forms by their last word, longest first: "SPOL S R O" is tried before "S R O"."""
    table: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for form in forms:
        words = tuple(_ascii_fold(form).split())
        table[words[-1]].append(words)
    for sequences in table.values():
        sequences.sort(key=len, reverse=True)
    return dict(table)


_TRAILING = _form_table(_LEGAL_FORMS)
_LEADING = frozenset(_ascii_fold(form) for form in _LEADING_FORMS)
# Every word payer_key may drop (those of legal forms, and connectors): the other words of a name are all
# in its key, which lets a columnar engine tell, without payer_key, the names that cannot have a given key.
KEY_FILLER_WORDS = frozenset(
    {word for forms in _TRAILING.values() for form in forms for word in form} | _LEADING | _CONNECTORS
)


def _core_span(words: Sequence[str]) -> tuple[int, int]:
    """Where the name is once whole legal-form sequences are dropped from the end (repeatedly: "GmbH & Co.
    KG") and the known leading ones from the start.

    A single letter is never a form by itself, and a form spelt in single letters ("S A", "A S", "B V") is
    dropped only from the end: "Nowak A/S" loses its form, "A. S. Watson" keeps its initials. At least one
    word always stays.
    """
    end = len(words)
    if words[-1] not in _TRAILING and words[0] not in _LEADING:  # most names: nothing to look at
        return 0, end
    stripped = True
    while stripped and end > 1:
        stripped = False
        for form in _TRAILING.get(words[end - 1], ()):
            n = len(form)
            if n < end and tuple(words[end - n : end]) == form:
                end -= n
                stripped = True
                break
    start = 0
    while start < end - 1 and words[start] in _LEADING:
        start += 1
    return start, end


def _words(folded: str) -> list[str]:
    """Folded words with digits apart from letters ("PARTNER1" is "PARTNER 1") and numbers without zeros."""
    if folded.replace(" ", "").isalpha():
        return folded.split()
    return [
        (w.lstrip("0") or "0") if w.isdigit() else w for w in _DIGITS_AND_LETTERS.sub(" ", folded).split()
    ]


def key_positions(words: Sequence[str]) -> Sequence[int]:
    """Where the words that identify a payer are: no legal form, no "and"; in their order, never empty.

    Decided by the KEY_FILLER_WORDS alone: any other word may be replaced by a placeholder outside them
    ("#"), which lets a columnar engine decide each distinct pattern of filler words once.
    """
    start, end = _core_span(words)
    core = range(start, end)
    if _CONNECTORS.isdisjoint(words[start:end]):
        return core
    return [i for i in core if words[i] not in _CONNECTORS] or range(len(words))


def _key_words(folded: str) -> list[str]:
    """The words that identify a payer, sorted."""
    words = _words(folded)
    return sorted(map(words.__getitem__, key_positions(words))) if words else words


def payer_key(name: str | None) -> str:
    """The folded, order-free identity of a payer's or client's name: the same function for both sides.

    "Acme sp. z o.o." and "ACME SP Z O O" give "ACME"; "Kowalski Jan" and "JAN KOWALSKI" give "JAN KOWALSKI".
    Umlauts fold to their base letter here (Müller -> MULLER); compare_names also tries the UE spelling.
    Empty when the name has no Latin letter or digit.
    """
    return " ".join(_key_words(_ascii_fold(name))) if name else ""


# Lengths at which banks cut the counterparty name (issue 8; MT940 :86: ?32/?33 hold 27 characters, SWIFT
# name lines 35); one less when the cut fell on a space the bank then trimmed.
BANK_CUT_LENGTHS = frozenset([18, 20, 27, 28, 32, 35])
_CUT_OR_TRIMMED = frozenset(BANK_CUT_LENGTHS | {n - 1 for n in BANK_CUT_LENGTHS})

MISSING = "missing"
SAME = "same name"
TRUNCATED = "same name, truncated by the bank"
RESEMBLES = "resembles"
DIFFERS_IN_NUMBER = "differs in a number"
DIFFERS_IN_WORD = "differs in a distinctive word"
DIFFERENT = "different"
# Every level, from the most alike to the least, missing last; a columnar engine can use it as an enum.
NAME_LEVELS = (SAME, TRUNCATED, RESEMBLES, DIFFERS_IN_NUMBER, DIFFERS_IN_WORD, DIFFERENT, MISSING)

RESEMBLES_AT = 0.75  # token_sort_ratio at or above which two different keys resemble (the engine's old 0.75)
TRUNCATED_SCORE = 0.95
RESEMBLES_AT_MOST = 0.94  # so that a score alone still orders the levels: same > truncated > resembles
DIFFERS_AT_MOST = 0.5  # a number or distinctive word apart: never above any level that speaks for the payer
_LONG_WORD = 6  # shorter words (first names, acronyms) are different words unless equal
_similarity = Indel.normalized_similarity  # fuzz.ratio / 100


@dataclass(frozen=True, slots=True)
class NameEvidence:
    """How a payer's name compares with a client's: a 0..1 score and the level that names the evidence."""

    score: float
    level: str


class _Name(NamedTuple):
    """One name, prepared once however many pairs it is in (flat strings: cheap to keep by the 100,000)."""

    key: str
    folded: str
    numbers: str  # the key's numbers, "" when it has none
    letters: str  # the key without its numbers
    cut: bool  # as long as a bank's cut
    # The same with umlauts, ø and å spelt AE/OE/UE/OE/AA; None when the name has none of them.
    alt: str | None = None
    alt_folded: str | None = None
    alt_letters: str | None = None


def _numbers_and_letters(key: str) -> tuple[str, str]:
    """The key's numbers ("" when it has none) and the rest of its words."""
    if key.replace(" ", "").isalpha():
        return "", key
    words = key.split()
    return " ".join(w for w in words if w.isdigit()), " ".join(w for w in words if not w.isdigit())


def _prepare(name: str | None, folded: str | None = None) -> _Name | None:
    if not name:
        return None
    folded = _ascii_fold(name) if folded is None else folded
    key = " ".join(_key_words(folded))
    if not key:
        return None
    numbers, letters = _numbers_and_letters(key)
    cut = len(name.strip()) in _CUT_OR_TRIMMED
    if not name.isascii():
        composed = unicodedata.normalize("NFC", name)
        spelt = composed.translate(_DIGRAPHS)
        if spelt != composed:
            alt_folded = _ascii_fold(spelt)
            alt = " ".join(_key_words(alt_folded))
            return _Name(key, folded, numbers, letters, cut, alt, alt_folded, _numbers_and_letters(alt)[1])
    return _Name(key, folded, numbers, letters, cut)


_prepare_cached = lru_cache(maxsize=65536)(_prepare)


def _truncated(payer: str, client: str, client_key: str) -> bool:
    """The payer is the client's folded name cut short by a bank, with no number cut off.

    A cut-off number could be the only thing telling "HURTOWNIA NR 12" from "HURTOWNIA NR 13". A cut
    between two words is the bank's only when it took nothing but the legal form: "JAN KOWALSKI TRANS" may
    be a whole name of its own beside "Jan Kowalski Trans Polska".
    """
    n = len(payer)
    if len(client) <= n or not client.startswith(payer):
        return False
    rest = client[n:]
    if any(ch.isdigit() for ch in rest):
        return False
    return rest[0] != " " or set(client_key.split()) <= set(_words(payer))


def _gender_forms(a: str, b: str) -> bool:
    """Kowalski/Kowalska, Novotný/Novotná, Ivanov/Ivanova: a man's and a woman's surname, two people."""
    if len(a) == len(b):
        return a[:-1] == b[:-1] and {a[-1], b[-1]} in ({"I", "A"}, {"Y", "A"})
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return long == short + "A"


def _variant(a: str, b: str) -> bool:
    """Two unequal words that can be the same word: an initial of it, or a long word mistyped once."""
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0] and len(a) != len(b)
    shorter = min(len(a), len(b))
    if shorter < _LONG_WORD or _gender_forms(a, b):
        return False
    return OSA.distance(a, b) <= (1 if shorter < 10 else 2)


def _differs_in_word(a: list[str], b: list[str]) -> bool:
    """Each name has a word the other lacks, and some such word is no variant of any left on the other side.

    That is the "short distinctive word": Jan against Anna, Dell against DHL, Kowalski against Kowalska.
    A word only one name has (a middle name, "POLSKA") is not: rapidfuzz's score already weighs it.
    """
    rest_b = list(b)
    rest_a = []
    for word in a:
        if word in rest_b:
            rest_b.remove(word)
        else:
            rest_a.append(word)
    if not rest_a or not rest_b:
        return False
    fewer, more = (rest_a, rest_b) if len(rest_a) <= len(rest_b) else (rest_b, rest_a)
    for word in fewer:
        partner = next((other for other in more if _variant(word, other)), None)
        if partner is None:
            return True
        more.remove(partner)
    return False


_MISSING_EVIDENCE = (0.0, MISSING)
_SAME_EVIDENCE = (1.0, SAME)
_TRUNCATED_EVIDENCE = (TRUNCATED_SCORE, TRUNCATED)


def _cut_by_bank(payer: _Name, client: _Name) -> bool:
    if _truncated(payer.folded, client.folded, client.key):
        return True
    return _truncated(
        payer.alt_folded or payer.folded, client.alt_folded or client.folded, client.alt or client.key
    )


def _compare(payer: _Name | None, client: _Name | None) -> tuple[float, str]:
    """The level and score of one prepared pair: the one statement of the rules, which score_name_pairs
    shortcuts for the common levels; flat on purpose, as it runs for every pair the shortcuts leave."""
    if payer is None or client is None:
        return _MISSING_EVIDENCE
    key, other = payer.key, client.key
    if key == other:
        return _SAME_EVIDENCE
    spelt = payer.alt is not None or client.alt is not None
    if spelt and (payer.alt or key) == (client.alt or other):
        return _SAME_EVIDENCE
    if payer.cut and (spelt or client.folded.startswith(payer.folded)) and _cut_by_bank(payer, client):
        return _TRUNCATED_EVIDENCE
    raw = _similarity(key, other)  # keys are sorted words: this is token_sort_ratio, 0..1
    if spelt:
        raw = max(raw, _similarity(payer.alt or key, client.alt or other))
    if payer.numbers != client.numbers and (
        raw >= RESEMBLES_AT
        or payer.letters == client.letters
        or (payer.alt_letters or payer.letters) == (client.alt_letters or client.letters)
    ):
        return min(raw, DIFFERS_AT_MOST), DIFFERS_IN_NUMBER
    if raw < RESEMBLES_AT:
        return raw, DIFFERENT
    if _differs_in_word(key.split(), other.split()) and (
        not spelt or _differs_in_word((payer.alt or key).split(), (client.alt or other).split())
    ):
        return min(raw, DIFFERS_AT_MOST), DIFFERS_IN_WORD
    return min(raw, RESEMBLES_AT_MOST), RESEMBLES


def compare_names(payer: str | None, client: str | None) -> NameEvidence:
    """The payer's name on a bank line against a client's name; the first level that holds, in this order.

    missing: either name is empty or has no Latin letter or digit (score 0).
    same name: equal payer_key, or equal with umlauts/ø/å spelt AE/OE/UE/OE/AA (score 1).
    same name, truncated by the bank: the payer, BANK_CUT_LENGTHS long (or one less), is the start of the
      client's folded name, cut inside a word or with nothing but the legal form cut off, and with no
      number cut off (score 0.95). Per pair: a payer cut short may be the start of several clients' names,
      which the caller must count and treat as ambiguous.
    differs in a number: the numbers differ ("PARTNER 1"/"PARTNER 3", "Firma 2"/"Firma", also a number a
      bank's cut took off) and the words are equal or resemble (score at most 0.5).
    different: token_sort_ratio of the keys below RESEMBLES_AT (score: that ratio).
    differs in a distinctive word: each name has a word the other lacks, and one of them is no variant of
      any left on the other side. A variant is an initial of the word (J/JAN), or a word of 6+ letters one
      typo away (two from 10 letters), never a surname's other gender (KOWALSKI/KOWALSKA); so a short word
      (a first name, DELL/DHL) is distinctive unless equal (score at most 0.5).
    resembles: everything else at or above RESEMBLES_AT (score: the ratio, at most 0.94).

    token_sort_ratio, because word order is the only freedom banks take: token_set_ratio and WRatio give
    100 or 90 when one name's words are a subset of the other's ("POLSKA" in "ACME POLSKA"), which is
    exactly the wrong client.
    """
    return NameEvidence(*_compare(_prepare_cached(payer), _prepare_cached(client)))


# Where a remittance text names the payer. US wires: Chase ("ORIG:"), Fedwire/CHIPS tags ("ORG="), "B/O"
# (by order of), MT103 field 50 ("ORDERING CUSTOMER"), NACHA ("ORIG CO NAME:"); Polish exports ("NADAWCA:",
# "ZLECENIODAWCA:"); German ("AUFTRAGGEBER:", and SEPA's ABWA+, the payer on whose behalf it was sent).
_PAYER_LABEL = re.compile(
    r"\b(?:ORIGINATOR(?:\s+NAME)?\s*[:=]|ORIG(?:\s+CO\s+NAME)?\s*[:=]|ORG\s*=|B/O\b:?|BY\s+ORDER\s+OF\b:?"
    r"|ORDERING\s+(?:CUSTOMER|CUST|PARTY)\b\s*[:=]?|NADAWCA\s*:|(?:DANE\s+)?ZLECENIODAWC(?:A|Y)\s*:"
    r"|DANE\s+NADAWCY\s*:|AUFTRAGGEBER\s*:|ABWA\s*[:+]|(?:INCOMING\s+)?WIRE\s+(?:TRANSFER\s+)?FROM\b:?)",
    re.IGNORECASE,
)
# A cheap necessary condition for _PAYER_LABEL, in Rust regex syntax, for a columnar engine to pick the few
# texts worth reading in Python (tested to hold for every text payer_from_remittance reads a name in, with
# the MT940 continuations ?20..?29 taken out first). Python's IGNORECASE also takes the Turkish İ and ı for
# I, so they are listed; Rust's (?i) does not.
PAYER_LABEL_HINT = "(?i)OR[Iİı]G|ORG|B/O|ORDER|NADAWC|ZLECEN[Iİı]ODAWC|AUFTRAGGEBER|ABWA|W[Iİı]RE"
MT940_CONTINUATION = r"\?2\d"  # a :86: remittance line break, inside a word as often as not
# Where the name ends: the next label, a SEPA or MT940 subfield, a reference word, a street.
_NAME_END = re.compile(
    r"\s{2,}|[;|\n\r]|//|\?[013-9]\d|\s[2-8]/"
    r"|\b(?:SND|RCV|ORIG|BNF|INSTR|IND|CO|DESC)\s+(?:BK|ID|NAME|DATE|ENTRY\s+DESCR|DET)\s*[:=]"
    r"|\bPMT\s+DET\b|\bORIGINATOR\s+ADDRESS\b|\b[A-Z][A-Z0-9#]{0,24}\s*[:=]|\b[A-Z]{4}\+"
    r"|\b(?:REF|OBI|RFB|INV|INVOICE|FOR|RE|PMT|PAYMENT|ACCT|TRN|IMAD|OMAD|VIA|IBAN|BIC|TYTUL|TYTUŁ)\b"
    r"|\b(?:UL|AL|OS|PL)\."
    r"|\S+\s+(?:STRASSE|STRAßE|STR|WEG|GASSE|ALLEE|PLATZ|RING|DAMM)\b"  # "Leipziger Straße 257"
    r"|\S*(?:STRASSE|STRAßE|STR|WEG|GASSE|ALLEE|PLATZ)\b",  # "EXAMPLESTRASSE", "HAUPTSTR. 5"
    re.IGNORECASE,
)
_MT940_CONTINUATION = re.compile(MT940_CONTINUATION)
# Words that are never a payer's name, only a bank's or a form's filler.
_GENERIC = frozenset([
    "NOT", "PROVIDED", "NOTPROVIDED", "UNKNOWN", "NA", "NONE", "CUSTOMER", "CLIENT", "ACCOUNT", "BANK",
    "WIRE", "TRANSFER", "PAYMENT", "INCOMING", "OUTGOING", "FEDWIRE", "CHIPS", "SWIFT", "ACH", "CREDIT",
    "DEBIT", "DEPOSIT", "INTERNATIONAL", "DOMESTIC", "ONLINE", "MOBILE", "FUNDS", "FROM", "THE", "YOUR",
    "OUR", "SENDER", "ORIGINATOR", "BENEFICIARY", "PRZELEW", "WPLATA", "PLATNOSC", "BRAK", "DANYCH", "KLIENT",
    "NADAWCA", "UBERWEISUNG", "UEBERWEISUNG", "GUTSCHRIFT", "ZAHLUNG", "AUFTRAGGEBER",
])  # fmt: skip


def _ends_a_name(form: tuple[str, ...]) -> bool:
    """Forms unmistakable mid-text (LLC, GMBH, SP Z O O); not "DA" or "AD", which are also name words."""
    return max(map(len, form)) >= 3 or len(form) >= 4


def _name_part(value: str) -> str:
    """The name at the start of a label's value: up to its legal form, or before an address number."""
    value = value.lstrip(" :=,.-")
    value = re.sub(r"^/\S+\s*", "", value)  # an account ahead of the name (MT103 50K "/PL61...")
    value = re.sub(r"^1/", "", value)  # MT103 50F: line 1 is the name
    words = value.split()
    kept: list[str] = []
    for word in words:
        if kept and sum(ch.isdigit() for ch in word) >= 3:  # a house number, a ZIP code, an account
            break
        kept.append(word)
        folded = _ascii_fold(" ".join(kept)).split()
        if len(folded) > 1 and any(
            len(form) < len(folded) and tuple(folded[-len(form) :]) == form and _ends_a_name(form)
            for form in _TRAILING.get(folded[-1], ())
        ):
            break  # "BLUE HARBOR TRADING LLC NEW YORK NY": the legal form ends the name
    return " ".join(kept).rstrip(" ,;:-/")


def payer_from_remittance(text: str | None) -> str | None:
    """The payer's name as the remittance text writes it after a label, for lines without a payer field.

    Only after a label that says "this is the payer" (WIRE FROM, ORIG:, ORG=, B/O, NADAWCA:, AUFTRAGGEBER:,
    ...): a name guessed from free text would match whoever it resembles. None when no label is followed by
    a name, or the name is only filler ("NOT PROVIDED", "CUSTOMER", "WIRE").
    """
    if not text:
        return None
    text = _MT940_CONTINUATION.sub("", text)
    for label in _PAYER_LABEL.finditer(text):
        rest = text[label.end() :].lstrip(" :=")
        end = _NAME_END.search(rest)
        name = _name_part(rest[: end.start()] if end else rest)
        words = [w for w in _ascii_fold(name).split() if w not in _GENERIC]
        if any(sum(ch.isalpha() for ch in w) >= 2 for w in words):
            return name
    return None


def line_payer(name: str | None, remittance: str | None) -> str | None:
    """Who paid, as matching reads a line: the bank's payer field, or, when it is empty or blank, the name
    the remittance writes after a payer label (payer_from_remittance); else the field as it was."""
    if name and name.strip():
        return name
    return payer_from_remittance(remittance) or name
