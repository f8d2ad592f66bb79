"""The HTTP client for Flowtly: one pooled httpx.Client, bearer auth, retries, a rate limit, typed errors.

It knows HTTP and API Platform, not reconciliation. It never repeats a request whose outcome is unknown
(a POST that timed out after sending): it raises OutcomeUnknown and lets the caller look before retrying.
The token never appears in logs, errors or reprs, and is never sent to another host than the API's.

    request ──► rate limiter ──► httpx ──► 2xx ──────────────────────────────► the answer
                                   │
                                   ├─ connection refused / connect timeout ──► retry (nothing was sent)
                                   ├─ lost answer (read timeout, dropped)  ──► GET: retry; POST: OutcomeUnknown
                                   ├─ 429, 503 (not processed)             ──► retry after Retry-After / back-off
                                   ├─ 500, 502, 504                        ──► GET: retry; POST: OutcomeUnknown
                                   └─ any other 3xx/4xx                    ──► a typed FlowtlyError, at once
"""

from __future__ import annotations

import email.utils
import json
import logging
import platform
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconcile import __version__
from reconcile.errors import (
    FlowtlyAuthError,
    FlowtlyConflict,
    FlowtlyError,
    FlowtlyNotFound,
    FlowtlyRateLimited,
    FlowtlyServerError,
    FlowtlyUnavailable,
    FlowtlyUnsupportedMedia,
    FlowtlyValidationError,
    Violation,
)
from reconcile.flowtly import hydra

log = logging.getLogger(__name__)

JSONLD = "application/ld+json"
MERGE_PATCH = "application/merge-patch+json"
USER_AGENT = (
    f"reconcile/{__version__} (bank reconciliation for Flowtly) "
    f"httpx/{httpx.__version__} Python/{platform.python_version()}"
)
# Statuses worth another try: the server or a proxy in front of it was overloaded or restarting.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A read that failed with 500 is worth another try too: it changes nothing, and API Platform answers 500 for
# passing faults (a database deadlock, a worker restart). A write that got 500 may have landed.
READ_RETRY_STATUSES = RETRY_STATUSES | {500}
# After these a write was certainly not processed (RFC 9110 §15.6.4: 503 means the server did not handle
# the request; 429 refuses it before any work), so a POST may be sent again as is. After 500/502/504 it may
# have been stored: a proxy answers 502/504 when it lost the application's answer, not its request.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
WRITE_RETRY_STATUSES = RETRY_STATUSES | {500}
TOKEN_HINT = "Set FLOWTLY_API_TOKEN (or token under [flowtly] in reconcile.toml) to a token from your Flowtly workspace."
ADDRESS_HINT = (
    "Check FLOWTLY_API_URL (or api_url under [flowtly] in reconcile.toml) and the network, then run again."
)


class OutcomeUnknown(FlowtlyUnavailable):
    """Raised when a write was sent but its answer was lost (timeout, dropped connection, 500/502/504).

    It may have been stored: look before sending it again (flowtly.postings does).
    """

    def __init__(self, method: str, path: str, cause: str) -> None:
        super().__init__(
            f"{method} {path}: sent, but Flowtly's answer was lost ({cause}); it may have been stored",
            method=method,
            url=path,
        )


@dataclass(frozen=True)
class ClientSettings:
    """How to reach Flowtly and how patiently; every limit is bounded so a nightly run always ends."""

    base_url: str
    token: str = field(repr=False)  # never in a repr, a log line or a traceback
    timeout_seconds: float = 30.0
    connect_timeout_seconds: float = 10.0
    max_retries: int = 5  # further attempts after the first
    max_retry_seconds: float = 120.0  # total time one request may spend failing and waiting before we give up
    backoff_base_seconds: float = 0.5  # the first wait's upper bound; doubles with each attempt
    backoff_max_seconds: float = 30.0
    requests_per_second: float | None = 10.0  # None: no client-side limit
    burst: int | None = None  # requests allowed back to back; default: one second's worth
    items_per_page: int = 100  # asked for; the server may grant fewer, and we read what came back
    max_connections: int = 4


class RateLimiter:
    """A token bucket: at most `rate` requests per second on average, bursts of up to `burst`.

    Callers that find the bucket empty reserve the next free slot and sleep until it, so concurrent
    callers queue up fairly instead of waking together.
    """

    def __init__(
        self,
        rate: float,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be above 0")
        self.rate = rate
        self.capacity = float(burst if burst is not None else max(1, int(rate)))
        self.tokens = self.capacity
        self.clock = clock
        self.sleep = sleep
        self.updated = clock()
        self.lock = threading.Lock()

    def acquire(self) -> float:
        """Take one request's slot, sleeping until it is free; returns the seconds slept."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= 1
            if self.tokens >= 0:
                return 0.0
            wait = -self.tokens / self.rate  # a negative balance is the queue of reserved slots
        self.sleep(wait)
        return wait


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds, from either form RFC 9110 §10.2.3 allows: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        raise TypeError("Decimal reached the JSON boundary unrounded; use money.to_json_number")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@dataclass
class _Failure:
    """Why an attempt failed, when another attempt may succeed."""

    reason: str  # "HTTP 503", "cannot connect: ConnectError", "no answer: ReadTimeout"
    retry_after: float | None = None
    response: httpx.Response | None = None


class FlowtlyClient:
    """Talks to one Flowtly workspace. Use as a context manager, or call close().

    `sleep` and `clock` are injectable so that tests measure waits without waiting; `transport` lets a
    test put something between us and the server (never needed to reach the sandbox).
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.limiter = (
            RateLimiter(settings.requests_per_second, settings.burst, clock=clock, sleep=sleep)
            if settings.requests_per_second
            else None
        )
        self.requests_made = 0  # attempts sent, retries included
        self.bytes_received = 0  # bytes on the wire (compressed, if the server compressed)
        base = httpx.URL(settings.base_url.rstrip("/"))
        self._netloc = base.netloc.decode("ascii")
        self._origin = f"{base.scheme}://{self._netloc}"
        self._http = httpx.Client(
            base_url=base,
            headers={
                "Authorization": f"Bearer {settings.token}",
                "Accept": JSONLD,
                "User-Agent": USER_AGENT,
            },
            timeout=httpx.Timeout(
                settings.timeout_seconds,
                connect=min(settings.connect_timeout_seconds, settings.timeout_seconds),
            ),
            limits=httpx.Limits(
                max_connections=settings.max_connections, max_keepalive_connections=settings.max_connections
            ),
            transport=transport,
            follow_redirects=False,  # a redirect means a wrong address; following it could leak the token
        )

    def __repr__(self) -> str:
        return f"FlowtlyClient({self.settings.base_url!r})"

    def __enter__(self) -> FlowtlyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- reading -------------------------------------------------------------------------------------

    def get(
        self, path: str, params: Mapping[str, str] | list[tuple[str, str]] | None = None
    ) -> dict[str, Any]:
        """GET a path under the base URL (`/invoices`), with retries."""
        response = self._send("GET", path, params=params, idempotent=True)
        return self._json(response, "GET", path)

    def get_iri(self, iri: str) -> dict[str, Any]:
        """GET an IRI the server gave us (`@id`, `view.next`, a relation), used as is.

        Root-relative IRIs are resolved against the server's origin, not the base URL: API Platform puts
        its route prefix into every IRI. An absolute IRI on another host is refused (it would get our token).
        """
        return self._json(self._send("GET", self._resolve(iri), idempotent=True), "GET", iri)

    def iter_collection(
        self, path: str, params: list[tuple[str, str]] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every member of a collection, following `next` IRIs until there is none.

        Works in both Hydra dialects and with partial pagination: the page count is never computed, and
        the page size is whatever the server granted.
        """
        query = list(params or [])
        if not any(k == "itemsPerPage" for k, _ in query):
            query.append(("itemsPerPage", str(self.settings.items_per_page)))
        doc = self.get(path, query)
        seen_pages: set[str] = set()
        received = 0
        while True:
            try:
                page = hydra.members(doc)
            except ValueError as exc:
                raise FlowtlyError(
                    f"GET {path}: Flowtly's answer is not a collection ({exc})", method="GET", url=path
                ) from None
            received += len(page)
            yield from page
            nxt = hydra.next_page(doc)
            if nxt is None:
                break
            if nxt in seen_pages:  # a server bug would otherwise make us loop forever
                raise FlowtlyError(
                    f"GET {path}: the server's pages loop back to {nxt}", method="GET", url=nxt
                )
            seen_pages.add(nxt)
            doc = self.get_iri(nxt)
        total = hydra.total_items(doc)
        if total is not None and total != received:  # items added or removed while we paged
            log.info("GET %s: %d items announced, %d received", path, total, received)

    # -- writing -------------------------------------------------------------------------------------

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST once as JSON-LD; raises OutcomeUnknown when the answer was lost after the request went out."""
        content = json.dumps(body, default=_json_default).encode()
        response = self._send("POST", path, content=content, content_type=JSONLD, idempotent=False)
        return self._json(response, "POST", path)

    def patch(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH as a JSON Merge Patch (RFC 7396), the only content type API Platform takes for PATCH."""
        content = json.dumps(body, default=_json_default).encode()
        response = self._send("PATCH", path, content=content, content_type=MERGE_PATCH, idempotent=False)
        return self._json(response, "PATCH", path)

    def delete(self, path: str) -> None:
        self._send("DELETE", path, idempotent=False)

    def back_off(self, attempt: int) -> None:
        """Wait before attempt `attempt + 1` of something the caller repeats (a write after a lost answer)."""
        self.sleep(self._backoff(attempt, None))

    # -- the machinery -------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | list[tuple[str, str]] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        idempotent: bool,
    ) -> httpx.Response:
        headers = {"Content-Type": content_type} if content_type else None
        started = self.clock()
        attempt = 0
        while True:
            attempt += 1
            if self.limiter:
                self.limiter.acquire()
            self.requests_made += 1
            try:
                response = self._http.request(
                    method, path, params=_query(params), content=content, headers=headers
                )
            except httpx.TransportError as exc:
                failure = self._transport_failure(exc, method, path, idempotent)
            except httpx.RequestError as exc:  # an answer came but could not be decoded (bad gzip...)
                if not idempotent:
                    raise OutcomeUnknown(method, path, type(exc).__name__) from None
                raise FlowtlyError(
                    f"{method} {path}: Flowtly's answer could not be read ({type(exc).__name__})",
                    method=method,
                    url=path,
                ) from None
            else:
                self.bytes_received += response.num_bytes_downloaded
                if response.status_code < 300:
                    return response
                failure = self._status_failure(response, method, path, idempotent)
            delay = self._backoff(attempt, failure.retry_after)
            spent = self.clock() - started
            if attempt > self.settings.max_retries or spent + delay > self.settings.max_retry_seconds:
                log.warning("%s %s: giving up after %d attempts: %s", method, path, attempt, failure.reason)
                raise self._gave_up(failure, method, path, attempt, spent)
            log.info(
                "%s %s: %s; retrying in %.1fs (attempt %d)", method, path, failure.reason, delay, attempt + 1
            )
            self.sleep(delay)

    def _transport_failure(
        self, exc: httpx.TransportError, method: str, path: str, idempotent: bool
    ) -> _Failure:
        """httpx's transport errors, mapped once, most specific first; raises when retrying cannot help."""
        name = type(exc).__name__
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
            raise FlowtlyUnavailable(
                f"cannot send {method} {path} to {self.settings.base_url} ({name}). {ADDRESS_HINT}",
                method=method,
                url=path,
            ) from None
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ProxyError):
            # The request never left: safe to repeat, whatever the method.
            return _Failure(f"cannot connect: {name}")
        if not idempotent:
            raise OutcomeUnknown(method, path, name) from None
        return _Failure(f"no answer: {name}")

    def _status_failure(self, response: httpx.Response, method: str, path: str, idempotent: bool) -> _Failure:
        status = response.status_code
        if status not in (READ_RETRY_STATUSES if idempotent else WRITE_RETRY_STATUSES):
            raise self._error_for(response, method, path)
        if not idempotent and status not in NOT_PROCESSED_STATUSES:
            raise OutcomeUnknown(method, path, f"HTTP {status}")
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        return _Failure(f"HTTP {status}", retry_after, response)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential back-off with full jitter (AWS architecture blog, 2015); Retry-After wins when longer."""
        cap = min(self.settings.backoff_max_seconds, self.settings.backoff_base_seconds * 2 ** (attempt - 1))
        delay = self.rng.uniform(0, cap)
        return max(delay, retry_after) if retry_after is not None else delay

    def _gave_up(
        self, failure: _Failure, method: str, path: str, attempts: int, spent: float
    ) -> FlowtlyError:
        where = f"{method} {path}"
        tries = f"after {attempts} attempt{'s' if attempts > 1 else ''}"
        waited = f"{spent:.0f} s spent"
        if failure.retry_after is not None and failure.retry_after > self.settings.max_retry_seconds - spent:
            waited += (
                f"; it asked to wait {failure.retry_after:.0f} s more, beyond the "
                f"{self.settings.max_retry_seconds:.0f} s a request may wait"
            )
        if failure.response is not None:
            status = failure.response.status_code
            detail = self._detail(failure.response)
            said = f": {detail}" if detail else ""
            if status == 429:
                return FlowtlyRateLimited(
                    f"Flowtly kept refusing {where} as too many requests {tries} ({waited}){said}. "
                    "Lower requests_per_second under [flowtly] in reconcile.toml, or run later.",
                    status=429,
                    method=method,
                    url=path,
                )
            return FlowtlyServerError(
                f"Flowtly kept failing {where} with HTTP {status} {tries} ({waited}){said}. "
                "Its service may be down: run again later, and tell Flowtly's support if it lasts.",
                status=status,
                method=method,
                url=path,
            )
        return FlowtlyUnavailable(
            f"Flowtly at {self.settings.base_url} did not answer {where} {tries} "
            f"({failure.reason}; {waited}). {ADDRESS_HINT}",
            method=method,
            url=path,
        )

    def _error_for(self, response: httpx.Response, method: str, path: str) -> FlowtlyError:
        """The typed error for an answer that no retry will change."""
        status = response.status_code
        detail = self._detail(response)
        where = f"{method} {path}"
        suffix = f": {detail}" if detail else ""
        kw: dict[str, Any] = {"status": status, "method": method, "url": path}
        if status in (401, 403):
            what = (
                "was refused (HTTP 401): the API token is missing, wrong or expired"
                if status == 401
                else "was refused (HTTP 403): the API token lacks the rights for this"
            )
            return FlowtlyAuthError(f"Flowtly {what} ({where}{suffix}). {TOKEN_HINT}", **kw)
        if status == 404:
            return FlowtlyNotFound(f"Flowtly has no {path} (HTTP 404){suffix}", **kw)
        if status == 409:
            return FlowtlyConflict(f"Flowtly refused {where} as a conflict (HTTP 409){suffix}", **kw)
        if status == 415:
            return FlowtlyUnsupportedMedia(
                f"Flowtly does not accept the content type of {where} (HTTP 415){suffix}. This is a bug in "
                "reconcile: please report it.",
                **kw,
            )
        if status in (400, 422):
            # API Platform answers 422 with violations, older versions 400; an unknown IRI is a bare 400.
            violations = _violations(response)
            message = f"Flowtly refused the data of {where} (HTTP {status})"
            if not violations and detail:
                message += f": {detail}"
            return FlowtlyValidationError(message, violations=violations, **kw)
        if 300 <= status < 400:
            target = response.headers.get("Location", "elsewhere")
            return FlowtlyError(
                f"Flowtly redirected {where} to {self._redact(target)} (HTTP {status}): the API address is "
                f"probably not the right one. {ADDRESS_HINT}",
                **kw,
            )
        if status >= 500:
            return FlowtlyServerError(f"Flowtly failed {where} with HTTP {status}{suffix}", **kw)
        return FlowtlyError(f"Flowtly refused {where} with HTTP {status}{suffix}", **kw)

    def _json(self, response: httpx.Response, method: str, path: str) -> dict[str, Any]:
        if response.status_code == 204 or not response.content:
            return {}
        try:
            doc = _decode(response)
        except ValueError:
            raise FlowtlyError(
                f"{method} {path}: Flowtly answered with something that is not JSON "
                f"({response.headers.get('Content-Type', 'no content type')})",
                status=response.status_code,
                method=method,
                url=path,
            ) from None
        if not isinstance(doc, dict):
            raise FlowtlyError(f"{method} {path}: expected a JSON object", method=method, url=path)
        return doc

    def _resolve(self, iri: str) -> str:
        """An IRI from the server as a URL on our origin; another host is refused (it would get the token).

        An absolute IRI on our host keeps our scheme: a server behind a TLS proxy may write http:// links,
        and following them as given would send the token in clear.
        """
        parts = urlsplit(iri)
        if parts.scheme or parts.netloc:
            if parts.netloc.lower() != self._netloc.lower():
                raise FlowtlyError(
                    f"Flowtly pointed to {self._redact(iri)}, outside {self._origin}; not followed",
                    method="GET",
                    url=iri,
                )
            iri = parts._replace(scheme="", netloc="").geturl()
        return self._origin + (iri if iri.startswith("/") else "/" + iri)

    def _detail(self, response: httpx.Response) -> str | None:
        text = hydra.error_text(_body(response))
        return self._redact(text) if text else None

    def _redact(self, text: str) -> str:
        """A server that echoes what it received must not make us print the token."""
        token = self.settings.token
        return text.replace(token, "***") if token else text


def _query(params: Mapping[str, str] | list[tuple[str, str]] | None) -> tuple[tuple[str, str], ...] | None:
    """Query pairs in order; repeated keys (status[]=a&status[]=b) are why this is not a dict."""
    if params is None:
        return None
    return tuple(params.items()) if isinstance(params, Mapping) else tuple(params)


def _decode(response: httpx.Response) -> Any:
    """JSON with every number that has a fraction read as Decimal: amounts never pass through floats."""
    return json.loads(response.content, parse_float=Decimal)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        doc = _decode(response)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _violations(response: httpx.Response) -> list[Violation]:
    """API Platform's `violations: [{propertyPath, message, code}]`, in the order the server gave them."""
    raw = _body(response).get("violations")
    if not isinstance(raw, list):
        return []
    return [
        Violation(
            property_path=str(v.get("propertyPath") or ""),
            message=str(v.get("message") or ""),
            code=v.get("code") if isinstance(v.get("code"), str) else None,
        )
        for v in raw
        if isinstance(v, dict)
    ]
