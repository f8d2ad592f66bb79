"""Finding invoice references in payment titles: invoice numbers, KSeF numbers, creditor references.

Payers write invoice numbers every way: `FV/2026/04/0123`, `FV 2026-04-123`, `fv2026040123`. A title is
split into alphanumeric pieces and every run of consecutive pieces is looked up in an index of invoice keys,
so finding references costs O(pieces × window) per line, whatever the number of invoices.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from reconcile.matching.text import tokens

KSEF_PATTERN = re.compile(
    r"(?<![0-9A-F])(\d{10})-(\d{8})-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})(?![0-9A-F])"
)


def crc8(data: bytes, poly: int = 0x07, init: int = 0x00) -> int:
    crc = init
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def normalise_ksef(number: str) -> str | None:
    """The canonical 35-character KSeF number if `number` is one with a valid checksum, else None.

    Format: NIP(10)-YYYYMMDD-HEX6[-]HEX6-CC, where CC is CRC-8 (poly 0x07, init 0) of the first 32
    characters of the canonical form, in upper-case hex.
    """
    match = KSEF_PATTERN.fullmatch(number.strip().upper())
    if not match:
        return None
    nip, day, hex_a, hex_b, check = match.groups()
    body = f"{nip}-{day}-{hex_a}{hex_b}"
    return f"{body}-{check}" if f"{crc8(body.encode()):02X}" == check else None


def find_ksef_numbers(text: str) -> list[str]:
    """Every KSeF number in `text` whose checksum holds (a mistyped one is not evidence)."""
    found: list[str] = []
    for match in KSEF_PATTERN.finditer(text.upper()):
        number = normalise_ksef(match.group(0))
        if number and number not in found:
            found.append(number)
    return found


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


@dataclass(frozen=True, slots=True)
class ReferenceHit:
    invoice_iri: str
    kind: str  # "ksef" | "invoice_number" | "invoice_number_loose"
    text: str  # what was found in the title


class ReferenceIndex:
    """Invoice numbers and KSeF numbers of the open invoices, keyed for lookup from titles."""

    def __init__(self, min_length: int = 4) -> None:
        self.min_length = min_length
        self.exact: dict[str, set[str]] = defaultdict(set)
        self.loose: dict[str, set[str]] = defaultdict(set)
        self.ksef: dict[str, set[str]] = defaultdict(set)
        self.max_window = 1

    def add(self, invoice_iri: str, name: str, ksef: str | None) -> None:
        pieces = _pieces(name)
        if pieces:
            key = exact_key(pieces)
            if usable_key(key, self.min_length):
                self.exact[key].add(invoice_iri)
                self.loose[loose_key(pieces)].add(invoice_iri)
                self.max_window = max(self.max_window, len(pieces))
        if ksef:
            canonical = normalise_ksef(ksef)
            if canonical:
                self.ksef[canonical].add(invoice_iri)

    def find(self, text: str) -> list[ReferenceHit]:
        hits: list[ReferenceHit] = []
        for number in find_ksef_numbers(text):
            hits.extend(ReferenceHit(iri, "ksef", number) for iri in sorted(self.ksef.get(number, ())))
        hits.extend(self._find_numbers(_pieces(text)))
        return hits

    def _find_numbers(self, pieces: list[str]) -> list[ReferenceHit]:
        spans: list[tuple[int, int, str, str, set[str]]] = []
        for start in range(len(pieces)):
            for end in range(start + 1, min(len(pieces), start + self.max_window) + 1):
                window = pieces[start:end]
                key = exact_key(window)
                if key in self.exact:
                    spans.append((start, end, "invoice_number", " ".join(window), self.exact[key]))
                elif (lk := loose_key(window)) in self.loose and usable_key(key, self.min_length):
                    spans.append((start, end, "invoice_number_loose", " ".join(window), self.loose[lk]))
        # A number found inside a longer number is not a reference of its own (2026/04/0123 in FV/2026/04/0123).
        kept = [
            s
            for s in spans
            if not any(
                o is not s and o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0]) for o in spans
            )
        ]
        hits: list[ReferenceHit] = []
        seen: set[tuple[str, str]] = set()
        for _start, _end, kind, found, iris in kept:
            for iri in sorted(iris):
                if (iri, kind) not in seen:
                    seen.add((iri, kind))
                    hits.append(ReferenceHit(iri, kind, found))
        return hits
