"""What the panel says when a Send fails can be followed in the panel: a panel message takes no
flags, so its errors advise what the panel has (``{{name}}`` for literal braces, the model list,
"send it again"), while a cell keeps its own advice (``--no-interpolate``, ``--model``).

Every test opens ``%ygpt panel`` in the real shell, types into it as the browser would, and reads
its status line; the same text in a ``%%ygpt`` cell is run beside it for the cell's words.
"""

from __future__ import annotations

import html
import re

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import TEST_KEY, cell
from pictures import MODEL, pics  # noqa: F401 (pics: a fixture)
from test_panel import send, widget_comm  # noqa: F401 (widget_comm: a fixture)
from test_panel_doors import opened

pytestmark = [pytest.mark.filterwarnings(*LOST_EXCEPTIONS), pytest.mark.usefixtures("fresh_names")]

#: a `%%ygpt` flag, which the panel has no way to take
FLAG = re.compile(r"--[a-z][a-z-]+")


@pytest.fixture
def panel(pics):
    """``%ygpt panel`` opened by a cell, as a user opens it (its text refers to earlier cells)."""
    panel = opened(pics)
    yield panel
    panel.close()


def status_after(panel, text: str) -> str:
    """Type ``text`` into ``panel``, press Enter; the status line once the reply or error came."""
    send(panel, text)
    assert panel.wait(15)
    panel.input.value = ""
    return html.unescape(re.sub(r"<[^>]*>", "", panel.status.value))


def assert_panel_words(status: str, *advice: str) -> None:
    assert status.startswith("⚠"), f"an error was expected, not {status!r}"
    assert "the cell" not in status.lower() and not FLAG.findall(status), status
    for words in advice:
        assert words in status, status


def test_a_missing_name_is_written_with_doubled_braces_not_no_interpolate(pics, panel):
    status = status_after(panel, "What about {nosuch}?")
    assert_panel_words(status, "The panel's message uses {nosuch} but there is no variable named "
                               "'nosuch'", "or write {{nosuch}} for literal braces.")
    in_a_cell = cell(pics, "%%ygpt\nWhat about {nosuch}?")
    assert "The cell uses {nosuch}" in in_a_cell.message
    assert "write {{nosuch}} for literal braces, or run the cell with --no-interpolate." in in_a_cell.message


def test_a_missing_attribute_and_a_failing_expression_say_what_the_panel_can_do(pics, panel):
    pics.user_ns["sea"] = "calm"
    attribute = status_after(panel, "How is {sea.depth}?")
    assert_panel_words(attribute, "Check the name, or write {{sea.depth}} for literal braces.")
    expression = status_after(panel, "How much is {1 / 0}?")
    assert_panel_words(expression, "raised ZeroDivisionError", "or write {{1 / 0}} for literal braces.")


def test_a_picture_for_a_model_without_images_points_to_the_model_list(pics, panel):
    cell(pics, "from PIL import Image\nImage.new('RGB', (64, 48))")
    picture = max(pics.user_ns["Out"])
    status = status_after(panel, f"What is this? {{Out[{picture}]}}")
    assert_panel_words(status, "does not take images", f"Pick {MODEL} in the model list")
    in_a_cell = cell(pics, f"%%ygpt\nWhat is this? {{Out[{picture}]}}")
    assert f"Run the cell with --model {MODEL}" in in_a_cell.message


def test_a_broken_stream_says_send_it_again(pics, panel, ygpt_server):
    ygpt_server.faults.break_stream_after(2, "INTERNAL")
    try:
        status = status_after(panel, "Tell me about the sea")
    finally:
        ygpt_server.faults.clear()
    assert_panel_words(status, "The reply stream broke off", "Send it again.")


def test_a_key_typed_into_the_panel_is_refused_with_send_it_again(pics, panel, ygpt_server):
    status = status_after(panel, f"My key is {TEST_KEY}")
    assert_panel_words(status, "Nothing was sent: the panel's message contains your",
                       "leave that reference out of the panel's message), then send it again.")
    assert TEST_KEY not in status and not ygpt_server.requests
