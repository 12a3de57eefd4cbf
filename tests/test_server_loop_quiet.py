"""The in-kernel local server's event loop keeps grpcio's lost wake-ups, and the traceback of a call
its stop ended, out of the cells.

With grpcio before 1.80 (which the SDK allows: it asks for grpcio>=1.70), grpc.aio binds its
completion queue to both loops in a kernel that talks to ``%ygpt connect local``: the server's and
the SDK client's (grpc/grpc#25364). The loop that loses a wake-up reports "Exception in callback
PollerCompletionQueue._handle_events ... BlockingIOError", and asyncio's default handler printed
that traceback into the running cell, even in the middle of a streamed reply. The client's loop
had a quiet handler (client/loop.py); the server's had none. grpcio 1.85 here does not race, so
the report is made the way asyncio makes it: a callback of that name raising on the server's loop.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import time
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML
    from yandex_cloud_ml_sdk.retry import NoRetryPolicy

from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.testing import sdk_kwargs

STOPS, CALLERS = 30, 4


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


def _ask_until_stopped(model, stopped: threading.Event) -> None:
    """Quick calls one after another, each answered or ended by the server's stop (a call the
    stop cut waits out its 2 s timeout; the caller is left to end on its own)."""
    while not stopped.is_set():
        try:
            model.tokenize("Great phone, broke in a week", timeout=2)
        except Exception:   # the stop refuses or cuts it: what is looked at here is the server's stderr
            pass


@pytest.mark.slow
def test_a_server_stopped_while_it_answers_calls_prints_nothing():
    """gRPC's stop returns before the tasks of the calls it ended have finished; the loop closed on
    one in that moment cancelled gRPC's task around it, which printed 'Traceback … in
    grpc._cython.cygrpc._schedule_rpc_coro asyncio.exceptions.CancelledError' onto stderr: into
    the running cell, for the in-kernel server of %ygpt connect local (seen in a --batch cell whose
    server a test stopped while it polled). It showed at a few stops in a hundred, so the server
    is stopped STOPS times, each while CALLERS clients keep asking."""
    for _ in range(STOPS):
        server, stopped = start_local_server(), threading.Event()
        model = YCloudML(**sdk_kwargs(server.address), retry_policy=NoRetryPolicy()).models.completions("yandexgpt")
        callers = [threading.Thread(target=_ask_until_stopped, args=(model, stopped), daemon=True)
                   for _ in range(CALLERS)]
        for caller in callers:
            caller.start()
        while len(server.requests) < 20:   # the calls are going on
            time.sleep(0.01)
        with contextlib.redirect_stderr(io.StringIO()) as printed:
            server.stop(grace=0)
        stopped.set()
        assert printed.getvalue() == ""
