"""run_exchange: what the user sees and what the chat keeps, for success, Stop, Ctrl-C, errors.

The client here is a tiny local fake that yields the transport's answers (``chat.Answer``); the tests that go through
the wire and the real SDK are in test_magics.py.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest
from visible import visible

from ygpt_magic.chat import Answer, ChatSession, Reply, Usage, planning
from ygpt_magic.errors import ChatBusy, InternalError, ServerUnavailable, StreamBroken
from ygpt_magic.exchange import run_exchange
from ygpt_magic.render import StreamRenderer
from ygpt_magic.saving import LIVE_ONLY

USAGE = Usage(10, 4, 0, 14)


def streamed(text: str, status: str = "PARTIAL") -> Answer:
    """One chunk of a stream, as the client gives it: the whole text so far."""
    return Answer(text, status, USAGE, "23.10.2024")


@dataclass
class FakeStream:
    chunks: list
    on_chunk: object = None  # called after each chunk is yielded (to simulate Ctrl-C / Stop)
    cancelled: bool = False
    received: int = 0  # chunks given, as the client counts them
    attempt: int = 1

    def __iter__(self):
        for index, chunk in enumerate(self.chunks):
            if self.cancelled:
                return
            if isinstance(chunk, Exception):
                raise chunk
            self.received += 1
            yield chunk
            if self.on_chunk:
                self.on_chunk(self, index)

    def cancel(self):
        self.cancelled = True


@dataclass
class FakeClient:
    stream_: FakeStream | None = None
    chunk: Answer | None = None
    sent: list = field(default_factory=list)

    def stream(self, messages, options, slow=None, due=None):
        self.sent.append((messages, options))
        if slow is not None:
            slow()  # a server slower than loop.SLOW_AFTER: the waiting line shows
        return self.stream_

    def complete(self, messages, options, slow=None):
        self.sent.append((messages, options, None))
        if slow is not None:
            slow()
        return self.chunk

    def deferred(self, messages, options, on_wait):
        on_wait(2.0)
        return self.complete(messages, options)


class Screen:
    def __init__(self):
        self.bundles = []

    def __call__(self, bundle, metadata=None, **_):
        if metadata != LIVE_ONLY:   # the echo for frontends that ignore updates is not the screen's
            self.bundles.append(bundle)
        return self

    def update(self, bundle, **_):
        self.bundles.append(bundle)

    def text(self):
        last = self.bundles[-1]
        return visible(last["text/html"]) if "text/html" in last else last.get("text/plain")


def chunks(*texts, final="FINAL"):
    return [streamed(t) for t in texts[:-1]] + [streamed(texts[-1], final)]


def setup(*stream_items, on_chunk=None):
    session = ChatSession()
    session.record(planning.plan(session, "Who was Einstein?", cell_id="c1"),
                   Reply("A physicist.", "FINAL", USAGE, "yandexgpt", "23.10.2024", 0.1))
    client = FakeClient(FakeStream(list(stream_items), on_chunk))
    screen = Screen()
    return session, client, StreamRenderer(display=screen, interval=0), screen


def prompts(session):
    return [t.prompt for t in session.chat().turns]


def test_a_streamed_reply_is_shown_and_recorded_with_what_was_sent():
    def slow(stream, index):  # the reply takes at least 3 × 20 ms, and elapsed says so
        time.sleep(0.02)

    session, client, renderer, screen = setup(*chunks("In", "In 1879.", "In 1879, in Ulm."), on_chunk=slow)
    plan = planning.plan(session, "When was he born?", cell_id="c2")
    reply = run_exchange(session, lambda: client, plan, renderer)
    assert (reply.text, reply.status, reply.usage, reply.model_version) == \
        ("In 1879, in Ulm.", "FINAL", USAGE, "23.10.2024")
    assert [m["role"] for m in reply.messages] == ["user", "assistant", "user"]
    assert client.sent[0][0] == plan.messages
    assert prompts(session) == ["Who was Einstein?", "When was he born?"]
    assert screen.text().startswith("In 1879, in Ulm.\nyandexgpt · 23.10.2024 · 10 → 4 tokens")
    assert len(screen.bundles) == 1 + 3 + 1
    assert reply.elapsed >= 0.06 and not session.is_busy()


@pytest.mark.parametrize("mode", ["once", "deferred"])
def test_non_streamed_modes(mode):
    session, client, renderer, screen = setup()
    client.chunk = streamed("Ulm.", "FINAL")
    reply = run_exchange(session, lambda: client, planning.plan(session, "Where?"), renderer, mode=mode)
    assert reply.text == "Ulm." and prompts(session)[-1] == "Where?"
    waited = ["⏳ waiting for the operation… 2 s"] if mode == "deferred" else []
    assert [visible(b["text/html"]) for b in screen.bundles[1:-1]] == waited


def test_ctrl_c_keeps_the_partial_text_marked_and_the_chat_unchanged():
    def interrupt(stream, index):
        if index == 1:
            raise KeyboardInterrupt

    session, client, renderer, screen = setup(*chunks("In", "In 18", "In 1879."), on_chunk=interrupt)
    reply = run_exchange(session, lambda: client, planning.plan(session, "When?", cell_id="c1"), renderer)
    assert (reply.text, reply.status) == ("In 18", "INTERRUPTED")
    assert client.stream_.cancelled
    assert screen.text() == "In 18\n⏹ interrupted — not added to the chat"
    assert prompts(session) == ["Who was Einstein?"], "the re-run did not rewind either"
    assert not session.is_busy()


def test_stop_from_another_thread_ends_the_stream_as_interrupted():
    def press_stop(stream, index):  # the panel's Stop button runs on the widget thread
        if index == 0:
            button = threading.Thread(target=stream.cancel)
            button.start()
            button.join()

    session, client, renderer, screen = setup(
        *chunks("Once", "Once upon", "Once upon a time."), on_chunk=press_stop
    )
    reply = run_exchange(session, lambda: client, planning.plan(session, "Tell a story"), renderer)
    assert (reply.text, reply.status) == ("Once", "INTERRUPTED")
    assert prompts(session) == ["Who was Einstein?"]


def test_keep_partial_records_the_interrupted_reply():
    session, client, renderer, screen = setup(
        *chunks("Half", "Half an answer", "Whole"),
        on_chunk=lambda stream, index: index == 1 and stream.cancel(),
    )
    run_exchange(session, lambda: client, planning.plan(session, "Go"), renderer, keep_partial=True)
    turn = session.chat().turns[-1]
    assert (turn.prompt, turn.reply.text, turn.reply.status) == ("Go", "Half an answer", "INTERRUPTED")
    assert screen.text().endswith("\n⏹ interrupted — the partial reply was added to the chat")


@pytest.mark.parametrize("items, error", [
    ([streamed("Par"), ServerUnavailable("127.0.0.1:1", 5)], ServerUnavailable),
    ([streamed("Par"), streamed("Part")], StreamBroken),  # ended without a final chunk
    ([], StreamBroken),
])
def test_errors_keep_partial_text_and_leave_the_chat_exactly_as_it_was(items, error):
    session, client, renderer, screen = setup(*items)
    session.configure(temperature=0.4)
    before = (list(session.chat().turns), session.chat().options, session.chat().system)
    with pytest.raises(error):
        run_exchange(session, lambda: client, planning.plan(session, "Next", cell_id="c1", system="new"), renderer)
    assert (list(session.chat().turns), session.chat().options, session.chat().system) == before
    partial = ([item.text for item in items if isinstance(item, Answer)] or [""])[-1]
    assert screen.text() == (f"{partial}\n⚠ stopped — not added to the chat; see the message "
                             f"below" if partial else ""), "partial text kept; no waiting line"
    assert not session.is_busy()


def test_unexpected_errors_are_ours_and_never_show_a_secret():
    session, client, renderer, screen = setup(streamed("Par"), RuntimeError("token t1.SECRETSECRETSECRET"))
    with pytest.raises(InternalError, match=r"error in ygpt_magic itself.*RuntimeError: token \*\*\*"):
        run_exchange(session, lambda: client, planning.plan(session, "Next"), renderer)
    assert "SECRET" not in str(screen.bundles) and screen.text().startswith("Par\n⚠ stopped")


def test_a_second_request_on_a_busy_chat_is_refused_before_showing_anything():
    session, client, renderer, screen = setup(*chunks("ok"))
    with session.busy("default"):
        with pytest.raises(ChatBusy):
            run_exchange(session, lambda: client, planning.plan(session, "Next"), renderer)
    assert screen.bundles == [] and client.sent == []


def test_once_needs_no_lock_and_records_nothing():
    session, client, renderer, screen = setup(*chunks("Fixed."))
    with session.busy("default"):  # a reply streaming into the chat does not block --once
        reply = run_exchange(session, lambda: client, planning.plan(session, "Fix", once=True), renderer)
    assert reply.text == "Fixed." and prompts(session) == ["Who was Einstein?"]


def test_ctrl_c_while_waiting_for_a_non_streamed_reply():
    class Waiting(FakeClient):
        def complete(self, messages, options, slow=None):
            raise KeyboardInterrupt

    session, _, renderer, screen = setup()
    reply = run_exchange(session, Waiting, planning.plan(session, "Slow"), renderer, mode="once")
    assert (reply.text, reply.status) == ("", "INTERRUPTED")
    assert screen.text() == "⏹ interrupted — not added to the chat"
    assert prompts(session) == ["Who was Einstein?"] and not session.is_busy()


def test_a_request_prepared_before_another_turn_landed_is_refused_unsent():
    from ygpt_magic.errors import ChatChanged

    session, client, renderer, screen = setup(*chunks("B's answer"))
    from_panel = planning.plan(session, "Panel question")
    from_cell = planning.plan(session, "Cell question")
    session.record(from_cell, Reply("Cell answer", "FINAL", USAGE, "yandexgpt", "", 0.1))
    with pytest.raises(ChatChanged, match="Run it again"):
        run_exchange(session, lambda: client, from_panel, renderer)
    assert client.sent == [] and screen.bundles == []
    assert prompts(session) == ["Who was Einstein?", "Cell question"]


def test_changing_options_or_system_while_a_reply_streams_spoils_nothing():
    def panel_edits(stream, index):
        if index == 0:
            session.configure(temperature=0.9, system="Set in the panel")

    session, client, renderer, screen = setup(*chunks("Part", "Whole."), on_chunk=panel_edits)
    run_exchange(session, lambda: client, planning.plan(session, "Go"), renderer)
    chat = session.chat()
    assert prompts(session)[-1] == "Go" and chat.turns[-1].reply.text == "Whole."
    assert (chat.options.temperature, chat.system) == (0.9, "Set in the panel")
