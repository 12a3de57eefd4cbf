"""How the local server writes the addresses it listens on: HOST:PORT, with an IPv6 host in
brackets (``[::1]:50051``, ``http://[::1]:8080``), as gRPC's bind, a URL and ``%ygpt connect``
read them. Unbracketed, gRPC took ``::1:0`` for a host name and refused it with a log line of its
own; ``--host [::1]``, as a URL writes the host, is taken as ``::1``.

A server listening on every interface (``0.0.0.0``, ``::``) writes the loopback address of that
family instead (:func:`reachable`): the wildcard connects on most systems, but ``%ygpt connect``
takes it for a server across the network and sends it the placeholder key, not the user's.
Endpoint discovery (gRPC and ``GET /endpoints``) gives such a server's clients the host they
reached it on instead (:func:`handed_out`), so a client on another machine is not sent to its
own loopback; so do the URLs of its dataset uploads and downloads (:func:`handed_out_url`)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import unquote


def bare(host: str) -> str:
    """``host`` without the brackets a URL puts around an IPv6 address (``[::1]`` → ``::1``)."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def joined(host: str, port: int) -> str:
    """``HOST:PORT``, an IPv6 ``host`` (it holds a colon) in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def connect_to(host: str, port: int) -> str:
    """``HOST:PORT`` a client on this machine connects to, for a server listening on ``host``
    (:func:`reachable`), as the READY line, the banner and the URLs write it."""
    return joined(reachable(host), port)


def reachable(host: str) -> str:
    """The host a client on this machine connects to, for a server listening on ``host``: for
    every interface, the loopback address of its family (``0.0.0.0`` → ``127.0.0.1``, ``::`` →
    ``::1``), else ``host`` itself."""
    if not every_interface(host):
        return host
    return "127.0.0.1" if ipaddress.ip_address(host).version == 4 else "::1"


def every_interface(host: str) -> bool:
    """Whether ``host`` is the address of every interface (``0.0.0.0``, ``::``)."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def handed_out(listening: str, address: str, used: str | None) -> str:
    """The gRPC address discovery gives a client of a server listening on ``listening`` and
    connected to at ``address`` on this machine: for every interface, ``address``'s port at the
    host the client ``used`` (when known), so it works from another machine; else ``address``."""
    if not used or not every_interface(listening):
        return address
    return joined(used, int(address.rpartition(":")[2]))


def handed_out_url(listening: str, url: str, used: str | None) -> str:
    """``url`` (``http://HOST:PORT``, this server's HTTP side) as :func:`handed_out` gives an
    address: the host the client ``used`` for a server on every interface, so the dataset
    upload and download URLs work from another machine as discovery does."""
    scheme, _, address = url.partition("://")
    return f"{scheme}://{handed_out(listening, address, used)}"


def toward(peer: str) -> str | None:
    """This machine's address on its route to ``peer`` (gRPC's ``ipv4:HOST:PORT`` or
    ``ipv6:[HOST]:PORT``, its brackets percent-encoded): the one a client there connected to,
    which gRPC does not tell a handler. A UDP socket's connect sends nothing; None when there is
    no route."""
    try:
        ip = ipaddress.ip_address(bare(unquote(peer).partition(":")[2].rpartition(":")[0]))
    except ValueError:   # a Unix socket's peer, or none
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:   # IPv4 on a :: server
        ip = ip.ipv4_mapped
    family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((str(ip), 9))
        except OSError:
            return None
        return str(probe.getsockname()[0]).partition("%")[0]
