"""The listening socket of the HTTP side and the HTTPS proxy for ``--host ::``: one that takes
IPv4 clients too, as gRPC's does.

asyncio binds ``::`` with IPV6_V6ONLY set, so ``serve --host ::`` answered gRPC over IPv4 and
IPv6 but HTTP over IPv6 only: ``http://127.0.0.1:PORT``, and an IPv4 client on another machine,
were refused. A dual-stack socket (the standard library's ``socket.create_server``) takes both;
every other host is bound by asyncio as before.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from ..addresses import every_interface


def listen_on(host: str, port: int) -> dict[str, Any]:
    """The keyword arguments that make an asyncio server listen on ``host:port``: a dual-stack
    socket (``sock``) for ``::``, where this machine has them; else ``host`` and ``port``."""
    if every_interface(host) and ipaddress.ip_address(host).version == 6 and socket.has_dualstack_ipv6():
        return {"sock": socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True)}
    return {"host": host, "port": port}
