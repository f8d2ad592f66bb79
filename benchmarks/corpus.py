"""A synthetic month of bank lines against open invoices, each line with the answer a careful accountant gives.

For measuring the matching engine (`make bench`): every kind of payment a finance team sees, traps included,
with a realistic fan-out (clients whose names share a few hundred words, round amounts shared by thousands of
invoices, clients paying equal amounts every month), at any size and the same for the same seed. It must
never look at the engine: the truth is what an accountant would post, not what reconcile does. No I/O.
"""

from __future__ import annotations

import gc
import math
import random
import unicodedata
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import polars as pl

from reconcile.model import BankLine, Invoice


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    share: float  # of all lines
    should_auto: bool  # a careful accountant posts it without a second look
    trap: bool  # looks postable to a careless rule; must never be posted automatically
    about: str


KINDS: tuple[Kind, ...] = (
    Kind("clean", 0.305, True, False, "invoice number verbatim, exact open amount"),
    Kind("noisy_reference", 0.13, True, False, "number with other spacing, separators, case, zeros, prefix, or glued"),
    Kind("ksef_only", 0.06, True, False, "only the KSeF number, exact amount"),
    Kind("combined", 0.06, True, False, "2-4 invoices of one client, exact sum; all named = auto, some named = review"),
    Kind("instalment", 0.04, True, False, "part of one named invoice"),
    Kind("fee_deducted", 0.04, True, False, "foreign payer, named invoice, short by a bank fee of 5-25 EUR"),
    Kind("overpaid", 0.02, True, False, "named invoice, paid slightly above its open amount"),
    Kind("typo_reference", 0.03, True, False, "one character of the number wrong (no other open invoice that close), exact amount"),
    Kind("no_reference", 0.08, False, False, "known payer, no reference, amount unique among the client's open invoices"),
    Kind("trap_amount_only", 0.04, False, True, "another client's exact open amount, no reference"),
    Kind("trap_name_only", 0.04, False, True, "a client's name, none of its amounts, no reference"),
    Kind("trap_other_client_reference", 0.02, False, True, "names another client's invoice, pays the amount of its own"),
    Kind("trap_already_paid", 0.02, False, True, "names an invoice already paid (not open): a double payment"),
    Kind("unrelated", 0.03, False, True, "money in from a stranger, no reference (tax refund, interest...)"),
    Kind("money_out", 0.08, False, True, "a debit; some name one of our invoices (a refund)"),
    Kind("zero", 0.005, False, True, "zero amount (account verification)"),
)  # fmt: skip
# Kinds the brief asks for that this corpus cannot hold yet, and why; printed with the figures.
SKIPPED_KINDS: dict[str, str] = {
    "structured_reference": "Invoice has no field for a structured creditor reference (ISO 11649 RF), "
    "so no invoice can carry one yet",
}

SELLER_NIP = "5265877635"  # our own NIP: every KSeF number of ours starts with it
OUR_ACCOUNTS = {"PLN": "PL61109010140000071219812874", "EUR": "PL27114020040000300201355387"}
LAST_ISSUE = date(2026, 10, 31)
FIRST_BOOKING = date(2026, 11, 2)


@dataclass(frozen=True, slots=True)
class Truth:
    """What a careful accountant does with one line: the allocations they post (invoice iri -> amount, empty
    when none), and whether they would post it without a second look (`should_auto`)."""

    kind: str
    allocations: dict[str, Decimal]
    should_auto: bool
    note: str = ""  # how the line was made (the noise, the typo...), for reading a failure


@dataclass(frozen=True)
class Corpus:
    invoices: list[Invoice]  # the open invoices, as Flowtly lists them
    lines: list[BankLine]
    truth: dict[str, Truth]  # by line_id
    paid: list[Invoice] = field(default_factory=list)  # already paid: not open, named by double payments

    def invoice_frame(self) -> pl.DataFrame:
        """The invoices a run reads, as a table whose columns are named as Invoice's fields (amounts
        Decimal): the open ones and those already paid (open amount 0), as the pipeline passes them."""
        return _frame([*self.invoices, *self.paid], Invoice)

    def line_frame(self) -> pl.DataFrame:
        """The bank lines as a table whose columns are named as BankLine's fields (amounts Decimal)."""
        return _frame(self.lines, BankLine)


def _frame(rows: Sequence[Any], cls: type) -> pl.DataFrame:
    columns = {f.name: [getattr(r, f.name) for r in rows] for f in fields(cls)}
    # A column of nulls alone is typed as text, but an amount stays Decimal whatever it holds.
    nulls = {name: pl.String for name, values in columns.items() if not any(v is not None for v in values)}
    overrides = nulls | {name: pl.Decimal(18, 2) for name in ("amount", "open_amount", "reported_charges") if name in columns}
    if "id" in columns:
        overrides["id"] = pl.String
        columns["id"] = [str(v) for v in columns["id"]]
    return pl.DataFrame(columns, schema_overrides=overrides)


# -- names: a few hundred common words and legal forms in five languages ----------------------------------

WORDS: dict[str, tuple[str, ...]] = {
    "pl": ("Bałtycka", "Żuraw", "Wisła", "Zielony", "Ogród", "Hurtownia", "Budowlana", "Grupa", "Polska", "Trans",
           "Bud", "Handel", "Usługi", "Serwis", "Logistyka", "Piekarnia", "Kraków", "Gdańsk", "Łódź", "Śląsk",
           "Mazowsze", "Dąb", "Sokół", "Orzeł", "Biuro", "Rachunkowe", "Meble", "Stal", "Drewno", "Auto", "Części",
           "Technika", "Energia", "Medyczne", "Apteka", "Kwiaty", "Sad", "Ryby", "Mleczarnia", "Młyn", "Browar",
           "Górski", "Złoty", "Srebrny", "Pomorze", "Podhale", "Kujawy", "Warmia", "Tatry", "Bór", "Jezioro", "Rzeka",
           "Most", "Kamień", "Węgiel", "Miedź", "Szkło", "Papier", "Druk", "Reklama", "Okna", "Dachy", "Ogrzewanie",
           "Instalacje", "Elektro", "Chłodnictwo", "Spedycja", "Przewozy", "Maszyny", "Narzędzia", "Farby",
           "Tekstylia", "Obuwie", "Zdrowie", "Smak", "Przedsiębiorstwo", "Handlowe", "Zakład", "Produkcyjny",
           "Wielkopolska", "Gęś", "Wróbel", "Źródło", "Łąka", "Żyto", "Piast", "Jantar", "Bursztyn", "Północ",
           "Południe", "Wschód", "Zachód", "Dom", "Ład"),
    "de": ("Müller", "Bäckerei", "Größmann", "Kühne", "Logistik", "Bau", "Technik", "Handel", "Straßer", "Weiß",
           "Schwarz", "Grün", "Nord", "Süd", "Ost", "West", "Berg", "Tal", "Wald", "Feld", "Haus", "Werk",
           "Maschinenbau", "Elektro", "Metall", "Holz", "Glas", "Druck", "Verlag", "Spedition", "Transporte",
           "Fleischerei", "Brauerei", "Mühle", "Söhne", "Brüder", "Schmidt", "Schneider", "Fischer", "Weber",
           "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder",
           "Neumann", "Braun", "Zimmermann", "Krüger", "Hartmann", "Lange", "Werner", "Köhler", "Jäger", "Groß",
           "Sonnen", "Rhein", "Elbe", "Alpen", "Bayern", "Sachsen", "Hansa", "Sanitär", "Heizung", "Gärtnerei"),
    "da": ("Nordhavn", "Søndergaard", "Grøn", "Ærø", "Fjord", "Havn", "Jensen", "Nielsen", "Hansen", "Pedersen",
           "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen", "Jørgensen", "Møller", "Østergaard",
           "Bygge", "Tømrer", "Maler", "Smed", "Bager", "Fisk", "Skov", "Strand", "Sø", "Bjerg", "Dal", "Lys",
           "Vind", "Energi", "Møbler", "Køkken", "Have", "Nørre", "Vester", "Søndre", "Øster", "Kløver", "Bølge",
           "Fyr", "Mølle", "Ager", "Brøndby", "Ålborg", "Århus", "Odense", "Viking", "Dansk"),
    "en": ("Global", "Tech", "Systems", "Solutions", "Consulting", "Logistics", "Trading", "Partners", "Group",
           "Digital", "Media", "Marine", "Green", "Blue", "Star", "Alpha", "Nova", "Bridge", "Harbour", "Oak",
           "River", "Stone", "North", "Atlantic", "Pacific", "Summit", "Crown", "Royal", "Capital", "Premier",
           "United", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts",
           "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards", "Hall", "Wood", "Harris",
           "Clarke", "Jackson", "Engineering", "Foods", "Supplies", "Services", "Holdings", "Ventures",
           "Industries", "Freight", "Works", "Studio", "Labs", "Trust", "Data", "Cloud"),
    "nl": ("Jansen", "de Vries", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
           "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "Groen", "Blauw",
           "Noord", "Zuid", "Haven", "Molen", "Dijk", "Polder", "Bloem", "Tulp", "Kaas", "Vis", "Bouw",
           "Techniek", "Installatie", "Groothandel", "Diensten", "IJssel", "Zeeland", "Brabant", "Holland",
           "Oranje", "Duin", "Gracht", "Waal", "Maas", "Rijn", "Veen", "Hof"),
}  # fmt: skip
# The legal form as a client registers it, and the ways banks write it.
LEGAL_FORMS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "pl": (("sp. z o.o.", ("SP Z O O", "SP. Z O.O.", "SP ZOO", "SP.Z O.O.")),
           ("Sp. z o.o.", ("SP Z O O", "SP. Z O.O.")),
           ("spółka z ograniczoną odpowiedzialnością", ("SP Z O O", "SPOLKA Z OGRANICZONA ODPOWIEDZIALNOSCIA")),
           ("S.A.", ("SA", "S.A.", "SPOLKA AKCYJNA")), ("Spółka Akcyjna", ("SA", "S.A.")),
           ("sp.j.", ("SPJ", "SP.J.", "SPOLKA JAWNA")), ("sp.k.", ("SP K", "SP.K.", "SPOLKA KOMANDYTOWA")),
           ("s.c.", ("SC", "S.C."))),
    "de": (("GmbH", ("GMBH",)), ("AG", ("AG",)), ("GmbH & Co. KG", ("GMBH + CO. KG", "GMBH & CO KG", "GMBH U CO KG")),
           ("KG", ("KG",)), ("e.K.", ("E.K.", "EK")), ("UG (haftungsbeschränkt)", ("UG HAFTUNGSBESCHRAENKT", "UG"))),
    "da": (("ApS", ("APS",)), ("A/S", ("A/S", "AS")), ("I/S", ("I/S",)), ("IVS", ("IVS",))),
    "en": (("Ltd", ("LTD", "LTD.")), ("Limited", ("LTD", "LIMITED")), ("LLC", ("LLC",)), ("Inc.", ("INC", "INC.")),
           ("PLC", ("PLC",)), ("LLP", ("LLP",))),
    "nl": (("B.V.", ("BV", "B.V.")), ("N.V.", ("NV", "N.V.")), ("V.O.F.", ("VOF", "V.O.F.")),
           ("Besloten Vennootschap", ("BV",))),
}  # fmt: skip
FIRST_NAMES: dict[str, tuple[tuple[str, str], ...]] = {  # (name, sex)
    "pl": (("Jan", "m"), ("Piotr", "m"), ("Andrzej", "m"), ("Tomasz", "m"), ("Paweł", "m"), ("Krzysztof", "m"),
           ("Michał", "m"), ("Łukasz", "m"), ("Grzegorz", "m"), ("Anna", "f"), ("Katarzyna", "f"),
           ("Małgorzata", "f"), ("Agnieszka", "f"), ("Ewa", "f"), ("Magdalena", "f"), ("Joanna", "f"), ("Żaneta", "f")),
    "de": (("Hans", "m"), ("Peter", "m"), ("Klaus", "m"), ("Jürgen", "m"), ("Anna", "f"), ("Sabine", "f"),
           ("Ursula", "f"), ("Jörg", "m")),
    "da": (("Søren", "m"), ("Lars", "m"), ("Mette", "f"), ("Bjørn", "m"), ("Åse", "f")),
    "en": (("John", "m"), ("David", "m"), ("Sarah", "f"), ("Emma", "f"), ("James", "m")),
    "nl": (("Jan", "m"), ("Pieter", "m"), ("Sanne", "f"), ("Femke", "f"), ("Joost", "m")),
}  # fmt: skip
SURNAMES_PL = (("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Lewandowski", "Lewandowska"),
               ("Kamiński", "Kamińska"), ("Zieliński", "Zielińska"), ("Dąbrowski", "Dąbrowska"), ("Woźniak", "Woźniak"),
               ("Nowak", "Nowak"), ("Wójcik", "Wójcik"), ("Kaczmarek", "Kaczmarek"), ("Mazur", "Mazur"),
               ("Grabowski", "Grabowska"), ("Pawłowski", "Pawłowska"), ("Jabłoński", "Jabłońska"), ("Król", "Król"),
               ("Kędzierski", "Kędzierska"), ("Żak", "Żak"), ("Szymański", "Szymańska"), ("Kozłowski", "Kozłowska"))  # fmt: skip
PERSON_TRADES = {"pl": ("PHU", "Usługi Remontowe", "Transport", "Gabinet", "Sklep"), "de": ("Malerbetrieb",),
                 "da": ("Tømrer",), "en": ("Plumbing",), "nl": ("Klusbedrijf",)}  # fmt: skip
_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LANGUAGES = (("pl", 0.55), ("de", 0.15), ("en", 0.12), ("nl", 0.09), ("da", 0.09))
_LANG_CUM = [sum(share for _, share in LANGUAGES[: i + 1]) for i in range(len(LANGUAGES))]
_IBAN_LAYOUT = {
    "pl": ("PL", 24, 0),
    "de": ("DE", 18, 0),
    "da": ("DK", 14, 0),
    "nl": ("NL", 10, 4),
    "en": ("GB", 14, 4),
}

# Letters banks' ASCII alphabets do not have (SWIFT MT charset): how they write them.
_ASCII = str.maketrans(
    {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "ß": "ss", "Å": "A", "å": "a"}
)
_UMLAUT_E = str.maketrans({"Ä": "AE", "ä": "ae", "Ö": "OE", "ö": "oe", "Ü": "UE", "ü": "ue", "ß": "ss"})


def bank_ascii(text: str, *, umlauts_as_e: bool = False) -> str:
    """Text as an ASCII-only bank writes it: Łódź -> Lodz, Søren -> Soren, Müller -> Muller (or Mueller)."""
    if text.isascii():
        return text
    if umlauts_as_e:
        text = text.translate(_UMLAUT_E)
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(slots=True)
class _Client:
    lang: str
    name: str
    renderings: tuple[str, ...]  # as written, upper case, bank ASCII upper, legal form abbreviated, swapped
    iban: str
    currency: str
    scheme: str  # FV | INV | YN | SHORT
    recurring_cents: int  # 0: no recurring amount
    tin: str | None


_LETTER_DIGITS = str.maketrans({ch: str(10 + i) for i, ch in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")})


def _iban(country: str, bban: str) -> str:
    """ISO 13616 check digits: 98 - (BBAN, country, 00 with letters as 10..35) mod 97."""
    digits = (bban + country + "00").translate(_LETTER_DIGITS)
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def _nip(rng: random.Random) -> str:
    while True:
        first9 = str(rng.randrange(10**8, 10**9))
        check = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), first9, strict=True)) % 11
        if check < 10:
            return first9 + str(check)


# Coined brand words (Drewex, Polmax, Eurotrans), a few thousand of them: what tells most companies apart when
# their other words are the common ones.
_COINED = (
    ("Pol", "Dre", "Tra", "Bu", "Mar", "Kor", "Lu", "Ma", "Te", "Me", "Sta", "Gra", "Ban", "Ko", "Ro", "Wi", "Ze",
     "Ja", "Bro", "Kra", "Sil", "Alu", "Fer", "Hy", "Eko", "Agro", "Bio", "Inter", "Euro", "Multi"),
    ("", "", "ra", "no", "li", "ta", "ve"),
    ("ex", "mex", "pol", "bud", "trans", "tex", "max", "lux", "tech", "med", "san", "ol", "ix", "on", "ia", "ar",
     "dex", "plast", "chem", "stal", "gaz", "net", "soft", "form"),
)  # fmt: skip


def _coined(rng: random.Random) -> str:
    word = "".join(rng.choice(part) for part in _COINED)
    return word.upper() if rng.random() < 0.3 else word


def _company_name(lang: str, rng: random.Random) -> tuple[str, list[str], tuple[str, ...]]:
    pool = WORDS[lang]
    coined = rng.random() < 0.5
    n_words = (
        rng.choices((0, 1, 2), (0.3, 0.5, 0.2))[0] if coined else rng.choices((1, 2, 3), (0.1, 0.6, 0.3))[0]
    )
    words = [
        pool[rng.randrange(len(pool))] if rng.random() < 0.75 else rng.choice(WORDS["en"])
        for _ in range(n_words)
    ]
    if coined:
        words.insert(rng.randrange(len(words) + 1), _coined(rng))
    form, shorts = rng.choice(LEGAL_FORMS[lang])
    joiner = " & " if lang == "de" and n_words == 2 and rng.random() < 0.2 else " "
    return f"{joiner.join(words)} {form}", words, shorts


def _person_name(lang: str, rng: random.Random) -> tuple[str, list[str]]:
    first, sex = rng.choice(FIRST_NAMES[lang])
    if lang == "pl":
        male, female = rng.choice(SURNAMES_PL)
        last = male if sex == "m" else female
    else:
        last = rng.choice(WORDS[lang][:40] if lang != "en" else WORDS["en"][31:55])
    words = [first, last]
    if rng.random() < 0.3:
        return f"{rng.choice(PERSON_TRADES[lang])} {first} {last}", words
    return f"{first} {last}", words


@lru_cache(maxsize=8192)
def _upper_word(word: str) -> str:
    return word.upper()


@lru_cache(maxsize=4096)
def _upper_ascii_word(word: str, umlauts_as_e: bool) -> str:
    return bank_ascii(word, umlauts_as_e=umlauts_as_e).upper()


def _upper_ascii(text: str, umlauts_as_e: bool) -> str:
    return " ".join(_upper_ascii_word(w, umlauts_as_e) for w in text.split(" "))


def _renderings(
    lang: str, name: str, words: list[str], shorts: tuple[str, ...], person: bool, rng: random.Random
) -> tuple[str, ...]:
    umlauts_e = lang == "de" and rng.random() < 0.5
    upper_ascii = _upper_ascii(name, umlauts_e)
    core = _upper_ascii(" ".join(words), umlauts_e)
    abbreviated = upper_ascii if person else f"{core} {rng.choice(shorts)}"
    if person:  # KOWALSKI JAN
        swapped = _upper_ascii(f"{words[1]} {words[0]}", umlauts_e)
    elif len(words) > 1:
        parts = core.split()
        swapped = " ".join([*parts[1:], parts[0]]) + f" {rng.choice(shorts)}"
    else:
        swapped = abbreviated
    return (name, " ".join(_upper_word(w) for w in name.split(" ")), upper_ascii, abbreviated, swapped)


def _clients(n: int, rng: random.Random) -> list[_Client]:
    """`n` clients with distinct names (persons and companies), in five languages."""
    clients: list[_Client] = []
    seen: set[str] = set()
    while len(clients) < n:
        lang = LANGUAGES[bisect(_LANG_CUM, rng.random() * _LANG_CUM[-1])][0]
        person = rng.random() < 0.12
        if person:
            name, words = _person_name(lang, rng)
            shorts: tuple[str, ...] = ()
        else:
            name, words, shorts = _company_name(lang, rng)
        if name in seen:
            continue
        seen.add(name)
        country, digits, letters = _IBAN_LAYOUT[lang]
        bban = "".join(rng.choices(_LETTERS, k=letters)) + f"{rng.getrandbits(80) % 10**digits:0{digits}d}"
        scheme = rng.choices(("FV" if lang == "pl" else "INV", "YN", "SHORT"), (0.8, 0.15, 0.05))[0]
        recurring = _random_cents(rng, lang != "pl") if rng.random() < 0.2 else 0
        tin = _nip(rng) if lang == "pl" else f"{country}{rng.randrange(10**8, 10**9)}"
        clients.append(
            _Client(
                lang=lang,
                name=name,
                renderings=_renderings(lang, name, words, shorts, person, rng),
                iban=_iban(country, bban),
                currency="PLN" if lang == "pl" else "EUR",
                scheme=scheme,
                recurring_cents=recurring,
                tin=tin,
            )
        )
    return clients


# -- amounts -----------------------------------------------------------------------------------------------

ROUND_AMOUNTS = (100, 150, 200, 250, 300, 500, 1000, 1500, 2000, 2500, 5000)
_MEDIAN = math.log(1500)


def _random_cents(rng: random.Random, eur: bool) -> int:
    value = rng.lognormvariate(_MEDIAN, 1.1) / (4.2 if eur else 1.0)
    return max(1000, min(40_000_000, int(value * 100)))


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


# -- KSeF numbers: NIP-YYYYMMDD-HEX12-CC, CC the CRC-8 (poly 0x07, init 0) of the first 32 characters --------


def _crc8_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return table


_CRC8 = _crc8_table()


def _crc8(data: bytes, crc: int = 0) -> int:
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def ksef_number(issued: date, serial: int) -> str:
    """Our KSeF number for an invoice issued on `issued` with this 48-bit serial."""
    return _ksef_number(_ksef_prefix(issued), serial)


def _ksef_prefix(issued: date) -> tuple[str, int]:
    """The number up to its serial, and the CRC of it (the same for every invoice of a day)."""
    prefix = f"{SELLER_NIP}-{issued:%Y%m%d}-"
    return prefix, _crc8(prefix.encode("ascii"))


def _ksef_number(prefix: tuple[str, int], serial: int) -> str:
    hex12 = f"{serial:012X}"
    return f"{prefix[0]}{hex12}-{_crc8(hex12.encode('ascii'), prefix[1]):02X}"


# -- invoices ----------------------------------------------------------------------------------------------


# Every letter an invoice number of ours has (the FV/ and INV- series): a number one letter away from another
# has one of these where the other has a letter.
_NUMBER_LETTERS = "FINV"


@dataclass(slots=True)
class _Book:
    """All invoices (open and already paid) as columns, positions shared with `invoices`."""

    invoices: list[Invoice]
    client: list[int]
    cents: list[int]  # the invoice's amount
    open_cents: list[int]
    scheme: list[str]
    is_open: list[bool]
    by_client: list[list[int]]  # client -> positions of its open invoices
    open_names: set[str]
    all_names: set[str]
    letters: str = _NUMBER_LETTERS


class _Numbering:
    """Invoice numbers in each client's series, following the issue date: FV/2026/04/0123 (per month),
    INV-2026-00331 and 2026-0042 (per year), and short numbers (100-9999, one series for all)."""

    def __init__(self, short_total: int, rng: random.Random) -> None:
        self.counters: dict[tuple[str, int, int], int] = {}
        self.short_next = 100 + rng.randrange(max(1, 9_900 - short_total))

    def next(self, scheme: str, issued: date) -> tuple[str, str]:
        """The next number, and the series it is in."""
        if scheme == "SHORT" and self.short_next > 9_999:
            scheme = "YN"  # the short series is full: the client's later invoices are numbered like the rest
        if scheme == "SHORT":
            self.short_next += 1
            return str(self.short_next - 1), scheme
        key = (scheme, issued.year, issued.month if scheme == "FV" else 0)
        n = self.counters[key] = self.counters.get(key, 0) + 1
        if scheme == "FV":
            return f"FV/{issued.year}/{issued.month:02d}/{n:04d}", scheme
        if scheme == "INV":
            return f"INV-{issued.year}-{n:05d}", scheme
        return f"{issued.year}-{n:04d}", scheme


def _invoice_cents(client: _Client, rng: random.Random) -> tuple[int, int]:
    """(amount, open amount): the client's recurring amount, a round one, or any; a few paid in part."""
    roll = rng.random()
    if client.recurring_cents and roll < 0.7:
        cents = client.recurring_cents
    elif roll > 0.96:
        cents = rng.choice(ROUND_AMOUNTS) * 100
    else:
        cents = _random_cents(rng, client.currency == "EUR")
    if rng.random() < 0.03 and cents >= 2000:  # paid in part before: an instalment already posted
        return cents, cents - max(100, int(cents * rng.uniform(0.2, 0.7)) // 100 * 100)
    return cents, cents


def _invoices(clients: list[_Client], total: int, n_paid: int, rng: random.Random) -> _Book:
    weights = [rng.lognormvariate(0, 1.0) for _ in clients]
    owner = rng.choices(range(len(clients)), weights=weights, k=total)
    # Open invoices are mostly recent; numbers follow the issue date within each series.
    days_back = sorted((min(364, int(rng.expovariate(1 / 70))) for _ in range(total)), reverse=True)
    numbering = _Numbering(sum(clients[c].scheme == "SHORT" for c in owner), rng)
    issue_dates = [LAST_ISSUE - timedelta(days=d) for d in range(365)]
    due = {
        (d, eur): issue_dates[d] + timedelta(days=14 if eur else 30)
        for d in range(365)
        for eur in (False, True)
    }
    ksef_prefixes = [_ksef_prefix(day) for day in issue_dates]
    paid = set(rng.sample(range(total), n_paid))
    book = _Book([], [], [], [], [], [], [[] for _ in clients], set(), set())
    for i, (c, day) in enumerate(zip(owner, days_back, strict=True)):
        client = clients[c]
        name, scheme = numbering.next(client.scheme, issue_dates[day])
        cents, open_cents = _invoice_cents(client, rng)
        is_open = i not in paid
        amount = _money(cents)
        eur = client.currency == "EUR"
        book.invoices.append(
            Invoice(
                iri=f"/invoices/{i + 1}",
                id=i + 1,
                name=name,
                client_name=client.name,
                client_iri=f"/clients/{c + 1}",
                amount=amount,
                open_amount=amount if open_cents == cents and is_open else _money(open_cents * is_open),
                currency=client.currency,
                status="sent" if is_open else "paid",
                due_date=due[day, eur],
                issue_date=issue_dates[day],
                bank_account=OUR_ACCOUNTS[client.currency],
                ksef_number=None if eur else _ksef_number(ksef_prefixes[day], rng.getrandbits(48)),
                client_tin=client.tin,
            )
        )
        book.client.append(c)
        book.cents.append(cents)
        book.open_cents.append(open_cents)
        book.scheme.append(scheme)
        book.is_open.append(is_open)
        if is_open:
            book.by_client[c].append(i)
    book.all_names = {inv.name for inv in book.invoices}
    book.open_names = book.all_names - {book.invoices[i].name for i in paid}
    return book


# -- what payers write in the title -------------------------------------------------------------------------

TITLES: dict[str, dict[str, tuple[str, ...]]] = {
    "ref": {"pl": ("Zapłata za fakturę {r}", "Faktura {r}", "{r}", "Płatność za fakturę nr {r}", "Przelew za {r} dziękujemy", "Faktura VAT {r}"),
            "de": ("Rechnung {r}", "RE-Nr. {r}", "{r}", "Zahlung Rechnung {r}", "Rechnung {r} vielen Dank"),
            "en": ("Invoice {r}", "{r}", "Payment for invoice {r}", "Inv {r} thank you", "Settlement of {r}"),
            "da": ("Faktura {r}", "{r}", "Betaling af faktura {r}", "Fakturanr. {r}"),
            "nl": ("Factuur {r}", "{r}", "Betaling factuur {r}", "Factuurnummer {r}")},
    "refs": {"pl": ("Faktury {r}", "{r}", "Zapłata za faktury {r}"), "de": ("Rechnungen {r}", "{r}"),
             "en": ("Invoices {r}", "{r}", "Payment of invoices {r}"), "da": ("Fakturaer {r}", "{r}"),
             "nl": ("Facturen {r}", "{r}")},
    "part": {"pl": ("Rata {i} za fakturę {r}", "{r} rata {i}", "Częściowa płatność {r}"),
             "de": ("Teilzahlung Rechnung {r}", "{i}. Rate {r}"), "en": ("Partial payment invoice {r}", "Instalment {i} {r}"),
             "da": ("Delbetaling faktura {r}", "Rate {i} {r}"), "nl": ("Deelbetaling factuur {r}", "Termijn {i} {r}")},
    "none": {"pl": ("Przelew", "Zapłata", "Płatność", "Przelew środków", "", "Zamówienie {po}"),
             "de": ("Zahlung", "Überweisung", "", "Bestellung {po}"), "en": ("Payment", "Transfer", "", "Order {po}"),
             "da": ("Betaling", "Overførsel", ""), "nl": ("Betaling", "Overboeking", "")},
    "out": {"pl": ("Faktura zakupowa {po}/2026", "ZUS składki", "Wynagrodzenie", "Podatek VAT", "Czynsz za lokal"),
            "de": ("Lieferantenzahlung {po}", "Miete"), "en": ("Supplier payment {po}", "Salary", "Rent"),
            "da": ("Husleje",), "nl": ("Huur",)},
    "refund": {"pl": ("Zwrot nadpłaty {r}",), "de": ("Rückerstattung {r}",), "en": ("Refund {r}",),
               "da": ("Tilbagebetaling {r}",), "nl": ("Terugbetaling {r}",)},
    "zero": {"pl": ("Weryfikacja rachunku", "{r}"), "de": ("Kontoprüfung",), "en": ("Account verification", "{r}"),
             "da": ("Kontotjek",), "nl": ("Rekeningcontrole",)},
    "unrelated": {"pl": ("Zwrot podatku", "Odsetki", "Zwrot kaucji", "Dotacja"), "de": ("Zinsen", "Erstattung"),
                  "en": ("Interest", "Refund", "Cashback"), "da": ("Rente",), "nl": ("Rente", "Teruggave")},
}  # fmt: skip
_JOINERS = {"pl": (", ", " ", "; ", " i "), "de": (", ", " ", " und "), "en": (", ", " ", " and "),
            "da": (", ", " ", " og "), "nl": (", ", " ", " en ")}  # fmt: skip
_MORE = {"pl": " i inne", "de": " und weitere", "en": " and others", "da": " m.fl.", "nl": " en andere"}


def _title(purpose: str, lang: str, rng: random.Random, r: str = "") -> str:
    template = rng.choice(TITLES[purpose][lang])
    if "{i}" in template or "{po}" in template:
        return template.format(r=r, i=rng.randint(1, 3), po=rng.randrange(10_000, 999_999))
    return template.format(r=r)


def _noisy(number: str, scheme: str, rng: random.Random) -> tuple[str, str]:
    """The number as payers mistype it without making it ambiguous: (text, which noise)."""
    sep = "/" if scheme == "FV" else "-"
    parts = number.split(sep)
    unzeroed = (
        sep.join([parts[0]] + [p.lstrip("0") or "0" for p in parts[1:]])
        if scheme != "YN"
        else (sep.join(p.lstrip("0") or "0" for p in parts))
    )
    other_sep = "-" if sep == "/" else "/"
    options = {
        "spaces": " ".join(parts),
        "other separators": other_sep.join(parts),
        "dots": ".".join(parts),
        "zeros dropped": unzeroed,
    }
    if scheme in ("FV", "INV"):
        options |= {
            "lower case": number.lower(),
            "glued": "".join(parts),
            "glued, lower case": "".join(parts).lower(),
            "prefix apart": f"{parts[0]} {sep.join(parts[1:])}",
        }
    if scheme == "FV":  # INV-2026-00331 without its prefix would read as the 2026-0331 of the other series
        options["prefix lost"] = "/".join(parts[1:])
    choices = [(k, v) for k, v in options.items() if v != number]
    noise, text = rng.choice(choices)
    return text, noise


def _typo(number: str, book: _Book, rng: random.Random) -> str | None:
    """One character wrong, such that no other invoice has that number and no other open invoice is one
    character away from it; None when the number has no such typo."""
    positions = [i for i, ch in enumerate(number) if ch.isalnum()]
    for i in rng.sample(positions, min(6, len(positions))):
        alphabet = _DIGITS if number[i].isdigit() else _LETTERS
        typo = number[:i] + rng.choice(alphabet.replace(number[i], "")) + number[i + 1 :]
        if typo in book.all_names:
            continue
        near = (
            typo[:j] + ch + typo[j + 1 :]
            for j in positions
            for ch in (_DIGITS if typo[j].isdigit() else book.letters)
            if ch != typo[j]
        )
        if not any(other != number and other in book.open_names for other in near):
            return typo
    return None


# -- lines -------------------------------------------------------------------------------------------------

# Formats and how their banks write payer names: (share, truncation, renderings to choose among (weights)).
_FORMATS = (
    ("camt.053", 0.5, 70, (0.6, 0.2, 0.0, 0.1, 0.1)),
    ("mt940", 0.35, 35, (0.0, 0.0, 0.5, 0.3, 0.2)),
    ("csv", 0.15, 35, (0.5, 0.0, 0.3, 0.2, 0.0)),
)
_FORMAT_CUM = [sum(f[1] for f in _FORMATS[: i + 1]) for i in range(len(_FORMATS))]
_BOOKING_DATES = [FIRST_BOOKING + timedelta(days=d) for d in range(26)]
_RENDERING_CUM = [[sum(f[3][: i + 1]) for i in range(len(f[3]))] for f in _FORMATS]


@dataclass(slots=True)
class _Made:
    cents: int
    currency: str
    title: str
    payer: int | None  # a client (or stranger) position; None: no payer at all
    allocations: list[tuple[int, int]]  # (invoice position, cents)
    should_auto: bool
    note: str = ""


class _Pool:
    """Open invoices fit for one kind of line, in random order; each is paid by one line at most."""

    def __init__(self, positions: list[int], used: bytearray) -> None:
        self.positions = positions
        self.used = used
        self.at = 0

    def take(self) -> int | None:
        while self.at < len(self.positions):
            i = self.positions[self.at]
            self.at += 1
            if not self.used[i]:
                self.used[i] = 1
                return i
        return None


class _LineMaker:
    def __init__(
        self, book: _Book, clients: list[_Client], strangers: range, paid: Sequence[int], rng: random.Random
    ) -> None:
        self.book, self.clients, self.strangers, self.rng = book, clients, strangers, rng
        inv, cents = book.invoices, book.open_cents
        self.open = [i for i, o in enumerate(book.is_open) if o]
        shuffled = list(self.open)
        rng.shuffle(shuffled)  # one random order; each pool takes its invoices in it
        used = self.used = bytearray(len(inv))
        unique = set(_unique_within_client(book, self.open))
        self.pools = {
            "any": _Pool(shuffled, used),
            "named": _Pool([i for i in shuffled if book.scheme[i] != "SHORT"], used),
            "ksef": _Pool([i for i in shuffled if inv[i].ksef_number], used),
            "eur": _Pool([i for i in shuffled if inv[i].currency == "EUR" and cents[i] >= 20_000], used),
            "instalment": _Pool(
                [i for i in shuffled if book.scheme[i] != "SHORT" and cents[i] >= 10_000], used
            ),
            "unique": _Pool([i for i in shuffled if i in unique], used),
        }
        self.paid = list(paid)
        rng.shuffle(self.paid)
        self.groups = [c for c, mine in enumerate(book.by_client) if len(mine) >= 2]
        rng.shuffle(self.groups)
        self.group_at = 0
        self.makers: dict[str, Callable[[], _Made | None]] = {
            "clean": self.clean, "noisy_reference": self.noisy, "ksef_only": self.ksef, "combined": self.combined,
            "instalment": self.instalment, "fee_deducted": self.fee, "overpaid": self.overpaid,
            "typo_reference": self.typo, "no_reference": self.no_reference, "trap_amount_only": self.amount_only,
            "trap_name_only": self.name_only, "trap_other_client_reference": self.other_client,
            "trap_already_paid": self.already_paid, "unrelated": self.unrelated, "money_out": self.money_out,
            "zero": self.zero,
        }  # fmt: skip

    def _lang(self, i: int) -> str:
        return self.clients[self.book.client[i]].lang

    def _paying(
        self, i: int, cents: int, title: str, alloc: int, should_auto: bool = True, note: str = ""
    ) -> _Made:
        c = self.book.client[i]
        return _Made(cents, self.clients[c].currency, title, c, [(i, alloc)], should_auto, note)

    def clean(self) -> _Made | None:
        i = self.pools["any"].take()
        if i is None:
            return None
        name, cents = self.book.invoices[i].name, self.book.open_cents[i]
        short = self.book.scheme[i] == "SHORT"
        title = name if short and self.rng.random() < 0.6 else _title("ref", self._lang(i), self.rng, name)
        if not short and self.rng.random() < 0.08:
            issued = self.book.invoices[i].issue_date
            title += f" z dnia {issued:%d.%m.%Y}" if self._lang(i) == "pl" else f" {issued:%d.%m.%Y}"
        return self._paying(i, cents, title, cents)

    def noisy(self) -> _Made | None:
        i = self.pools["named"].take()
        if i is None:
            return None
        text, noise = _noisy(self.book.invoices[i].name, self.book.scheme[i], self.rng)
        cents = self.book.open_cents[i]
        return self._paying(i, cents, _title("ref", self._lang(i), self.rng, text), cents, note=noise)

    def ksef(self) -> _Made | None:
        i = self.pools["ksef"].take()
        if i is None:
            return None
        number = self.book.invoices[i].ksef_number or ""
        if self.rng.random() < 0.3:  # the two halves of the serial written apart
            number = number[:26] + "-" + number[26:]
        title = self.rng.choice(("KSeF {r}", "{r}", "Zapłata KSeF {r}", "Nr KSeF: {r}")).format(r=number)
        cents = self.book.open_cents[i]
        return self._paying(i, cents, title, cents)

    def combined(self) -> _Made | None:
        rng, book = self.rng, self.book
        while self.group_at < len(self.groups):
            c = self.groups[self.group_at]
            self.group_at += 1
            free = [i for i in book.by_client[c] if not self.used[i]]
            if len(free) < 2:
                continue
            chosen = rng.sample(free, min(len(free), rng.choice((2, 2, 2, 3, 3, 4))))
            for i in chosen:
                self.used[i] = 1
            all_named = rng.random() < 0.7
            named = chosen if all_named else chosen[: rng.randint(1, len(chosen) - 1)]
            lang = self.clients[c].lang
            refs = rng.choice(_JOINERS[lang]).join(book.invoices[i].name for i in named)
            title = _title("refs", lang, rng, refs) + (
                "" if all_named else _MORE[lang] * (rng.random() < 0.5)
            )
            allocations = [(i, book.open_cents[i]) for i in chosen]
            note = f"{len(named)} of {len(chosen)} named"
            total = sum(a for _, a in allocations)
            return _Made(total, self.clients[c].currency, title, c, allocations, all_named, note)
        return None

    def instalment(self) -> _Made | None:
        i = self.pools["instalment"].take()
        if i is None:
            return None
        open_cents = self.book.open_cents[i]
        share = self.rng.choice((0.5, 1 / 3, 0.25, self.rng.uniform(0.2, 0.8)))
        cents = max(100, int(open_cents * share))
        return self._paying(
            i, cents, _title("part", self._lang(i), self.rng, self.book.invoices[i].name), cents
        )

    def fee(self) -> _Made | None:
        i = self.pools["eur"].take()
        if i is None:
            return None
        fee = self.rng.choice((500, 750, 1000, 1250, 1500, 2000, 2500, self.rng.randrange(500, 2501)))
        cents = self.book.open_cents[i] - fee
        title = _title("ref", self._lang(i), self.rng, self.book.invoices[i].name)
        return self._paying(i, cents, title, cents, note=f"fee {fee / 100:.2f}")

    def overpaid(self) -> _Made | None:
        i = self.pools["any"].take()
        if i is None:
            return None
        open_cents = self.book.open_cents[i]
        extra = self.rng.randint(1, max(1, min(5_000, open_cents // 100)))  # up to 1 % and 50.00
        title = _title("ref", self._lang(i), self.rng, self.book.invoices[i].name)
        return self._paying(i, open_cents + extra, title, open_cents, note=f"over by {extra / 100:.2f}")

    def typo(self) -> _Made | None:
        for _ in range(5):
            i = self.pools["named"].take()
            if i is None:
                return None
            typo = _typo(self.book.invoices[i].name, self.book, self.rng)
            if typo is not None:
                cents = self.book.open_cents[i]
                return self._paying(i, cents, _title("ref", self._lang(i), self.rng, typo), cents, note=typo)
            self.used[i] = 0  # no unique typo for this one: leave it to another kind
        return None

    def no_reference(self) -> _Made | None:
        i = self.pools["unique"].take()
        if i is None:
            return None
        cents = self.book.open_cents[i]
        return self._paying(i, cents, _title("none", self._lang(i), self.rng), cents, should_auto=False)

    def amount_only(self) -> _Made | None:
        rng, book = self.rng, self.book
        target = rng.choice(self.open)
        cents, owner = book.open_cents[target], book.client[target]
        currency = self.clients[owner].currency
        payer = rng.choice(self.strangers)
        if rng.random() < 0.5:  # a known client paying in that currency, none of whose open invoices has it
            candidate = book.client[rng.choice(self.open)]
            if (
                candidate != owner
                and self.clients[candidate].currency == currency
                and all(book.open_cents[i] != cents for i in book.by_client[candidate])
            ):
                payer = candidate
        lang = self.clients[payer].lang
        return _Made(
            cents,
            currency,
            _title("none", lang, rng),
            payer,
            [],
            False,
            f"amount of {book.invoices[target].name}",
        )

    def name_only(self) -> _Made | None:
        rng, book = self.rng, self.book
        c = book.client[rng.choice(self.open)]
        theirs = {book.open_cents[i] for i in book.by_client[c]}
        cents = _random_cents(rng, self.clients[c].currency == "EUR")
        while cents in theirs:
            cents += 100
        return _Made(cents, self.clients[c].currency, _title("none", self.clients[c].lang, rng), c, [], False)

    def other_client(self) -> _Made | None:
        rng, book = self.rng, self.book
        own = self.pools["unique"].take()
        if own is None:
            return None
        c, cents = book.client[own], book.open_cents[own]
        for _ in range(10):
            named = rng.choice(self.open)
            other = book.client[named]
            if (
                other != c
                and self.clients[other].currency == self.clients[c].currency
                and book.open_cents[named] != cents
            ):
                title = _title("ref", self.clients[c].lang, rng, book.invoices[named].name)
                return _Made(
                    cents,
                    self.clients[c].currency,
                    title,
                    c,
                    [(own, cents)],
                    False,
                    f"names {book.invoices[named].name}",
                )
        self.used[own] = 0
        return None

    def already_paid(self) -> _Made | None:
        if not self.paid:
            return None
        i = self.paid.pop()
        c = self.book.client[i]
        title = _title("ref", self.clients[c].lang, self.rng, self.book.invoices[i].name)
        return _Made(
            self.book.cents[i],
            self.clients[c].currency,
            title,
            c,
            [],
            False,
            f"paid {self.book.invoices[i].name}",
        )

    def unrelated(self) -> _Made:
        payer = self.rng.choice(self.strangers)
        eur = self.clients[payer].currency == "EUR"
        return _Made(
            _random_cents(self.rng, eur),
            self.clients[payer].currency,
            _title("unrelated", self.clients[payer].lang, self.rng),
            payer,
            [],
            False,
        )

    def money_out(self) -> _Made:
        rng = self.rng
        if rng.random() < 0.3:  # a refund to a client, naming our invoice
            i = rng.choice(self.open)
            title = _title("refund", self._lang(i), rng, self.book.invoices[i].name)
            return _Made(
                -self.book.open_cents[i],
                self.clients[self.book.client[i]].currency,
                title,
                self.book.client[i],
                [],
                False,
                "refund",
            )
        payee = rng.choice(self.strangers)
        lang = self.clients[payee].lang
        return _Made(-_random_cents(rng, False), "PLN", _title("out", lang, rng), payee, [], False)

    def zero(self) -> _Made:
        i = self.rng.choice(self.open)
        c = self.book.client[i]
        title = _title("zero", self.clients[c].lang, self.rng, self.book.invoices[i].name)
        return _Made(0, self.clients[c].currency, title, c, [], False)


def _unique_within_client(book: _Book, opened: list[int]) -> list[int]:
    """Open invoices whose open amount no other open invoice of the same client has."""
    frame = pl.DataFrame(
        {"i": opened, "c": [book.client[i] for i in opened], "a": [book.open_cents[i] for i in opened]}
    )
    return frame.filter(pl.len().over("c", "a") == 1)["i"].to_list()


def _kind_sequence(n_lines: int, rng: random.Random) -> list[str]:
    counts = {k.name: int(k.share * n_lines) for k in KINDS}
    if n_lines >= len(KINDS):
        counts = {name: max(1, n) for name, n in counts.items()}
    counts["clean"] += n_lines - sum(counts.values())
    sequence = [name for name, n in counts.items() for _ in range(n)]
    rng.shuffle(sequence)
    return sequence


def make_corpus(n_invoices: int, n_lines: int, seed: int = 2026) -> Corpus:
    """`n_invoices` open invoices of about n_invoices/10 clients, and `n_lines` bank lines of every kind in
    KINDS with their truth. The same arguments give the same corpus."""
    collecting = gc.isenabled()
    gc.disable()  # millions of objects without cycles: the collector would only scan them again and again
    try:
        return _make_corpus(n_invoices, n_lines, seed)
    finally:
        if collecting:
            gc.enable()


def _make_corpus(n_invoices: int, n_lines: int, seed: int) -> Corpus:
    rng = random.Random(seed)
    n_clients = max(2, n_invoices // 10)
    n_strangers = max(20, n_lines // 100)
    n_paid = max(10, n_lines // 40 + n_invoices // 100)
    clients = _clients(n_clients + n_strangers, rng)
    strangers = range(n_clients, n_clients + n_strangers)
    book = _invoices(clients[:n_clients], n_invoices + n_paid, n_paid, rng)
    maker = _LineMaker(book, clients, strangers, [i for i, o in enumerate(book.is_open) if not o], rng)
    lines: list[BankLine] = []
    truth: dict[str, Truth] = {}
    for j, kind in enumerate(_kind_sequence(n_lines, rng)):
        made = maker.makers[kind]()
        if made is None:  # nothing left that this kind can pay: a stranger's payment instead
            kind, made = "unrelated", maker.unrelated()
        line_id = f"line-{j + 1:07d}"
        lines.append(_bank_line(line_id, j, kind, made, clients, rng))
        allocations = {book.invoices[i].iri: _money(cents) for i, cents in made.allocations}
        truth[line_id] = Truth(kind, allocations, made.should_auto, made.note)
    return Corpus(
        invoices=[inv for inv, o in zip(book.invoices, book.is_open, strict=True) if o],
        lines=lines,
        truth=truth,
        paid=[inv for inv, o in zip(book.invoices, book.is_open, strict=True) if not o],
    )


def _bank_line(
    line_id: str, j: int, kind: str, made: _Made, clients: list[_Client], rng: random.Random
) -> BankLine:
    at = bisect(_FORMAT_CUM, rng.random() * _FORMAT_CUM[-1])
    fmt, _share, truncate, _weights = _FORMATS[at]
    payer_name = payer_iban = None
    if made.payer is not None:
        payer = clients[made.payer]
        # a payment from a known payer without a reference is identified by its payer: the name is there
        if kind == "no_reference" or rng.random() >= 0.06:
            cumulative = _RENDERING_CUM[at]
            payer_name = payer.renderings[bisect(cumulative, rng.random() * cumulative[-1])][
                :truncate
            ].rstrip()
        if rng.random() < 0.9:
            payer_iban = payer.iban
    title = made.title
    if (
        fmt == "mt940"
    ):  # SWIFT's character set, and often upper case (but a line made to show case noise keeps it)
        title = bank_ascii(title)
        if rng.random() < 0.6 and made.note != "lower case":
            title = title.upper()
    booked = _BOOKING_DATES[j % 26]
    return BankLine(
        line_id=line_id,
        bank_ref=f"{fmt[:2].upper()}{j + 1:09d}",
        account=OUR_ACCOUNTS[made.currency],
        currency=made.currency,
        amount=_money(made.cents),
        booking_date=booked,
        value_date=booked,
        counterparty_name=payer_name,
        counterparty_iban=payer_iban,
        remittance=title,
        source_file=f"corpus-2026-11.{fmt}",
        source_format=fmt,
    )


def fanout(corpus: Corpus) -> dict[str, Any]:
    """How much the corpus fans out: what makes blocking hard (printed with the figures)."""
    frame = pl.DataFrame(
        {
            "client": [inv.client_iri for inv in corpus.invoices],
            "amount": [str(inv.open_amount) + inv.currency for inv in corpus.invoices],
        }
    )
    per_amount = frame.group_by("amount").len()["len"]
    per_client = frame.group_by("client").len()["len"]
    words = pl.Series([inv.client_name or "" for inv in corpus.invoices]).unique().str.split(" ").explode()
    return {
        "clients": per_client.len(),
        "invoices_per_client_max": int(per_client.max() or 0),
        "most_invoices_with_one_amount": int(per_amount.max() or 0),
        "invoices_sharing_an_amount_with_100_or_more": int(per_amount.filter(per_amount >= 100).sum()),
        "distinct_name_words": words.n_unique(),
    }
