"""A real HTTP receiver for webhook tests, on 127.0.0.1 (a port of its own, or one given), in a thread: it keeps
every request (path, headers, body) and answers with the status (and Location) the test sets."""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    thread: threading.Thread
    requests: list[Received] = field(default_factory=list)
    status: int = 204
    location: str = ""

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def verified(self, secret: str) -> list[dict]:
        """Every request's payload, each signature checked with standardwebhooks (raises if one fails)."""
        return [Webhook(secret).verify(r.body, r.headers) for r in self.requests]


def start_receiver(port: int = 0) -> Receiver:
    holder: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver = holder["receiver"]
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(receiver.status)
            if receiver.location:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    receiver = Receiver(server, thread)
    holder["receiver"] = receiver
    thread.start()
    return receiver


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def receiver():
    running = start_receiver()
    yield running
    running.stop()


@pytest.fixture
def loopback_allowed(app, monkeypatch):
    """Deliveries may reach the receiver on 127.0.0.1 (WEBHOOKS_ALLOW_PRIVATE, as in development)."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)
