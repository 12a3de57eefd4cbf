"""The SDK is imported on a background thread once the extension has loaded.

``%load_ext`` stays light (nothing heavy is imported while it runs), but the first request used
to pay for importing the SDK, gRPC and protobuf (about 0.4 s) while the second took 5–10 ms. A
daemon thread, started by ``load_ipython_extension``, waits a moment (so the load itself is not
slowed) and then imports what the first request needs, and starts gRPC's core (a channel that is
never connected: nothing is sent anywhere), then the extension's own modules that ``%load_ext``
left out. None of it involves a credential or an address. (What saved a millisecond or two more,
a spare event loop and a throwaway SDK model, kept state for less than a request's latency.)

Two threads importing the same package graph at once can meet halfway in a circular import
and see a partly initialised module, so our code never imports alongside it: every ``%ygpt`` /
``%%ygpt`` and the SDK loader call :func:`wait` first, which returns at once when the import is
done (or never started) and otherwise waits for it to end.

A kernel whose reply cache replays (``YGPT_CACHE`` in ``YGPT_CACHE_MODE=replay``, a notebook
checked in CI) starts no import: it sends nothing, and its cells would otherwise wait for an SDK
they never use. Replay mode without a cache file replays nothing, so that kernel preloads.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Sequence

log = logging.getLogger(__name__)

#: seconds between the end of %load_ext and the start of the background import
DELAY = 0.05

_thread: threading.Thread | None = None
_lock = threading.Lock()


def start(modules: Sequence[str] = (), delay: float = DELAY) -> None:
    """Start the background import (once per process): the SDK, then ``modules`` (the
    extension's own that ``%load_ext`` left for later)."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_run, args=(modules, delay), name="ygpt-preload",
                                       daemon=True)
            _thread.start()


def wait() -> None:
    """Return once the background import is over (at once if it is, or never started)."""
    thread = _thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()


def _run(modules: Sequence[str], delay: float) -> None:
    time.sleep(delay)
    try:
        from . import loader, sdk  # noqa: F401 (sdk: the Client, imported to warm up)

        loader.import_sdk()
        import grpc
        from yandex_cloud_ml_sdk import auth, retry  # noqa: F401 (make_sdk's, first request)

        # gRPC's core starts its threads with the first channel: about 10 ms of the first request
        grpc.insecure_channel("127.0.0.1:9").close()
        for module in modules:
            importlib.import_module(module)
    except Exception as error:
        log.debug("background import failed: %s", type(error).__name__)
