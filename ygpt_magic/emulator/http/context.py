"""A stand-in for grpc.aio.ServicerContext, so the gRPC services answer HTTP requests unchanged.

The services need three things from a context: the request's metadata (the ``authorization``
entry the auth check reads, taken from the HTTP ``Authorization`` header), the client's address
(``peer``) and ``abort``, which here raises CallAborted for the HTTP route to turn into the
cloud's error JSON.
"""

from __future__ import annotations

from typing import NoReturn

import grpc
from aiohttp import web

from ..addresses import joined
from ..errors import CallAborted


class HttpContext:
    """The part of grpc.aio.ServicerContext that the services use."""

    def __init__(self, request: web.Request):
        header = request.headers.get("Authorization")
        self._metadata = (("authorization", header),) if header is not None else ()
        self._remote = request.transport.get_extra_info("peername") if request.transport else None

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def peer(self) -> str:
        """The client's address as gRPC writes it (``ipv4:HOST:PORT``, ``ipv6:[HOST]:PORT``)."""
        if not self._remote:
            return ""
        host, port = self._remote[0], self._remote[1]
        return f"ipv6:{joined(host, port)}" if ":" in host else f"ipv4:{joined(host, port)}"

    async def abort(self, code: grpc.StatusCode, details: str = "") -> NoReturn:
        raise CallAborted(code, details)
