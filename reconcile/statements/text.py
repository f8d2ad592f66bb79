"""Bytes to text for every statement reader: the declared or pinned encoding, else the one the letters support.

"It decodes" is not evidence that an encoding is right. Many byte strings are valid in several encodings at
once: the cp1250 bytes of "SPÓŁKA" (`D3 A3` for "ÓŁ") are also valid UTF-8, for "SPӣKA". So when a file does
not say what it is, each candidate decoding is scored by what it yields in the words that hold non-ASCII
bytes: Latin letters of the languages our banks write in count for it (those of the account's country most),
a sign glued to an accented letter, a control character or a Cyrillic letter amid Latin ones count against
it. The best score wins (ties go to the earlier candidate, UTF-8 first) and the reader says, in a warning,
which encoding it chose and why. Nothing here raises for text a person can fix; a pinned or declared
encoding the bytes do not fit is the caller's to report.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

# What undeclared statement text is tried as, in order of preference on equal evidence: UTF-8, then the
# Central European code pages Polish, Czech and Hungarian banks export in (mBank: ISO-8859-2; most others
# Windows-1250), the Western one German, French and Dutch banks use, the DOS code page some Hungarian and
# Czech systems still write, and Latin-1, which decodes any byte (so there is always an answer).
DEFAULT_CANDIDATES = ("utf-8", "cp1250", "iso8859-2", "cp1252", "cp852", "latin-1")

# Letters of the languages reconcile's banks write in, by the country of the account (its IBAN's first two
# letters). Other Latin letters count too, but less: the same bytes are a French "è" in cp1252 and a Czech
# "č" in cp1250, and the cp1250 bytes of the Polish-German "ÄŚ" are the UTF-8 of the Czech "Č"; the
# language the account's bank writes in should win.
_POLISH = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"
_GERMAN = "äöüßÄÖÜ"
_CZECH = "áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ"
_SLOVAK = _CZECH + "äĺľŕôÄĹĽŔÔ"
_HUNGARIAN = "áéíóöőúüűÁÉÍÓÖŐÚÜŰ"
_FRENCH = "àâçèéêëîïôùûÿœÀÂÇÈÉÊËÎÏÔÙÛŸŒ"  # and Dutch, Belgian, Luxembourgish names
_NORDIC = "åæøÅÆØäöÄÖ"
_ROMANCE = "áéíñóúüàèìòùçãõÁÉÍÑÓÚÜÀÈÌÒÙÇÃÕ"  # Spanish, Italian, Portuguese
_LANGUAGES = {
    "PL": _POLISH + _GERMAN,
    "CZ": _CZECH + _GERMAN,
    "HU": _HUNGARIAN + _GERMAN,
    **dict.fromkeys(("DE", "AT", "CH", "LI"), _GERMAN + _FRENCH),
    **dict.fromkeys(("FR", "BE", "LU", "NL", "MC"), _FRENCH + _GERMAN),
    **dict.fromkeys(("DK", "NO", "SE", "FI"), _NORDIC + _GERMAN),
    **dict.fromkeys(("ES", "IT", "PT"), _ROMANCE + _FRENCH),
}
# Countries whose banks write Windows-1252 (Western European) rather than a Central European code page.
_WESTERN = frozenset({"DE", "AT", "CH", "LI", "FR", "BE", "LU", "NL", "MC", "DK", "NO", "SE", "FI", "ES", "IT",
                      "PT", "IE", "GB"})  # fmt: skip
# No country known: the letters of all of them, but for Slovak's own few (whose cp1250 bytes are Polish
# letters in ISO-8859-2: "Ľ" is the "ź" of mBank's files).
_ANY_LANGUAGE = frozenset("".join(_LANGUAGES.values()))
_LANGUAGES["SK"] = _SLOVAK + _GERMAN
_LETTERS_BY_COUNTRY = {country: frozenset(letters) for country, letters in _LANGUAGES.items()}
# Signs that may stand between two letters in real names: an apostrophe (O’Brien), a dash, a middle dot.
_JOINERS = frozenset("’–—·\u00a0\u00ad")  # and the no-break space and soft hyphen

_LANGUAGE_LETTER, _OTHER_LATIN, _RARE_LETTER, _NEUTRAL, _IMPLAUSIBLE = 2, 1, 0, 0, -3
# The Latin letters of European languages: Latin-1 Supplement, Latin Extended-A, and the Romanian commas.
_EUROPEAN_LATIN = frozenset(chr(c) for c in range(0xC0, 0x180) if chr(c).isalpha()) | frozenset("șțȘȚ")

# A word with at least one byte outside ASCII; the bytes of a UTF-8 letter are all >= 0x80, so a word of
# any single-byte code page and of UTF-8 alike is a run of ASCII letters and high bytes.
_WORD_WITH_HIGH_BYTES = re.compile(rb"[A-Za-z\x80-\xff]*[\x80-\xff][A-Za-z\x80-\xff]*")
# How many distinct such words are scored (the most frequent): enough for any statement, bounded for huge ones.
_MAX_WORDS = 20_000


PIN_ADVICE = "pin the encoding in [statements.encodings] if this is wrong"


class Basis(StrEnum):
    """How the encoding was decided, which says whether a person must be told."""

    ASCII = "ascii"  # nothing outside ASCII: every candidate reads the same
    DECLARED = "declared"  # the file says so (an XML declaration, an OFX header)
    PINNED = "pinned"  # the configuration or the CSV profile says so
    EVIDENCE = "evidence"  # chosen here by the letters it yields


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # Python's canonical codec name
    basis: Basis
    rejected: str | None = None  # a valid encoding that reads the file differently, shown for comparison
    example: tuple[str, str] | None = None  # a word as read, and as `rejected` would have read it

    def warning(
        self, file_name: str, *, fix: str = PIN_ADVICE, why: str = "no text encoding declared"
    ) -> str | None:
        """The line a person sees when the encoding was chosen, not given; None when nothing was guessed."""
        if self.basis is not Basis.EVIDENCE:
            return None
        message = f"{file_name}: {why}; read as {label(self.encoding)}, the one its letters fit"
        if self.rejected and self.example:
            chosen, other = self.example
            message += f" (as {label(self.rejected)}, '{chosen}' would read '{other}')"
        return f"{message}; {fix}"


def undecodable(data: bytes, exc: UnicodeDecodeError) -> tuple[str, str]:
    """Where bytes could not be read, as a person is told it: the byte ("0x81") and its place ("line 2")."""
    line = data.count(b"\n", 0, exc.start) + 1
    return f"0x{data[exc.start : exc.start + 1].hex().upper()}", f"line {line}"


def canonical(name: str) -> str:
    """Python's own name for an encoding ("UTF8" -> "utf-8", "windows-1250" -> "cp1250"); LookupError if unknown.

    "utf-8-sig" is UTF-8 here: the byte-order mark is dropped before anything is decoded.
    """
    found = codecs.lookup(name).name
    return "utf-8" if found == "utf-8-sig" else found


_LABELS = {"utf-8": "UTF-8", "cp1250": "Windows-1250", "cp1252": "Windows-1252", "iso8859-2": "ISO-8859-2",
           "iso8859-1": "ISO-8859-1 (Latin-1)", "latin-1": "ISO-8859-1 (Latin-1)", "cp852": "DOS code page 852",
           "iso8859-15": "ISO-8859-15"}  # fmt: skip


def label(encoding: str) -> str:
    """The encoding's name as a person (or their bank's documentation) writes it."""
    return _LABELS.get(encoding, encoding)


def decode(
    data: bytes,
    *,
    declared: str | None = None,
    pinned: str | None = None,
    candidates: Sequence[str] = DEFAULT_CANDIDATES,
    country: str | None = None,
) -> Decoded:
    """The text of `data` (a UTF-8 byte-order mark dropped).

    A pinned encoding is used as given, then a declared one; a pinned or declared encoding the bytes do not
    fit raises UnicodeDecodeError for the caller to name the place. Otherwise the evidence decides, weighed
    for the languages of `country` (the account's IBAN country) when it is known.
    """
    data = data.removeprefix(codecs.BOM_UTF8)
    for given, basis in ((pinned, Basis.PINNED), (declared, Basis.DECLARED)):
        if given:
            encoding = canonical(given)
            return Decoded(data.decode(encoding), encoding, basis)
    if data.isascii():
        return Decoded(data.decode("ascii"), "ascii", Basis.ASCII)
    words = _words(data)
    ranked = _rank(words, candidates, country)
    for position, (encoding, _score) in enumerate(ranked):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:  # a byte outside the words scored (rare): the next best
            continue
        # Compared with UTF-8 when it was a valid reading (what people assume), else the runner-up.
        others = sorted((name for name, _ in ranked[position + 1 :]), key=lambda name: name != "utf-8")
        for other in others:
            example = _example(words, encoding, other)
            if example and _readable(data, other):
                return Decoded(text, encoding, Basis.EVIDENCE, other, example)
        return Decoded(text, encoding, Basis.EVIDENCE)
    # Every candidate failed somewhere: the first one reports its byte to the caller.
    first = canonical(candidates[0])
    return Decoded(data.decode(first), first, Basis.EVIDENCE)


def _rank(words: Counter[bytes], candidates: Sequence[str], country: str | None) -> list[tuple[str, int]]:
    """The candidates that read every scored word, best first, with their scores (see the module's text)."""
    country = (country or "").upper()
    names = list(dict.fromkeys(canonical(c) for c in candidates))
    if country in _WESTERN and "cp1252" in names:  # equal evidence: the bank's own code page first
        names.insert(0, names.pop(names.index("cp1252")))
        if "utf-8" in names:
            names.insert(0, names.pop(names.index("utf-8")))
    scored: list[tuple[int, int, str]] = []
    for order, name in enumerate(names):
        total = 0
        try:
            for word, count in words.items():
                total += _word_score(word, name, country) * count
        except UnicodeDecodeError:
            continue
        scored.append((-total, order, name))
    return [(name, -negative) for negative, _order, name in sorted(scored)]


def pinned_encoding(accounts: Sequence[str], pins: Mapping[str, str]) -> str | None:
    """The encoding the configuration pins for this file's account(s) ([statements.encodings]), if any."""
    for form in _account_forms(accounts):
        found = pins.get(form)
        if found:
            return found
    return None


def _account_forms(accounts: Sequence[str]) -> Iterator[str]:
    """Each account as written, and as the IBAN inside "BIC/IBAN" or "IBAN EUR" (how MT940's :25: writes
    it), normalised as the configuration keys accounts."""
    for account in accounts:
        for form in (account, account.rpartition("/")[2], account.split(" ")[0]):
            yield normalise_account(form)


_IBAN_COUNTRY = re.compile(r"([A-Z]{2})\d\d[A-Z0-9]{8,30}\Z")


def country_of(accounts: Sequence[str]) -> str | None:
    """The country of the first account written as an IBAN: the languages its bank's text is in."""
    for form in _account_forms(accounts):
        match = _IBAN_COUNTRY.match(form)
        if match:
            return match.group(1)
    return None


def normalise_account(account: str) -> str:
    """An account as the configuration keys it: upper case, no spaces (IBANs are written in groups of four)."""
    return "".join(account.split()).upper()


def _words(data: bytes) -> Counter[bytes]:
    """The distinct words with non-ASCII bytes and how often each occurs (the _MAX_WORDS most frequent).

    Split on whitespace first (in C, fast on a 100 MB file), then each distinct token cut into words.
    """
    tokens = Counter(token for token in data.split() if not token.isascii())
    words: Counter[bytes] = Counter()
    for token, count in tokens.most_common(_MAX_WORDS):
        for word in _WORD_WITH_HIGH_BYTES.findall(token):
            words[word] += count
    return words


def _readable(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _example(words: Counter[bytes], chosen: str, other: str) -> tuple[str, str] | None:
    """The most frequent word the two encodings read differently (None: they read it alike), for the warning."""
    for word, _count in words.most_common(200):
        ours, theirs = word.decode(chosen), word.decode(other, errors="replace")
        if ours != theirs:
            return ours, "".join(ch if ch.isprintable() else "\ufffd" for ch in theirs)
    return None


@lru_cache(maxsize=65536)
def _word_score(word: bytes, encoding: str, country: str) -> int:
    """How plausible the word is as statement text when read in `encoding` (raises if it cannot be read).

    Letters weigh per byte they took, so one two-byte UTF-8 letter weighs what two single-byte letters
    weigh: read as cp1250, the UTF-8 of "ż" is "ĹĽ", two letters of no language our banks write in (2 against
    4), and the UTF-8 of "ó" is "Ăł" (3 against 4). A letter of another script amid Latin letters ("SPӣKA")
    and a sign glued to a letter ("Ä…" for "ą") are what misreading looks like, and weigh heavily against.
    """
    text = word.decode(encoding)
    expected = _LETTERS_BY_COUNTRY.get(country, _ANY_LANGUAGE)
    has_latin = any((ch.isascii() and ch.isalpha()) or ch in _EUROPEAN_LATIN for ch in text)
    score = 0
    for index, ch in enumerate(text):
        if ch.isascii():
            continue
        if ch.isalpha():
            if ch in expected:
                score += _LANGUAGE_LETTER * len(ch.encode(encoding))
            elif ch in _EUROPEAN_LATIN:
                score += _OTHER_LATIN * len(ch.encode(encoding))
            elif _is_latin(ch) or not has_latin:
                score += _RARE_LETTER  # IPA, Vietnamese, or a word wholly in another script
            else:
                score += _IMPLAUSIBLE
        elif _is_symbol(ch):
            score += _sign_score(text, index, len(ch.encode(encoding)))
        else:
            score += _IMPLAUSIBLE  # a control character, a box-drawing piece
    return score


def _sign_score(text: str, index: int, size: int) -> int:
    """A sign glued to an accented letter is how misread UTF-8 looks ("Ä…" for "ą", "Â" before a no-break
    space); standing apart ("100 €", "§ 5") or joining two plain letters ("O’Brien") it is ordinary text. A
    sign of three or more UTF-8 bytes (€, „, the � a bank's own system left) read back whole is evidence for
    UTF-8: in a single-byte code page those bytes are three glued signs and letters."""
    before = text[index - 1] if index > 0 else " "
    after = text[index + 1] if index < len(text) - 1 else " "
    if (before.isalpha() and not before.isascii()) or (after.isalpha() and not after.isascii()):
        return _IMPLAUSIBLE
    if size >= 3:
        return size
    if (before.isalpha() or after.isalpha()) and text[index] not in _JOINERS:
        return -1
    return _NEUTRAL


def _is_symbol(ch: str) -> bool:
    """Punctuation, a currency or other sign, a space or a soft hyphen; not a control or box-drawing piece."""
    category = unicodedata.category(ch)
    return (category[0] in "PS" or category == "Zs" or ch == "\u00ad") and not 0x2500 <= ord(ch) <= 0x259F


@lru_cache(maxsize=4096)
def _is_latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")
