"""The one exception the emulator's request handling raises: a gRPC status with a message.

Services turn it into ``context.abort(code, message)``, so validation code stays free of gRPC.
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
