"""The in-kernel local server's event loop keeps grpcio's lost wake-ups out of the cells.

With grpcio before 1.80 (which the SDK allows: it asks for grpcio>=1.70), grpc.aio binds its
completion queue to both loops in a kernel that talks to ``%ygpt connect local``: the server's and
the SDK client's (grpc/grpc#25364). The loop that loses a wake-up reports "Exception in callback
PollerCompletionQueue._handle_events ... BlockingIOError", and asyncio's default handler printed
that traceback into the running cell, even in the middle of a streamed reply. The client's loop
had a quiet handler (client/loop.py); the server's had none. grpcio 1.85 here does not race, so
the report is made the way asyncio makes it: a callback of that name raising on the server's loop.
"""

from __future__ import annotations

import logging
import threading

from ygpt_magic.emulator import start_local_server


class PollerCompletionQueue:
    """Named as grpc.aio's, whose ``_handle_events`` raises when another loop took the event."""

    def __init__(self, error: Exception) -> None:
        self.error, self.ran = error, threading.Event()

    def _handle_events(self) -> None:
        self.ran.set()
        raise self.error


def reported(error: Exception, caplog) -> list[str]:
    """What asyncio logs when the server's loop runs a wake-up that raises ``error``."""
    queue = PollerCompletionQueue(error)
    with caplog.at_level(logging.WARNING, logger="asyncio"), start_local_server() as server:
        server._loop.call_soon_threadsafe(queue._handle_events)
        assert queue.ran.wait(5)
        done = threading.Event()
        server._loop.call_soon_threadsafe(done.set)   # after the handler has run
        assert done.wait(5)
    return [record.getMessage() for record in caplog.records if record.name == "asyncio"]


def test_a_lost_wakeup_of_grpc_aio_is_not_printed(caplog):
    assert reported(BlockingIOError(11, "Resource temporarily unavailable"), caplog) == []


def test_any_other_error_on_the_servers_loop_is_still_reported(caplog):
    said = reported(RuntimeError("a bug in the server"), caplog)
    assert len(said) == 1 and "PollerCompletionQueue._handle_events" in said[0], said
