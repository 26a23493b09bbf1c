"""Shared fixtures: the UI directory on sys.path and a fake model API on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

UI_DIR = Path(__file__).resolve().parent.parent
if str(UI_DIR) not in sys.path:
    sys.path.insert(0, str(UI_DIR))

SETOSA_ANSWER = {
    "species": "setosa",
    "probabilities": {"setosa": 0.97, "versicolor": 0.025, "virginica": 0.005},
}


@dataclass
class FakeApi:
    """What the fake API answers next, and the requests it has received."""

    url: str
    status: int = 200
    body: Any = field(default_factory=lambda: dict(SETOSA_ANSWER))
    delay: float = 0.0
    requests: list[tuple[str, Any]] = field(default_factory=list)


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    """A real HTTP server on 127.0.0.1 (random port) playing the model API under /api."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = FakeApi(url=f"http://127.0.0.1:{server.server_address[1]}/api")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append((self.path, json.loads(self.rfile.read(length) or b"null")))
            if state.delay:
                threading.Event().wait(state.delay)
            payload = state.body if isinstance(state.body, bytes) else json.dumps(state.body)
            data = payload if isinstance(payload, bytes) else payload.encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server.RequestHandlerClass = Handler
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_url() -> str:
    """An API URL on 127.0.0.1 where nothing listens (the port was just freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"
