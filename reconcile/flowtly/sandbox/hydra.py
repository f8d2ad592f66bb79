"""Rendering as API Platform does: JSON-LD items, Hydra collections in both dialects, RFC 7807 problems.

`hydra_prefix=True` speaks API Platform 2/3 ("hydra:member", "hydra:view", "hydra:Error"); False speaks
API Platform 4 ("member", "view", "Error"). Amounts leave as JSON numbers rounded to the currency's
decimals (the float boundary of reconcile.money); nothing here reads or changes the store's tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from reconcile.money import to_json_number

from .resources import (
    CLIENT_DEFAULTS,
    CLIENTS,
    INVOICE_DEFAULTS,
    INVOICE_MONEY_FIELDS,
    INVOICE_ROW_DEFAULTS,
    INVOICE_ROWS,
    INVOICE_TRANSACTIONS,
    INVOICES,
    PAYMENT_METHOD_DEFAULTS,
    PAYMENT_METHODS,
    Resource,
)
from .store import Store

# API Platform 3 titles every error the same way; the detail says what happened.
ERROR_TITLE = "An error occurred"


@dataclass
class Violation:
    """One failed constraint, worded and coded as Symfony's validator does."""

    property_path: str
    message: str
    code: str


class ApiProblem(Exception):
    """Raised by a handler to answer with an RFC 7807 problem instead of a resource."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        violations: Sequence[Violation] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.violations = list(violations)
        self.headers = headers or {}


@dataclass
class PageSlice:
    """One page of a filtered collection; `total` is None under partial pagination."""

    members: list[dict[str, Any]]
    page: int
    size: int
    total: int | None
    query: list[tuple[str, str]] = field(default_factory=list)  # the request's query, kept in view links


class Renderer:
    """Turns stored records into API Platform's JSON-LD, in the dialect the options ask for."""

    def __init__(self, store: Store, *, hydra_prefix: bool) -> None:
        self.store = store
        self.prefix = "hydra:" if hydra_prefix else ""
        self._members: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "clients": self.client,
            "invoices": self.invoice,
            "invoiceRows": self.invoice_row,
            "paymentMethods": self.payment_method,
            "invoiceTransactions": self.payment,
        }

    # -- items ------------------------------------------------------------------------------------

    def item(self, resource: Resource, record: dict[str, Any]) -> dict[str, Any]:
        """A resource on its own: its members' shape plus the @context."""
        body = self._members[resource.key](record)
        return {"@context": f"/contexts/{resource.jsonld_type}", **body}

    def invoice(self, record: dict[str, Any]) -> dict[str, Any]:
        currency = record.get("currency") or ""
        body = _head(INVOICES, record)
        for key in INVOICE_DEFAULTS:
            value = record.get(key)
            if key in INVOICE_MONEY_FIELDS:
                body[key] = _money(value, currency)
            elif key == "childrenInvoices":
                body[key] = [self._correction(iri) for iri in value or []]
            elif key == "invoiceRows":
                body[key] = [self._embedded_row(iri) for iri in value or []]
            elif key == "invoiceTransactions":
                body[key] = [
                    self._embedded_payment(p, currency) for p in self.store.payments_of(record["id"])
                ]
            else:
                body[key] = jsonable(value)
        body.update(_extras(record, INVOICE_DEFAULTS))
        return body

    def client(self, record: dict[str, Any]) -> dict[str, Any]:
        return _plain(_head(CLIENTS, record), record, CLIENT_DEFAULTS)

    def invoice_row(self, record: dict[str, Any]) -> dict[str, Any]:
        return _plain(_head(INVOICE_ROWS, record), record, INVOICE_ROW_DEFAULTS)

    def payment_method(self, record: dict[str, Any]) -> dict[str, Any]:
        return _plain(_head(PAYMENT_METHODS, record), record, PAYMENT_METHOD_DEFAULTS)

    def payment(self, record: dict[str, Any]) -> dict[str, Any]:
        """An invoice-transaction on its own: `invoice` is an IRI, as every relation in a read."""
        body = self._embedded_payment(record, self._currency_of(record["invoice"]))
        return {**_head(INVOICE_TRANSACTIONS, record), "invoice": record["invoice"], **body}

    def _embedded_payment(self, record: dict[str, Any], currency: str) -> dict[str, Any]:
        return {
            **_head(INVOICE_TRANSACTIONS, record),
            "amount": _money(record["amount"], currency),
            "date": record["date"],
            "transaction": jsonable(record["transaction"]),
        }

    def _correction(self, iri: str) -> dict[str, Any]:
        child = self.store.get(INVOICES, INVOICES.id_from_iri(iri) or 0)
        if child is None:  # cannot happen while corrections are read-only; never fail a read on it
            return {"@id": iri, "@type": INVOICES.jsonld_type}
        currency = child.get("currency") or ""
        return {
            **_head(INVOICES, child),
            "name": child["name"],
            "amount": _money(child["amount"], currency),
            "currency": child.get("currency"),
            "status": child.get("status"),
        }

    def _embedded_row(self, iri: str) -> dict[str, Any] | str:
        row = self.store.get(INVOICE_ROWS, INVOICE_ROWS.id_from_iri(iri) or 0)
        return self.invoice_row(row) if row is not None else iri

    def _currency_of(self, invoice_iri: str) -> str:
        invoice = self.store.get(INVOICES, INVOICES.id_from_iri(invoice_iri) or 0)
        return (invoice or {}).get("currency") or ""

    # -- collections ------------------------------------------------------------------------------

    def collection(self, resource: Resource, page: PageSlice) -> dict[str, Any]:
        p = self.prefix
        render = self._members[resource.key]
        body: dict[str, Any] = {
            "@context": f"/contexts/{resource.jsonld_type}",
            "@id": resource.path,
            "@type": f"{p}Collection",
            f"{p}totalItems": page.total,
            f"{p}member": [render(record) for record in page.members],
            f"{p}view": self._view(resource, page),
        }
        if page.total is None:
            del body[f"{p}totalItems"]
        return body

    def _view(self, resource: Resource, page: PageSlice) -> dict[str, Any]:
        """The PartialCollectionView: links keep every filter of the request and change only `page`.

        As API Platform's PartialCollectionViewNormalizer: first/last only when the total is known;
        under partial pagination `next` appears whenever the page is full, so the last link may lead
        to an empty page.
        """
        p = self.prefix

        def link(number: int) -> str:
            return f"{resource.path}?{urlencode([*page.query, ('page', str(number))])}"

        view: dict[str, Any] = {"@id": link(page.page), "@type": f"{p}PartialCollectionView"}
        last = None
        if page.total is not None:
            last = max(1, -(-page.total // page.size)) if page.size else 1
            view[f"{p}first"] = link(1)
            view[f"{p}last"] = link(last)
        if page.page > 1:
            view[f"{p}previous"] = link(page.page - 1)
        has_next = page.page < last if last is not None else page.size > 0 and len(page.members) >= page.size
        if has_next:
            view[f"{p}next"] = link(page.page + 1)
        return view

    # -- problems ---------------------------------------------------------------------------------

    def problem(self, problem: ApiProblem) -> dict[str, Any]:
        """RFC 7807 with API Platform's JSON-LD additions, in the configured dialect."""
        if problem.violations:
            return self._violations(problem)
        body: dict[str, Any] = {
            "@context": "/contexts/Error",
            "@id": f"/errors/{problem.status}",
            "@type": f"{self.prefix}Error",
            "title": ERROR_TITLE,
            "detail": problem.detail,
            "status": problem.status,
            "type": f"/errors/{problem.status}",
        }
        body.update(self._describe(problem.detail))
        return body

    def _violations(self, problem: ApiProblem) -> dict[str, Any]:
        first_code = problem.violations[0].code
        body: dict[str, Any] = {
            "@context": "/contexts/ConstraintViolationList",
            "@id": f"/validation_errors/{first_code}",
            "@type": "ConstraintViolationList",
            "status": problem.status,
            "violations": [
                {"propertyPath": v.property_path, "message": v.message, "code": v.code}
                for v in problem.violations
            ],
            "detail": problem.detail,
            "type": f"/validation_errors/{first_code}",
            "title": ERROR_TITLE,
        }
        body.update(self._describe(problem.detail))
        return body

    def _describe(self, detail: str) -> dict[str, str]:
        if self.prefix:
            return {"hydra:title": ERROR_TITLE, "hydra:description": detail}
        return {"description": detail}


def strip_jsonld(value: Any) -> Any:
    """The plain `application/json` format: the same data without @context/@id/@type.

    API Platform answers `Accept: application/json` this way, and a collection then is a bare list with
    no pagination links at all: a client that forgets `Accept: application/ld+json` reads one page.
    """
    if isinstance(value, dict):
        members = value.get("member", value.get("hydra:member"))
        if isinstance(members, list):
            return [strip_jsonld(v) for v in members]
        return {k: strip_jsonld(v) for k, v in value.items() if not k.startswith("@")}
    if isinstance(value, list):
        return [strip_jsonld(v) for v in value]
    return value


def jsonable(value: Any) -> Any:
    """A stored value ready for json.dumps: Decimals become numbers (floats only at this boundary)."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def _money(value: Decimal | None, currency: str) -> float | None:
    return None if value is None else to_json_number(value, currency)


def _head(resource: Resource, record: dict[str, Any]) -> dict[str, Any]:
    return {"@id": record["@id"], "@type": resource.jsonld_type, "id": record["id"]}


def _plain(body: dict[str, Any], record: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    for key in defaults:
        body[key] = jsonable(record.get(key))
    body.update(_extras(record, defaults))
    return body


def _extras(record: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Fields a seed carried beyond the published schema, rendered as given."""
    return {k: jsonable(v) for k, v in record.items() if k not in defaults and k not in ("@id", "id")}
