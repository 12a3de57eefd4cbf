"""The SDK is imported on a background thread once the extension has loaded.

``%load_ext`` stays light (nothing heavy is imported while it runs), but the first request used
to pay for importing the SDK, gRPC and protobuf (about 0.4 s) while the second took 5–10 ms. A
daemon thread, started by ``load_ipython_extension``, waits a moment (so the load itself is not
slowed) and then imports what the first request needs, and starts gRPC's core (a channel that is
never connected: nothing is sent anywhere), then the extension's own modules that ``%load_ext``
left out, and last starts the event loop the first client will take over (loop.start_spare),
prepared for gRPC. None of it involves a credential or an address.

Two threads importing the same package graph at once can meet halfway in a circular import
and see a partly initialised module, so our code never imports alongside it: every ``%ygpt`` /
``%%ygpt`` and the SDK loader call :func:`wait` first, which returns at once when the import is
done (or never started) and otherwise waits for it to end.
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
        from . import loader, loop, sdk  # noqa: F401 (sdk: the Client, imported to warm up)

        sdk_module = loader.import_sdk()
        import grpc
        from yandex_cloud_ml_sdk import auth, retry  # noqa: F401 (make_sdk's, first request)

        # gRPC's core starts its threads with the first channel: about 10 ms of the first request
        grpc.insecure_channel("127.0.0.1:9").close()
        for module in modules:
            importlib.import_module(module)
        # the SDK's first model: a throwaway, never connected (no credential, no channel, nothing
        # sent), so the first request does not build its code paths (about 1 ms of it)
        sdk_module.AsyncYCloudML(folder_id="warm-up", auth="warm-up").models.completions(
            "yandexgpt").configure(temperature=0.5, max_tokens=10)
        # the first client's event loop, started and prepared (about 2 ms of the first request)
        loop.start_spare(_prepare_loop)
    except Exception as error:
        log.debug("background import failed: %s", type(error).__name__)


async def _prepare_loop() -> None:
    """What the first request would do first on its loop, done on the spare one: gRPC's asyncio
    side set up for it (its poller thread, the loop's registration), kept for the process's life
    (else the first client's channel would start it again). Nothing of the SDK's private modules
    is used: it is a deprecated shim over yandex-ai-studio-sdk, whose internals change without
    notice."""
    import grpc.aio

    grpc.aio.init_grpc_aio()
