"""Checking what clients write, with API Platform's order and Symfony's wording.

API Platform first deserializes (an IRI that resolves to nothing is a 400 "Item not found"), then
validates and reports every failed constraint at once (422 with `violations`). Messages and codes are
Symfony's own constraint messages, so a client meets here what it will meet in production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from reconcile.money import is_exact, minor_units, parse_amount

from .hydra import ApiProblem, Violation
from .resources import (
    INVOICE_DATE_FIELDS,
    INVOICE_DEFAULTS,
    INVOICE_MONEY_FIELDS,
    INVOICE_READ_ONLY,
    INVOICES,
)
from .store import Store

# Symfony validator codes (Symfony\Component\Validator\Constraints\*::*_ERROR).
NOT_BLANK = "c1051bb4-d103-4f74-8988-acbcafc7fdc3"
NOT_NULL = "ad32d13f-c3d4-423b-909a-857b961eb720"
INVALID_TYPE = "ba785a8c-82cb-4283-967c-3cf342181b40"
NOT_EQUAL = "aa2e33da-25c8-4d76-8c6c-812f02ea89dd"
NOT_DIVISIBLE_BY = "6d99d6c3-1464-4ccf-bdc7-14d083cf455c"
DATE_FORMAT = "69819696-02ac-4a99-9ff0-14e127c4d1bc"
DATE_INVALID = "3c184ce5-b31d-4de7-8b76-326da7b2be93"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class NewPayment:
    """A checked POST /invoice-transactions body."""

    invoice_id: int
    amount: Decimal
    date: str
    transaction: dict[str, Any]


def check_new_payment(body: dict[str, Any], store: Store) -> NewPayment:
    """The payment to store, or an ApiProblem: 400 for an unknown invoice IRI, 422 listing every violation."""
    invoice_id, currency, violations = _invoice_ref(body.get("invoice"), store)
    amount = _amount(body.get("amount"), "amount", currency, violations, nonzero=True)
    on = _date(body.get("date"), "date", violations, required=True)
    transaction = _transaction(body.get("transaction"), violations)
    if violations:
        raise validation_failed(violations)
    assert invoice_id is not None and amount is not None and on is not None and transaction is not None
    return NewPayment(invoice_id, amount, on, transaction)


def check_invoice_patch(patch: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The changed fields of a JSON Merge Patch (RFC 7396) on an invoice, or a 422 listing every violation.

    Read-only and unknown attributes are ignored, as API Platform ignores what is outside the write group.
    A null removes a nested key and sets a top-level field to null (an entity field cannot be absent).
    """
    violations: list[Violation] = []
    changes: dict[str, Any] = {}
    currency = patch.get("currency", current.get("currency"))
    for key, value in patch.items():
        if key in INVOICE_READ_ONLY or key not in INVOICE_DEFAULTS:
            continue
        if key in INVOICE_MONEY_FIELDS:
            if value is None and key != "amount":
                changes[key] = None
            else:
                changes[key] = _amount(value, key, currency if isinstance(currency, str) else "", violations)
        elif key in INVOICE_DATE_FIELDS:
            changes[key] = _date(value, key, violations, required=key == "issueDate")
        elif key in ("name", "status", "client"):
            if not isinstance(value, str) or not value.strip():
                violations.append(Violation(key, "This value should not be blank.", NOT_BLANK))
            changes[key] = value
        elif key == "paidInAdvance" and not isinstance(value, bool):
            violations.append(Violation(key, "This value should be of type bool.", INVALID_TYPE))
        elif isinstance(value, dict) and isinstance(current.get(key), dict):
            changes[key] = merge_patch(current[key], value)
        else:
            changes[key] = value
    if violations:
        raise validation_failed(violations)
    return changes


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 applied to a copy: the stored value is never changed in place."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def validation_failed(violations: list[Violation]) -> ApiProblem:
    detail = "\n".join(f"{v.property_path}: {v.message}" for v in violations)
    return ApiProblem(422, detail, violations=violations)


def _invoice_ref(value: object, store: Store) -> tuple[int | None, str, list[Violation]]:
    """The invoice IRI: resolved during deserialization, so an unknown one fails before validation."""
    if value is None or value == "":
        return None, "", [Violation("invoice", "This value should not be blank.", NOT_BLANK)]
    if not isinstance(value, str) or not value.startswith("/"):
        message = 'This value should be an IRI such as "/invoices/12".'
        return None, "", [Violation("invoice", message, INVALID_TYPE)]
    invoice_id = INVOICES.id_from_iri(value)
    invoice = store.get(INVOICES, invoice_id) if isinstance(invoice_id, int) else None
    if invoice is None:
        raise ApiProblem(400, f'Item not found for "{value}".')
    return int(invoice_id), invoice.get("currency") or "", []  # type: ignore[arg-type]


def _amount(
    value: object, path: str, currency: str, violations: list[Violation], *, nonzero: bool = False
) -> Decimal | None:
    if value is None:
        violations.append(Violation(path, "This value should not be blank.", NOT_BLANK))
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        violations.append(Violation(path, "This value should be of type float.", INVALID_TYPE))
        return None
    amount = parse_amount(value)
    if not amount.is_finite():
        violations.append(Violation(path, "This value should be of type float.", INVALID_TYPE))
        return None
    if not is_exact(amount, currency):
        step = Decimal(1).scaleb(-minor_units(currency))
        violations.append(Violation(path, f"This value should be a multiple of {step}.", NOT_DIVISIBLE_BY))
        return None
    if nonzero and amount == 0:  # a payment of nothing is a client bug, never a reconciliation
        violations.append(Violation(path, "This value should not be equal to 0.", NOT_EQUAL))
        return None
    return amount


def _date(value: object, path: str, violations: list[Violation], *, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            violations.append(Violation(path, "This value should not be blank.", NOT_BLANK))
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        violations.append(Violation(path, "This value is not a valid date.", DATE_FORMAT))
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        violations.append(Violation(path, "This value is not a valid date.", DATE_INVALID))
        return None
    return value


def _transaction(value: object, violations: list[Violation]) -> dict[str, Any] | None:
    """The embedded bank line. An IRI would be denormalized as a relation: unknown here, so 400."""
    if value is None:
        violations.append(Violation("transaction", "This value should not be null.", NOT_NULL))
        return None
    if isinstance(value, str) and value.startswith("/"):
        raise ApiProblem(400, f'Item not found for "{value}".')
    if not isinstance(value, dict):
        violations.append(Violation("transaction", "This value should be of type object.", INVALID_TYPE))
        return None
    return value
