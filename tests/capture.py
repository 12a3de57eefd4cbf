"""Servers that only record what a client sends them, for tests of where a credential goes.

``GrpcCapture`` records each call's method and metadata and refuses it (UNAUTHENTICATED);
``HttpCapture`` records each request's method, path and headers and answers 401, or a 307
redirect to another address. Neither is Yandex's nor the local server: they stand for "another
machine" (bound to a non-loopback address of this one when a test needs the network).
"""

from __future__ import annotations

import http.server
import socket
import threading
from concurrent import futures
from typing import Any

import grpc


def lan_address() -> str | None:
    """This machine's address on its network (not loopback), or None: where "another machine"
    listens in a test (a UDP socket's connect sends nothing; it only picks the route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


class GrpcCapture:
    """A gRPC server at ``address`` that records ``calls`` (method, metadata) and refuses each."""

    def __init__(self, host: str = "127.0.0.1"):
        self.calls: list[tuple[str, dict[str, Any]]] = []
        calls = self.calls

        class Handler(grpc.GenericRpcHandler):
            def service(self, details: Any) -> Any:
                calls.append((details.method, dict(details.invocation_metadata)))

                def refuse(request: Any, context: Any) -> None:
                    context.abort(grpc.StatusCode.UNAUTHENTICATED, "captured")

                streamed = "Completion" in details.method and "Async" not in details.method
                return (grpc.unary_stream_rpc_method_handler(refuse) if streamed
                        else grpc.unary_unary_rpc_method_handler(refuse))

        self.server = grpc.server(futures.ThreadPoolExecutor(4), handlers=[Handler()])
        self.address = f"{host}:{self.server.add_insecure_port(f'{host}:0')}"
        self.server.start()

    def __enter__(self) -> GrpcCapture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop(0)


class HttpCapture:
    """An HTTP server at ``url`` that records ``seen`` (method, path, headers); it answers 307 to
    ``redirect`` + the path if given, else 401."""

    def __init__(self, host: str = "127.0.0.1", redirect: str | None = None):
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        seen = self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                seen.append((self.command, self.path, dict(self.headers)))
                body = b"" if redirect else b'{"error": {"message": "captured"}}'
                self.send_response(307 if redirect else 401)
                if redirect:
                    self.send_header("Location", redirect + self.path)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _any

        self.httpd = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def __enter__(self) -> HttpCapture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
