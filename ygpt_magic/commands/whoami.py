"""`%ygpt whoami`: which server, folder and credential (masked) the next request uses."""

from __future__ import annotations

from IPython.core.magic_arguments import magic_arguments

from ._common import parse, show_table

SUMMARY = "whoami: endpoint, folder and credential source (masked)"


def identity_rows(magics) -> list[list[str]]:
    info = magics.connection.describe()
    return [
        ["endpoint", f"{info['endpoint']} ({info['address']}, TLS {info['tls']})"],
        ["folder", info["folder"]],
        ["credential", info["credential"]],
        ["current chat", magics.session.current],
    ]


@magic_arguments(name="ygpt whoami")
def run(magics, line: str) -> None:
    """Show the endpoint, folder and credential source; secrets are masked (AQVN…x9Qz)."""
    parse(run, line, "ygpt whoami")
    show_table(["", ""], identity_rows(magics))
