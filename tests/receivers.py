"""Real HTTP endpoints on loopback for the webhook tests: each records what it gets and
answers as told (fail the first n requests, or hold every request unanswered)."""
from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    fail_first: int = 0  # answer 500 to this many requests first
    hold: bool = False  # never answer (until closed): a hung endpoint
    tls: ssl.SSLContext | None = None  # serve https with this (server side) context
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                with receiver._lock:
                    receiver.received.append(Received(dict(self.headers.items()), body))
                    count = len(receiver.received)
                receiver.arrived.set()
                if receiver.hold:
                    receiver._release.wait(60)
                    return
                status = 500 if count <= receiver.fail_first else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def types(self) -> list[str]:
        return [r.json["type"] for r in self.received]

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]
