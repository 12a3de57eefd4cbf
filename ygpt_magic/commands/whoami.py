"""`%ygpt whoami`: which server, folder and credential (masked) the next request uses."""

from __future__ import annotations

from collections.abc import Mapping

from ..kernel import Kernel
from ._common import show_fields
from .args import parse, subcommand

#: what `local` is, said beside its name: its answers are scripted stand-ins, not YandexGPT's
LOCAL = "ygpt-magic's local server, not YandexGPT"


def endpoint_text(info: Mapping[str, str | None]) -> str:
    """`local (ygpt-magic's local server, not YandexGPT) at 127.0.0.1:5005 (TLS off)`,
    `cloud at api.cloud.yandex.net:443 (TLS on)`, `10.0.0.5:50051 (TLS off)`, or the local
    server that has not started yet."""
    tls = f"TLS {info['tls']}"
    name = f"local ({LOCAL})" if info["endpoint"] == "local" else info["endpoint"]
    if info["address"] is None:
        return f"{name}, starts with the first request ({tls})"
    if info["address"] == info["endpoint"]:
        return f"{info['address']} ({tls})"
    return f"{name} at {info['address']} ({tls})"


def identity_rows(kernel: Kernel) -> list[list[str]]:
    info = kernel.connection.describe()
    return [
        ["endpoint", endpoint_text(info)],
        ["folder", info["folder"] or ""],
        ["credential", info["credential"] or ""],
        ["chat API", info["chat_api"] or "none: %ygpt connect HOST:PORT --http URL (for --image)"],
        ["current chat", kernel.session.current],
    ]


@subcommand
def run(kernel: Kernel, line: str) -> None:
    """Show the endpoint, folder and credential source (secrets masked: AQVN…x9Qz)."""
    parse(run, line)
    show_fields(identity_rows(kernel))
