"""Blocking: the few invoices worth scoring for each bank line, found through indexes, never by trying
every invoice against every line.

Three doors lead to a candidate: a reference in the title (invoice or KSeF number), the exact open amount
in the same currency, and a payer name sharing a significant word with a client's name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from reconcile.matching.names import NameIndex, similarity
from reconcile.matching.references import ReferenceHit, ReferenceIndex
from reconcile.model import BankLine, Invoice
from reconcile.rules import Rules

_REF_STRENGTH = {"ksef": 3, "invoice_number": 2, "invoice_number_loose": 1}


@dataclass(slots=True)
class PairFacts:
    """What blocking learnt about one (line, invoice) pair, for scoring to weigh."""

    invoice: Invoice
    found_by: set[str] = field(default_factory=set)
    reference: ReferenceHit | None = None
    name_similarity: float | None = None

    def add_reference(self, hit: ReferenceHit) -> None:
        if self.reference is None or _REF_STRENGTH[hit.kind] > _REF_STRENGTH[self.reference.kind]:
            self.reference = hit
        self.found_by.add("reference")


class InvoiceBook:
    """The open invoices of a run with their indexes."""

    def __init__(self, invoices: list[Invoice], rules: Rules) -> None:
        self.rules = rules
        self.by_iri: dict[str, Invoice] = {}
        self.refs = ReferenceIndex(min_length=rules.min_reference_length)
        self.by_amount: dict[tuple[str, Decimal], list[str]] = defaultdict(list)
        self.names = NameIndex()
        self.by_client: dict[str, list[str]] = defaultdict(list)
        for inv in invoices:
            self.by_iri[inv.iri] = inv
            self.refs.add(inv.iri, inv.name, inv.ksef_number)
            self.by_amount[(inv.currency, inv.open_amount)].append(inv.iri)
            if inv.client_name:
                self.names.add(inv.client_name)
                self.by_client[inv.client_name].append(inv.iri)

    def __len__(self) -> int:
        return len(self.by_iri)

    def candidates(self, line: BankLine) -> dict[str, PairFacts]:
        facts: dict[str, PairFacts] = {}

        def fact(iri: str) -> PairFacts:
            if iri not in facts:
                facts[iri] = PairFacts(invoice=self.by_iri[iri])
            return facts[iri]

        text = " ".join(t for t in (line.remittance, line.structured_ref, line.end_to_end_id) if t)
        for hit in self.refs.find(text):
            fact(hit.invoice_iri).add_reference(hit)

        same_amount = self.by_amount.get((line.currency, line.amount), [])
        if len(same_amount) <= self.rules.max_amount_candidates:
            for iri in same_amount:
                fact(iri).found_by.add("amount")

        if line.counterparty_name:
            for client in self.names.best_clients(line.counterparty_name, threshold=0.75, limit=5):
                for iri in self.by_client[client][: self.rules.max_amount_candidates]:
                    fact(iri).found_by.add("payer")

        for pair in facts.values():
            pair.name_similarity = (
                similarity(line.counterparty_name, pair.invoice.client_name)
                if line.counterparty_name and pair.invoice.client_name
                else None
            )
        return facts
