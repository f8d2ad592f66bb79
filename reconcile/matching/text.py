"""Text normalisation shared by reference and name matching: upper case, no accents, no punctuation."""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not decompose into a base letter plus an accent.
SPECIAL_LETTERS = {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss", "Æ": "AE",
                   "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th"}  # fmt: skip
_SPECIAL = str.maketrans(SPECIAL_LETTERS)
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")


def fold(text: str) -> str:
    """Upper case ASCII letters and digits; everything else becomes a single space."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", ascii_only.upper()).strip()


def tokens(text: str) -> list[str]:
    folded = fold(text)
    return folded.split() if folded else []
