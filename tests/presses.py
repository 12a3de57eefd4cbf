"""Ctrl-C pressed on the test's main thread, as a user presses it during a cell.

``ctrl_c_after`` presses once the local server has seen some requests: a timer started with
the cell lands at a moment that depends on the machine (on a busy one the cell is still
planning its rows after 0.3 s, and the run stops before anything was sent). ``ctrl_c_in``
presses after a time, or at an event of the test's, for the moments a server cannot mark.
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


def ctrl_c_in(seconds: float, when: threading.Event | None = None) -> threading.Thread:
    """Ctrl-C on the kernel's thread after ``seconds``, or as soon as ``when`` is set."""
    def press() -> None:
        if when is None:
            time.sleep(seconds)
        elif not when.wait(seconds):
            return
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    presser = threading.Thread(target=press)
    presser.start()
    return presser
