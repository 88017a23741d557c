"""One bounded HTTP GET: http/https only, timeouts, size limits while streaming, bounded
decompression, manual redirects with the address check redone on every hop.

The total timeout is a hard deadline over connect, headers, redirects and body: socket
timeouts bound each read, and a ``Watchdog`` shuts the socket down when the deadline
passes, so a server trickling its headers or body a byte at a time cannot hold a request.

``HttpClient`` keeps one urllib3 connection pool per (scheme, checked address, port, host),
so requests to a host reuse their connections. It never retries: that is the fetcher's
decision (see ``politeness``). Failures raise ``FetchError``, a ``Rejected`` with a reason
such as ``http_404``, ``timeout``, ``too_large`` or ``private_address``.
"""
from __future__ import annotations

import dataclasses
import functools
import threading
import time
import zlib
from email.message import Message
from typing import Callable
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (ConnectTimeoutError, HTTPError, NewConnectionError,
                                ProtocolError, ReadTimeoutError, SSLError)

from newsbeam.config import FetchSettings
from newsbeam.core.fetch.addresses import AddressPolicy, resolve
from newsbeam.core.fetch.deadline import Watchdog
from newsbeam.records.documents import Rejected

REDIRECTS = {301, 302, 303, 307, 308}
CHUNK_BYTES = 64 * 1024
# What we can inflate with the standard library; br/zstd are not offered.
ACCEPT_ENCODING = "gzip, deflate"


class FetchError(Rejected):
    """A request that failed; ``status`` and ``retry_after`` let the caller decide to retry."""

    def __init__(self, reason: str, detail: str = "", status: int | None = None,
                 retry_after: str | None = None):
        super().__init__(reason, detail)
        self.status, self.retry_after = status, retry_after


@dataclasses.dataclass(frozen=True)
class Response:
    url: str                 # as requested
    final_url: str           # after redirects
    status: int              # 2xx or 304
    headers: dict[str, str]  # lowercased names
    body: bytes              # content-encoding removed

    @property
    def media_type(self) -> str:
        return parse_content_type(self.headers.get("content-type"))[0]

    @property
    def charset(self) -> str | None:
        return parse_content_type(self.headers.get("content-type"))[1]


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """``text/html; charset=UTF-8`` -> ("text/html", "UTF-8"); empty -> ("", None).
    Cached: ``email.message`` costs ~0.1 ms a call, and sites repeat one or two values
    (a long value, which no real site sends, is parsed without filling the cache)."""
    if value and len(value) > 200:
        return _parse_content_type.__wrapped__(value)
    return _parse_content_type(value)


@functools.lru_cache(maxsize=512)
def _parse_content_type(value: str | None) -> tuple[str, str | None]:
    if not value:
        return "", None
    message = Message()
    message["content-type"] = value
    charset = message.get_param("charset")
    return message.get_content_type() if "/" in value else "", (
        str(charset).strip() or None if charset else None)


def inflate(data: bytes, encoding: str, max_bytes: int) -> bytes:
    """Undo gzip/deflate without ever holding more than ``max_bytes`` of output."""
    if encoding in ("", "identity"):
        return data
    if encoding in ("gzip", "x-gzip"):
        decoders = [zlib.decompressobj(16 + zlib.MAX_WBITS)]
    elif encoding == "deflate":  # servers send zlib-wrapped or raw deflate; try both
        decoders = [zlib.decompressobj(), zlib.decompressobj(-zlib.MAX_WBITS)]
    else:
        raise FetchError("unsupported_encoding", f"content-encoding {encoding!r}")
    for decoder in decoders:
        try:
            output = decoder.decompress(data, max_bytes + 1)
        except zlib.error as err:
            error = err
            continue
        if len(output) > max_bytes or decoder.unconsumed_tail:
            raise FetchError("decompression_bomb",
                             f"{len(data)} bytes of {encoding} inflate past {max_bytes} bytes")
        return output
    raise FetchError("corrupt_encoding", f"{encoding}: {error}")


class _WatchedConnection:
    """A urllib3 connection whose response headers are read under the watchdog's deadline
    for the calling thread; the response keeps its socket for the body's guard."""

    def __init__(self, *args, watchdog: Watchdog, **kwargs):
        super().__init__(*args, **kwargs)
        self.watchdog = watchdog

    def getresponse(self):
        sock = self.sock
        with self.watchdog.guard(sock):
            response = super().getresponse()
        response.watched_socket = sock
        return response


class _HTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class HttpClient:
    """Bounded GETs with per-host connection reuse. Thread-safe; ``close()`` when done."""

    def __init__(self, settings: FetchSettings):
        self.settings = settings
        self.policy = AddressPolicy(settings.allow_private_networks,
                                    tuple(settings.allowed_networks))
        self._pools: dict[tuple, urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()
        self._watchdog = Watchdog()

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()
        self._watchdog.close()

    def get(self, url: str, headers: dict[str, str] | None = None,
            accept: Callable[[str], bool] | None = None,
            deadline: float | None = None) -> Response:
        """GET ``url`` following redirects; ``accept(media_type)`` vets 2xx responses
        before their body is read. Returns 2xx and 304 responses, raises for the rest.
        Everything ends by ``total_timeout_seconds`` from now, or by ``deadline``
        (``time.monotonic()``) when that comes first."""
        limit = time.monotonic() + self.settings.total_timeout_seconds
        deadline = limit if deadline is None else min(deadline, limit)
        visited, current = {url}, url
        for _hop in range(self.settings.max_redirects + 1):
            response = self._request(current, headers or {}, deadline)
            if response.status not in REDIRECTS:
                return self._finish(url, current, response, accept, deadline)
            location = response.headers.get("location")
            self._drain(response, deadline)
            if not location:
                raise FetchError("bad_redirect", f"{response.status} without Location",
                                 status=response.status)
            current = urljoin(current, location.strip())
            if current in visited:
                raise FetchError("redirect_loop", f"back to {current}")
            visited.add(current)
        raise FetchError("too_many_redirects", f"more than {self.settings.max_redirects}")

    def _pool(self, scheme: str, host: str, port: int) -> urllib3.HTTPConnectionPool:
        address = resolve(host, port, self.policy)  # every hop: a redirect may go anywhere
        key = (scheme, address, port, host)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                options = dict(maxsize=self.settings.per_host_concurrency, retries=False,
                               block=False, watchdog=self._watchdog)
                if scheme == "https":  # connect to the checked address, verify the name
                    pool = _HTTPSPool(address, port, server_hostname=host, assert_hostname=host,
                                      cert_reqs="CERT_REQUIRED", **options)
                else:
                    pool = _HTTPPool(address, port, **options)
                self._pools[key] = pool
        return pool

    def _request(self, url: str, headers: dict[str, str], deadline: float):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("unsupported_scheme", f"only http and https: {url}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchError("bad_url", url) from None
        pool = self._pool(parts.scheme, parts.hostname, port)
        remaining = self._remaining(deadline)
        timeout = urllib3.Timeout(connect=min(self.settings.connect_timeout_seconds, remaining),
                                  read=min(self.settings.read_timeout_seconds, remaining))
        request_headers = {"Host": parts.netloc.rpartition("@")[2],
                           "User-Agent": self.settings.user_agent,
                           "Accept-Encoding": ACCEPT_ENCODING, **headers}
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            with self._watchdog.until(deadline):
                return pool.urlopen("GET", target, headers=request_headers, timeout=timeout,
                                    redirect=False, retries=False, assert_same_host=False,
                                    preload_content=False, decode_content=False)
        except Exception as err:
            self._remaining(deadline)  # cut off by the watchdog: a timeout
            raise _network_error(err) from None

    def _finish(self, url: str, final_url: str, response, accept, deadline: float) -> Response:
        headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            status = response.status
            if status >= 400 or status < 200:
                raise FetchError(f"http_{status}", response.reason or "", status=status,
                                 retry_after=headers.get("retry-after"))
            if status == 304:
                self._drain(response, deadline)
                return Response(url, final_url, status, headers, b"")
            media_type = parse_content_type(headers.get("content-type"))[0]
            if accept and not accept(media_type):
                raise FetchError("unsupported_content_type", media_type or "no content-type")
            body = self._read_body(response, headers, deadline)
        except FetchError:
            _discard(response)  # an error page or a PDF is not worth reading
            raise
        encoding = headers.get("content-encoding", "").strip().lower()
        body = inflate(body, encoding, self.settings.max_decompressed_bytes)
        return Response(url, final_url, status, headers, body)

    def _read_body(self, response, headers: dict[str, str], deadline: float) -> bytes:
        limit = self.settings.max_response_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError("too_large", f"Content-Length {declared}, limit {limit}")
        chunks, size = [], 0
        try:
            with self._watchdog.guard(getattr(response, "watched_socket", None),
                                      deadline) as guard:
                while True:
                    chunk = response.read1(CHUNK_BYTES, decode_content=False)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise FetchError("too_large", f"more than {limit} bytes")
                    chunks.append(chunk)
            if guard.fired:  # a body cut short by the watchdog is no body
                raise self._timeout()
        except FetchError:
            raise
        except Exception as err:
            self._remaining(deadline)
            raise _network_error(err) from None
        response.release_conn()
        return b"".join(chunks)

    def _drain(self, response, deadline: float) -> None:
        """Read what is left of a response we do not need, so its connection is reused."""
        with self._watchdog.guard(getattr(response, "watched_socket", None),
                                  deadline) as guard:
            response.drain_conn()
        if guard.fired:
            _discard(response)
            raise self._timeout()
        response.release_conn()

    def _remaining(self, deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timeout()
        return remaining

    def _timeout(self) -> FetchError:
        return FetchError("timeout", "no complete response by the deadline (total timeout "
                          f"{self.settings.total_timeout_seconds:g} s)")


def _discard(response) -> None:
    """Close the connection mid-response and hand the slot back to its pool."""
    response.close()
    response.release_conn()


def _network_error(err: Exception) -> FetchError:
    """urllib3's exceptions -> our reasons: ``connection_refused`` (nothing listens),
    ``connection_failed`` (no route, unreachable), ``timeout``, ``tls_error``,
    ``connection_error`` (the connection broke mid-exchange). All are retryable."""
    if isinstance(err, Rejected):
        return err if isinstance(err, FetchError) else FetchError(err.reason, err.detail)
    detail = " ".join(f"{type(err).__name__}: {err}".split())
    # NewConnectionError subclasses ConnectTimeoutError: test it first, or a refused
    # connection reads as a timeout.
    if isinstance(err, NewConnectionError):
        refused = isinstance(err.__cause__ or err.__context__, ConnectionRefusedError)
        return FetchError("connection_refused" if refused else "connection_failed", detail)
    if isinstance(err, (ConnectTimeoutError, ReadTimeoutError, TimeoutError)):
        return FetchError("timeout", detail)
    if isinstance(err, SSLError):
        return FetchError("tls_error", detail)
    if isinstance(err, ConnectionRefusedError):
        return FetchError("connection_refused", detail)
    if isinstance(err, (ProtocolError, ConnectionError, HTTPError, OSError)):
        return FetchError("connection_error", detail)
    return FetchError("fetch_failed", detail)
