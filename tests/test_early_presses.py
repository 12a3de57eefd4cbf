"""Ctrl-C in the first milliseconds of a plain chat cell's request, while it is being sent
(through the real shell, the unmodified SDK and the local server, which holds each request as a
slow server would, so that every press lands before the reply): the cell ends at once in one
paragraph and the chat is as it was. A --map row cancelled so kept its job waiting on the SDK's
logging interceptor (client/many.py, test_many_refusal.py); a chat cell does not wait for its
cancelled request (loop.StreamJob.cancel ends the wait at once), which the first test holds."""

from __future__ import annotations

import signal
import threading
import time

from cellrun import assert_clear_error
from conftest import cell

from ygpt_magic.errors import Interrupted, StoppedBeforeAsking

#: cells pressed, one more millisecond into each; the server holds each request this long
PRESSES = 20
HELD = 1.0


class _Pressing:
    """A value in the cell's text that presses Ctrl-C ``delay`` seconds after the cell reads it:
    the press lands that long into the cell, before or in its request, never outside the cell."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.timer: threading.Timer | None = None

    def _repr_llm_(self) -> str:
        if self.timer is None:
            self.timer = threading.Timer(self.delay, signal.pthread_kill,
                                         (threading.main_thread().ident, signal.SIGINT))
            self.timer.start()
        return "Tell me about rivers"


def test_ctrl_c_in_the_first_milliseconds_of_a_request_ends_the_cell_at_once(shell, magics, ygpt_server):
    """PRESSES cells, pressed 0, 1, 2, … ms after their text is read: each ends within 2 s in
    one paragraph (Interrupted; StoppedBeforeAsking when the press came before the request),
    the chat as it was."""
    assert cell(shell, "%%ygpt\nHello").ok   # the SDK loaded, the channel open
    turns = list(magics.kernel.session.chats["default"].turns)
    ygpt_server.faults.hold_next(PRESSES, "Completion", seconds=HELD)
    for n in range(PRESSES):
        shell.user_ns["question"] = pressing = _Pressing(n / 1000)
        started = time.monotonic()
        run = cell(shell, "%%ygpt\n{question}")
        took = time.monotonic() - started
        assert pressing.timer is not None
        pressing.timer.join()
        assert took < 2, f"pressed after {n} ms: the cell ended {took:.1f} s later"
        assert_clear_error(run)
        assert isinstance(run.error.error, (Interrupted, StoppedBeforeAsking)), run.message
        assert magics.kernel.session.chats["default"].turns == turns
