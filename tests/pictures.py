"""What the picture tests share: the shell with the local server's chat API, and small pictures."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from PIL import Image

MODEL = "gemma-3-27b-it"


@pytest.fixture
def pics(shell, ygpt_server):
    """The test shell with the local server's chat API given, as a user of `ygpt-magic serve` would."""
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {ygpt_server.http_url}")
    yield shell
    for name in ("fig", "ax", "photo", "png", "jpeg", "path", "shown", "notes"):
        shell.user_ns.pop(name, None)
    plt.close("all")


@dataclass
class CannedChatAPI:
    """A chat API address that answers every POST with the one reply a test sets (a wrong
    ``--http`` address, or the cloud's recorded answer), beside the local server's gRPC side."""

    url: str = ""  # as a user gives it to --http, without /v1/
    status: int = 200
    content_type: str = "application/json"
    body: bytes = field(default=b"", repr=False)
    headers: dict[str, str] = field(default_factory=dict)  # sent with the reply, e.g. Retry-After
    posts: int = 0  # the requests it answered

    def answer(self, status: int, content_type: str, body: bytes, **headers: str) -> None:
        """``headers``: named with underscores for dashes (``Retry_After="2"``)."""
        self.status, self.content_type, self.body = status, content_type, body
        self.headers = {name.replace("_", "-"): value for name, value in headers.items()}


@pytest.fixture
def canned_chat_api() -> Iterator[CannedChatAPI]:
    """Served on a thread that polls every 0.05 s, so teardown does not wait the default 0.5 s."""
    api = CannedChatAPI()

    class Canned(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            api.posts += 1
            self.send_response(api.status)
            self.send_header("Content-Type", api.content_type)
            for name, value in api.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(api.body)))
            self.end_headers()
            self.wfile.write(api.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    api.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield api
    server.shutdown()
    server.server_close()


def cloud_error(status: int, message: str) -> bytes:
    """The cloud's error JSON (docs/local-server/http.md), for a canned chat API's refusal."""
    return json.dumps({"error": {"grpcCode": {404: 5, 413: 3, 429: 8, 503: 14}.get(status, 2), "httpCode": status,
                                 "message": message, "details": []}}).encode()


def png_bytes(width: int = 64, height: int = 48, color=(30, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def chart():
    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([1, 3, 2, 5])
    return fig, ax


def turns(magics):
    return magics.kernel.session.chat().turns
