"""Faults on the wire: every gRPC failure the cloud can produce, injected by the local server.

The promise under test (issue 6): an error never loses the chat and always says what to do.
For each fault the cell shows one clear paragraph (no traceback, no asyncio or gRPC noise, on
stdout or stderr or in the logs), the chats are exactly as before (``session.to_dict()``), and the
same cell succeeds once the fault is gone. The SDK is the real one, talking over loopback; its
RetryPolicy is the one the magics build from ``YGptMagics.retries`` / ``retry_backoff``. The
shell fixture makes it fast (2 retries, 50 ms); ``test_default_retry_policy_*`` puts the SDK's
defaults back (5 attempts, 1 s backoff) once, to prove the path users get.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clean, assert_clear_error, run
from conftest import completions
from statuses import STATUSES

from ygpt_magic import errors

pytestmark = [*LOST_EXCEPTIONS]

PROMPT = "%%ygpt\nWhat should I see in Kazan in one day?"


@dataclass(frozen=True)
class Fault:
    """One row of the fault table: how to inject it, what the user must read."""

    name: str
    inject: Callable  # (server, retries) -> None
    error: type
    keywords: tuple[str, ...]
    source: str = PROMPT
    retried: bool = False  # the SDK's policy retries it: retries + 1 calls reach the server
    partial: bool = False  # text had arrived before it failed: it stays on screen, marked


def _fail(code: str, message: str | None = None, exhaust: bool = False):
    """Fail the next Completion call(s); `exhaust` outlasts every retry the policy allows."""
    return lambda server, retries: server.faults.fail_next(retries + 1 if exhaust else 1, code, message=message)


FAULTS = [
    *(Fault(status.code + (" after retries" if status.retried else ""),
            _fail(status.code, exhaust=status.retried), status.error, status.keywords,
            retried=status.retried)
      for status in STATUSES if status.code != "NOT_FOUND"),
    Fault("INVALID_ARGUMENT context too long",
          _fail("INVALID_ARGUMENT", "The request has 40000 input tokens, more than the 32768-token "
                "context of yandexgpt/latest."),
          errors.ContextTooLong, ("40,000", "32,768", "2 earlier turns", "context_budget = N")),
    Fault("INVALID_ARGUMENT bad temperature",
          _fail("INVALID_ARGUMENT", "temperature is 1.5; it must be between 0 and 1 (inclusive)."),
          errors.RequestRejected, ("rejected", "temperature is 1.5", "%ygpt config")),
    Fault("unknown model", lambda server, retries: None, errors.ModelNotFound,
          ("nosuchmodel", "not found", "%ygpt models"), source="%%ygpt --model nosuchmodel\nHello?"),
    Fault("stream broken mid-way",
          lambda server, retries: server.faults.break_stream_after(2, "INTERNAL"), errors.StreamBroken,
          ("broke off", "nothing was added", "run the cell again"), partial=True),
    Fault("stream broken mid-way, retries exhausted",
          lambda server, retries: server.faults.break_stream_after(2, "UNAVAILABLE", times=retries + 1),
          errors.StreamBroken, ("broke off", "became unavailable", "run the cell again when it answers"),
          retried=True, partial=True),
]


def _chat_with_history(shell, magics) -> dict:
    """A chat worth protecting: a system message, two turns, options; returns its snapshot."""
    assert run(shell, '%%ygpt --system "You are a travel guide."\nHello!', cell_id="h1").ok
    assert run(shell, "%%ygpt\nWhere is Kazan?", cell_id="h2").ok
    magics.kernel.session.configure(temperature=0.4, max_tokens=300)
    return magics.kernel.session.to_dict()


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_shows_one_clear_paragraph_and_keeps_the_chat(shell, magics, ygpt_server, fault):
    before = _chat_with_history(shell, magics)
    fault.inject(ygpt_server, magics.retries)

    calls_before = len(completions(ygpt_server))

    failed = run(shell, fault.source, cell_id="c3")

    assert_clear_error(failed, *fault.keywords, error_type=fault.error)
    if not fault.partial:
        assert failed.final == "", "nothing had arrived: the waiting line is cleared, the message is below"
    calls = len(completions(ygpt_server)) - calls_before
    assert calls == (magics.retries + 1 if fault.retried else 1), f"{calls} calls reached the server"
    assert magics.kernel.session.to_dict() == before, "the failed cell changed the chats"
    assert "_ygpt" not in shell.user_ns or shell.user_ns["_ygpt"].status == "FINAL"

    ygpt_server.faults.clear()
    python = run(shell, "21 * 2")  # the kernel is still responsive
    assert python.ok and "42" in python.stdout
    again = run(shell, PROMPT, cell_id="c3")
    assert again.ok, again.shown
    assert_clean(again)
    chat = magics.kernel.session.chat()
    assert len(chat.turns) == 3 and chat.options.temperature == 0.4
    sent = completions(ygpt_server)[-1]
    assert [m["role"] for m in sent.messages] == ["system", "user", "assistant", "user", "assistant", "user"]


def test_retried_stream_shows_the_final_text_once(shell, ygpt_server):
    """UNAVAILABLE after two chunks: the SDK starts the stream again; the user sees it once."""
    ygpt_server.faults.latency(0.02)
    ygpt_server.faults.break_stream_after(2, "UNAVAILABLE")
    retried = run(shell, "%%ygpt --once\nTell me about the Volga river.")
    assert retried.ok, retried.shown
    assert_clean(retried)
    assert len(completions(ygpt_server)) == 2, "the SDK should have retried the broken stream once"

    retried_text = shell.user_ns["_ygpt"].text
    ygpt_server.faults.clear()
    assert run(shell, "%%ygpt --once\nTell me about the Volga river.").ok
    assert retried_text == shell.user_ns["_ygpt"].text
    assert retried.final.count(retried_text[:40]) == 1, "the reply text is duplicated"


def test_unreachable_endpoint_fails_fast_and_names_it(shell, magics, ygpt_server):
    before = magics.kernel.session.to_dict()
    with socket.socket() as sock:  # a port nobody listens on: bound, then closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert run(shell, f"%ygpt connect 127.0.0.1:{port} --insecure").ok

    started = time.monotonic()
    failed = run(shell, PROMPT)
    elapsed = time.monotonic() - started

    assert elapsed < 5, f"took {elapsed:.1f} s"
    assert_clear_error(failed, f"127.0.0.1:{port}", "could not reach", error_type=errors.ServerUnavailable)
    assert magics.kernel.session.to_dict() == before
    assert run(shell, f"%ygpt connect {ygpt_server.address} --insecure").ok
    assert run(shell, PROMPT).ok


@pytest.mark.slow
def test_stalled_stream_is_bounded_by_the_stream_timeout(shell, magics, ygpt_server):
    before = _chat_with_history(shell, magics)
    magics.stream_timeout = 1.0  # on this instance: %config would leak into later tests
    ygpt_server.faults.stall_after(1, 30)

    started = time.monotonic()
    failed = run(shell, PROMPT, cell_id="c3")
    elapsed = time.monotonic() - started

    assert elapsed < 4, f"the stall was not bounded: {elapsed:.1f} s"
    assert_clear_error(failed, "went silent for 1 s", "run the cell again",
                       "%config YGptMagics.stream_timeout = 2", error_type=errors.StreamStalled)
    assert magics.kernel.session.to_dict() == before
    assert run(shell, "1 + 1").ok
    assert run(shell, PROMPT, cell_id="c3").ok


@pytest.mark.slow
def test_silent_server_is_bounded_by_the_timeouts(shell, magics):
    """Something accepts the TCP connection but never answers (a hung server, a wrong port):
    the fast connect probe passes, so `stream_timeout` (streaming) and `timeout` bound it."""
    magics.stream_timeout, magics.timeout = 1.0, 1.5
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        assert run(shell, f"%ygpt connect 127.0.0.1:{silent.getsockname()[1]} --insecure").ok
        for source, bound, said in ((PROMPT, 1.0, "went silent for 1 s"),
                                    ("%%ygpt --no-stream\nHello?", 1.5, "within 1.5 s")):
            started = time.monotonic()
            failed = run(shell, source)
            assert time.monotonic() - started < bound + 1.5
            assert_clear_error(failed, said, "run the cell again", error_type=errors.ServerTimeout)
        assert run(shell, "1 + 1").ok


@pytest.mark.slow
def test_default_retry_policy_outlasted_by_unavailable(shell, magics, ygpt_server):
    """The default number of attempts (5) exhausted: one message. The backoff is shortened from
    the default 1 s ×1.5 (12 s in all) to 0.3 s ×1.5 (2.4 s in all), still longer than the quiet
    time after which the connect check beside the request asks again (reach.QUIET_AFTER): the
    live server it finds then is not taken for a dead one."""
    magics.retries, magics.retry_backoff = 4, 0.3
    before = magics.kernel.session.to_dict()
    ygpt_server.faults.fail_next(5, "UNAVAILABLE")

    failed = run(shell, PROMPT)

    assert len(completions(ygpt_server)) == 5
    assert_clear_error(failed, "answered", ygpt_server.address, error_type=errors.ServerBusy)
    assert magics.kernel.session.to_dict() == before
    assert run(shell, PROMPT).ok


def test_transient_faults_are_retried_invisibly(shell, magics, ygpt_server):
    """Fewer failures than retries: the user sees only the reply."""
    ygpt_server.faults.fail_next(1, "RESOURCE_EXHAUSTED")
    ygpt_server.faults.fail_next(1, "UNAVAILABLE")
    done = run(shell, PROMPT, cell_id="c1")
    assert done.ok, done.shown
    assert_clean(done)
    assert len(magics.kernel.session.chat().turns) == 1
