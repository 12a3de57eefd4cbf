"""An HTTPS proxy that takes the SDK's calls to the cloud's HTTP host to this server's HTTP side.

The SDK finds its HTTP endpoint (``sdk.chat``) by the cloud endpoint's host alone: for
``api.cloud.yandex.net`` it is ``https://llm.api.cloud.yandex.net/v1/``, and no environment
variable or discovery answer changes that. Its HTTP client (httpx) does honour ``HTTPS_PROXY``
and ``SSL_CERT_FILE``, so an unchanged script reaches the local server with
``HTTPS_PROXY=http://127.0.0.1:PROXY_PORT SSL_CERT_FILE=DIR/cert.pem``: this proxy answers the
``CONNECT llm.api.cloud.yandex.net:443``, ends TLS with the local certificate (tls.py, which
names that host too), and passes the plain HTTP on to the HTTP side. It connects nowhere else:
any other host is refused with a 403 that names this proxy and the host it serves (``refusal``),
so nothing leaves the machine. A client that sends no
CONNECT head, or no request through its tunnel, is let go after the idle timeout (``IDLE_TIMEOUT``
in app.py unless ``serve --idle-timeout`` says otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import sys

from ..addresses import connect_to, joined
from ..logs import logger
from .app import IDLE_TIMEOUT, bind_reason
from .dual_stack import listen_on

#: the hosts whose HTTPS the proxy serves itself (the SDK's http_completions endpoint)
CLOUD_HTTP_HOSTS = ("llm.api.cloud.yandex.net",)
_HEAD_LIMIT = 16 * 1024


class HttpsProxy:
    """The running proxy: its URL and its stop (which also ends open tunnels, so a client's
    keep-alive connection cannot hold the server up)."""

    def __init__(self, server: asyncio.AbstractServer, url: str, open_writers: set[asyncio.StreamWriter]):
        self._server = server
        self._open = open_writers
        self.url = url

    async def stop(self) -> None:
        self._server.close()
        for writer in list(self._open):
            writer.close()
        await self._server.wait_closed()


async def start_proxy(host: str, port: int, http_host: str, http_port: int, tls: ssl.SSLContext,
                      idle_timeout: float = IDLE_TIMEOUT) -> HttpsProxy:
    """Listen on ``host:port`` (0: a free port) and tunnel CONNECTs for the cloud's HTTP host to
    ``http_host:http_port``; a client silent for ``idle_timeout`` seconds is let go."""
    open_writers: set[asyncio.StreamWriter] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        open_writers.add(writer)
        try:
            await _tunnel(reader, writer, http_host, http_port, tls, idle_timeout)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError) as error:
            logger.info("proxy: connection ended (%s)", type(error).__name__)
        finally:
            open_writers.discard(writer)
            writer.close()

    try:
        server = await asyncio.start_server(handle, limit=_HEAD_LIMIT, **listen_on(host, port))
    except OSError as error:
        raise OSError(f"Cannot listen for the HTTPS proxy on {joined(host, port)} ({bind_reason(error)}); choose "
                      "another --proxy-port (0 picks a free one).") from None
    bound = server.sockets[0].getsockname()[1]
    return HttpsProxy(server, f"http://{connect_to(host, bound)}", open_writers)


async def _tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, http_host: str, http_port: int,
                  tls: ssl.SSLContext, idle_timeout: float) -> None:
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), idle_timeout)).decode("latin-1")
    method, target, *_ = head.split("\r\n", 1)[0].split(" ") + ["", ""]
    target_host = target.rsplit(":", 1)[0]
    if method != "CONNECT" or target_host not in CLOUD_HTTP_HOSTS:
        logger.info("proxy: refused %s %s (only CONNECT to %s is served)", method, target, ", ".join(CLOUD_HTTP_HOSTS))
        writer.write(refusal())
        await writer.drain()
        return
    if sys.version_info < (3, 11):  # StreamWriter.start_tls is new in 3.11
        logger.warning("proxy: the HTTPS proxy of serve --tls needs Python 3.11 or newer")
        writer.write(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        return
    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await writer.drain()
    await writer.start_tls(tls, ssl_handshake_timeout=idle_timeout)
    upstream_reader, upstream_writer = await asyncio.open_connection(http_host, http_port)
    try:
        await asyncio.gather(_pipe(reader, upstream_writer), _answers(upstream_reader, writer))
    finally:
        upstream_writer.close()


def refusal() -> bytes:
    """The 403 for any other host or request. Clients show the status line ("Tunnel connection
    failed: 403 ..."), some the body, neither the server's log: both say whose proxy this is,
    what it serves, and what to do about the rest."""
    served = ", ".join(f"{host}:443" for host in CLOUD_HTTP_HOSTS)
    body = (f"This is ygpt-magic's local HTTPS proxy (ygpt-magic serve --tls). It serves only CONNECT {served} "
            "(the SDK's chat API, answered by the local server) and connects nowhere else. For other hosts, "
            "run without HTTPS_PROXY, or list them in NO_PROXY.\n").encode()
    return (f"HTTP/1.1 403 ygpt-magic local proxy: only {served} is served\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


async def _answers(upstream: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The HTTP side's replies to the client; once it ends the connection (after a reply with
    ``Connection: close``, or idle for the idle timeout) the tunnel ends too, since nothing more can
    come through it."""
    await _pipe(upstream, writer)
    writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF, then half-close the other side (so keep-alive connections end cleanly)."""
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    with contextlib.suppress(OSError, RuntimeError, NotImplementedError, AttributeError):
        if writer.can_write_eof():
            writer.write_eof()
