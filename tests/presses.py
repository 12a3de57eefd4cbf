"""Ctrl-C pressed on the test's main thread once the local server has seen some requests.

A timer started with the cell lands at a moment that depends on the machine: on a busy one the
cell is still planning its rows after 0.3 s (the run stops before anything was sent) and on a
quick one it may have ended. The press waits for the server's mark instead.
"""

from __future__ import annotations

import signal
import threading
import time


def ctrl_c_after(server, method: str, count: int, timeout: float = 30) -> threading.Thread:
    """A thread that presses Ctrl-C once ``server`` got ``count`` requests of ``method``; never,
    when that does not happen within ``timeout`` (the test's own assertions then fail, not the
    test run)."""
    def press() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(request.method == method for request in server.requests) >= count:
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
                return
            time.sleep(0.005)
    presser = threading.Thread(target=press, daemon=True)
    presser.start()
    return presser
