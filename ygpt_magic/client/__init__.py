"""The client layer: the only code that talks to the SDK.

``settings`` (what a client is built with), ``credentials`` (where the key or token comes from,
masked when shown), ``endpoints`` (cloud, local, HOST:PORT), ``connection`` (the current target
and its client, built on first use), ``sdk`` (``Client``: run, stream, deferred, tokenize),
``chunks`` (a response of either API as one Answer), ``loop`` (the event-loop thread the SDK runs
on), ``loader`` (importing the SDK quietly), ``rpc_errors`` (SDK and gRPC errors turned into
ours) and ``batch`` (rows through a Batch Processing job and back, in order). It reads chat
values only, never the session, IPython or the panel. ``Client`` is imported on first use:
importing this package stays as light as ``%load_ext`` must be.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sdk import Client

__all__ = ["Client"]


def __getattr__(name: str) -> Any:
    if name == "Client":
        from .sdk import Client

        return Client
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
