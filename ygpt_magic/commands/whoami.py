"""`%ygpt whoami`: which server, folder and credential (masked) the next request uses."""

from __future__ import annotations

from ._common import show_fields
from .args import parse, subcommand


def endpoint_text(info: dict) -> str:
    """`local at 127.0.0.1:5005 (TLS off)`, `cloud at api.cloud.yandex.net:443 (TLS on)`,
    `10.0.0.5:50051 (TLS off)`, or the local server that has not started yet."""
    tls = f"TLS {info['tls']}"
    if info["address"] is None:
        return f"{info['endpoint']}, starts with the first request ({tls})"
    if info["address"] == info["endpoint"]:
        return f"{info['address']} ({tls})"
    return f"{info['endpoint']} at {info['address']} ({tls})"


def identity_rows(magics) -> list[list[str]]:
    info = magics.connection.describe()
    return [
        ["endpoint", endpoint_text(info)],
        ["folder", info["folder"]],
        ["credential", info["credential"]],
        ["chat API", info["chat_api"] or "none: %ygpt connect HOST:PORT --http URL (for --image)"],
        ["current chat", magics.session.current],
    ]


@subcommand
def run(magics, line: str) -> None:
    """Show the endpoint, folder and credential source (secrets masked: AQVN…x9Qz)."""
    parse(run, line)
    show_fields(identity_rows(magics))
