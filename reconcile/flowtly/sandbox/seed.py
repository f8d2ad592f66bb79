"""Reading and checking the seed: the clients, invoices and payment methods a sandbox starts with.

A seed has the shape of the API's own JSON-LD representations, so a real response can be pasted into one.
Every problem is reported with the file and the item ("seed.json: invoices[3]: 'amount' is missing"), all of
them at once; nothing here starts a server or writes a file.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from reconcile.errors import ConfigError
from reconcile.money import is_exact, parse_amount

from .resources import (
    CLIENT_DEFAULTS,
    CLIENTS,
    INVOICE_DATE_FIELDS,
    INVOICE_DEFAULTS,
    INVOICE_MONEY_FIELDS,
    INVOICE_ROW_DEFAULTS,
    INVOICE_ROWS,
    INVOICE_TRANSACTIONS,
    INVOICES,
    PAYMENT_METHOD_DEFAULTS,
    PAYMENT_METHODS,
    Resource,
    decimalise,
    is_number,
    parse_api_date,
)

Tables = dict[str, dict[Any, dict[str, Any]]]  # resource key -> id -> stored record
_TOP_LEVEL = ("clients", "invoices", "paymentMethods")
_MAX_REPORTED = 20


def load_seed(path: Path) -> dict[str, Any]:
    """Read and check a seed file; raises ConfigError naming the file and every bad item."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the seed file ({exc.strerror})", source=str(path)) from None
    try:
        seed: dict[str, Any] = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", source=Path(path).name
        ) from None
    normalise_seed(seed, source=Path(path).name)
    return seed


def normalise_seed(seed: object, *, source: str = "seed") -> Tables:
    """The seed as the store keeps it: ids assigned, defaults filled, relations as IRIs, amounts Decimal."""
    checker = _SeedChecker(source)
    tables = checker.run(seed)
    checker.raise_if_any()
    return tables


class _SeedChecker:
    """Walks a seed once, collecting every problem instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, place: str, message: str) -> None:
        self.problems.append(f"{place}: {message}")

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        shown = self.problems[:_MAX_REPORTED]
        more = len(self.problems) - len(shown)
        message = "; ".join(shown) + (f"; and {more} more problems" if more else "")
        raise ConfigError(message, source=self.source)

    def run(self, seed: object) -> Tables:
        tables: Tables = {r.key: {} for r in (CLIENTS, INVOICES, INVOICE_ROWS, PAYMENT_METHODS)}
        tables[INVOICE_TRANSACTIONS.key] = {}
        if not isinstance(seed, dict):
            self.problem("(top)", "a seed must be a JSON object with clients, invoices and paymentMethods")
            return tables
        for key in sorted(set(seed) - set(_TOP_LEVEL)):
            self.problem(key, f"unknown key; a seed holds only {', '.join(_TOP_LEVEL)}")
        items = {key: self._list(seed, key) for key in _TOP_LEVEL}
        tables[CLIENTS.key] = self._with_ids(CLIENTS, items["clients"], "clients")
        tables[PAYMENT_METHODS.key] = self._with_ids(
            PAYMENT_METHODS, items["paymentMethods"], "paymentMethods"
        )
        raw_invoices = self._with_ids(INVOICES, items["invoices"], "invoices")
        for record in tables[CLIENTS.key].values():
            self._client(record)
        for record in tables[PAYMENT_METHODS.key].values():
            record.pop("_place")
            _fill(record, PAYMENT_METHOD_DEFAULTS)
        self._invoices(raw_invoices, tables)
        return tables

    def _list(self, seed: dict[str, Any], key: str) -> list[Any]:
        value = seed.get(key, [])
        if not isinstance(value, list):
            self.problem(key, "must be a list")
            return []
        return value

    def _with_ids(self, resource: Resource, items: list[Any], key: str) -> dict[Any, dict[str, Any]]:
        """Records keyed by id: given ids kept (and checked against @id), missing ones assigned after them."""
        given: dict[Any, dict[str, Any]] = {}
        pending: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            place = f"{key}[{index}]"
            if not isinstance(item, dict):
                self.problem(place, "must be an object")
                continue
            record = decimalise(item)
            record["_place"] = place
            item_id = self._item_id(resource, record, place)
            if item_id is None:
                pending.append(record)
            elif item_id in given:
                self.problem(place, f"id {item_id!r} is already used by {given[item_id]['_place']}")
            else:
                given[item_id] = record
        next_id = 1 + max((i for i in given if isinstance(i, int)), default=0)
        for record in pending:
            while (str(next_id) if resource.string_ids else next_id) in given:
                next_id += 1
            given[str(next_id) if resource.string_ids else next_id] = record
        for item_id, record in given.items():
            record["id"] = item_id
            record["@id"] = resource.iri(item_id)
            record.pop("@type", None)
            record.pop("@context", None)
        return given

    def _item_id(self, resource: Resource, record: dict[str, Any], place: str) -> Any:
        item_id = record.get("id")
        iri = record.get("@id")
        if item_id is not None:
            valid = isinstance(item_id, str) and item_id if resource.string_ids else _positive_int(item_id)
            if not valid:
                kind = "a non-empty string" if resource.string_ids else "a positive whole number"
                self.problem(place, f"'id' must be {kind}, not {item_id!r}")
                return None
        if iri is not None:
            from_iri = resource.id_from_iri(iri) if isinstance(iri, str) else None
            if from_iri is None:
                self.problem(place, f"'@id' must look like \"{resource.iri(1)}\", not {iri!r}")
            elif item_id is not None and from_iri != item_id:
                self.problem(place, f"'@id' {iri!r} does not match 'id' {item_id!r}")
            elif item_id is None:
                item_id = from_iri
        return item_id

    def _client(self, record: dict[str, Any]) -> None:
        place = record.pop("_place")
        if not _text(record.get("name")):
            self.problem(
                place, "'name' is missing" if "name" not in record else "'name' must be a non-empty text"
            )
        _fill(record, CLIENT_DEFAULTS)

    def _invoices(self, raw: dict[Any, dict[str, Any]], tables: Tables) -> None:
        clients = tables[CLIENTS.key]
        for record in raw.values():
            place = record["_place"]
            self._invoice_fields(record, place, clients)
            record["invoiceRows"] = self._rows(record.get("invoiceRows", []), place, tables)
            self._payments(record, place, tables)
        self._corrections(raw)
        for invoice_id, record in raw.items():
            record.pop("_place")
            _fill(record, INVOICE_DEFAULTS)
            record.pop("invoiceTransactions", None)  # the store indexes them by invoice
            tables[INVOICES.key][invoice_id] = record

    def _invoice_fields(self, record: dict[str, Any], place: str, clients: dict[Any, Any]) -> None:
        if not _text(record.get("name")):
            self.problem(
                place, "'name' is missing" if "name" not in record else "'name' must be a non-empty text"
            )
        currency = record.get("currency")
        if currency is not None and not (
            isinstance(currency, str) and len(currency) == 3 and currency.isalpha()
        ):
            self.problem(
                place, f"'currency' must be a three-letter ISO code such as \"PLN\", not {currency!r}"
            )
            currency = None
        for field in INVOICE_MONEY_FIELDS:
            self._money(record, field, place, currency or "", required=field == "amount")
        for field in INVOICE_DATE_FIELDS:
            value = record.get(field)
            if field == "issueDate" and value is None:
                self.problem(place, "'issueDate' is missing")
            elif value is not None and parse_api_date(value) is None:
                self.problem(place, f"'{field}' must be a date written YYYY-MM-DD, not {value!r}")
        client = record.get("client")
        if not isinstance(client, str) or not client.strip():
            self.problem(
                place, "'client' is missing" if client is None else "'client' must be an IRI or a name"
            )
        elif client.startswith("/") and CLIENTS.id_from_iri(client) not in clients:
            self.problem(place, f"'client' {client!r} is not among the seeded clients")
        if not isinstance(record.get("paidInAdvance", False), bool):
            self.problem(place, "'paidInAdvance' must be true or false")
        einvoicing = record.get("eInvoicing")
        if einvoicing is not None and not isinstance(einvoicing, dict):
            self.problem(place, "'eInvoicing' must be an object or null")

    def _money(
        self, record: dict[str, Any], field: str, place: str, currency: str, *, required: bool
    ) -> None:
        value = record.get(field)
        if value is None:
            if required:
                self.problem(place, f"'{field}' is missing")
            return
        if not is_number(value):
            self.problem(place, f"'{field}' must be a number, not {value!r}")
            return
        amount = parse_amount(value)
        if not is_exact(amount, currency):
            self.problem(
                place, f"'{field}' {amount} has more decimals than {currency or 'the currency'} allows"
            )
        record[field] = amount

    def _rows(self, rows: object, place: str, tables: Tables) -> list[str]:
        """Embedded invoice rows become InvoiceRow resources; the invoice keeps their IRIs."""
        if not isinstance(rows, list):
            self.problem(place, "'invoiceRows' must be a list")
            return []
        table = tables[INVOICE_ROWS.key]
        iris = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                self.problem(f"{place}.invoiceRows[{index}]", "must be an object")
                continue
            row = {k: v for k, v in row.items() if k not in ("@id", "@type", "id")}
            row_id = len(table) + 1
            row["id"] = row_id
            row["@id"] = INVOICE_ROWS.iri(row_id)
            table[row_id] = _fill(row, INVOICE_ROW_DEFAULTS)
            iris.append(row["@id"])
        return iris

    def _payments(self, record: dict[str, Any], place: str, tables: Tables) -> None:
        """Payments already booked in Flowtly: a seed may start with partly paid invoices."""
        payments = record.get("invoiceTransactions", [])
        if not isinstance(payments, list):
            self.problem(place, "'invoiceTransactions' must be a list")
            return
        table = tables[INVOICE_TRANSACTIONS.key]
        for index, payment in enumerate(payments):
            where = f"{place}.invoiceTransactions[{index}]"
            if not isinstance(payment, dict):
                self.problem(where, "must be an object")
                continue
            amount = payment.get("amount")
            if not is_number(amount):
                self.problem(where, "'amount' is missing" if amount is None else "'amount' must be a number")
                continue
            if parse_api_date(payment.get("date")) is None:
                self.problem(where, "'date' must be a date written YYYY-MM-DD")
                continue
            transaction = payment.get("transaction") or {}
            if not isinstance(transaction, dict):
                self.problem(where, "'transaction' must be an object")
                continue
            tx_id = len(table) + 1
            table[tx_id] = {
                "@id": INVOICE_TRANSACTIONS.iri(tx_id),
                "id": tx_id,
                "invoice": record["@id"],
                "amount": parse_amount(amount),
                "date": payment["date"],
                "transaction": transaction,
            }

    def _corrections(self, invoices: dict[Any, dict[str, Any]]) -> None:
        """Link corrections both ways: a child names its parent, the parent lists its children.

        A seed may say it either way (the child's `parent`, or the parent's `childrenInvoices`); the
        store keeps the child's `parent` as the truth and derives each parent's list from it.
        """
        for record in invoices.values():
            record["parent"] = self._parent_iri(record, invoices)
        for record in invoices.values():
            listed = record.get("childrenInvoices", [])
            if not isinstance(listed, list):
                self.problem(record["_place"], "'childrenInvoices' must be a list of invoice IRIs")
                continue
            for index, child in enumerate(listed):
                iri = child.get("@id") if isinstance(child, dict) else child
                child_id = INVOICES.id_from_iri(iri) if isinstance(iri, str) else None
                place = f"{record['_place']}.childrenInvoices[{index}]"
                if child_id not in invoices:
                    self.problem(place, f"{iri!r} is not a seeded invoice")
                elif invoices[child_id]["parent"] not in (None, record["@id"]):
                    self.problem(place, f"{iri!r} names another parent, {invoices[child_id]['parent']!r}")
                else:
                    invoices[child_id]["parent"] = record["@id"]
        children: dict[Any, list[Any]] = {invoice_id: [] for invoice_id in invoices}
        for invoice_id, record in invoices.items():
            if record["parent"] is not None:
                children[INVOICES.id_from_iri(record["parent"])].append(invoice_id)
        for invoice_id, record in invoices.items():
            record["childrenInvoices"] = [INVOICES.iri(child) for child in sorted(children[invoice_id])]

    def _parent_iri(self, record: dict[str, Any], invoices: dict[Any, dict[str, Any]]) -> str | None:
        parent = record.get("parent")
        iri = parent.get("@id") if isinstance(parent, dict) else parent
        if iri is None:
            return None
        parent_id = INVOICES.id_from_iri(iri) if isinstance(iri, str) else None
        if parent_id is None or parent_id not in invoices or parent_id == record["id"]:
            self.problem(record["_place"], f"'parent' {iri!r} is not another seeded invoice")
            return None
        return INVOICES.iri(parent_id)


def _fill(record: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    for key, value in defaults.items():
        if key not in record:
            record[key] = list(value) if isinstance(value, list) else value
    return record


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
