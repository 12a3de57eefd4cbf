"""A stand-in for grpc.aio.ServicerContext, so the gRPC services answer HTTP requests unchanged.

The services need two things from a context: the request's metadata (the ``authorization``
entry the auth check reads, taken from the HTTP ``Authorization`` header) and ``abort``, which
here raises CallAborted for the HTTP route to turn into the cloud's error JSON.
"""

from __future__ import annotations

from typing import NoReturn

import grpc
from aiohttp import web

from ..errors import CallAborted


class HttpContext:
    """The part of grpc.aio.ServicerContext that the services use."""

    def __init__(self, request: web.Request):
        header = request.headers.get("Authorization")
        self._metadata = (("authorization", header),) if header is not None else ()

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    async def abort(self, code: grpc.StatusCode, details: str = "") -> NoReturn:
        raise CallAborted(code, details)
