"""The exceptions of the emulator's request handling: a request refused with a gRPC status.

Validation code raises RequestError and services turn it into ``context.abort(code, message)``,
so validation stays free of gRPC. CallAborted is what ``abort`` raises when the call came over
HTTP, so the HTTP side can answer with the status the gRPC side would have sent.
"""

from __future__ import annotations

import grpc


def status_code(code: str | grpc.StatusCode) -> grpc.StatusCode:
    """Accept ``"UNAVAILABLE"`` or ``grpc.StatusCode.UNAVAILABLE``; reject anything else clearly."""
    if isinstance(code, grpc.StatusCode):
        return code
    try:
        return grpc.StatusCode[str(code).upper()]
    except KeyError:
        known = ", ".join(c.name for c in grpc.StatusCode)
        raise ValueError(f"Unknown gRPC status {code!r}; use one of: {known}.") from None


class RequestError(Exception):
    """A request the server refuses, with the status and the message the client will see."""

    def __init__(self, code: str | grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = status_code(code)
        self.message = message


class CallAborted(grpc.aio.AbortError):
    """An RPC ended with a status while served over HTTP (grpc.aio raises AbortError there too,
    so the services' own ``except grpc.aio.AbortError`` lets it through unchanged)."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
