"""How the local server writes the addresses it listens on: HOST:PORT, with an IPv6 host in
brackets (``[::1]:50051``, ``http://[::1]:8080``), as gRPC's bind, a URL and ``%ygpt connect``
read them. Unbracketed, gRPC took ``::1:0`` for a host name and refused it with a log line of its
own; ``--host [::1]``, as a URL writes the host, is taken as ``::1``."""

from __future__ import annotations


def bare(host: str) -> str:
    """``host`` without the brackets a URL puts around an IPv6 address (``[::1]`` → ``::1``)."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def joined(host: str, port: int) -> str:
    """``HOST:PORT``, an IPv6 ``host`` (it holds a colon) in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
