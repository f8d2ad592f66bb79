"""The sandbox on a real loopback port: a threaded HTTP/1.1 server with keep-alive, and its start and stop.

Faults strike here, around the application: latency and injected failures before anything is read from
the store, rate limits per token, and answers lost after a change was stored (the connection closed with
no response, or a 502 from the "proxy"). Every response carries Content-Length, so connections stay open.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .app import App, Request, Response
from .faults import Faults, LostAnswer
from .hydra import ApiProblem
from .options import SandboxOptions
from .store import Store

log = logging.getLogger("reconcile.flowtly.sandbox")

MAX_BODY = 10 * 1024 * 1024  # a POST body bigger than this is refused (413), as a proxy would
_BAD_GATEWAY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
)


class _Stats:
    """Counters for tests and benchmarks, behind their own lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.dropped = 0
        self.statuses: Counter[int] = Counter()


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an idle keep-alive connection must not keep stop() waiting

    def __init__(self, address: tuple[str, int], app: App, faults: Faults, stats: _Stats) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self.faults = faults
        self.stats = stats
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (a timeout on its side) is ordinary; anything else is logged as a bug."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("client %s went away before its answer", client_address)
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def close_connections(self) -> None:
        with self.connections_lock:
            for connection in list(self.connections):
                with contextlib.suppress(OSError):  # already closed by the client
                    connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "reconcile-flowtly-sandbox"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after a minute
    # Headers and body leave in two writes; with Nagle's algorithm and the client's delayed ACK every
    # answer would wait ~40 ms. Buffer them into one write and send small packets at once.
    disable_nagle_algorithm = True
    wbufsize = -1
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_OPTIONS = do_GET

    def _serve(self) -> None:
        server = self.server
        with server.stats.lock:
            server.stats.requests += 1
        body = self._read_body()
        if body is None:
            return
        response = self._answer(body)
        if response is None:  # the answer is lost: close without a byte
            with server.stats.lock:
                server.stats.dropped += 1
            self.close_connection = True
            return
        self._send(response)

    def _answer(self, body: bytes) -> Response | None:
        server = self.server
        faults = server.faults
        faults.delay()
        failure = faults.failure()
        if failure is not None:
            return server.app.problem(
                ApiProblem(failure, "Injected fault: the server failed before doing anything.")
            )
        wait = faults.retry_after(self.headers.get("Authorization") or "")
        if wait is not None:
            return server.app.problem(
                ApiProblem(429, "Too Many Requests: rate limit exceeded.", headers={"Retry-After": str(wait)})
            )
        url = urlsplit(self.path)
        request = Request(
            self.command, url.path, parse_qsl(url.query, keep_blank_values=True), self.headers, body
        )
        response = server.app.handle(request)
        if response.committed and response.status < 300:
            lost = faults.lost_answer()
            if lost is LostAnswer.DROPPED:
                return None
            if lost is LostAnswer.BAD_GATEWAY:
                return Response(502, _BAD_GATEWAY_PAGE, "text/html; charset=utf-8")
        return response

    def _read_body(self) -> bytes | None:
        """The request body, read whole so the next request on the connection starts where it should."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            status = 400 if length < 0 else 413
            self._send(self.server.app.problem(ApiProblem(status, "Invalid or too large Content-Length.")))
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                chunk = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                chunk = -1
            size += max(chunk, 0)
            if chunk < 0 or size > MAX_BODY:
                self.close_connection = True
                self._send(self.server.app.problem(ApiProblem(400, "Malformed chunked request body.")))
                return None
            if chunk == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(chunk))
            self.rfile.readline(1024)

    def _send(self, response: Response) -> None:
        with self.server.stats.lock:
            self.server.stats.statuses[response.status] += 1
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.content_type and "json" in response.content_type:
            self.send_header("Vary", "Accept")
            self.send_header("X-Content-Type-Options", "nosniff")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class Sandbox:
    """A running sandbox; a context manager that stops it on exit."""

    def __init__(
        self, server: _Server, thread: threading.Thread, store: Store, options: SandboxOptions
    ) -> None:
        self._server = server
        self._thread = thread
        self.store = store
        self.options = options
        self.token = options.token
        host, port = server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        host_text = f"[{host}]" if ":" in host else host
        self.url = f"http://{host_text}:{port}"

    @property
    def request_count(self) -> int:
        """Requests received, whatever their fate (served, failed, refused or dropped)."""
        with self._server.stats.lock:
            return self._server.stats.requests

    @property
    def status_counts(self) -> dict[int, int]:
        """Responses sent, by status code (a dropped answer is not a response: see dropped_count)."""
        with self._server.stats.lock:
            return dict(self._server.stats.statuses)

    @property
    def dropped_count(self) -> int:
        """Stored changes whose connection was closed without an answer."""
        with self._server.stats.lock:
            return self._server.stats.dropped

    @property
    def is_serving(self) -> bool:
        return self._thread.is_alive()

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of the data (clients, invoices, invoiceTransactions, invoiceRows, paymentMethods)."""
        return self.store.snapshot()

    def stop(self) -> None:
        """Stop serving, close open keep-alive connections and release the port."""
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(
    seed: dict[str, Any], *, host: str = "127.0.0.1", port: int = 0, options: SandboxOptions | None = None
) -> Sandbox:
    """Serve the seed (or the state file's data) in a background daemon thread; port 0 takes a free port."""
    options = options or SandboxOptions()
    state_file = Path(options.state_file) if options.state_file is not None else None
    store = Store.open(seed, state_file=state_file)
    server = _Server((host, port), App(store, options), Faults(options), _Stats())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              name=f"flowtly-sandbox-{server.server_address[1]}", daemon=True)  # fmt: skip
    thread.start()
    sandbox = Sandbox(server, thread, store, options)
    log.info("Flowtly sandbox serving %s", sandbox.url)
    return sandbox


def serve_forever(
    seed: dict[str, Any],
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    options: SandboxOptions | None = None,
    on_ready: Callable[[Sandbox], None] | None = None,
) -> None:
    """For the command line: serve until Ctrl-C; `on_ready(sandbox)` runs once it listens (print the URL)."""
    sandbox = start_sandbox(seed, host=host, port=port, options=options)
    try:
        if on_ready is not None:
            on_ready(sandbox)
        while sandbox.is_serving:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
