"""The Client's SDK object, built again on fresh gRPC channels once the server was found gone.

Why: gRPC keeps one connection ("subchannel") per address in a pool shared by every channel
with the same options, and a subchannel that failed to connect tries again only after a backoff
(1 s, ×1.6 each time, up to 120 s) during which every call fails at once with the old error
("failed to connect to all addresses; ... Connection refused"). A server started again on the
same address (``ygpt-magic serve`` restarted, the network back) was so reported unreachable
for up to 15 s a cell after a few failing cells, and for minutes after a long outage. A new
AsyncYCloudML alone does not help: its channels find the failed subchannel in the pool, backoff
included. Only when every channel holding that subchannel is gone does the next channel connect
at once. The SDK has no public way to close its channels; a channel closes when it is collected,
and the SDK's objects refer to each other, so the dropped SDK goes at a ``gc.collect()``, unless
something else still holds it (a request still running, or an error's frames: see
``commands/boundary.py``). ``stuck`` says when that happened: an UNAVAILABLE of gRPC's own connect is then its leftover
reconnect delay (ReconnectPending), not the server's absence.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable
from typing import Any


class SdkSlot:
    """One SDK object, built on first use; :meth:`drop` makes the next use build a new one on
    fresh channels, after the old one's channels are collected. Thread-safe: the loop thread
    drops it when a connect fails while the kernel's or the panel's thread may be getting it."""

    def __init__(self, build: Callable[[], Any]):
        self._build = build
        self._lock = threading.Lock()
        self._sdk: Any = None
        self._dropped: list[weakref.ref[Any]] = []  # dropped SDKs not yet seen collected
        #: an SDK dropped after an outage outlived a collection: its channels, and their
        #: reconnect delay, live on (shared by the new channels to the same address)
        self.stuck = False

    def get(self) -> Any:
        """The SDK, built now if there is none (after collecting the dropped ones' channels)."""
        with self._lock:
            if self._sdk is None:
                self._release()
                self._sdk = self._build()
            return self._sdk

    def drop(self) -> None:
        """The server was found gone: the next :meth:`get` builds the SDK on fresh channels."""
        with self._lock:
            sdk, self._sdk = self._sdk, None
            if sdk is not None:
                self._dropped.append(weakref.ref(sdk))

    def close(self) -> None:
        """Forget the SDK (the client is closed) and collect the dropped ones now. gRPC keeps
        trying a channel whose connect failed (backoff up to 120 s) until the channel is closed:
        left to a collection that may come late, the channels of a client left by
        ``%ygpt connect`` went on knocking at the old server's port, which another program (or
        server) may hold by then. Only a dropped SDK can hold such a channel (a failed connect,
        a server that speaks HTTP/1 or no TLS drop it); a healthy one's channels go idle when
        their server stops, so it is left to the next collection (a full one costs ~0.1 s in a
        kernel with pandas loaded)."""
        with self._lock:
            self._sdk = None
            self._release()

    def _release(self) -> None:
        """Collect the dropped SDKs, closing their channels (a full collection: once per failure)."""
        if not self._dropped:
            return
        gc.collect()
        self._dropped = [dropped for dropped in self._dropped if dropped() is not None]
        self.stuck = bool(self._dropped)
