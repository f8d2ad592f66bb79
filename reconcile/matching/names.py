"""Comparing a payer's name on a bank line with an invoice's client name.

Banks truncate, reorder and upper-case names, and drop or abbreviate legal forms ("ACME SP Z O O" for
"Acme sp. z o.o."), so names are folded and stripped of legal forms before rapidfuzz compares them.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from rapidfuzz import fuzz

from reconcile.matching.text import tokens

# Legal-form words in the languages our customers' payers write; removed before comparing.
LEGAL_FORMS = frozenset(["SP", "Z", "O", "OO", "SPOLKA", "OGRANICZONA", "ODPOWIEDZIALNOSCIA", "KOMANDYTOWA", "JAWNA", "AKCYJNA", "SA", "SK", "SKA", "SJ", "SC", "SPK", "GMBH", "MBH", "AG", "KG", "OHG", "UG", "EK", "EV", "CO", "KGAA", "HAFTUNGSBESCHRANKT", "LTD", "LIMITED", "PLC", "LLC", "LLP", "INC", "CORP", "CORPORATION", "COMPANY", "BV", "NV", "VOF", "SRL", "SARL", "SAS", "SASU", "SPA", "SL", "SLU", "OY", "OYJ", "AB", "AS", "ASA", "APS", "A", "S", "I"])  # fmt: skip


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """Folded name without legal forms; falls back to all words if nothing else is left."""
    words = tokens(name)
    core = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(core or words)


def similarity(a: str | None, b: str | None) -> float:
    """0..1; word order does not matter (banks write 'KOWALSKI JAN' for 'Jan Kowalski')."""
    if not a or not b:
        return 0.0
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return 0.0
    return fuzz.token_sort_ratio(ka, kb) / 100.0


class NameIndex:
    """Client names by their significant words, to block lines to clients that share a word.

    A word shared by many clients ("POLSKA", "TRANS") is no lead: it would make every such client a
    candidate for every such payer, an N x M comparison in disguise. Those words are skipped.
    """

    def __init__(self, min_word: int = 3, max_clients_per_word: int = 25) -> None:
        self.min_word = min_word
        self.max_clients_per_word = max_clients_per_word
        self.by_word: dict[str, set[str]] = defaultdict(set)

    def add(self, client_name: str) -> None:
        for word in name_key(client_name).split():
            if len(word) >= self.min_word:
                self.by_word[word].add(client_name)

    def sharing_a_word(self, payer: str) -> set[str]:
        found: set[str] = set()
        for word in name_key(payer).split():
            clients = self.by_word.get(word, set())
            if len(clients) <= self.max_clients_per_word:
                found |= clients
        return found

    def best_clients(self, payer: str, *, threshold: float, limit: int) -> list[str]:
        """The few client names most like the payer's, at or above `threshold`."""
        scored = [(similarity(payer, c), c) for c in self.sharing_a_word(payer)]
        scored = sorted((s for s in scored if s[0] >= threshold), reverse=True)
        return [c for _, c in scored[:limit]]
