"""Endpoint names and their parsing, apart from client/sdk.py.

`%load_ext` builds a Connection, which validates `%ygpt connect HOST:PORT` and names the cloud
endpoint in `%ygpt whoami`; importing client/sdk.py for that would pull in asyncio and ssl (~85 ms)
before the first request needs them.
"""

from __future__ import annotations

from ..errors import OptionError

CLOUD_ENDPOINT = "api.cloud.yandex.net:443"


def parse_endpoint(value: str) -> tuple[str, int]:
    """`HOST:PORT` (IPv6 as `[::1]:PORT`) → (host, port); OptionError with an example if not."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise OptionError(
            f"{value!r} is not an endpoint. Use `cloud`, `local`, or HOST:PORT such as "
            "127.0.0.1:50051 (add --insecure for a server without TLS)."
        )
    return host, int(port)
