"""Is anything listening at the endpoint? A plain TCP connect, beside a request rather than before it.

The SDK retries an unreachable endpoint with backoff and then waits for its deadline (60–180 s),
so a dead address would hang a cell for minutes. A TCP connect with ``connect_timeout`` says in
seconds that nothing listens there, naming the address (ServerUnavailable). An address that
accepted a connection is not asked again for PROBE_TTL seconds.

The connect used to run before the request, so every cell after a pause paid one more round
trip before its own (a full one to the cloud, about a millisecond to a local server, more on a
first cell). Now it runs beside the request (:meth:`Reachability.beside`): the request is not
held back, and only a failed connect matters: it cancels the request and raises. When the
request fails first while the connect is still out, the connect is awaited, so a dead address
is always reported as such rather than as the request's own UNAVAILABLE. A request ended
CANCELLED before any answer is followed by a connect at once: a server shutting down ends the
calls that reach it so, and the status alone would blame a cancel ("cancelled", 6 s after a
local server stopped under a polled --deferred cell, with a cancel of the operation waited out).

An endpoint that answered lately is not asked at once, but it is asked when a request has had no
answer for ``QUIET_AFTER`` seconds: a server that has just gone (a local server stopped between
two cells) refuses the connect, while the SDK would retry its UNAVAILABLE with backoff for about
15 s before the cell could say anything. A live server costs one more connect then, beside a
request already slow.

When the endpoint is reached with TLS, the check also makes a TLS handshake on its connection. A
server that answers it in plaintext (a local server started without ``--tls``) is then named at
once (TlsFailed), where gRPC would retry its failed handshake for about 15 s and report it as
UNAVAILABLE. A gRPC endpoint's certificate is checked against the roots gRPC trusts (the file
GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names, else those grpcio ships), so `%ygpt connect` says a
certificate this machine does not trust at once instead of "Connected"; the name in it is left
to gRPC, which checks it too, as is anything else about the handshake. An ``https://`` chat API
goes through httpx, which trusts other roots: only its plaintext answer is named here.

A gRPC endpoint reached without TLS is sent the first bytes every HTTP/2 client sends (its
preface), and a server that answers them in HTTP/1 is named at once (HttpNotGrpc) with the gRPC
address its HTTP side gives (client/discovery.py): it is the HTTP address `ygpt-magic serve`
prints second, given where the first goes, where gRPC would retry for about 14 s and report
the address as out of reach. A gRPC server answers with its settings, which say nothing here.

Behind a proxy the connect goes to the proxy (client/proxies.py: gRPC's rule, or httpx's for the
chat API), as the request itself does: a network that lets out only the proxy would otherwise
refuse every direct connect to a server the SDK reaches fine. Through an ``http://`` proxy the
check also asks for the target with a CONNECT, with the credentials the variable holds, and reads
the status line only: a proxy that wants other ones (407, an expired proxy password) would
otherwise accept the TCP connect and `%ygpt connect` say "Connected". A proxy that fails is named
as the proxy (ProxyFailed); one the rule would send this machine's own address to is refused before
anything is sent (ProxyInTheWay), since no proxy elsewhere reaches our loopback, and so is one
whose value gRPC and httpx cannot read (ProxyUnusable: gRPC would quote its password).
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import os
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from ..errors import HostNotFound, HttpNotGrpc, ProxyFailed, ProxyInTheWay, ServerUnavailable, TlsFailed
from . import discovery, proxies
from .endpoints import in_cloud, is_loopback
from .rpc_errors import status_of

#: seconds after which a reachable endpoint is probed again before the next request
PROBE_TTL = 30.0

#: seconds without an answer after which an endpoint that answered lately is asked again
QUIET_AFTER = 1.0

#: the first byte of a TLS record: change_cipher_spec, alert, handshake, application_data
TLS_RECORDS = range(0x14, 0x18)

#: an endpoint's name (what messages show) and its (host, port)
Target = tuple[str, tuple[str, int]]

#: where gRPC reads the roots it trusts from, instead of its own, when set
ROOTS_VARIABLE = "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"
#: the bytes read from the server at a time during the handshake
_READ = 65536
#: what an HTTP/2 client sends first (RFC 9113, 3.4), and how an HTTP/1 server's answer begins
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HTTP1_ANSWER = b"HTTP/1."
#: the most seconds the first bytes are waited for after the preface: a gRPC server sends its
#: settings as the connection opens and an HTTP/1 server refuses the preface at once, so only a
#: silent server (hung, or not HTTP) takes longer, and a request that failed meanwhile is not held
#: up by it; an HTTP/1 answer later than this is left to gRPC's own words (rpc_errors)
PREFACE_ANSWER = 0.5


class Reachability:
    """When each endpoint last accepted a connection, and the connect itself. ``lost`` is called
    when a connect fails or finds no gRPC there, HTTP/1 or no TLS (the client then builds fresh
    channels, and closes the old ones when it is closed: client/channels.py); ``tls``:
    the gRPC endpoint is reached with TLS and may answer in plaintext (an ``https://`` chat API
    is checked too)."""

    def __init__(self, connect_timeout: float, lost: Callable[[], None] = lambda: None, *,
                 tls: bool = False):
        self._timeout = connect_timeout
        self._lost = lost
        self._tls = tls
        self._accepted_at: dict[str, float] = {}

    def forget(self) -> None:
        """The next request connects first again (after an UNAVAILABLE)."""
        self._accepted_at.clear()

    def accepted_since(self, name: str, moment: float) -> bool:
        """Whether ``name`` accepted a connection after ``moment`` (a ``time.monotonic()``)."""
        return self._accepted_at.get(name, 0.0) >= moment

    def _fresh(self, name: str) -> bool:
        return time.monotonic() - self._accepted_at.get(name, 0.0) < PROBE_TTL

    def _accepted(self, name: str) -> None:
        self._accepted_at[name] = time.monotonic()

    async def check(self, target: Target, *, again: bool = False) -> None:
        """Return once ``target`` accepts a TCP connection (at once if it did lately, unless
        ``again``); ServerUnavailable if it refuses or does not answer within the connect timeout,
        TlsFailed if it answers TLS in plaintext, HttpNotGrpc if it answers gRPC in HTTP/1,
        ProxyFailed if its proxy wants other credentials."""
        name, address = target
        if self._fresh(name) and not again:
            return
        proxy = proxies.route(name, address)
        if proxy is not None and is_loopback(address[0]):
            self._lost()
            raise in_the_way(name, proxy)
        host, port = (proxy.host, proxy.port) if proxy else address
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), self._timeout)
        except (OSError, asyncio.TimeoutError) as error:  # refused, no answer in time, no route, no such host
            self._lost()
            raise self._unreached(name, address, proxy, error) from None
        try:
            if proxy is not None:
                await self._passes(name, address, proxy, reader, writer)
            elif self._speaks_tls(name):
                await self._answers_tls(name, address[0], reader, writer)
            elif "://" not in name:
                await self._answers_grpc(name, address, reader, writer)
        except (HttpNotGrpc, TlsFailed):
            self._lost()   # gRPC's channels to it would go on reconnecting, an error in its log each time
            raise
        finally:
            writer.close()
        self._accepted(name)

    async def _answers_grpc(self, name: str, address: tuple[str, int], reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
        """HttpNotGrpc when the server answers an HTTP/2 client's preface in HTTP/1, with the
        gRPC address its HTTP side gives. Any other answer, silence or a closed connection say
        nothing here."""
        writer.write(HTTP2_PREFACE)
        try:
            first = await asyncio.wait_for(reader.readexactly(len(HTTP1_ANSWER)),
                                           min(PREFACE_ANSWER, self._timeout))
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError):
            return
        if first == HTTP1_ANSWER:
            raise HttpNotGrpc(name, await discovery.grpc_address(authority(address), self._timeout))

    async def _passes(self, name: str, address: tuple[str, int], proxy: proxies.Proxy,
                      reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """ProxyFailed when an ``http://`` proxy answers a CONNECT for ``address``, sent with the
        variable's credentials as gRPC and httpx send them, with 407: it wants other credentials.
        Only its status line is read. Any other answer, silence or a closed connection say
        nothing here: a proxy may refuse a CONNECT that httpx would not send (it forwards an
        ``http://`` chat API's requests), and the request's own answer says the rest
        (rpc_errors.proxy_refusal). An ``https://`` proxy (httpx's only) is not asked."""
        if not proxy.shown.startswith("http://"):
            return
        writer.write(connect_request(address, proxy.authorization))
        try:
            line = await asyncio.wait_for(reader.readline(), self._timeout)
        except (OSError, ValueError, asyncio.TimeoutError):   # reset, an endless line, no answer in time
            return
        if line.split(b" ")[1:2] == [b"407"]:
            self._lost()
            raise ProxyFailed(name, proxy.shown, proxy.variable, proxy.exempt, status=407)

    def _unreached(self, name: str, address: tuple[str, int], proxy: proxies.Proxy | None,
                   error: BaseException) -> ServerUnavailable:
        """Why a connect failed: a name that does not resolve, else said of the proxy when it
        went to one."""
        refused = isinstance(error, ConnectionRefusedError)
        if isinstance(error, socket.gaierror):
            host = proxy.host if proxy else address[0]
            return HostNotFound(name, host, cloud=proxy is None and in_cloud(host))
        if proxy is not None:
            return ProxyFailed(name, proxy.shown, proxy.variable, proxy.exempt,
                               None if refused else self._timeout, refused=refused)
        return ServerUnavailable(name, refused=True) if refused else ServerUnavailable(name, self._timeout)

    def _speaks_tls(self, name: str) -> bool:
        return name.startswith("https://") or self._tls and "://" not in name

    async def _answers_tls(self, name: str, host: str, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:
        """TlsFailed when the server answers a TLS hello in plaintext (the first byte of its
        reply is not a TLS record's: OpenSSL's name for that failure changed in 3.2, the
        protocol's record types did not), or, for a gRPC endpoint, shows a certificate gRPC's
        roots do not vouch for. Silence, a closed connection, a slow server or any other
        failure say nothing, and are left to gRPC."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = _context(None if name.startswith("https://") else grpc_roots()).wrap_bio(
            incoming, outgoing, server_hostname=host)
        first = True
        while not self._handshake_step(name, tls, writer, outgoing):
            try:
                data = await asyncio.wait_for(reader.read(_READ), self._timeout)
            except (OSError, asyncio.TimeoutError):
                return
            if not data:
                return
            if first and data[0] not in TLS_RECORDS:
                raise TlsFailed(name, plaintext=True)
            first = False
            incoming.write(data)

    @staticmethod
    def _handshake_step(name: str, tls: ssl.SSLObject, writer: asyncio.StreamWriter, outgoing: ssl.MemoryBIO) -> bool:
        """One step of the client's handshake, what it wrote sent (its last flight too, so the
        server sees it complete; after a refused certificate, the alert that says why): False
        while it waits for the server, True once it is over (done, or failed for a reason left
        to gRPC); TlsFailed for a certificate the roots do not vouch for."""
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            return False
        except ssl.SSLCertVerificationError:
            raise TlsFailed(name, "CERTIFICATE_VERIFY_FAILED") from None
        except ssl.SSLError:
            return True
        finally:
            writer.write(outgoing.read())
        return True

    @asynccontextmanager
    async def beside(self, target: Target) -> AsyncIterator[Callable[[], None]]:
        """Run the body (a request, in the current task) while :meth:`check` runs in another
        task. Yields ``answered``: the body calls it when the server has answered (each chunk of
        a streamed request; only the first does anything), which settles the question. A body
        that ends normally has been answered too. An endpoint that answered lately is asked only
        after ``QUIET_AFTER`` seconds with no answer, or as soon as the body fails CANCELLED before
        any answer (:func:`cancelled_by_server`: how a server shutting down ends a call)."""
        name = target[0]
        proxies.route(*target)   # a proxy value gRPC or httpx cannot use: refused before sending
        body = asyncio.current_task()
        assert body is not None, "beside() runs in a task: it is an async context manager"
        failure: list[ServerUnavailable] = []
        finishing = settled = False
        wait = QUIET_AFTER if self._fresh(name) else 0.0
        connecting = not wait  # a failure before the quiet wait is over is the request's own

        async def ask() -> None:
            try:
                await self.check(target, again=True)
            except ServerUnavailable as error:
                failure.append(error)

        async def probe() -> None:
            nonlocal connecting
            if wait:
                await asyncio.sleep(wait)
            connecting = True
            await ask()
            if failure and not finishing:
                body.cancel()

        checking = asyncio.create_task(probe())

        def answered() -> None:
            nonlocal settled
            if not settled:
                settled = True
                checking.cancel()
                self._accepted(name)

        try:
            yield answered
        except asyncio.CancelledError:
            if not failure:
                raise
            _uncancel(body)
            raise failure[0] from None
        except Exception as error:
            finishing = True
            if connecting and not checking.done():
                await asyncio.wait((checking,))  # a Ctrl-C meanwhile still cancels this task
            elif not (failure or settled) and cancelled_by_server(error):
                checking.cancel()   # still in its quiet wait, or connected before the server went
                await ask()
            if failure:
                raise failure[0] from None
            raise
        else:
            answered()
        finally:
            checking.cancel()


def cancelled_by_server(error: BaseException) -> bool:
    """A call the other side ended CANCELLED: the server's own cancel, or its going away, since
    gRPC's core ends a call that reaches a server as it shuts down with CANCELLED (details: just
    "CANCELLED"), once it has stopped listening. Our own cancel of a call ends it in asyncio's
    CancelledError, never in this status."""
    return status_of(error)[0] == "CANCELLED"


def grpc_roots() -> str | None:
    """The file of the roots gRPC trusts: the one GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names, else
    grpcio's own ``roots.pem`` (gRPC's core asks grpcio for it before the system's); None when
    neither is there, and then no certificate is judged here."""
    named = os.environ.get(ROOTS_VARIABLE)
    if named:
        return named
    spec = importlib.util.find_spec("grpc")
    origin = spec.origin if spec is not None else None
    bundled = os.path.join(os.path.dirname(origin), "_cython", "_credentials", "roots.pem") if origin else ""
    return bundled if os.path.isfile(bundled) else None


@functools.lru_cache(maxsize=8)
def _context(roots: str | None) -> ssl.SSLContext:
    """A client context that trusts ``roots`` (a file; None: verifies nothing). The name in the
    certificate is not checked: gRPC checks it, with words of its own. A roots file that cannot
    be read verifies nothing either: gRPC says what is wrong with it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    try:
        context.load_verify_locations(roots)
    except (TypeError, OSError, ssl.SSLError):   # None, or a file not there or not of certificates
        context.verify_mode = ssl.CERT_NONE
    return context


def authority(address: tuple[str, int]) -> str:
    """``address`` as an HTTP request names it: HOST:PORT, an IPv6 host in brackets."""
    host = address[0].strip("[]")
    return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"


def connect_request(address: tuple[str, int], authorization: str | None) -> bytes:
    """The CONNECT request for ``address`` a client sends its proxy, with ``authorization`` as
    its Proxy-Authorization when the variable holds a user."""
    target = authority(address)
    head = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if authorization is not None:
        head.append(f"Proxy-Authorization: {authorization}")
    return ("\r\n".join(head) + "\r\n\r\n").encode()


def in_the_way(name: str, proxy: proxies.Proxy) -> ProxyInTheWay:
    """ProxyInTheWay for a loopback endpoint that ``proxy`` would be asked to reach."""
    return ProxyInTheWay(name, proxy.shown, proxy.variable, proxy.exempt, proxies.exempting(proxy))


def _uncancel(task: asyncio.Task[Any] | None) -> None:
    """The body's cancellation was ours and became ServerUnavailable: take it back, so the task
    is not left counted as cancelled (``Task.uncancel``, Python 3.11+)."""
    uncancel = getattr(task, "uncancel", None)
    if uncancel is not None:
        uncancel()
