"""The panel in a real browser: JupyterLab, a kernel on the project's server, headless Chromium.

A user's story end to end: a notebook loads the extension, asks one question in a ``%%ygpt``
cell, opens ``%ygpt panel``; in the panel the user types a follow-up and presses Send, then types
another and presses Enter. Both replies must stream into the panel, after the cell's turn. The
panel's screenshot is kept in test-artifacts/panel.png (docs/panel.png is a copy of a good one).

A second story needs the real frontend too: JupyterLab sends each cell's id with the execute
request, so re-running an earlier ``%%ygpt`` cell rewinds the chat to just before its turn.
"""

from __future__ import annotations

import time

import pytest
from browser.session import ARTIFACTS, opened

pytestmark = pytest.mark.slow

FIRST = "Hi! What fields of science did Albert Einstein study?"
SECOND = "What important discoveries did he make?"
THIRD = "Make it shorter"


def test_the_panel_streams_a_reply_in_jupyterlab(lab):
    started = time.monotonic()
    cells = ["%load_ext ygpt_magic", f"%%ygpt\n{FIRST}", "%ygpt panel"]
    with opened(*lab, "panel.ipynb", cells) as page:
        panel = page.locator(".ygpt-panel")
        panel.wait_for()
        assistant = panel.locator(".ygpt-assistant .ygpt-bubble")
        assistant.first.wait_for()
        assert "Albert Einstein was a theoretical physicist" in assistant.first.inner_text()

        box = panel.locator(".ygpt-input textarea")
        box.fill(SECOND)
        panel.locator("button", has_text="Send").click()
        panel.locator(".ygpt-assistant .ygpt-bubble",
                      has_text="Einstein's most important discoveries include").wait_for()

        box.fill(THIRD)
        box.press("Enter")
        panel.locator(".ygpt-assistant .ygpt-bubble", has_text="Einstein's key discoveries").wait_for()
        panel.locator(".ygpt-totals", has_text="3 turns").wait_for()
        assert box.input_value() == ""

        box.type("first line")
        box.press("Shift+Enter")
        box.type("second line")
        assert box.input_value() == "first line\nsecond line"  # Shift+Enter: a new line, no send
        assert panel.locator(".ygpt-user .ygpt-bubble").count() == 3
        box.fill("")

        user_texts = [text.strip() for text in panel.locator(".ygpt-user .ygpt-bubble").all_inner_texts()]
        assert user_texts == [FIRST, SECOND, THIRD]
        assert panel.locator(".ygpt-status .ygpt-error").count() == 0
        page.wait_for_timeout(300)  # let the last redraw settle before the picture
        ARTIFACTS.mkdir(exist_ok=True)
        panel.screenshot(path=str(ARTIFACTS / "panel.png"))
        page.screenshot(path=str(ARTIFACTS / "panel-page.png"))
    print(f"\nbrowser test: {time.monotonic() - started:.1f} s; screenshot in {ARTIFACTS / 'panel.png'}")


def test_rerunning_a_cell_in_jupyterlab_rewinds_the_chat(lab):
    cells = ["%load_ext ygpt_magic", f"%%ygpt\n{FIRST}", f"%%ygpt\n{SECOND}", "%ygpt history"]
    with opened(*lab, "rerun.ipynb", cells) as page:
        cell = page.locator(".jp-Notebook .jp-Cell")
        cell.nth(3).locator(".jp-OutputArea", has_text="2 turns").wait_for()

        cell.nth(1).locator(".jp-InputArea-editor").click()  # the first question, asked again
        page.keyboard.press("Shift+Enter")
        cell.nth(1).locator(".jp-OutputArea", has_text="Re-ran this cell: its previous turn and "
                            "1 later turn were dropped from chat 'default'").wait_for()
        cell.nth(1).locator(".jp-OutputArea", has_text="In his later years").wait_for()  # the whole reply

        cell.nth(3).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        cell.nth(3).locator(".jp-OutputArea", has_text="1 turn,").wait_for()
        history = cell.nth(3).locator(".jp-OutputArea").inner_text()
        assert SECOND not in history
        assert "user (In [5]):" in history, "labelled by the number JupyterLab shows on the cell"


def test_a_json_tree_shows_its_footer_in_jupyterlab(lab):
    """JupyterLab draws ``application/json`` (rank 0) ahead of every other form of a bundle, as
    a tree with no room for a footer: the footer must be an output of its own, under the tree."""
    cells = ["%load_ext ygpt_magic", "%%ygpt --json --format json\nGive me a city and a date"]
    with opened(*lab, "json.ipynb", cells) as page:
        area = page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-OutputArea")
        area.locator(".jp-RenderedJSON").wait_for()
        area.locator(".jp-OutputArea-output", has_text="tokens").wait_for()
        texts = [text for text in area.locator(".jp-OutputArea-output").all_inner_texts()
                 if text.strip()]   # the echo for frontends that ignore updates draws nothing
        assert "root" in texts[-2] and "tokens" not in texts[-2], texts
        assert "tokens" in texts[-1] and "local server" in texts[-1], texts


def test_panel_side_opens_the_panel_beside_the_notebook_and_sends_from_there(lab):
    pytest.importorskip("sidecar", reason="sidecar is not installed (pip install -e '.[test]')")
    cells = ["%load_ext ygpt_magic", f"%%ygpt\n{FIRST}", "%ygpt panel --side"]
    with opened(*lab, "side.ipynb", cells) as page:
        page.locator(".jp-Notebook .jp-Cell").nth(2).locator(
            ".jp-OutputArea", has_text="in JupyterLab's side area; it lasts as long as this kernel").wait_for()
        panel = page.locator(".jupyterlab-sidecar .ygpt-panel")
        panel.locator(".ygpt-assistant .ygpt-bubble", has_text="Albert Einstein was a theoretical physicist").wait_for()
        assert page.locator(".jp-Notebook .ygpt-panel").count() == 0  # beside the notebook, not in it

        panel.locator(".ygpt-input textarea").fill(SECOND)
        panel.locator("button", has_text="Send").click()
        panel.locator(".ygpt-assistant .ygpt-bubble",
                      has_text="Einstein's most important discoveries include").wait_for()
        panel.locator(".ygpt-totals", has_text="2 turns").wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "panel-side.png"))
