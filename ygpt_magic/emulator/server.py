"""Build the local server (gRPC and HTTP on one loop) and run it, in-process on its own thread or
as the main program.

``start_local_server()`` gives tests, benchmarks and ``%ygpt connect local`` a server on a free
port, running on its own thread and event loop, so it never competes with the event loop of the
SDK (or of a Jupyter kernel) that talks to it.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

import grpc
from yandex.cloud.ai.batch_inference.v1 import batch_inference_service_pb2_grpc as batch_grpc
from yandex.cloud.ai.dataset.v1 import dataset_service_pb2_grpc as dataset_grpc
from yandex.cloud.ai.foundation_models.v1.embedding import embedding_service_pb2_grpc as emb_grpc
from yandex.cloud.ai.foundation_models.v1.text_classification import text_classification_service_pb2_grpc as tc_grpc
from yandex.cloud.ai.foundation_models.v1.text_generation import text_generation_service_pb2_grpc as tg_grpc
from yandex.cloud.endpoint import api_endpoint_service_pb2_grpc as endpoint_grpc
from yandex.cloud.operation import operation_service_pb2_grpc as op_grpc

from .addresses import connect_to, joined
from .faults import Faults
from .http import HttpServer, start_http
from .http.app import IDLE_TIMEOUT, bind_reason
from .http.proxy import HttpsProxy, start_proxy
from .logs import logger
from .responders import Responder, ResponderChain
from .responders.chat_replay import ChatReplayResponder
from .responders.fallback import FallbackResponder
from .responders.replay import ReplayResponder
from .responders.scripted import ScriptedResponder
from .responders.tools import ToolResponder
from .services.batch import BatchInferenceService, TextGenerationBatchService
from .services.datasets import DatasetService
from .services.discovery import ApiEndpointService
from .services.embeddings import EmbeddingsService
from .services.operations import OperationService, OperationStore, TextGenerationAsyncService
from .services.text_classification import TextClassificationService
from .services.text_generation import TextGenerationService
from .services.tokenizer import TokenizerService
from .services.unserved import UnservedServices
from .state import REQUEST_LOG_SIZE, EmulatorState, RequestLog

DEFAULT_OPERATION_DELAY = 0.3
DEFAULT_BATCH_ROW_DELAY = 0.01


def build_responders(scripts: Iterable[str | Path] | None = None, gguf: str | Path | None = None) -> ResponderChain:
    """Replay (the chat API's recordings, then gRPC's), then scripts, then the tool model, then
    the fallback; or a local llama.cpp model for everything."""
    chain: list[Responder]
    if gguf is not None:
        from .responders.llama import LlamaResponder  # lazy: llama_cpp is an optional extra

        chain = [LlamaResponder(gguf)]
    else:
        chain = [ChatReplayResponder(), ReplayResponder(), ScriptedResponder(scripts or ()), ToolResponder(),
                 FallbackResponder()]
    return ResponderChain(chain)


class RunningServer:
    """The gRPC server, the HTTP server and the HTTPS proxy (if any) of one local server,
    stopped together, with the work they started."""

    def __init__(self, grpc_server: grpc.aio.Server, http: HttpServer, operations: OperationStore,
                 proxy: HttpsProxy | None = None):
        self.grpc = grpc_server
        self.http = http
        self.operations = operations
        self.proxy = proxy

    async def stop(self, grace: float) -> None:
        """Stop serving (a call still running is given ``grace`` seconds), then let what the stop
        left end on its own. gRPC's stop returns before the tasks of the calls it ended have
        finished; the loop closed on one in that moment cancels gRPC's task around it, which
        prints a CancelledError traceback onto stderr: in a kernel, into the running cell. So the
        server's own work (batch jobs, deferred completions) is cancelled, and the stop waits for
        every task left, at most UNWIND_LIMIT (a few turns of the loop in practice)."""
        if self.proxy is not None:
            await self.proxy.stop()
        await self.http.stop()
        await self.grpc.stop(grace)
        self.operations.cancel_all()
        left = asyncio.all_tasks() - {asyncio.current_task()}
        if left:
            await asyncio.wait(left, timeout=UNWIND_LIMIT)


#: seconds a stop waits for the tasks it left to end before the loop closes on them: only a task
#: stuck past its cancellation (none is known) takes it
UNWIND_LIMIT = 1.0


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Close a stopped server's loop as ``asyncio.run`` closes its own: a task the stop left
    running (one stuck past RunningServer.stop's UNWIND_LIMIT) is cancelled and let end, and
    the async generators closed, so none is destroyed while pending."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


def _quiet_grpc_wakeups(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The in-process server's exception handler. grpcio before 1.80 binds grpc.aio's completion
    queue to every asyncio loop that uses it (this server's and, in a kernel, the SDK client's:
    grpc/grpc#25364); the loop that loses a wake-up reports BlockingIOError from
    ``PollerCompletionQueue._handle_events``, and asyncio's default handler would print that
    traceback into the running cell, mid-reply. Nothing is lost (the other loop reads the event),
    so it goes to a DEBUG line; every other report goes to asyncio's default handler, as before.
    (The client's loop has its own handler, client/loop.py: the emulator imports nothing of it.)"""
    if isinstance(context.get("exception"), BlockingIOError) and "PollerCompletionQueue" in context.get("message", ""):
        logger.debug("grpc.aio's lost wake-up on the local server's loop (grpcio < 1.80), ignored")
        return
    loop.default_exception_handler(context)


async def serve(state: EmulatorState, host: str, port: int, http_port: int = 0,
                credentials: grpc.ServerCredentials | None = None, proxy_tls: ssl.SSLContext | None = None,
                proxy_port: int = 0, idle_timeout: float = IDLE_TIMEOUT) -> RunningServer:
    """Create, bind and start both servers on the running loop; fills ``state.address`` and
    ``state.http_url``. With ``credentials`` gRPC serves TLS (see tls.py), else plain text;
    with ``proxy_tls`` an HTTPS proxy for unchanged chat-API scripts listens too (http/proxy.py).
    ``idle_timeout``: how long the HTTP side and the proxy keep a silent connection (app.py)."""
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    store = state.operations = OperationStore(state)
    endpoint_grpc.add_ApiEndpointServiceServicer_to_server(ApiEndpointService(state), server)
    tg_grpc.add_TextGenerationServiceServicer_to_server(TextGenerationService(state), server)
    tg_grpc.add_TextGenerationAsyncServiceServicer_to_server(TextGenerationAsyncService(state, store), server)
    tg_grpc.add_TokenizerServiceServicer_to_server(TokenizerService(state), server)
    emb_grpc.add_EmbeddingsServiceServicer_to_server(EmbeddingsService(state), server)
    tc_grpc.add_TextClassificationServiceServicer_to_server(TextClassificationService(state), server)
    # the generated base answers the methods not served here (previews, types) with UNIMPLEMENTED
    dataset_grpc.add_DatasetServiceServicer_to_server(DatasetService(state, store), server)  # type: ignore[abstract]
    tg_grpc.add_TextGenerationBatchServiceServicer_to_server(TextGenerationBatchService(state, store), server)
    batch_grpc.add_BatchInferenceServiceServicer_to_server(BatchInferenceService(state), server)
    op_grpc.add_OperationServiceServicer_to_server(OperationService(state, store), server)
    server.add_generic_rpc_handlers((UnservedServices(state),))   # last: only what none of the above serves
    state.address = connect_to(host, _bind_grpc(server, host, port, credentials))
    state.listening = host
    await server.start()
    try:
        http = await start_http(state, host, http_port, idle_timeout=idle_timeout)
    except OSError:
        await server.stop(None)
        raise
    proxy = None
    if proxy_tls is not None:
        http_side = urlsplit(state.http_url)
        try:
            proxy = await start_proxy(host, proxy_port, http_side.hostname or host, http_side.port or 0, proxy_tls,
                                      idle_timeout)
        except OSError:
            await RunningServer(server, http, store).stop(0)
            raise
        state.proxy_url = proxy.url
    return RunningServer(server, http, store, proxy)


def _bind_grpc(server: grpc.aio.Server, host: str, port: int, credentials: grpc.ServerCredentials | None) -> int:
    """The port gRPC listens on, or an OSError in one line that says what to change. gRPC
    refuses an address it cannot bind with a RuntimeError that says nothing of why, after a log
    line of its own on the terminal, so the address is tried first (_check_address); only one
    taken in the moment between the two still shows gRPC's line."""
    _check_address(host, port)
    address = joined(host, port)
    try:
        bound: int = (server.add_insecure_port(address) if credentials is None else
                      server.add_secure_port(address, credentials))
    except RuntimeError:
        raise OSError(f"Cannot listen on {address}; choose another --port (0 picks a free one).") from None
    return bound


def _check_address(host: str, port: int) -> None:
    """OSError, in the words of the HTTP side's refusal, if no address ``host`` names can take
    ``port``: in use, not this machine's (an IPv6 one where it has none), or not a host at all.
    A probe socket binds as gRPC does (SO_REUSEADDR, so a port that only lingers after a previous
    run counts as free)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise OSError(f"Cannot listen on {joined(host, port)} ({bind_reason(error)}); {_HOST_ADVICE}") from None
    problems = []
    for family, kind, protocol, _, address in addresses:
        try:   # a machine without IPv6 refuses the socket itself (EAFNOSUPPORT)
            with socket.socket(family, kind, protocol) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
                return
        except OSError as error:
            problems.append(error)
    first = problems[0]
    advice = (_HOST_ADVICE if first.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) else
              "choose another --port (0 picks a free one).")
    raise OSError(f"Cannot listen on {joined(host, port)} ({bind_reason(first)}); {advice}")


_HOST_ADVICE = ("give --host an address of this machine (127.0.0.1: this machine only, 0.0.0.0: every interface; "
                "::1 and :: for IPv6, where this machine has it).")


class LocalServer:
    """A running local server: its address, what it received, and its fault controls."""

    def __init__(self, state: EmulatorState, loop: asyncio.AbstractEventLoop, thread: threading.Thread,
                 server: RunningServer):
        self._state = state
        self._loop = loop
        self._thread = thread
        self._server = server
        self._stopping = threading.Lock()

    @property
    def address(self) -> str:
        """``"HOST:PORT"``, to pass to the SDK as ``endpoint`` or in ``service_map``."""
        return self._state.address

    @property
    def http_url(self) -> str:
        """``"http://HOST:PORT"``: the REST API (``/foundationModels/v1/...``) and the
        OpenAI-compatible API (``/v1/``, for the SDK's ``service_map={"http_completions": ...}``)."""
        return self._state.http_url

    @property
    def requests(self) -> RequestLog:
        """The requests received lately, oldest first: model calls, and dataset and batch calls with
        their fields (discovery, operation polls and a batch job's status polls are not listed);
        the last ``keep_requests`` of them, so a long-running server stays small."""
        return self._state.requests

    @property
    def faults(self) -> Faults:
        return self._state.faults

    @property
    def billed(self) -> dict[str, int]:
        """The tokens of every completion answered in full since the last reset (input,
        completion, total), as the cloud would bill them."""
        return dict(self._state.billed)

    @property
    def operation_delay(self) -> float:
        """Seconds a deferred operation stays not-done (so a waiting indicator can be seen)."""
        return self._state.operation_delay

    @operation_delay.setter
    def operation_delay(self, seconds: float) -> None:
        self._state.operation_delay = float(seconds)

    @property
    def batch_row_delay(self) -> float:
        """Seconds a batch job spends on each row (and on each status before IN_PROGRESS)."""
        return self._state.batch_row_delay

    @batch_row_delay.setter
    def batch_row_delay(self, seconds: float) -> None:
        self._state.batch_row_delay = float(seconds)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def task_count(self) -> int:
        """Tasks alive on the server's loop (a test checks that an abandoned call leaves none)."""
        async def count() -> int:
            return len(asyncio.all_tasks()) - 1   # not this one
        return asyncio.run_coroutine_threadsafe(count(), self._loop).result(timeout=5)

    def reset(self) -> None:
        """Clear the faults and the received requests (what the pytest fixture does per test)."""
        self._state.faults.clear()
        self._state.requests.clear()
        self._state.billed.update(dict.fromkeys(self._state.billed, 0))

    def stop(self, grace: float = 0.5) -> None:
        """Stop serving and join the server's thread; safe to call twice, and from two threads
        at once (a test's timer and its ``with`` block): the second waits for the first."""
        with self._stopping:
            if not self._thread.is_alive():
                return
            future = asyncio.run_coroutine_threadsafe(self._server.stop(grace), self._loop)
            future.result(timeout=grace + 5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._state.responders.close()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<LocalServer {self.address} {self.http_url} {'running' if self.running else 'stopped'}>"


class _Started(TypedDict, total=False):
    """What the server's thread hands back: the running server, or why it could not start."""

    server: RunningServer
    error: BaseException


def start_local_server(
    host: str = "127.0.0.1",
    port: int = 0,
    scripts: Sequence[str | Path] | None = None,
    gguf: str | Path | None = None,
    *,
    http_port: int = 0,
    operation_delay: float = DEFAULT_OPERATION_DELAY,
    batch_row_delay: float = DEFAULT_BATCH_ROW_DELAY,
    keep_requests: int = REQUEST_LOG_SIZE,
    api_key: str | None = None,
    idle_timeout: float = IDLE_TIMEOUT,
) -> LocalServer:
    """Start a server on its own thread and event loop; return once it accepts connections.
    ``api_key``: the only key it takes (the in-kernel server's, so it answers that kernel
    alone); None takes any key. ``idle_timeout``: how long a silent HTTP connection is kept."""
    state = EmulatorState(responders=build_responders(scripts, gguf), operation_delay=operation_delay,
                          batch_row_delay=batch_row_delay,
                          requests=RequestLog(keep_requests), api_key=api_key)
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_quiet_grpc_wakeups)
    started: _Started = {}
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            started["server"] = loop.run_until_complete(serve(state, host, port, http_port,
                                                              idle_timeout=idle_timeout))
        except BaseException as error:  # reported to the caller below
            started["error"] = error
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        _close(loop)

    thread = threading.Thread(target=run, name=f"ygpt-local-server-{port}", daemon=True)
    thread.start()
    ready.wait()
    if "error" in started:
        raise started["error"]
    return LocalServer(state, loop, thread, started["server"])
