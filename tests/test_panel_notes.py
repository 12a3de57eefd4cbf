"""What a Send changed or left out (a picture downscaled, a value cut, old turns left out) is said
above its reply, and still said once the turn is recorded and the panel redraws it from the chat:
in the panel, in the saved view the notebook keeps, and in a chat file saved and loaded again.

The panel is opened by a cell in the real shell and typed into as the browser would; the pictures
go over the local server's chat API, the rest over gRPC.
"""

from __future__ import annotations

import html
import json

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import TEST_KEY, cell
from pictures import MODEL, pics  # noqa: F401 (pics: a fixture)
from test_panel import bubbles, saved_text, send, widget_comm  # noqa: F401 (widget_comm: a fixture)
from test_panel_doors import opened

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

DOWNSCALED = "over the limit of 2048 px a side and 4 MiB; sent downscaled to 2048×1024"


@pytest.fixture
def panel(pics):
    """``%ygpt panel --chat sea`` opened by a cell, as a user opens it."""
    panel = opened(pics, "--chat sea")
    yield panel
    panel.close()


def last_turn(shell):
    """The last turn recorded in chat 'sea'."""
    return shell.magics_manager.registry["YGptMagics"].kernel.session.chat("sea").turns[-1]


def answered(panel, text: str) -> str:
    """Send ``text`` and wait for the reply; the transcript as the user reads it afterwards."""
    send(panel, text)
    assert panel.wait(15)
    assert html.unescape(panel.status.value) == "", html.unescape(panel.status.value)
    return "\n".join(shown for _, shown in bubbles(panel))


@pytest.mark.slow
def test_a_downscaled_picture_is_still_said_after_the_reply_is_recorded(pics, panel, ygpt_server):
    cell(pics, "from PIL import Image\nImage.new('RGB', (3000, 1500), (10, 200, 30))")
    picture = max(pics.user_ns["Out"])
    panel.controls.model.value = MODEL
    shown = answered(panel, f"What is this? {{Out[{picture}]}}")
    assert ygpt_server.requests[-1].images, "the picture was sent"
    assert DOWNSCALED in shown
    # what the notebook keeps beside the widget
    assert DOWNSCALED in saved_text(panel) and DOWNSCALED in html.unescape(saved_text(panel, "text/html"))


def test_a_cut_value_is_said_above_its_reply_and_in_the_saved_view(pics, panel):
    pics.user_ns["story"] = "once upon a time " * 20_000
    shown = answered(panel, "Summarise {story}")
    [note] = last_turn(pics).notes
    assert note.startswith("{story}: ") and "cut to the first" in note
    assert note in shown and note in saved_text(panel)


def test_a_saved_chat_keeps_its_notes_and_an_older_file_without_them_loads(pics, panel, tmp_path):
    pics.user_ns["story"] = "once upon a time " * 20_000
    answered(panel, "Summarise {story}")
    notes = last_turn(pics).notes
    saved = tmp_path / "chats.json"
    assert cell(pics, f"%ygpt save {saved}").ok
    data = json.loads(saved.read_text(encoding="utf-8"))
    [chat] = [chat for chat in data["chats"] if chat["name"] == "sea"]
    assert chat["turns"][-1]["notes"] == list(notes)

    assert cell(pics, "%ygpt reset --all").ok and cell(pics, f"%ygpt load {saved}").ok
    assert last_turn(pics).notes == notes
    panel.switch("sea")   # `reset --all` took the panel back to the current chat
    assert notes[0] in "\n".join(shown for _, shown in bubbles(panel))

    del chat["turns"][-1]["notes"]   # as a file written before turns kept notes
    saved.write_text(json.dumps(data), encoding="utf-8")
    assert cell(pics, f"%ygpt load {saved}").ok
    assert last_turn(pics).notes == ()


def test_a_note_in_a_loaded_file_is_checked_and_saved_masked(pics, panel, tmp_path):
    answered(panel, "Tell me about the sea")
    saved = tmp_path / "chats.json"
    assert cell(pics, f"%ygpt save {saved}").ok
    data = json.loads(saved.read_text(encoding="utf-8"))
    turn = [chat for chat in data["chats"] if chat["name"] == "sea"][0]["turns"][-1]
    turn["notes"] = [{"not": "a text"}]
    saved.write_text(json.dumps(data), encoding="utf-8")
    refused = cell(pics, f"%ygpt load {saved}")
    assert "notes[0] should be a text" in refused.message

    turn["notes"] = [f"a note someone wrote with {TEST_KEY} in it"]
    saved.write_text(json.dumps(data), encoding="utf-8")
    assert cell(pics, f"%ygpt load {saved}").ok
    assert cell(pics, f"%ygpt save {saved}").ok
    assert TEST_KEY not in saved.read_text(encoding="utf-8")
