"""A real HTTP/1.1 server on loopback addresses for tests and benchmarks.

Several "hosts" are several 127.0.0.x addresses (Linux routes all of 127.0.0.0/8 to
loopback), all on one port. A ``route(request) -> Reply`` function answers; every request
is logged with its host, path, headers and arrival time.
"""
from __future__ import annotations

import dataclasses
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclasses.dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    delay: float = 0.0       # seconds before answering
    chunked: bool = False    # no Content-Length: the client cannot know the size up front
    trickle: float = 0.0     # seconds between bytes of the status line and headers


@dataclasses.dataclass(frozen=True)
class Request:
    host: str                # the address the request came in on
    path: str                # with its query
    headers: dict[str, str]  # lowercased names
    at: float                # time.monotonic() on arrival
    peer_port: int           # the client's port: the same one means a reused connection


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    # TCP_NODELAY, as web servers set it: headers and body go out in separate writes, and
    # with Nagle's algorithm the body waits for the client's delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True

    def do_GET(self):
        request = Request(self.server.server_address[0], self.path,
                          {k.lower(): v for k, v in self.headers.items()}, time.monotonic(),
                          self.client_address[1])
        self.server.log_request_(request)
        reply = self.server.route(request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.trickle:
            return self._trickle(reply)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.chunked:
            for start in range(0, len(reply.body), 65536):
                piece = reply.body[start:start + 65536]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(reply.body)

    def _trickle(self, reply: Reply) -> None:
        """Headers one byte at a time: each read is quick, the whole takes bytes x trickle."""
        head = f"HTTP/1.1 {reply.status} OK\r\nContent-Length: {len(reply.body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in reply.headers.items())
        for byte in (head + "\r\n").encode("latin-1"):
            self.wfile.write(bytes([byte]))
            time.sleep(reply.trickle)
        self.wfile.write(reply.body)

    def log_message(self, *args):  # quiet: the request log is kept in memory
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address, route, log_request):
        self.route, self.log_request_ = route, log_request
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address):
        pass  # clients that gave up (timeouts, size limits) reset connections: expected


class LoopbackSites:
    """``hosts`` 127.0.0.x addresses on one free port (or on ``port``: a site that was
    down comes back where it was); use as a context manager."""

    def __init__(self, hosts: list[str], route: Callable[[Request], Reply], port: int = 0):
        self.hosts, self.route, self.wanted_port = hosts, route, port
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._servers: list[_Server] = []

    def _log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def __enter__(self) -> "LoopbackSites":
        for _ in range(20):
            first = _Server((self.hosts[0], self.wanted_port), self.route, self._log)
            self.port = first.server_address[1]
            try:
                others = [_Server((host, self.port), self.route, self._log) for host in self.hosts[1:]]
            except OSError:  # the port is taken on another address: try another port
                first.server_close()
                continue
            self._servers = [first, *others]
            break
        else:
            raise RuntimeError("no port free on all loopback hosts")
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self, since: int = 0) -> list[str]:
        """``host:path`` of each request logged after the first ``since``."""
        with self._lock:
            return [f"{r.host}{r.path}" for r in self.requests[since:]]


def loopback_hosts(count: int) -> list[str]:
    return [f"127.0.0.{i}" for i in range(1, count + 1)]


def free_loopback() -> bool:
    """Whether 127.0.0.2 is usable (it is on Linux; not on every system)."""
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.2", 0))
        return True
    except OSError:
        return False
