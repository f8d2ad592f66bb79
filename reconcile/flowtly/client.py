"""The HTTP client for Flowtly: one pooled httpx.Client, bearer auth, retries, a rate limit, typed errors.

It knows HTTP and API Platform, not reconciliation. It never repeats a request whose outcome is unknown
(a POST that timed out after sending): it raises OutcomeUnknown and lets the caller look before retrying.
The token never appears in logs, errors or reports.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

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
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A read that failed with 500 is worth another try too: it changes nothing, and API Platform answers 500 for
# passing faults (a database deadlock, a worker restart). A write that got 500 may have landed.
READ_RETRY_STATUSES = RETRY_STATUSES | {500}
# Statuses after which a POST was certainly not processed, so it may be sent again as is.
NOT_PROCESSED_STATUSES = frozenset({429, 503})


class OutcomeUnknown(Exception):
    """A write was sent but its answer was lost (timeout, dropped connection, 502/504): it may have landed."""

    def __init__(self, method: str, path: str, cause: str) -> None:
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: outcome unknown ({cause})")


@dataclass(frozen=True)
class ClientSettings:
    base_url: str
    token: str
    timeout_seconds: float = 30.0
    max_retries: int = 5
    max_retry_seconds: float = 120.0  # total time a request may spend waiting between attempts
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    requests_per_second: float | None = 10.0
    items_per_page: int = 100

    def __repr__(self) -> str:  # keep the token out of every repr, log line and traceback
        return f"ClientSettings(base_url={self.base_url!r}, token='***')"


class RateLimiter:
    """A token bucket: at most `rate` requests per second on average, bursts of up to `burst`."""

    def __init__(
        self,
        rate: float,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.capacity = float(burst if burst is not None else max(1, int(rate)))
        self.tokens = self.capacity
        self.clock = clock
        self.sleep = sleep
        self.updated = clock()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            wait = (1 - self.tokens) / self.rate
            self.tokens = 0
            self.updated = now + wait
        self.sleep(wait)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds, from either form the RFC allows (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        raise TypeError("Decimal reached the JSON boundary unrounded; use money.to_json_number")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class FlowtlyClient:
    """Talks to one Flowtly workspace. Use as a context manager, or call close()."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.limiter = (
            RateLimiter(settings.requests_per_second, sleep=sleep) if settings.requests_per_second else None
        )
        self.requests_made = 0
        self.bytes_received = 0
        self._http = httpx.Client(
            base_url=settings.base_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {settings.token}",
                "Accept": JSONLD,
                "User-Agent": f"reconcile/{__version__} (+bank reconciliation for Flowtly)",
            },
            timeout=httpx.Timeout(settings.timeout_seconds, connect=min(10.0, settings.timeout_seconds)),
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=5),
            transport=transport,
            follow_redirects=False,
        )

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
        response = self._send("GET", path, params=params, idempotent=True)
        return self._json(response, "GET", path)

    def iter_collection(
        self, path: str, params: list[tuple[str, str]] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every member of a collection, following `next` IRIs until there is none."""
        query = list(params or [])
        if not any(k == "itemsPerPage" for k, _ in query):
            query.append(("itemsPerPage", str(self.settings.items_per_page)))
        doc = self.get(path, query)
        seen_pages = {path}
        while True:
            try:
                yield from hydra.members(doc)
            except ValueError as exc:
                raise FlowtlyError(f"GET {path}: unexpected answer ({exc})", method="GET", url=path) from None
            nxt = hydra.next_page(doc)
            if nxt is None:
                return
            if nxt in seen_pages:  # a server bug would otherwise make us loop forever
                raise FlowtlyError(
                    f"GET {path}: the server's pages loop back to {nxt}", method="GET", url=nxt
                )
            seen_pages.add(nxt)
            doc = self.get(nxt)

    # -- writing -------------------------------------------------------------------------------------

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST once; raises OutcomeUnknown when the answer was lost after the request went out."""
        content = json.dumps(body, default=_json_default).encode()
        response = self._send("POST", path, content=content, content_type=JSONLD, idempotent=False)
        return self._json(response, "POST", path)

    def patch(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        content = json.dumps(body, default=_json_default).encode()
        response = self._send("PATCH", path, content=content, content_type=MERGE_PATCH, idempotent=False)
        return self._json(response, "PATCH", path)

    def delete(self, path: str) -> None:
        self._send("DELETE", path, idempotent=False)

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
        started = time.monotonic()
        attempt = 0
        last_response: httpx.Response | None = None
        while True:
            attempt += 1
            if self.limiter:
                self.limiter.acquire()
            self.requests_made += 1
            try:
                response = self._http.request(
                    method, path, params=_query(params), content=content, headers=headers
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # The request never reached the server: safe to repeat, whatever the method.
                failure: str = f"cannot connect ({type(exc).__name__})"
                retry_after = None
            except httpx.TransportError as exc:
                if not idempotent:
                    raise OutcomeUnknown(method, path, type(exc).__name__) from exc
                failure = f"no answer ({type(exc).__name__})"
                retry_after = None
            else:
                self.bytes_received += len(response.content)
                if response.status_code < 400:
                    return response
                retryable = READ_RETRY_STATUSES if idempotent else RETRY_STATUSES | {500}
                if response.status_code not in retryable:
                    self._raise_for_status(response, method, path)
                if not idempotent and response.status_code not in NOT_PROCESSED_STATUSES:
                    raise OutcomeUnknown(method, path, f"HTTP {response.status_code}")
                failure = f"HTTP {response.status_code}"
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                last_response = response

            delay = self._backoff(attempt, retry_after)
            elapsed = time.monotonic() - started
            if attempt > self.settings.max_retries or elapsed + delay > self.settings.max_retry_seconds:
                log.warning("%s %s gave up after %d attempts: %s", method, path, attempt, failure)
                if last_response is not None and failure.startswith("HTTP "):
                    self._raise_final(last_response, method, path, attempt)
                raise FlowtlyUnavailable(
                    f"Flowtly at {self.settings.base_url} did not answer {method} {path} after {attempt} "
                    f"attempts ({failure}). Check the address (FLOWTLY_API_URL / [flowtly] api_url) "
                    "and the network, then run again.",
                    method=method,
                    url=path,
                )
            log.info("%s %s: %s; retrying in %.1fs (attempt %d)", method, path, failure, delay, attempt + 1)
            self.sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential back-off with full jitter; the server's Retry-After wins when it is longer."""
        cap = min(self.settings.backoff_max_seconds, self.settings.backoff_base_seconds * 2 ** (attempt - 1))
        delay = self.rng.uniform(0, cap)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.settings.max_retry_seconds))
        return delay

    def _raise_final(self, response: httpx.Response, method: str, path: str, attempts: int) -> None:
        detail = _problem_detail(response)
        suffix = f": {detail}" if detail else ""
        if response.status_code == 429:
            raise FlowtlyRateLimited(
                f"Flowtly kept refusing {method} {path} as too many requests after {attempts} attempts{suffix}. "
                "Lower [flowtly] requests_per_second or run later.",
                status=429,
                method=method,
                url=path,
            )
        raise FlowtlyServerError(
            f"Flowtly failed {method} {path} with HTTP {response.status_code} after {attempts} attempts{suffix}.",
            status=response.status_code,
            method=method,
            url=path,
        )

    def _raise_for_status(self, response: httpx.Response, method: str, path: str) -> None:
        status = response.status_code
        detail = _problem_detail(response)
        where = f"{method} {path}"
        suffix = f": {detail}" if detail else ""
        kw: dict[str, Any] = {"status": status, "method": method, "url": path}
        if status in (401, 403):
            what = (
                "was refused (HTTP 401): the API token is missing, wrong or expired"
                if status == 401
                else ("was forbidden (HTTP 403): the API token lacks the rights for this")
            )
            raise FlowtlyAuthError(
                f"Flowtly {what}{suffix}. Set FLOWTLY_API_TOKEN or [flowtly] token in reconcile.toml "
                "to a token from your Flowtly workspace.",
                **kw,
            )
        if status == 404:
            raise FlowtlyNotFound(f"Flowtly has no {path} (HTTP 404){suffix}", **kw)
        if status == 409:
            raise FlowtlyConflict(f"Flowtly refused {where} as a conflict (HTTP 409){suffix}", **kw)
        if status == 415:
            raise FlowtlyUnsupportedMedia(
                f"Flowtly does not accept the content type of {where} (HTTP 415)", **kw
            )
        violations = _violations(response)
        if status == 422 or (status == 400 and violations):
            raise FlowtlyValidationError(
                f"Flowtly refused the data of {where} (HTTP {status})", violations=violations, **kw
            )
        if status >= 500:
            raise FlowtlyServerError(f"Flowtly failed {where} with HTTP {status}{suffix}", **kw)
        raise FlowtlyError(f"Flowtly refused {where} with HTTP {status}{suffix}", **kw)

    def _json(self, response: httpx.Response, method: str, path: str) -> dict[str, Any]:
        if response.status_code == 204 or not response.content:
            return {}
        try:
            doc = response.json()
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


def _query(params: Mapping[str, str] | list[tuple[str, str]] | None) -> tuple[tuple[str, str], ...] | None:
    """Query pairs in order; repeated keys (status[]=a&status[]=b) are why this is not a dict."""
    if params is None:
        return None
    return tuple(params.items()) if isinstance(params, Mapping) else tuple(params)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        doc = response.json()
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _problem_detail(response: httpx.Response) -> str | None:
    return hydra.error_text(_body(response))


def _violations(response: httpx.Response) -> list[Violation]:
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
