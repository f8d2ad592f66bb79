"""Creating an invoice-transaction exactly once, even when an answer is lost.

The API has no idempotency key, so a POST whose outcome is unknown is never simply repeated: we first
look for our transaction on the invoice (by the bank reference and line id we sent) and only post again
when it is not there. Nothing here decides what a posting is: the pipeline does, and its outbox remembers.
"""

from __future__ import annotations

import logging
from typing import Any

from reconcile.errors import FlowtlyError, FlowtlyUnavailable
from reconcile.flowtly import assumptions
from reconcile.flowtly.client import FlowtlyClient, OutcomeUnknown
from reconcile.model import BankLine, Posting

log = logging.getLogger(__name__)

# Lost answers in a row before the posting is left for the next run (it stays in the outbox).
MAX_UNKNOWN_OUTCOMES = 5
TRANSACTIONS = "/invoice-transactions"


def find_existing(client: FlowtlyClient, posting: Posting) -> str | None:
    """The IRI of our transaction on the posting's invoice, if the server already has it."""
    params = [(assumptions.INVOICE_FILTER, posting.invoice_iri)]
    for tx in client.iter_collection(TRANSACTIONS, params):
        # Re-check the filter: a server that ignored it would list every invoice's transactions.
        if assumptions.iri_of(tx.get("invoice")) not in (posting.invoice_iri, None):
            continue
        if assumptions.is_our_transaction(tx, posting, client.get_iri):
            return str(tx.get("@id") or f"{TRANSACTIONS}/{tx.get('id')}")
    return None


def create_once(client: FlowtlyClient, posting: Posting, line: BankLine, *, look_first: bool) -> str:
    """Post the invoice-transaction unless it exists; return its IRI.

    `look_first` is set when an earlier attempt (in this run or a crashed one) may have landed. After a
    lost answer we always look before posting again, and wait a little: the server may be struggling.
    """
    payload = assumptions.posting_payload(posting, line)
    for attempt in range(1, MAX_UNKNOWN_OUTCOMES + 1):
        if look_first:
            existing = find_existing(client, posting)
            if existing:
                log.info(
                    "posting for line %s already on %s as %s", posting.line_id, posting.invoice_iri, existing
                )
                return existing
        try:
            created: dict[str, Any] = client.post(TRANSACTIONS, payload)
        except OutcomeUnknown as exc:
            log.warning("%s; looking it up before trying again", exc)
            look_first = True
            if attempt < MAX_UNKNOWN_OUTCOMES:
                client.back_off(attempt)
            continue
        iri = created.get("@id") or (f"{TRANSACTIONS}/{created['id']}" if "id" in created else None)
        if not iri:
            raise FlowtlyError(
                "Flowtly accepted the invoice-transaction but returned no id", method="POST", url=TRANSACTIONS
            )
        return str(iri)
    # The last answer was lost too: one more look settles it, or the posting waits for the next run.
    existing = find_existing(client, posting)
    if existing:
        return existing
    # An outage, not a refusal: the posting may have landed, so it stays in the outbox for the next run.
    raise FlowtlyUnavailable(
        f"could not confirm the posting of bank line {posting.bank_ref or posting.line_id} to "
        f"{posting.invoice_iri}: {MAX_UNKNOWN_OUTCOMES} answers in a row were lost. It is kept and will be "
        "checked on the next run - do not post it by hand.",
        method="POST",
        url=TRANSACTIONS,
    )
