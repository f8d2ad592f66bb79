"""Fetching the open invoices a run matches against, with client names resolved once per run.

Only what a run needs is asked for (open statuses, issued within the look-back window), and every
predicate is checked again here, because API Platform silently ignores filters it does not know.
Nothing here decides what "open" means: flowtly.assumptions does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from reconcile.errors import FlowtlyNotFound
from reconcile.flowtly import assumptions
from reconcile.flowtly.client import FlowtlyClient
from reconcile.model import Invoice

log = logging.getLogger(__name__)

# Past this many distinct clients, reading the /clients collection page by page costs fewer requests
# than one GET per client.
BULK_CLIENTS_THRESHOLD = 30


class ResourceCache:
    """GETs each IRI at most once per run (client names, corrections, transactions given as IRIs)."""

    def __init__(self, client: FlowtlyClient) -> None:
        self.client = client
        self._docs: dict[str, dict[str, Any]] = {}

    def get(self, iri: str) -> dict[str, Any]:
        if iri not in self._docs:
            try:
                self._docs[iri] = self.client.get_iri(iri)
            except FlowtlyNotFound:
                log.warning("%s is referenced but does not exist; treated as empty", iri)
                self._docs[iri] = {}
        return self._docs[iri]

    def prefetch_clients(self, iris: set[str]) -> None:
        """Read many clients through the collection, stopping once every wanted one is known."""
        missing = iris - self._docs.keys()
        if len(missing) <= BULK_CLIENTS_THRESHOLD:
            return
        for doc in self.client.iter_collection("/clients"):
            iri = doc.get("@id")
            if isinstance(iri, str):
                self._docs[iri] = doc
                missing.discard(iri)
                if not missing:
                    return

    def client_name(self, value: Any) -> tuple[str | None, str | None]:
        """(name, iri) of an invoice's `client`: an IRI is resolved, a literal name taken as is."""
        if isinstance(value, Mapping):
            name = value.get("name")
            return (str(name) if name else None, assumptions.iri_of(value))
        if not isinstance(value, str) or not value.strip():
            return None, None
        if not assumptions.is_iri(value):
            return value.strip(), None
        doc = self.get(value)
        name = doc.get("name")
        return (str(name) if name else None), value


@dataclass(frozen=True)
class InvoiceBook:
    """What a run matches against: the open invoices, and those read in the same window that are already
    paid in full (a payment naming one of them is a double payment or a mistake: a person looks)."""

    open: list[Invoice]
    paid: list[Invoice]


def fetch_open_invoices(
    client: FlowtlyClient,
    *,
    issued_after: date | None,
    on_progress: Callable[[int], None] | None = None,
) -> list[Invoice]:
    """The invoices still open, issued on or after `issued_after` (None: however old), with client names."""
    return fetch_invoices(client, issued_after=issued_after, on_progress=on_progress).open


def fetch_invoices(
    client: FlowtlyClient,
    *,
    issued_after: date | None,
    on_progress: Callable[[int], None] | None = None,
) -> InvoiceBook:
    """The invoices issued on or after `issued_after` (None: however old) that are open, with client names,
    and those paid in full (open amount 0, no client name: only their numbers are needed)."""
    cache = ResourceCache(client)
    open_docs: list[tuple[dict[str, Any], Decimal]] = []
    paid: list[Invoice] = []
    seen: set[str] = set()
    params = assumptions.open_invoice_filters(issued_after)
    for n, doc in enumerate(client.iter_collection("/invoices", params), start=1):
        if on_progress:
            on_progress(n)
        iri = str(doc.get("@id") or f"/invoices/{doc.get('id')}")
        if iri in seen:  # a page boundary that moved under us must not double an invoice
            continue
        seen.add(iri)
        # The cheap checks first: computing the open amount may cost a GET per correction or payment.
        if not assumptions.may_be_open(doc, issued_after=issued_after):
            continue
        open_amt = assumptions.open_amount(doc, cache.get)
        if assumptions.is_open(doc, open_amt, issued_after=issued_after):
            open_docs.append((doc, open_amt))
        else:
            paid.append(assumptions.to_invoice(doc, open_amt=Decimal(0), client_name=None, client_iri=None))
    wanted = {d.get("client") for d, _ in open_docs}
    cache.prefetch_clients({c for c in wanted if isinstance(c, str) and assumptions.is_iri(c)})
    invoices: list[Invoice] = []
    for doc, open_amt in open_docs:
        name, client_iri = cache.client_name(doc.get("client"))
        invoices.append(
            assumptions.to_invoice(doc, open_amt=open_amt, client_name=name, client_iri=client_iri)
        )
    log.info("%d open and %d paid invoices among %d read", len(invoices), len(paid), len(seen))
    return InvoiceBook(invoices, paid)
