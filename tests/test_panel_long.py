"""A panel over a long chat: every turn is shown, with the same few widgets whatever its length.

Each widget is a message to the page (and each change of one another), and a panel over a
loaded chat of 400 turns sent some 10,000 in one burst, which the page dropped in part and drew
nothing of (findings/panel3 1). The newest turns are bubbles; the older ones are one folded block
(panel/transcript.py). Widgets over the recording comm of test_panel, which counts what would go
to the page; tests/test_browser_panel_page.py draws one in JupyterLab.
"""

from __future__ import annotations

import json

import comm
import pytest
from test_panel import RecordingComm, bubbles, cell, client, saved_text  # noqa: F401 (client: a fixture)
from visible import visible

from ygpt_magic.chat import ChatSession
from ygpt_magic.panel import show_panel
from ygpt_magic.panel.transcript import Bubbles


def long_chat(turns: int) -> dict:
    """Chat-file data of one chat, 'long', of ``turns`` questions and answers."""
    reply = {"status": "FINAL", "model": "yandexgpt", "model_version": "local server", "elapsed": 0.5,
             "usage": {"input_tokens": 20, "completion_tokens": 5, "reasoning_tokens": 0, "total_tokens": 25}}
    return {"version": 1, "current": "long", "chats": [{"name": "long", "system": None, "options": {}, "turns": [
        {"prompt": f"Question {n}", "cell_id": None, "reply": {**reply, "text": f"Answer {n}."}}
        for n in range(turns)]}]}


@pytest.fixture
def to_the_page(monkeypatch):
    """Every comm a widget opens (one message each), which keeps the messages sent on it."""
    opened: list[RecordingComm] = []

    def create_comm(**kwargs):
        opened.append(RecordingComm(**kwargs))
        return opened[-1]

    monkeypatch.setattr(comm, "create_comm", create_comm)
    return opened


def messages(opened: list[RecordingComm]) -> int:
    return len(opened) + sum(len(channel.messages) for channel in opened)


def folded_blocks(panel) -> list:
    """The folded blocks the transcript lays out, top to bottom."""
    return [row for row in panel.transcript.widget.children[0].children if "ygpt-earlier" in row._dom_classes]


def shown(panel) -> str:
    """The transcript's text as the user reads it, top to bottom: the folded blocks, then bubbles."""
    folded = [visible(block.outputs[0]["data"]["text/html"]) for block in folded_blocks(panel)]
    return "\n".join([*folded, *(text for _, text in bubbles(panel))])


def sent_bytes(channel) -> int:
    """JSON bytes of the outputs a widget sent to the page (its state updates)."""
    return sum(len(json.dumps(message["data"]["state"]["outputs"])) for _, message in channel.messages
               if "outputs" in message["data"].get("state", {}))


def opened_over(session: ChatSession, opened: list[RecordingComm]) -> tuple[object, int]:
    """``%ygpt panel`` over the session's current chat, and the messages it sent to the page."""
    before = messages(opened)
    panel = show_panel(session, lambda: None)
    return panel, messages(opened) - before


def test_a_panel_over_800_turns_sends_what_one_over_50_does_and_shows_every_turn(to_the_page):
    sent = {}
    for turns in (50, 800):
        session = ChatSession()
        session.load_dict(long_chat(turns))
        panel, sent[turns] = opened_over(session, to_the_page)
        text = shown(panel)
        order = [text.index(f"Question {n}\n") for n in range(turns)]
        assert order == sorted(order), "the turns are out of order"
        assert f"Answer {turns - 1}." in text and "20 → 5 tokens" in text
        assert saved_text(panel).count("You: Question") == turns
        panel.close()
    assert sent[800] == sent[50] + 1 < 400, sent   # one more folded block: turns 0 to 699, 700 to 789


def test_a_new_turn_adds_bubbles_and_the_block_is_sent_again_once_in_ten_turns(to_the_page, client):
    session = ChatSession()
    session.load_dict(long_chat(19))
    panel, _ = opened_over(session, to_the_page)
    assert len(bubbles(panel)) == 2 * 19   # not folded yet
    for n in range(19, 31):
        cell(session, client, f"Question {n}")
    text = shown(panel)
    assert all(f"Question {n}\n" in text for n in range(31))
    assert len(bubbles(panel)) == 2 * 11   # turns 20 to 30; 0 to 19 are folded
    block = panel.transcript.widget.children[0].children[0]
    sent = [message for _, message in block.comm.messages if "outputs" in message["data"].get("state", {})]
    assert len(sent) == 2   # turns 0 to 9 at the 20th turn, 0 to 19 at the 30th
    panel.close()


def test_a_stopped_reply_pinned_among_the_turns_stays_in_place_when_they_fold(to_the_page, client):
    session = ChatSession()
    session.load_dict(long_chat(3))
    panel, _ = opened_over(session, to_the_page)
    for prompt in ("A question I stopped", "Another I stopped"):
        panel.transcript.set_live(Bubbles(prompt, {"text/html": "<p>Half an ans</p>", "text/plain": "Half an ans"}))
        panel.transcript.end_live(keep=True)   # what Stop leaves: the partial reply, out of the chat
    for n in range(3, 23):
        cell(session, client, f"Question {n}")
    text = shown(panel)
    assert "A question I stopped" not in "".join(text for _, text in bubbles(panel)), "not folded"
    assert (text.index("Question 2\n") < text.index("A question I stopped") < text.index("Another I stopped")
            < text.index("Question 3\n"))
    assert "Half an ans" in text
    panel.close()


@pytest.mark.slow
def test_over_700_turns_a_new_turn_sends_the_newest_folded_turns_not_all_of_them(to_the_page, client):
    """The folded turns are cut into blocks (panel/blocks.py): ten more turns folded send the
    block of the turns since the last hundred again, never the 700 before them."""
    session = ChatSession()
    session.load_dict(long_chat(719))
    panel, _ = opened_over(session, to_the_page)
    whole = sum(len(json.dumps(block.outputs)) for block in folded_blocks(panel))
    before = {block: sent_bytes(block.comm) for block in panel.transcript.spare()}
    for n in range(719, 750):
        cell(session, client, f"Question {n}")
    sent = sum(sent_bytes(block.comm) - before[block] for block in panel.transcript.spare())
    text = shown(panel)
    order = [text.index(f"Question {n}\n") for n in range(750)]
    assert order == sorted(order), "the turns are out of order"
    # four folds send the block of the turns since 700 (10, 20, 30, 40 of them), not 700 each time
    assert sent < whole / 2, (sent, whole)
    panel.close()
