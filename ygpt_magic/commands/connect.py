"""`%ygpt connect local | cloud | HOST:PORT [--insecure] [--http URL]`: choose the server."""

from __future__ import annotations

import socket
import threading

from IPython.core.magic_arguments import argument

from ..client import proxies
from ..client.connection import Connection
from ..client.endpoints import CLOUD_ENDPOINT, in_cloud
from ..client.reach import in_the_way
from ..errors import HostNotFound, OptionError, ServerUnavailable
from ..kernel import Kernel
from ._common import show
from .args import parse, subcommand

#: where the local server listens
LOCAL_HOST = "127.0.0.1"


@subcommand
@argument("target", nargs="?", default=None, metavar="local|cloud|HOST:PORT",
          help="`local` (the bundled server, started in this kernel), `cloud` (Yandex Cloud, the "
               "default) or HOST:PORT of another server. Without it: show the current one.")
@argument("--insecure", action="store_true",
          help="Talk to HOST:PORT without TLS (servers started with `ygpt-magic serve`); refused "
               "for Yandex Cloud, which would get your credential in the clear.")
@argument("--http", metavar="URL",
          help="The HTTP address of HOST:PORT's chat API, which pictures (%%%%ygpt --image) go "
               "through: http://HOST:HTTP_PORT, as `ygpt-magic serve` prints it after READY.")
def run(kernel: Kernel, line: str) -> None:
    """Choose the server the next requests go to, or show the current one.

    YGPT_ENDPOINT / YGPT_INSECURE=1 / YGPT_HTTP_ENDPOINT set the same from the environment
    (YGPT_INSECURE for a HOST:PORT endpoint only). The chats are kept."""
    args = parse(run, line)
    connection = kernel.connection
    if args.target is not None:
        connection.connect(args.target, insecure=args.insecure, http=args.http)
    elif args.http is not None:
        raise OptionError("--http goes with the server it belongs to: %ygpt connect HOST:PORT "
                          "--http http://HOST:HTTP_PORT.")
    info = connection.describe()
    what = {"local": "the local server", "cloud": "Yandex Cloud"}.get(info["endpoint"] or "",
                                                                      "the server")
    where = f" at {info['address']}" if info["address"] else ""
    text = f"Connected to {what}{where} (TLS {info['tls']})."
    if not info["address"]:
        text += " It starts with the first request."
    failed = _unanswered(connection, info["endpoint"] or "", info["address"], kernel.settings.connect_timeout)
    if failed is not None and type(failed) is not ServerUnavailable:   # TLS, a proxy: said as such
        text = f"Using {what}{where} (TLS {info['tls']}), but cells will fail there. {failed}"
    elif failed is not None:
        start = "" if in_cloud(failed.endpoint.rpartition(":")[0]) else "start it (e.g. ygpt-magic serve --port N) or "
        text = (f"Using {what}{where} (TLS {info['tls']}), but nothing answers there now: {start}"
                f"check the address. Cells will fail until it answers.")
    if info["clear"]:
        text += f" {info['clear']}"
    show(text.replace(what, f"**{what}**", 1), text)


def _unanswered(connection: Connection, endpoint: str, address: str | None,
                seconds: float) -> ServerUnavailable | None:
    """Why requests will fail there, or None. The local server's own address is only checked
    against the environment's proxy (it starts on demand); a HOST:PORT the user typed is probed
    once (≤ ``seconds``); the cloud is reached through discovery and probed only through a proxy,
    which is asked for it (one that wants other credentials is said then: reach.py); without a
    proxy its name is looked up (:func:`_unresolved`); a proxy variable gRPC cannot read is said
    for it too (ProxyUnusable)."""
    try:
        if endpoint == "local":
            return _proxied(address or LOCAL_HOST)
        if endpoint == "cloud" and _route(address or "") is None:
            return _unresolved(address or CLOUD_ENDPOINT, seconds)
        connection.client().check_reachable()
    except ServerUnavailable as error:   # a proxy variable that cannot be read too
        return error
    return None


def _proxied(address: str) -> ServerUnavailable | None:
    """ProxyInTheWay when requests to the local server at ``address`` (HOST:PORT, or its host
    before it starts) would go to a proxy."""
    proxy = _route(address)
    return None if proxy is None else in_the_way(address, proxy)


def _route(address: str) -> proxies.Proxy | None:
    return proxies.route(address, (address.rpartition(":")[0] or address, 0))



def _unresolved(address: str, seconds: float) -> HostNotFound | None:
    """HostNotFound when the cloud's host name does not resolve on this machine (offline, or no
    DNS), so that "Connected" is not said of it. A name lookup sends nothing to Yandex; one that
    takes longer than ``seconds`` (a DNS server that does not answer) is left to the first cell."""
    host = address.rpartition(":")[0]
    failed: list[OSError] = []

    def look_up() -> None:
        try:
            socket.getaddrinfo(host, None)
        except OSError as error:
            failed.append(error)

    lookup = threading.Thread(target=look_up, name="ygpt-resolve", daemon=True)
    lookup.start()
    lookup.join(seconds)
    unresolved = bool(failed) and isinstance(failed[0], socket.gaierror)
    return HostNotFound(address, host, cloud=True) if unresolved else None
