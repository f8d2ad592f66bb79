"""Every assumption reconcile makes about the parts of Flowtly's API that Flowtly does not publish.

One module, so that when Flowtly answers a question, one file changes. Each assumption cites the line of
../shared/flowtly-api.md ("Assumed where Flowtly publishes nothing") it implements. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from reconcile.model import BankLine, Invoice, Posting
from reconcile.money import parse_amount, quantize, to_json_number

# Documented statuses are created, edited, sent. Which of them are "open" is ours to decide: all three,
# since a sent invoice is the usual one to be paid and created/edited ones can be paid early.
OPEN_STATUSES: frozenset[str] = frozenset({"created", "edited", "sent"})
# Statuses that mean "not a receivable" if a deployment uses them (undocumented; defensive).
CLOSED_STATUSES: frozenset[str] = frozenset({"draft", "paid", "cancelled", "canceled", "void", "deleted"})

# The filters we send; servers silently ignore unknown filters, so each is re-checked in `is_open`.
STATUS_FILTER = "status[]"
ISSUE_DATE_AFTER_FILTER = "issueDate[after]"
INVOICE_FILTER = "invoice"  # on /invoice-transactions
# Doctrine pages with LIMIT/OFFSET and no ORDER BY unless asked: without a stable order an invoice may
# appear on two pages or on none. Asking costs nothing where the order filter is missing (it is ignored).
STABLE_ORDER = ("order[id]", "asc")
# Flowtly publishes no largest page; API Platform honours `itemsPerPage` only up to the server's maximum
# ("may be capped, so read what came back"). 100 is API Platform's usual cap and the sandbox's: asking for
# more buys nothing, and a configuration that asks for more is refused so that a typo does not go unseen.
MAX_ITEMS_PER_PAGE = 100

DEFAULT_CURRENCY = "PLN"  # `currency` is nullable; Flowtly's home market is Poland.

_IRI_ID = re.compile(r"/(\d+|[A-Za-z0-9_-]+)$")


def iri_of(value: Any) -> str | None:
    """An IRI from a relation: a string IRI as is, an embedded object's `@id`."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        iri = value.get("@id")
        return iri if isinstance(iri, str) else None
    return None


def is_iri(value: str) -> bool:
    """Assumed: a `client` value that starts with '/' is an IRI; anything else is the client's name."""
    return value.startswith("/")


def id_from_iri(iri: str) -> str:
    match = _IRI_ID.search(iri)
    return match.group(1) if match else iri


def _amount(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    return parse_amount(value)


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _sum_amounts(items: Any, resolve: Callable[[str], Mapping[str, Any]]) -> Decimal:
    """Sum of related resources' `amount`s; each may come embedded (with `amount`) or as a bare IRI,
    which `resolve` fetches."""
    total = Decimal(0)
    for item in items or []:
        if isinstance(item, Mapping) and "amount" in item:
            total += _amount(item.get("amount"))
        elif iri := iri_of(item):
            total += _amount(resolve(iri).get("amount"))
    return total


def corrections_total(invoice: Mapping[str, Any], resolve: Callable[[str], Mapping[str, Any]]) -> Decimal:
    """Sum of the invoice's corrections (`childrenInvoices`, usually negative amounts)."""
    return _sum_amounts(invoice.get("childrenInvoices"), resolve)


def paid_total(invoice: Mapping[str, Any], resolve: Callable[[str], Mapping[str, Any]]) -> Decimal:
    """Sum of the invoice's `invoiceTransactions` amounts."""
    return _sum_amounts(invoice.get("invoiceTransactions"), resolve)


def open_amount(invoice: Mapping[str, Any], resolve: Callable[[str], Mapping[str, Any]]) -> Decimal:
    """Assumed: open = `amount` + corrections (childrenInvoices) − Σ invoiceTransactions.amount."""
    currency = invoice_currency(invoice)
    gross = _amount(invoice.get("amount"))
    return quantize(gross + corrections_total(invoice, resolve) - paid_total(invoice, resolve), currency)


def invoice_currency(invoice: Mapping[str, Any]) -> str:
    return str(invoice.get("currency") or DEFAULT_CURRENCY).upper()


def open_invoice_filters(issued_after: date | None) -> list[tuple[str, str]]:
    """The query for GET /invoices: open statuses, the look-back window, a stable order.

    Each is only a hint to the server: `may_be_open` checks every one of them again.
    """
    params = [(STATUS_FILTER, s) for s in sorted(OPEN_STATUSES)]
    if issued_after is not None:
        params.append((ISSUE_DATE_AFTER_FILTER, issued_after.isoformat()))
    params.append(STABLE_ORDER)
    return params


def may_be_open(invoice: Mapping[str, Any], *, issued_after: date | None) -> bool:
    """Everything `is_open` checks except the open amount, which may cost requests to compute.

    Assumed: drafts, `paidInAdvance` invoices and corrections are not open. Re-checks the filters we sent
    (status, issue date), since a server may have ignored them; like API Platform's DateFilter (its default
    "exclude null"), an invoice without an issue date is outside any look-back window.
    """
    status = str(invoice.get("status") or "").lower()
    if status in CLOSED_STATUSES or status not in OPEN_STATUSES:
        return False
    if invoice.get("paidInAdvance"):
        return False
    if invoice.get("parent"):  # a correction is settled through its parent invoice
        return False
    if issued_after is not None:
        issued = _date(invoice.get("issueDate"))
        if issued is None or issued < issued_after:
            return False
    return True


def is_open(invoice: Mapping[str, Any], open_amt: Decimal, *, issued_after: date | None) -> bool:
    """Assumed: open means `may_be_open` and something left to pay (a positive open amount)."""
    return may_be_open(invoice, issued_after=issued_after) and open_amt > 0


def ksef_number(invoice: Mapping[str, Any]) -> str | None:
    einv = invoice.get("eInvoicing")
    if isinstance(einv, Mapping):
        number = einv.get("einvoicingNumber")
        if isinstance(number, str) and number.strip():
            return number.strip()
    return None


def to_invoice(
    invoice: Mapping[str, Any], *, open_amt: Decimal, client_name: str | None, client_iri: str | None
) -> Invoice:
    currency = invoice_currency(invoice)
    iri = str(invoice.get("@id") or f"/invoices/{invoice.get('id')}")
    return Invoice(
        iri=iri,
        id=invoice.get("id") or id_from_iri(iri),
        name=str(invoice.get("name") or ""),
        client_name=client_name,
        client_iri=client_iri,
        amount=quantize(_amount(invoice.get("amount")), currency),
        open_amount=open_amt,
        currency=currency,
        status=str(invoice.get("status") or ""),
        due_date=_date(invoice.get("dueDate")),
        issue_date=_date(invoice.get("issueDate")),
        bank_account=(
            str(invoice["bankAccount"]).replace(" ", "").upper() if invoice.get("bankAccount") else None
        ),
        ksef_number=ksef_number(invoice),
        client_tin=str(invoice["tin"]) if invoice.get("tin") else None,
    )


def transaction_payload(line: BankLine) -> dict[str, Any]:
    """Assumed: the embedded `transaction` object describing the bank line (no public /transactions exists)."""
    return {
        "bankReference": line.bank_ref or line.line_id,
        "externalId": line.line_id,
        "date": line.booking_date.isoformat(),
        "amount": to_json_number(line.amount, line.currency),
        "currency": line.currency,
        "counterpartyName": line.counterparty_name,
        "counterpartyAccount": line.counterparty_iban,
        "title": line.remittance,
        "account": line.account,
    }


def posting_payload(posting: Posting, line: BankLine) -> dict[str, Any]:
    """Assumed body of POST /invoice-transactions: invoice IRI, amount in the invoice's currency (2
    decimals), the booking date, and the embedded transaction."""
    return {
        "invoice": posting.invoice_iri,
        "amount": to_json_number(posting.amount, posting.currency),
        "date": posting.booking_date.isoformat(),
        "transaction": transaction_payload(line),
    }


def posting_reference(posting: Posting) -> str:
    """What identifies our posting among an invoice's transactions: the bank reference we sent."""
    return posting.bank_ref or posting.line_id


def is_our_transaction(
    tx: Mapping[str, Any],
    posting: Posting,
    resolve: Callable[[str], Mapping[str, Any]] | None = None,
) -> bool:
    """Whether an invoice-transaction found on the server is the one `posting` describes.

    Used before re-posting after an unknown outcome (timeout, dropped connection): the API has no
    idempotency key, so the embedded transaction's bankReference / externalId are our key. A server that
    stored the embedded object as a resource of its own may list it as an IRI: `resolve` reads it.
    """
    tx_obj = tx.get("transaction")
    if isinstance(tx_obj, str) and resolve is not None and is_iri(tx_obj):
        tx_obj = resolve(tx_obj)
    if not isinstance(tx_obj, Mapping):
        return False
    if tx_obj.get("externalId") == posting.line_id:
        return True
    return bool(posting.bank_ref) and tx_obj.get("bankReference") == posting.bank_ref


def creditor_reference_bodies(number_key: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Assumed: a company that prints a structured creditor reference on its invoices builds it on the
    invoice number, since Flowtly publishes no creditor-reference field ("Formats met in payment titles").
    From the number's key (its letters and digits, upper case, accents dropped): the body of an RF reference
    (ISO 11649 allows letters: the key itself, RF.. FV2026040123 for FV/2026/04/0123), and the body of an
    all-digit one (OGM, QR, Finnish, KID, FIK: the key's digits without leading zeros, 2026040123)."""
    return number_key, number_key.str.replace_all(r"[^0-9]", "").str.strip_chars_start("0")
