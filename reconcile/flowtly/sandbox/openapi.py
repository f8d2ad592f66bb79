"""The OpenAPI 3.1 document of what the sandbox serves, generated from app.ROUTES and the filters.

Every path, method, query parameter and body type comes from the route table the server dispatches on,
so the document cannot list an operation the server lacks or miss one it has. Field types follow the
published Flowtly schema snapshot; nothing here is hand-maintained per endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .filters import PAGINATION_PARAMS
from .resources import RESOURCES, Resource

if TYPE_CHECKING:
    from .app import Route

# Field types of the published schema ("?" = nullable); relations are IRIs (strings) in API Platform.
_FIELDS: dict[str, dict[str, str]] = {
    "Invoice": {
        "id": "integer", "name": "string", "type": "string", "parent": "string?", "childrenInvoices": "array",
        "client": "string", "tinType": "string?", "tinCountry": "string?", "tin": "string?",
        "bankAccount": "string?", "amountNet": "number?", "amount": "number", "currency": "string?",
        "conversionRate": "number?", "generatedPdfExternalId": "string?", "issueDate": "date",
        "saleDate": "date?", "dueDate": "date?", "targetAmount": "number?", "paymentMethod": "string?",
        "paidInAdvance": "boolean", "notes": "string?", "correctionReason": "string?", "invoiceRows": "array",
        "eInvoicing": "object?", "invoiceTransactions": "array", "internalComment": "string?",
        "targetAmountNet": "number?", "status": "string",
    },
    "Client": {
        "id": "integer", "name": "string", "tin": "string?", "tinType": "string?", "tinCountry": "string?",
        "country": "string?", "currency": "string?", "dueDays": "integer?", "status": "string?",
    },
    "InvoiceRow": {
        "id": "integer", "classificationNumber": "string?", "unit": "string?", "quantity": "number",
        "vatRate": "string", "netPrice": "string", "netDiscountAmount": "string", "productName": "string",
        "project": "string?", "parentInvoiceRow": "object?", "invoiceChildrenRows": "array",
    },
    "PaymentMethod": {
        "id": "string", "type": "string", "ccBrand": "string?", "ccLastDigits": "string?",
        "ccExpMonth": "integer?", "ccExpYear": "integer?", "externalId": "string?",
    },
    "InvoiceTransaction": {
        "id": "integer", "invoice": "string", "transaction": "object", "amount": "number?", "date": "date",
    },
}  # fmt: skip

_STATUS_TEXT = {
    200: "The resource", 201: "Created", 204: "Deleted", 400: "Invalid input or unknown IRI",
    401: "Missing or wrong bearer token", 404: "Not found", 406: "Format not acceptable",
    415: "Unsupported content type", 422: "Validation failed (violations)",
}  # fmt: skip


def build_openapi(routes: Sequence[Route]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.template, {})[route.method.lower()] = _operation(route)
    schemas: dict[str, Any] = {r.jsonld_type: _schema(r) for r in RESOURCES}
    schemas["InvoiceTransaction.write"] = {
        "type": "object",
        "required": ["invoice", "amount", "date", "transaction"],
        "properties": {
            "invoice": {"type": "string", "format": "iri-reference", "example": "/invoices/12"},
            "amount": {"type": "number", "example": 123.45},
            "date": {"type": "string", "format": "date"},
            "transaction": {"type": "object", "description": "The bank line the payment comes from."},
        },
    }
    schemas["Error"] = {
        "type": "object",
        "properties": {
            "title": {"type": "string"}, "detail": {"type": "string"}, "status": {"type": "integer"},
            "type": {"type": "string"}, "violations": {"type": "array"},
        },
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Flowtly sandbox",
            "version": "2.0.0",
            "description": "A local stand-in for Flowtly's invoicing API (API Platform) for tests and demos.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.resource.jsonld_type if route.resource else "Docs"],
        "parameters": _parameters(route),
        "responses": _responses(route),
        "security": [{"bearerAuth": []}] if route.auth else [],
    }
    if route.request_types:
        ref = {
            "$ref": "#/components/schemas/"
            + ("InvoiceTransaction.write" if route.method == "POST" else "Invoice")
        }
        operation["requestBody"] = {
            "required": True,
            "content": {t: {"schema": ref} for t in route.request_types},
        }
    return operation


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    if "{id}" in route.template:
        string_ids = route.resource is not None and route.resource.string_ids
        params.append({"name": "id", "in": "path", "required": True,
                       "schema": {"type": "string" if string_ids else "integer"}})  # fmt: skip
    if route.collection is not None:
        for param in [*PAGINATION_PARAMS, *route.collection.params()]:
            schema: dict[str, Any] = {"type": param.type}
            if param.many:
                schema = {"type": "array", "items": {"type": param.type}}
            params.append({"name": param.name, "in": "query", "required": False,
                           "description": param.description, "schema": schema})  # fmt: skip
    return params


def _responses(route: Route) -> dict[str, Any]:
    statuses = sorted({*route.statuses, *((401,) if route.auth else ())})
    responses: dict[str, Any] = {}
    for status in statuses:
        answer: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "Answer")}
        if status >= 400:
            answer["content"] = {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Error"}}
            }
        elif status != 204:
            answer["content"] = {"application/ld+json": {"schema": _body_schema(route)}}
        responses[str(status)] = answer
    return responses


def _body_schema(route: Route) -> dict[str, Any]:
    if route.resource is None:
        return {"type": "object", "description": "An OpenAPI 3.1 document."}
    item = {"$ref": f"#/components/schemas/{route.resource.jsonld_type}"}
    if route.collection is None:
        return item
    return {
        "type": "object",
        "description": "A Hydra collection: member (or hydra:member), totalItems, view with next.",
        "properties": {"member": {"type": "array", "items": item}, "totalItems": {"type": "integer"},
                       "view": {"type": "object"}},
    }  # fmt: skip


def _schema(resource: Resource) -> dict[str, Any]:
    properties: dict[str, Any] = {"@id": {"type": "string"}, "@type": {"type": "string"}}
    for name, spec in _FIELDS[resource.jsonld_type].items():
        kind = spec.rstrip("?")
        schema: dict[str, Any] = {"type": "string", "format": "date"} if kind == "date" else {"type": kind}
        if spec.endswith("?"):
            schema["type"] = [schema["type"], "null"]
        properties[name] = schema
    return {"type": "object", "properties": properties}
