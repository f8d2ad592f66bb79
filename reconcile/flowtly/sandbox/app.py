"""The sandbox application: one route table, the handlers it names, and API Platform's request pipeline.

The order of checks is API Platform's (Symfony's router before its firewall): an unknown path is 404 and
a wrong method 405 even without a token, then the token (401), then content negotiation (406/415), then
the handler. The OpenAPI document is generated from the same ROUTES, so it cannot drift from what is
served. Nothing here knows about sockets; server.py carries requests in and responses out.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import Message
from functools import cached_property
from typing import Any

from .filters import INVOICE_COLLECTION, PAYMENT_COLLECTION, PLAIN_COLLECTION, Collection, paginate
from .hydra import ApiProblem, Renderer, strip_jsonld
from .options import SandboxOptions
from .resources import CLIENTS, INVOICE_ROWS, INVOICE_TRANSACTIONS, INVOICES, PAYMENT_METHODS, Resource
from .store import Store
from .validation import check_invoice_patch, check_new_payment

log = logging.getLogger("reconcile.flowtly.sandbox")

JSONLD = "application/ld+json"
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
PROBLEM = "application/problem+json"
OPENAPI = "application/vnd.openapi+json"


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string
    query: list[tuple[str, str]]
    headers: Mapping[str, str] | Message  # http.server's Message: case-insensitive lookups
    body: bytes = b""


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    committed: bool = False  # a change was stored: the answer may be "lost" by drop_after_commit_rate


Handler = Callable[["App", Request, "Route", dict[str, str]], Response]


@dataclass(frozen=True)
class Route:
    """One operation: the route table is the single source of the server and of its OpenAPI document."""

    method: str
    template: str  # "/invoices/{id}"
    handler: Handler
    summary: str
    resource: Resource | None = None
    collection: Collection | None = None  # set for collection GETs: the filters they read
    request_types: tuple[str, ...] = ()  # accepted Content-Types of the body
    statuses: tuple[int, ...] = (200,)  # documented answers besides the common errors
    auth: bool = True

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template)) + "$")

    @property
    def operation_id(self) -> str:
        """API Platform's naming: getInvoiceCollection, getInvoiceItem, postInvoiceTransaction..."""
        if self.resource is None:
            words = re.findall(r"[a-z0-9]+", self.template.lower())
            return self.method.lower() + "".join(w.capitalize() for w in words)
        kind = "Collection" if self.collection else "Item" if "{" in self.template else ""
        return f"{self.method.lower()}{self.resource.jsonld_type}{kind}"


class App:
    """Answers one Request with one Response; thread-safe through the store's lock."""

    def __init__(self, store: Store, options: SandboxOptions) -> None:
        self.store = store
        self.options = options

    def handle(self, request: Request) -> Response:
        try:
            return self._route(request)
        except ApiProblem as problem:
            return self.problem(problem)
        except Exception:  # a sandbox bug must not kill the connection thread; say so as a 500
            log.exception("sandbox bug while answering %s %s", request.method, request.path)
            return self.problem(ApiProblem(500, "Internal Server Error"))

    def _route(self, request: Request) -> Response:
        matched = [(r, m) for r in ROUTES if (m := r.pattern.match(request.path))]
        if not matched:
            raise ApiProblem(404, f'No route found for "{request.method} {_url(request)}"')
        for route, match in matched:
            if route.method == request.method:
                if route.auth:
                    self._authenticate(request)
                return route.handler(self, request, route, match.groupdict())
        allowed = ", ".join(sorted({r.method for r, _ in matched}))
        raise ApiProblem(
            405,
            f'No route found for "{request.method} {_url(request)}": Method Not Allowed (Allow: {allowed})',
            headers={"Allow": allowed},
        )

    def _authenticate(self, request: Request) -> None:
        """Bearer token; the wording is LexikJWTAuthenticationBundle's, which API Platform apps use."""
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiProblem(401, "JWT Token not found", headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(token.strip().encode(), self.options.token.encode()):
            raise ApiProblem(
                401, "Invalid JWT Token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )

    # -- answers ----------------------------------------------------------------------------------

    def renderer(self) -> Renderer:
        return Renderer(self.store, hydra_prefix=self.options.hydra_prefix)

    def document(self, request: Request, status: int, body: dict[str, Any], **headers: str) -> Response:
        """A resource or collection in the format the client accepts: JSON-LD, or plain JSON."""
        if _negotiate(request) == JSON:
            return _json_response(status, strip_jsonld(body), f"{JSON}; charset=utf-8", headers)
        return _json_response(status, body, f"{JSONLD}; charset=utf-8", headers)

    def problem(self, problem: ApiProblem) -> Response:
        body = self.renderer().problem(problem)
        return _json_response(problem.status, body, f"{PROBLEM}; charset=utf-8", problem.headers)

    # -- handlers ---------------------------------------------------------------------------------

    def list_items(self, request: Request, route: Route, _: dict[str, str]) -> Response:
        assert route.resource is not None and route.collection is not None
        _negotiate(request)
        options = self.options
        with self.store.lock:
            selected = route.collection.select(self.store.items(route.resource), request.query)
            page = paginate(
                selected,
                request.query,
                default_size=options.default_items_per_page,
                max_size=options.max_items_per_page,
                partial=options.partial_pagination,
            )
            body = self.renderer().collection(route.resource, page)
        return self.document(request, 200, body)

    def get_item(self, request: Request, route: Route, params: dict[str, str]) -> Response:
        assert route.resource is not None
        _negotiate(request)
        with self.store.lock:
            record = self._find(route.resource, params["id"])
            body = self.renderer().item(route.resource, record)
        return self.document(request, 200, body)

    def patch_invoice(self, request: Request, route: Route, params: dict[str, str]) -> Response:
        _negotiate(request)
        patch = _json_body(request, (MERGE_PATCH,))
        with self.store.lock:
            record = self._find(INVOICES, params["id"])
            changes = check_invoice_patch(patch, record)
            updated = self.store.update_invoice(record["id"], changes)
            body = self.renderer().item(INVOICES, updated)
        response = self.document(request, 200, body)
        response.committed = True
        return response

    def post_payment(self, request: Request, route: Route, _: dict[str, str]) -> Response:
        _negotiate(request)
        payload = _json_body(request, route.request_types)
        with self.store.lock:
            new = check_new_payment(payload, self.store)
            payment = self.store.add_payment(new.invoice_id, new.amount, new.date, new.transaction)
            body = self.renderer().item(INVOICE_TRANSACTIONS, payment)
        iri = payment["@id"]
        response = self.document(request, 201, body, Location=iri, **{"Content-Location": iri})
        response.committed = True
        return response

    def delete_payment(self, request: Request, route: Route, params: dict[str, str]) -> Response:
        with self.store.lock:
            record = self._find(INVOICE_TRANSACTIONS, params["id"])
            self.store.delete_payment(record["id"])
        return Response(204, committed=True)

    def openapi(self, request: Request, route: Route, _: dict[str, str]) -> Response:
        from .openapi import build_openapi  # the document reads ROUTES, which this module defines

        content_type = OPENAPI if route.template == "/docs.jsonopenapi" else JSON
        return _json_response(200, build_openapi(ROUTES), f"{content_type}; charset=utf-8", {})

    def _find(self, resource: Resource, raw_id: str) -> dict[str, Any]:
        item_id = resource.id_from_iri(resource.iri(raw_id))
        record = self.store.get(resource, item_id) if item_id is not None else None
        if record is None:
            raise ApiProblem(404, "Not Found")
        return record


def _negotiate(request: Request) -> str:
    """JSON-LD unless the client asks for plain JSON only; 406 for anything else (API Platform's formats)."""
    accept = request.headers.get("Accept") or "*/*"
    types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if JSONLD in types:
        return JSONLD
    if JSON in types:
        return JSON
    if types & {"*/*", "application/*"}:
        return JSONLD
    raise ApiProblem(
        406,
        f'Requested format "{accept}" is not supported. Supported MIME types are "{JSONLD}", "{JSON}".',
    )


def _json_body(request: Request, accepted: tuple[str, ...]) -> dict[str, Any]:
    """The request's JSON object; 415 for another Content-Type, 400 for text that is not a JSON object."""
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in accepted:
        supported = ", ".join(f'"{t}"' for t in accepted)
        raise ApiProblem(
            415, f'The content-type "{content_type}" is not supported. Supported MIME types are {supported}.'
        )
    try:
        body = json.loads(request.body.decode("utf-8"), parse_float=Decimal, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError):
        raise ApiProblem(400, "Syntax error") from None
    if not isinstance(body, dict):
        raise ApiProblem(400, "The input data must be a JSON object.")
    return body


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json_response(status: int, body: Any, content_type: str, headers: Mapping[str, str]) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, data, content_type, dict(headers))


def _url(request: Request) -> str:
    return f"http://{request.headers.get('Host') or 'localhost'}{request.path}"


ROUTES: tuple[Route, ...] = (
    Route("GET", "/invoices", App.list_items, "Retrieves the collection of Invoice resources.",
          INVOICES, INVOICE_COLLECTION),
    Route("GET", "/invoices/{id}", App.get_item, "Retrieves a Invoice resource.",
          INVOICES, statuses=(200, 404)),
    Route("PATCH", "/invoices/{id}", App.patch_invoice, "Updates the Invoice resource (JSON Merge Patch).",
          INVOICES, request_types=(MERGE_PATCH,), statuses=(200, 400, 404, 415, 422)),
    Route("GET", "/clients", App.list_items, "Retrieves the collection of Client resources.",
          CLIENTS, PLAIN_COLLECTION),
    Route("GET", "/clients/{id}", App.get_item, "Retrieves a Client resource.", CLIENTS, statuses=(200, 404)),
    Route("GET", "/invoice-rows", App.list_items, "Retrieves the collection of InvoiceRow resources.",
          INVOICE_ROWS, PLAIN_COLLECTION),
    Route("GET", "/invoice-rows/{id}", App.get_item, "Retrieves a InvoiceRow resource.", INVOICE_ROWS,
          statuses=(200, 404)),
    Route("GET", "/payment-methods", App.list_items, "Retrieves the collection of PaymentMethod resources.",
          PAYMENT_METHODS, PLAIN_COLLECTION),
    Route("GET", "/payment-methods/{id}", App.get_item, "Retrieves a PaymentMethod resource.",
          PAYMENT_METHODS, statuses=(200, 404)),
    Route("GET", "/invoice-transactions", App.list_items,
          "Retrieves the collection of InvoiceTransaction resources.",
          INVOICE_TRANSACTIONS, PAYMENT_COLLECTION),
    Route("POST", "/invoice-transactions", App.post_payment, "Creates a InvoiceTransaction resource.",
          INVOICE_TRANSACTIONS, request_types=(JSONLD, JSON), statuses=(201, 400, 415, 422)),
    Route("GET", "/invoice-transactions/{id}", App.get_item, "Retrieves a InvoiceTransaction resource.",
          INVOICE_TRANSACTIONS, statuses=(200, 404)),
    Route("DELETE", "/invoice-transactions/{id}", App.delete_payment,
          "Removes the InvoiceTransaction resource.", INVOICE_TRANSACTIONS, statuses=(204, 404)),
    Route("GET", "/docs.jsonopenapi", App.openapi, "The OpenAPI document of this API.", auth=False),
    Route("GET", "/openapi.json", App.openapi, "The OpenAPI document of this API.", auth=False),
)  # fmt: skip
