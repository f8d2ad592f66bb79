"""Finding invoice references in payment titles: invoice numbers, KSeF numbers, split-payment fields,
creditor references, and the near misses a person should see.

Payers write invoice numbers every way: `FV/2026/04/0123`, `FV 2026-04-123`, `fv2026040123`. A title is
split into alphanumeric pieces and every run of consecutive pieces is looked up in an index of invoice keys,
so finding references costs O(pieces × window) per line, whatever the number of invoices. A false reference can
post money into the wrong books, so this module never counts a short number (3-4 characters) found inside longer
text, a number whose check digit fails, or a near miss as a reference. Pure: no I/O.

`ReferenceIndex.find` is the behaviour `tables.py` computes on whole tables (kept as its oracle);
`ReferenceIndex.find_references` and `ReferenceIndex.near_misses` are the precision-first signals of issue 8.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from stdnum.pl import nip

from reconcile.matching.creditor_references import (
    RF,
    CreditorReference,
    creditor_reference_key,
    find_creditor_references,
    parse_creditor_reference,
)
from reconcile.matching.text import tokens

KSEF_PATTERN = re.compile(
    r"(?<![0-9A-F])(\d{10})-(\d{8})-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})(?![0-9A-F])"
)
# What banks also write: spaces around the dashes, or no dashes at all (titles stripped of punctuation).
# Safe because the CRC-8 and the fixed layout hold, and a number counts only when it equals an invoice's.
KSEF_LENIENT_PATTERN = re.compile(
    r"(?<![0-9A-F])([0-9]{10})(?: *- *)?([0-9]{8})(?: *- *)?([0-9A-F]{6})(?: *- *)?([0-9A-F]{6})"
    r"(?: *- *)?([0-9A-F]{2})(?![0-9A-F])"
)


def _crc8_byte(value: int, poly: int) -> int:
    for _ in range(8):
        value = ((value << 1) ^ poly) & 0xFF if value & 0x80 else (value << 1) & 0xFF
    return value


# CRC-8 one byte at a time (the bitwise loop above, precomputed): checking every KSeF number of a large
# batch's titles is then a lookup per character.
CRC8_TABLE = bytes(_crc8_byte(value, 0x07) for value in range(256))


def crc8(data: bytes, poly: int = 0x07, init: int = 0x00) -> int:
    """CRC-8 (polynomial x^8 + x^2 + x + 1, no reflection, no final XOR), as KSeF numbers carry it."""
    table = CRC8_TABLE if poly == 0x07 else bytes(_crc8_byte(value, poly) for value in range(256))
    crc = init
    for byte in data:
        crc = table[crc ^ byte]
    return crc


def normalise_ksef(number: str) -> str | None:
    """The canonical 35-character KSeF number if `number` is one with a valid checksum, else None.

    Format: NIP(10)-YYYYMMDD-HEX6[-]HEX6-CC, where CC is CRC-8 (poly 0x07, init 0) of the first 32
    characters of the canonical form, in upper-case hex.
    """
    match = KSEF_PATTERN.fullmatch(number.strip().upper())
    return _checked_ksef(match) if match else None


def find_ksef_numbers(text: str, *, lenient: bool = False) -> list[str]:
    """Every KSeF number in `text` whose checksum holds (a mistyped one is not evidence).

    `lenient` also reads the forms of KSEF_LENIENT_PATTERN; it is off by default because the engine calls this
    and finding more numbers there would change its decisions (issue 8 asks for that as a separate step).
    """
    pattern = KSEF_LENIENT_PATTERN if lenient else KSEF_PATTERN
    found: list[str] = []
    for match in pattern.finditer(text.upper()):
        number = _checked_ksef(match)
        if number and number not in found:
            found.append(number)
    return found


def _checked_ksef(match: re.Match[str]) -> str | None:
    nip_part, day, hex_a, hex_b, check = match.groups()
    body = f"{nip_part}-{day}-{hex_a}{hex_b}"
    return f"{body}-{check}" if f"{crc8(body.encode()):02X}" == check else None


def _pieces(text: str) -> list[str]:
    return tokens(text)


def exact_key(pieces: Iterable[str]) -> str:
    return "".join(pieces)


def loose_key(pieces: Iterable[str]) -> str:
    """Leading zeros dropped from numeric pieces: FV/2026/4/123 and FV/2026/04/0123 agree."""
    return "-".join(p.lstrip("0") or "0" if p.isdigit() else p for p in pieces)


def usable_key(key: str, min_length: int) -> bool:
    """A key short or digit-free would match ordinary words and numbers in titles."""
    return len(key) >= min_length and any(ch.isdigit() for ch in key)


# A number of at most this many characters is found only where it is all there is: a whole title (less the
# words below), a whole structured reference, the INV field of a split payment, the body of an RF reference.
SHORT_MAX = 4
SHORT_MIN = 3  # shorter numbers are never references
# A number this long (with a digit) is distinctive enough to be found without its prefix word, or one
# character off (a near miss).
DISTINCTIVE_MIN = 6

# Words a title wraps an invoice number in (folded: upper case, no accents), in the languages of our payers.
_WORDS = """
    INVOICE INVOICES INV NR NO NUMBER NUMER NUMERO NUM FAKTURA FAKTURY FAKTURE FAKTURZE FAKT FV FA VAT RECHNUNG
    RECHNUNGSNR RG RE FACTURE FACTURA FACTUUR LASKU REF PAYMENT PAY FOR OF ZA DLA TYTULEM ZAPLATA ZAPLATY OPLATA
    PLATNOSC PRZELEW ZAHLUNG PAIEMENT BETALING DZIEKUJE THANKS THANK YOU NOTPROVIDED
    FAKTURANR DZIEKUJEMY VIELEN DANK DANKE MIT FREUNDLICHEN GRUSSEN AF TAK FOR BETALNING MERCI BEDANKT
    GRACIAS GRAZIE KIITOS
"""
TITLE_WORDS = frozenset(_WORDS.split())
# Title words that are also invoice-number prefixes: "FV123456" is a number, not "FV" glued to "123456".
_PREFIX_LIKE = frozenset({"INV", "NUM", "FAKT", "FV", "FA", "VAT", "RG", "RE"})
_GLUE_WORDS = sorted(TITLE_WORDS - _PREFIX_LIKE, key=len, reverse=True)
_LETTER_PREFIX = re.compile(r"[A-Z]+")


def whole_reference_key(text: str) -> str | None:
    """The key of what `text` holds besides the words of TITLE_WORDS at its start and end ("Faktura nr 123"
    -> "123"), or None when nothing else is there. Such a key is a whole-reference position: even a short
    number counts there."""
    core = _strip_title_words(_pieces(text))
    return exact_key(core) if core else None


def lost_prefix_key(name: str) -> str | None:
    """The key of an invoice number without its leading prefix word ("FV/2026/04/0123" -> "2026040123"),
    when what is left is still distinctive (DISTINCTIVE_MIN characters with a digit), else None."""
    key = exact_key(_pieces(name))
    prefix = _LETTER_PREFIX.match(key)
    rest = key[prefix.end() :] if prefix else ""
    return rest if prefix and usable_key(rest, DISTINCTIVE_MIN) else None


def near_miss_variants(key: str) -> list[str]:
    """The key with each character in turn replaced by "*": two keys of equal length are one substitution
    apart exactly when they share a variant (SymSpell-style: built once per invoice, looked up per title)."""
    return [f"{key[:i]}*{key[i + 1 :]}" for i in range(len(key))]


def _strip_title_words(pieces: Sequence[str]) -> Sequence[str]:
    start, end = 0, len(pieces)
    while start < end and pieces[start] in TITLE_WORDS:
        start += 1
    while end > start and pieces[end - 1] in TITLE_WORDS:
        end -= 1
    return pieces[start:end]


def _unglue(piece: str) -> list[str]:
    """A piece split where a title word is glued to a number ("PAYMENTINV202600331" -> "PAYMENT",
    "INV202600331"): a short word only before a digit ("NR123456"), a word after a number only when long."""
    for word in _GLUE_WORDS:
        rest = piece[len(word) :]
        if piece.startswith(word) and rest and (len(word) >= 5 or rest[0].isdigit()):
            return [word, *_unglue(rest)]
    for word in _GLUE_WORDS:
        rest = piece[: -len(word)]
        if len(word) >= 5 and piece.endswith(word) and rest[-1:].isdigit():
            return [rest, word]
    return [piece]


@dataclass(frozen=True, slots=True)
class ReferenceHit:
    invoice_iri: str
    # "ksef" | "invoice_number" | "invoice_number_loose"; from find_references also
    # "invoice_number_without_prefix" | "invoice_number_glued" | "creditor_reference"
    kind: str
    text: str  # what was found in the title


@dataclass(frozen=True, slots=True)
class NearMiss:
    """An invoice number one character off what the title wrote: never a reference on its own."""

    invoice_iri: str
    invoice_key: str  # the invoice's number as a key (pieces run together)
    text: str  # what the title wrote
    kind: str  # "one_character_differs" | "last_character_missing"


# -- split payment ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SplitPayment:
    """A Polish split-payment (MPP) title, art. 108a ust. 3 ustawy o VAT, in the banks' common layout
    `/VAT/123,45/IDC/5261040828/INV/FV 12/2026/TXT/free text`.

    IDC is the tax id of the SUPPLIER the payment is for (art. 108a ust. 3 pkt 4; the buyer's only when a
    correction is refunded), so on money coming in it names us, not the payer.
    """

    vat_amount: Decimal
    idc: str  # as written, spaces and dashes removed (NIP, or another tax id of up to 14 characters)
    invoice_number: str  # INV: one invoice's number, a whole-reference position
    text: str  # TXT, "" when absent

    @property
    def idc_nip(self) -> str | None:
        """The IDC as a Polish NIP (10 digits, "PL" allowed) when its check digit holds."""
        compact = self.idc.upper().removeprefix("PL")
        return compact if nip.is_valid(compact) else None


# Written for both Python's re and polars (Rust regex): no look-around.
SPLIT_PAYMENT_PATTERN = (
    r"/VAT/\s*(?P<vat>[0-9]{1,10}(?:[,.][0-9]{1,2})?)\s*/IDC/\s*(?P<idc>[0-9A-Za-z -]{1,20}?)\s*"
    r"/INV/\s*(?P<inv>.*?)\s*(?:/TXT/\s*(?P<txt>.*?)\s*)?$"
)
_SPLIT_PAYMENT = re.compile(SPLIT_PAYMENT_PATTERN, re.IGNORECASE | re.DOTALL)


def parse_split_payment(title: str) -> SplitPayment | None:
    """The fields of a split-payment title (VAT, IDC and INV present, in that order), else None."""
    match = _SPLIT_PAYMENT.search(title)
    if not match or not match["inv"]:
        return None
    idc = re.sub(r"[ -]", "", match["idc"])
    if not idc:
        return None
    return SplitPayment(Decimal(match["vat"].replace(",", ".")), idc, match["inv"], match["txt"] or "")


# -- the index -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    kind: str
    text: str
    iris: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Segment:
    pieces: tuple[str, ...]
    whole: bool  # a whole-reference position: a short number counts when it is all of it


class ReferenceIndex:
    """Invoice numbers, KSeF numbers and creditor references of the open invoices, keyed for lookup."""

    def __init__(self, min_length: int = 4) -> None:
        self.min_length = min_length
        self.exact: dict[str, set[str]] = defaultdict(set)
        self.loose: dict[str, set[str]] = defaultdict(set)
        self.short_exact: dict[str, set[str]] = defaultdict(set)  # SHORT_MIN .. min_length - 1 characters
        self.short_loose: dict[str, set[str]] = defaultdict(set)
        self.without_prefix: dict[str, set[str]] = defaultdict(set)
        self.ksef: dict[str, set[str]] = defaultdict(set)
        self.creditor: dict[str, set[str]] = defaultdict(set)
        self.max_window = 1
        self._variants: dict[str, list[str]] | None = None  # near_miss_variants -> keys, built on first use
        self._truncated: dict[str, list[str]] = defaultdict(list)  # key less its last character -> keys

    def add(
        self, invoice_iri: str, name: str, ksef: str | None, creditor_reference: str | None = None
    ) -> None:
        pieces = _pieces(name)
        key = exact_key(pieces)
        if pieces and usable_key(key, self.min_length):
            self.exact[key].add(invoice_iri)
            self.loose[loose_key(pieces)].add(invoice_iri)
            self.max_window = max(self.max_window, len(pieces))
            if usable_key(key, DISTINCTIVE_MIN):
                self._truncated[key[:-1]].append(key)
                self._variants = None
        elif pieces and usable_key(key, SHORT_MIN):
            self.short_exact[key].add(invoice_iri)
            self.short_loose[loose_key(pieces)].add(invoice_iri)
        if rest := lost_prefix_key(name):
            self.without_prefix[rest].add(invoice_iri)
        if ksef and (canonical := normalise_ksef(ksef)):
            self.ksef[canonical].add(invoice_iri)
        if creditor_reference and (ref_key := creditor_reference_key(creditor_reference)):
            self.creditor[ref_key].add(invoice_iri)

    def find(self, text: str) -> list[ReferenceHit]:
        """KSeF numbers and invoice numbers anywhere in `text` (the behaviour of tables.py today)."""
        hits: list[ReferenceHit] = []
        for number in find_ksef_numbers(text):
            hits.extend(ReferenceHit(iri, "ksef", number) for iri in sorted(self.ksef.get(number, ())))
        hits.extend(self._find_numbers(_pieces(text)))
        return hits

    def _find_numbers(self, pieces: list[str]) -> list[ReferenceHit]:
        spans = [s for w in _windows(len(pieces), self.max_window) if (s := self._anywhere(pieces, *w, 0))]
        return _unique(_hits(_outermost(spans)))

    # -- the precision-first signals of issue 8 ----------------------------------------------------------

    def find_references(
        self, remittance: str, structured_ref: str | None = None, end_to_end_id: str | None = None
    ) -> list[ReferenceHit]:
        """Every invoice a line's texts name, each (invoice, kind) once.

        Invoice numbers of more than SHORT_MAX characters anywhere; shorter ones only as a whole position
        (the title less TITLE_WORDS, the structured reference, a split payment's INV, an RF reference's body);
        a split payment's VAT and IDC are never read as numbers. A number that lost its prefix word counts
        when unique among the open invoices and not preceded by what may be another prefix; one glued to a
        title word ("PAYMENTINV202600331") when nothing else was found there. KSeF numbers also in their
        lenient forms; creditor references when their check digit holds and an invoice carries them.
        """
        texts = [t for t in (remittance, structured_ref, end_to_end_id) if t]
        creditor_refs = _creditor_references(remittance, structured_ref, end_to_end_id)
        hits = [
            ReferenceHit(iri, "ksef", number)
            for number in find_ksef_numbers(" ".join(texts), lenient=True)
            for iri in sorted(self.ksef.get(number, ()))
        ]
        hits += [
            ReferenceHit(iri, "creditor_reference", ref.raw)
            for ref in creditor_refs
            for iri in sorted(self.creditor.get(ref.canonical, ()))
        ]
        for segment in _segments(remittance, structured_ref, end_to_end_id, creditor_refs):
            hits += _hits(self._spans(segment))
        return _unique(hits)

    def near_misses(
        self, remittance: str, structured_ref: str | None = None, end_to_end_id: str | None = None
    ) -> list[NearMiss]:
        """Invoice numbers one character off a number in the texts (one substituted, or the last one cut
        off), where no reference was found: every one of them, so that the caller can count a near miss only
        when exactly one open invoice is that close (and the amount agrees)."""
        if self._variants is None:
            self._variants = defaultdict(list)
            for key in self.exact:
                if usable_key(key, DISTINCTIVE_MIN):
                    for variant in near_miss_variants(key):
                        self._variants[variant].append(key)
        misses: list[NearMiss] = []
        creditor_refs = _creditor_references(remittance, structured_ref, end_to_end_id)
        for segment in _segments(remittance, structured_ref, end_to_end_id, creditor_refs):
            taken = self._spans(segment)
            for start, end in _windows(len(segment.pieces), self.max_window):
                if not _overlaps(_Span(start, end, "", "", frozenset()), taken):
                    misses += self._near(segment.pieces[start:end], self._variants)
        return list(dict.fromkeys(misses))

    def _near(self, window: Sequence[str], variants: dict[str, list[str]]) -> Iterator[NearMiss]:
        key, text = exact_key(window), " ".join(window)
        if len(key) < DISTINCTIVE_MIN - 1:
            return
        close = {k: "one_character_differs" for v in near_miss_variants(key) for k in variants.get(v, ())}
        close.pop(key, None)
        close.update(dict.fromkeys(self._truncated.get(key, ()), "last_character_missing"))
        for invoice_key, kind in close.items():
            yield from (NearMiss(iri, invoice_key, text, kind) for iri in sorted(self.exact[invoice_key]))

    def _spans(self, segment: _Segment) -> list[_Span]:
        """What a segment names, strongest reading first: numbers as written (and whole positions), then
        numbers glued to a title word where nothing was found, then numbers without their prefix word."""
        pieces = segment.pieces
        spans = [
            s for w in _windows(len(pieces), self.max_window) if (s := self._anywhere(pieces, *w, SHORT_MAX))
        ]
        if segment.whole and (whole := self._whole(pieces)):
            spans.append(whole)
        glued = self._glued(pieces, _outermost(spans))
        spans += [s for s in self._without_prefix(pieces) if not _overlaps(s, glued)]
        return _outermost(spans) + glued

    def _anywhere(self, pieces: Sequence[str], start: int, end: int, short_max: int) -> _Span | None:
        """The invoice number pieces[start:end] spells, when its key is longer than `short_max`."""
        window = pieces[start:end]
        key, text = exact_key(window), " ".join(window)
        if len(key) <= short_max:
            return None
        if key in self.exact:
            return _Span(start, end, "invoice_number", text, frozenset(self.exact[key]))
        if (lk := loose_key(window)) in self.loose and usable_key(key, self.min_length):
            return _Span(start, end, "invoice_number_loose", text, frozenset(self.loose[lk]))
        return None

    def _whole(self, pieces: Sequence[str]) -> _Span | None:
        core = _strip_title_words(pieces)
        start = next((i for i in range(len(pieces)) if pieces[i] not in TITLE_WORDS), 0)
        key, lk, text = exact_key(core), loose_key(core), " ".join(core)
        for kind, table, lookup in (
            ("invoice_number", self.exact, key),
            ("invoice_number", self.short_exact, key),
            ("invoice_number_loose", self.loose, lk),
            ("invoice_number_loose", self.short_loose, lk),
        ):
            if core and usable_key(key, SHORT_MIN) and lookup in table:
                return _Span(start, start + len(core), kind, text, frozenset(table[lookup]))
        return None

    def _without_prefix(self, pieces: Sequence[str]) -> Iterator[_Span]:
        """FV/2026/04/0123 written 2026/04/0123: only when the rest is unique among the open invoices and
        what precedes it is nothing, a title word or a long word, never a number or a short word that may be
        another prefix (FK 2026/04/0123 names another document)."""
        for start, end in _windows(len(pieces), self.max_window):
            key = exact_key(pieces[start:end])
            iris = self.without_prefix.get(key, set())
            before = pieces[start - 1] if start else ""
            prefix_free = (
                not before or before in TITLE_WORDS or (before.isalpha() and len(before) > SHORT_MAX)
            )
            if len(iris) == 1 and key not in self.exact and prefix_free:
                yield _Span(
                    start, end, "invoice_number_without_prefix", " ".join(pieces[start:end]), frozenset(iris)
                )

    def _glued(self, pieces: Sequence[str], taken: list[_Span]) -> list[_Span]:
        """Numbers glued to a title word, in pieces where nothing was found as written."""
        splits = [_unglue(p) for p in pieces]
        parts = [(part, i, len(split) > 1) for i, split in enumerate(splits) for part in split]
        spans = []
        for start, end in _windows(len(parts), self.max_window):
            window = parts[start:end]
            span = self._anywhere([p for p, _, _ in window], 0, len(window), SHORT_MAX)
            first, last = window[0][1], window[-1][1] + 1
            if (
                span
                and span.kind == "invoice_number"
                and any(glued for _, _, glued in window)
                and not _overlaps(_Span(first, last, "", "", frozenset()), taken)
            ):
                spans.append(_Span(first, last, "invoice_number_glued", span.text, span.iris))
        return _outermost(spans)


def _creditor_references(
    remittance: str, structured_ref: str | None, end_to_end_id: str | None
) -> list[CreditorReference]:
    refs = find_creditor_references(remittance) + find_creditor_references(end_to_end_id or "")
    refs += parse_creditor_reference(structured_ref) if structured_ref else []
    return list(dict.fromkeys(refs))


def _segments(
    remittance: str, structured_ref: str | None, end_to_end_id: str | None, refs: list[CreditorReference]
) -> Iterator[_Segment]:
    """The places a line names invoices in, each searched on its own; a split payment's VAT amount and IDC
    are left out (/VAT/123,45/ would otherwise read as invoice 12345)."""
    split = parse_split_payment(remittance)
    if split:
        yield _Segment(tuple(_pieces(split.invoice_number)), whole=True)
        yield _Segment(tuple(_pieces(split.text)), whole=False)
    else:
        yield _Segment(tuple(_pieces(remittance)), whole=True)
    if structured_ref:
        yield _Segment(tuple(_pieces(structured_ref)), whole=True)
    if end_to_end_id:
        yield _Segment(tuple(_pieces(end_to_end_id)), whole=False)
    for ref in refs:
        if ref.kind == RF:  # a company may build its RF references from its invoice numbers
            yield _Segment((ref.canonical[4:],), whole=True)


def _windows(count: int, width: int) -> Iterator[tuple[int, int]]:
    for start in range(count):
        for end in range(start + 1, min(count, start + width) + 1):
            yield start, end


def _outermost(spans: list[_Span]) -> list[_Span]:
    """A number found inside a longer one found in the same place is not a reference of its own."""
    return [
        s
        for s in spans
        if not any(
            o.start <= s.start and s.end <= o.end and (o.end - o.start) > (s.end - s.start) for o in spans
        )
    ]


def _overlaps(span: _Span, others: Iterable[_Span]) -> bool:
    return any(o.start < span.end and span.start < o.end for o in others)


def _hits(spans: Iterable[_Span]) -> list[ReferenceHit]:
    return [ReferenceHit(iri, s.kind, s.text) for s in spans for iri in sorted(s.iris)]


def _unique(hits: list[ReferenceHit]) -> list[ReferenceHit]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for hit in hits:
        if (hit.invoice_iri, hit.kind) not in seen:
            seen.add((hit.invoice_iri, hit.kind))
            kept.append(hit)
    return kept
