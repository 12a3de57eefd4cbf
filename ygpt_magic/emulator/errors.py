"""The exceptions of the emulator's request handling: a request refused with a gRPC status.

Validation code raises RequestError and services turn it into ``context.abort(code, message)``,
so validation stays free of gRPC. CallAborted is what ``abort`` raises when the call came over
HTTP, so the HTTP side can answer with the status the gRPC side would have sent.
"""

from __future__ import annotations

import grpc


def status_code(code: str | grpc.StatusCode) -> grpc.StatusCode:
    """Accept ``"UNAVAILABLE"`` or ``grpc.StatusCode.UNAVAILABLE``; reject anything else clearly.

    OK is refused as well: every status taken here ends a call as a failure (a refusal, an
    injected fault, a broken stream), and grpc cannot abort a call with OK, so such a call was
    never finished and the client waited for its deadline.
    """
    status = code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.__members__.get(str(code).upper())
    if status is None:
        raise ValueError(f"Unknown gRPC status {code!r}; use one of: {_FAILURES}.")
    if status is grpc.StatusCode.OK:
        raise ValueError(f"OK is not a failure: a call cannot be failed with it; use one of: {_FAILURES}.")
    return status


#: the statuses a call can fail with, as the refusals list them
_FAILURES = ", ".join(c.name for c in grpc.StatusCode if c is not grpc.StatusCode.OK)


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
