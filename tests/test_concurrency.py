"""Concurrency: one request in flight per chat; a second one is refused clearly, never interleaved.

The rule (ChatSession.busy, used by exchange.run_exchange for cells and panels alike): while a
reply streams into a chat, any other request on that chat (another panel, a cell, a thread) is
refused at once with ChatBusy, "A reply is still streaming into chat '…'; wait for it to finish
…". It does not wait in a queue: a notebook user who clicked twice should see why nothing
happened, not get a surprise second turn. Other chats are not blocked.

Panels are real ipywidgets over the `comm` package's dummy comm (no kernel), replies come from
the local server through the real client and SDK; the server's per-chunk latency keeps a reply
in flight long enough to collide with.
"""

from __future__ import annotations

import threading
import time

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error, run
from conftest import completions

from ygpt_magic import errors
from ygpt_magic.chat import planning
from ygpt_magic.exchange import run_exchange

pytestmark = [*LOST_EXCEPTIONS]

SLOW = 0.03  # seconds per chunk: a reply of ~25 chunks stays in flight ~0.75 s


def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def prompts(session, chat: str = "default") -> list[str]:
    return [turn.prompt for turn in session.chat(chat).turns]


@pytest.fixture
def panels(shell, magics):
    opened = [shell.run_line_magic("ygpt", "panel") for _ in range(2)]
    yield opened
    for panel in opened:
        panel.close()


def test_two_panels_and_a_cell_on_one_chat(shell, magics, ygpt_server, panels):
    first, second = panels
    ygpt_server.faults.latency(SLOW)

    first.send("First question")
    wait_until(lambda: magics.kernel.session.is_busy("default"))
    second.send("Second question")  # refused: the panel says why and keeps the text
    cell = run(shell, "%%ygpt\nThird question", cell_id="c3")  # refused: one clear paragraph

    assert "still answering" in second.status.value and second.input.value == "Second question"
    assert_clear_error(cell, "still streaming into chat 'default'", "wait", error_type=errors.ChatBusy)
    assert first.wait(10)
    assert prompts(magics.kernel.session) == ["First question"]

    ygpt_server.faults.clear()
    second.send(second.input.value)  # now it goes through, after the first, never inside it
    assert second.wait(10)
    assert run(shell, "%%ygpt\nThird question", cell_id="c3").ok
    assert prompts(magics.kernel.session) == ["First question", "Second question", "Third question"]
    sent = completions(ygpt_server)[-1].messages
    assert [m["text"] for m in sent if m["role"] == "user"] == prompts(magics.kernel.session)
    turns = magics.kernel.session.chat().turns
    assert [m["text"] for m in sent if m["role"] == "assistant"] == [t.reply.text for t in turns[:2]]
    assert all(t.reply.status == "FINAL" for t in turns)


def test_a_cell_refused_while_a_panel_send_streams_is_told_of_the_panels_stop(shell, magics, ygpt_server, panels):
    """The panel's Send runs on a thread of the panel's own: the cell and the reset it refuses
    point at the panel's Stop, not at "a thread of yours" the user never started (findings/panel3 2)."""
    ygpt_server.faults.latency(SLOW)
    panels[0].send("Write a long essay")
    wait_until(lambda: magics.kernel.session.is_busy("default"))
    refused = [run(shell, "%%ygpt\nAnd what is two plus two?", cell_id="c2"), run(shell, "%ygpt reset")]
    assert panels[0].wait(10)
    for cell in refused:
        message = assert_clear_error(cell, "still streaming into chat 'default'", "wait for it to finish",
                                     "press Stop in the panel", error_type=errors.ChatBusy)
        assert "thread" not in message and "interrupt" not in message, message
    assert prompts(magics.kernel.session) == ["Write a long essay"]


@pytest.mark.slow
def test_a_panel_cannot_send_while_a_cell_streams(shell, magics, ygpt_server, panels):
    panel = panels[0]
    ygpt_server.faults.latency(SLOW)
    def click_send_mid_stream() -> None:
        wait_until(lambda: magics.kernel.session.is_busy("default"))
        panel.send("From the panel")

    clicker = threading.Thread(target=click_send_mid_stream)
    clicker.start()
    cell = run(shell, "%%ygpt\nFrom the cell")
    clicker.join()
    assert cell.ok, cell.shown
    assert "still answering" in panel.status.value
    assert prompts(magics.kernel.session) == ["From the cell"]


@pytest.mark.slow
def test_many_threads_on_one_chat_exactly_one_wins_each_round(shell, magics, ygpt_server):
    """Eight threads start a request on the same chat at the same instant, five times over."""
    ygpt_server.faults.latency(0.01)
    session, client = magics.kernel.session, magics.kernel.connection.client()
    winners: list[str] = []

    for round_ in range(5):
        barrier = threading.Barrier(8)
        outcomes: dict[str, str] = {}

        def ask(name: str) -> None:
            plan = planning.plan(session, name, chat="shared")
            barrier.wait()
            try:
                run_exchange(session, lambda: client, plan, Quiet())
                outcomes[name] = "ok"
            except errors.ChatBusy:
                outcomes[name] = "busy"

        threads = [threading.Thread(target=ask, args=(f"round {round_} thread {i}",)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        won = [name for name, outcome in outcomes.items() if outcome == "ok"]
        assert len(outcomes) == 8 and len(won) == 1, outcomes
        winners += won

    assert prompts(session, "shared") == winners
    assert not session.is_busy("shared")


def test_different_chats_run_side_by_side(shell, magics, ygpt_server):
    ygpt_server.faults.latency(0.01)
    session, client = magics.kernel.session, magics.kernel.connection.client()
    errors_seen: list[BaseException] = []

    def ask(chat: str) -> None:
        try:
            run_exchange(session, lambda: client, planning.plan(session, f"Hello from {chat}", chat=chat), Quiet())
        except BaseException as error:
            errors_seen.append(error)

    threads = [threading.Thread(target=ask, args=(f"chat{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors_seen
    assert all(prompts(session, f"chat{i}") == [f"Hello from chat{i}"] for i in range(4))


class Quiet:
    """A renderer that shows nothing (run_exchange's renderer is duck-typed; the SDK is real)."""

    def start(self, notes): ...
    def show_waiting(self): ...
    def waiting(self, seconds): ...
    def update(self, text): ...
    def due(self): return None
    def finish(self, reply): ...
    def interrupt(self, text, *, kept=False): ...
    def fail(self, message): ...
    def opened(self, stream): ...
    def retrying(self, status, wait): ...
