"""The aiohttp application of the local server and its start/stop on the gRPC server's loop.

Each API is a module with ``add_routes(app, state)``, listed once in ``ROUTE_MODULES``. What
every route shares lives here: the body size limit, the idle-connection bound, and errors in the
cloud's JSON form (an unknown path is a 404 with the same body the cloud's gateway sends, never
aiohttp's page).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from types import ModuleType

from aiohttp import web

from ..addresses import connect_to, joined
from ..errors import CallAborted, RequestError
from ..logs import logger
from ..state import EmulatorState
from . import chat, classification, embeddings, files, rest
from .dual_stack import listen_on
from .status import GRPC_CODES, cloud_error

#: the API modules; each has ``add_routes(app: web.Application, state: EmulatorState)``
ROUTE_MODULES: tuple[ModuleType, ...] = (rest, chat, embeddings, files, classification)
#: the largest request body accepted (a chat with a few images fits; the cloud's limit is similar)
MAX_BODY_BYTES = 16 * 1024 * 1024
#: how long a connection may wait for a request's headers, or sit idle between requests, before
#: the server closes it (aiohttp's keepalive_timeout, which from 3.14.4 on also covers a
#: connection that never sends a request). Headers take milliseconds to arrive; without a bound a
#: stalled or hostile client held its socket (and, through the HTTPS proxy, a tunnel) for an hour.
#: Longer than the 5 s for which httpx (the SDK's and openai's HTTP client) keeps an idle
#: connection for reuse, so a client never sends a request on a connection the server is closing.
#: The default of ``serve --idle-timeout`` and ``start_local_server(idle_timeout=)``: the tests of
#: the bound itself set a second, so they do not wait ten.
IDLE_TIMEOUT = 10.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def cloud_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals as the cloud's error JSON: a request the routes refuse (RequestError: a body that
    is not a request), a call the services end with a status (CallAborted), and aiohttp's own
    (no route, wrong method, body too large)."""
    try:
        return await handler(request)
    except (RequestError, CallAborted) as error:
        return cloud_error(error.code, error.message)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = GRPC_CODES.get(error.status)
        if code is None:
            raise
        return cloud_error(code, _explain(request, error), status=error.status)


def _explain(request: web.Request, error: web.HTTPException) -> str:
    if error.status == 404:
        return (f"No method at {request.method} {request.path} on this server. It answers the "
                "REST API under /foundationModels/v1/, /operations/ and /endpoints, and the "
                "OpenAI-compatible API under /v1/ (chat/completions, models).")
    if error.status == 405:
        allowed = sorted(getattr(error, "allowed_methods", ()))  # web.HTTPMethodNotAllowed's
        return f"{request.path} does not take {request.method}; allowed: {', '.join(allowed)}."
    if error.status == 413:
        return (f"The request body is over the local server's limit of {MAX_BODY_BYTES // (1024 * 1024)} MiB. "
                "Send smaller images or a shorter history.")
    return error.text or error.reason


def build_app(state: EmulatorState) -> web.Application:
    """The application with every API's routes; ``state`` is the one the gRPC services share."""
    app = web.Application(middlewares=[cloud_errors], client_max_size=MAX_BODY_BYTES)
    for module in ROUTE_MODULES:
        module.add_routes(app, state)
    return app


class HttpServer:
    """The running HTTP side: its URL and its stop."""

    def __init__(self, runner: web.AppRunner, url: str):
        self._runner = runner
        self.url = url

    async def stop(self) -> None:
        await self._runner.cleanup()


def bind_reason(error: OSError) -> str:
    """The system's words for a failed bind ("address already in use"), to go inside a sentence:
    by its errno, since asyncio's message wraps them in "error while attempting to bind on
    address (…)"; a name lookup's error (negative errno) in its own words."""
    if error.errno and error.errno > 0:
        return os.strerror(error.errno).lower()
    return (error.strerror or str(error)).lower()


async def start_http(state: EmulatorState, host: str, port: int, *, shutdown_timeout: float = 1.0,
                     idle_timeout: float = IDLE_TIMEOUT) -> HttpServer:
    """Bind and start on the running loop; fills ``state.http_url`` ("http://HOST:PORT")."""
    # aiohttp's own lines go through the server's logger, one line each (logs.py); each request's
    # line is its handler's, so aiohttp's access log stays off
    runner = web.AppRunner(build_app(state), access_log=None, logger=logger, handle_signals=False,
                           shutdown_timeout=shutdown_timeout, keepalive_timeout=idle_timeout)
    await runner.setup()
    try:
        where = listen_on(host, port)
        site = (web.SockSite(runner, where["sock"]) if "sock" in where else
                web.TCPSite(runner, host, port, reuse_address=True))
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise OSError(f"Cannot listen for HTTP on {joined(host, port)} ({bind_reason(error)}); choose another "
                      "--http-port (0 picks a free one).") from None
    bound = runner.addresses[0][1]
    state.http_url = f"http://{connect_to(host, bound)}"
    return HttpServer(runner, state.http_url)
