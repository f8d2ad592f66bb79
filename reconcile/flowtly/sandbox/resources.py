"""The shape of Flowtly's resources as the sandbox holds them: IRIs, JSON-LD types, fields and their defaults.

This is the one place that says what an invoice, a client or an invoice-transaction looks like (from the
published schema snapshot, /work/shared/flowtly-api.md); the seed checker, the store, the renderer and the
OpenAPI document all read it. It does no I/O and holds no data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeGuard


@dataclass(frozen=True)
class Resource:
    """One API resource: its collection path, its JSON-LD @type and how its ids look."""

    key: str  # the store's and the state file's name for it
    path: str  # collection path, also the IRI prefix: "/invoices" -> "/invoices/12"
    jsonld_type: str
    string_ids: bool = False  # PaymentMethod ids are strings in the schema, every other id an integer

    def iri(self, item_id: int | str) -> str:
        return f"{self.path}/{item_id}"

    def id_from_iri(self, iri: str) -> int | str | None:
        """The id in an IRI of this resource, or None when the IRI is of something else."""
        prefix = self.path + "/"
        if not iri.startswith(prefix):
            return None
        tail = iri[len(prefix) :]
        if self.string_ids:
            return tail if tail and "/" not in tail else None
        return int(tail) if tail.isdigit() and not tail.startswith("0") else None


CLIENTS = Resource("clients", "/clients", "Client")
INVOICES = Resource("invoices", "/invoices", "Invoice")
INVOICE_ROWS = Resource("invoiceRows", "/invoice-rows", "InvoiceRow")
PAYMENT_METHODS = Resource("paymentMethods", "/payment-methods", "PaymentMethod", string_ids=True)
INVOICE_TRANSACTIONS = Resource("invoiceTransactions", "/invoice-transactions", "InvoiceTransaction")
RESOURCES: tuple[Resource, ...] = (CLIENTS, INVOICES, INVOICE_ROWS, PAYMENT_METHODS, INVOICE_TRANSACTIONS)

# Every field of the published Invoice schema, in its order, with what the sandbox assumes when a seed
# leaves it out. API Platform renders every field of the serialization group, null or not.
INVOICE_DEFAULTS: dict[str, Any] = {
    "name": None, "type": "vat", "parent": None, "childrenInvoices": [], "client": None,
    "tinType": None, "tinCountry": None, "tin": None, "bankAccount": None, "amountNet": None,
    "amount": None, "currency": None, "conversionRate": None, "generatedPdfExternalId": None,
    "issueDate": None, "saleDate": None, "dueDate": None, "targetAmount": None, "paymentMethod": None,
    "paidInAdvance": False, "notes": None, "correctionReason": None, "invoiceRows": [], "eInvoicing": None,
    "invoiceTransactions": [], "internalComment": None, "targetAmountNet": None, "status": "created",
}  # fmt: skip
CLIENT_DEFAULTS: dict[str, Any] = {
    "name": None, "tin": None, "tinType": None, "tinCountry": None, "country": None, "currency": None,
    "dueDays": None, "status": None,
}  # fmt: skip
INVOICE_ROW_DEFAULTS: dict[str, Any] = {
    "classificationNumber": None, "unit": None, "quantity": None, "vatRate": None, "netPrice": None,
    "netDiscountAmount": None, "productName": None, "project": None, "parentInvoiceRow": None,
    "invoiceChildrenRows": [],
}  # fmt: skip
PAYMENT_METHOD_DEFAULTS: dict[str, Any] = {
    "type": None, "ccBrand": None, "ccLastDigits": None, "ccExpMonth": None, "ccExpYear": None,
    "externalId": None,
}  # fmt: skip

# Invoice amounts in the invoice's currency: Decimal inside, rendered with the currency's decimals.
INVOICE_MONEY_FIELDS = ("amount", "amountNet", "targetAmount", "targetAmountNet")
INVOICE_DATE_FIELDS = ("issueDate", "saleDate", "dueDate")
# Fields a merge patch may not change: identity and relations the server maintains. API Platform
# ignores attributes outside the write group silently, and so does the sandbox.
INVOICE_READ_ONLY = frozenset(
    {"@context", "@id", "@type", "id", "invoiceTransactions", "childrenInvoices", "invoiceRows", "parent"}
)

_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_api_date(value: object) -> date | None:
    """The calendar date of a "YYYY-MM-DD" string (a full ISO date-time is cut to its date), else None."""
    if not isinstance(value, str) or not _DATE_TEXT.match(value):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def is_number(value: object) -> TypeGuard[int | float | Decimal]:
    """True for a JSON number (bool is not one, although Python says it is an int)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def decimalise(value: Any) -> Any:
    """The same JSON value with every float turned into a Decimal, so no float survives past the boundary."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: decimalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decimalise(v) for v in value]
    return value
