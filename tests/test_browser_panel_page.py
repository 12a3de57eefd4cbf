"""The panel as a user meets it in JupyterLab's page: a kernel restarted under it, Enter while a
cell runs, Ctrl+S in its message box, and the side area's narrow default width.

What the page shows here is the page's own doing (the panel's CSS and key hook, panel/style.py
and panel/keys.py): the kernel cannot answer a widget while it runs a cell, nor at all once it is
gone, so each story looks at the page, headless Chromium against a real JupyterLab.
"""

from __future__ import annotations

import json

import pytest
from browser.session import ARTIFACTS, opened
from test_browser import FIRST, SECOND
from test_panel_long import long_chat

from ygpt_magic.panel.keys import WAITING

pytestmark = pytest.mark.slow

REPLY = "Albert Einstein was a theoretical physicist"
ANSWER = "Einstein's most important discoveries include"
#: a cell that runs until the story has seen what it came for and creates this file (at most 30 s)
GO = "busy.go"
BUSY = f"import pathlib, time\nfor _ in range(300):\n    if pathlib.Path({GO!r}).exists(): break\n    time.sleep(0.1)"


def ready_panel(page, where: str = ".jp-Notebook"):
    """The panel in `where` once it shows the first cell's turn."""
    panel = page.locator(f"{where} .ygpt-panel")
    panel.locator(".ygpt-assistant .ygpt-bubble", has_text=REPLY).wait_for()
    return panel


def restart_kernel(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Restart Kernel…").first.click()
    page.locator(".jp-Dialog button", has_text="Restart").click()


def test_a_restarted_kernel_shows_the_saved_view_and_no_live_looking_panel(lab):
    pytest.importorskip("sidecar", reason="sidecar is not installed (pip install -e '.[test]')")
    cells = ["%load_ext ygpt_magic", f"%%ygpt\n{FIRST}", "%ygpt panel", "%ygpt panel --side"]
    with opened(*lab, "restart.ipynb", cells) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        panel = ready_panel(page)
        side = ready_panel(page, ".jupyterlab-sidecar")
        saved = page.locator(".jp-Notebook .ygpt-saved")   # its parts (panel/saved.py)
        assert not any(part.is_visible() for part in saved.all())  # the live panel stands in for it

        restart_kernel(page)
        saved.filter(has_text=REPLY).wait_for(state="visible", timeout=10_000)
        view = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-Cell-outputArea")
        assert "Run %ygpt panel to open it again" in view.inner_text() and REPLY in view.inner_text()
        blank = [part for part in view.locator("> .jp-OutputArea-child").all()
                 if part.is_visible() and not part.inner_text().strip()]
        assert not blank, "an empty part of the saved view takes room"
        assert not panel.is_visible(), "the dead panel still poses as a live one"
        assert side.is_visible()
        line = side.evaluate("panel => getComputedStyle(panel, '::before').content")
        assert "ended with its kernel" in line and "%ygpt panel --side" in line, line

        box = side.locator(".ygpt-input textarea")
        box.focus()
        page.keyboard.type("Are you there?")
        page.keyboard.press("Enter")
        page.wait_for_timeout(500)
        assert box.input_value() == "Are you there?"  # kept as typed, no mark, nothing pretended
        assert not errors, errors


def test_enter_while_a_cell_runs_keeps_the_text_clean_and_says_it_waits(lab):
    cells = ["%load_ext ygpt_magic", f"%%ygpt\n{FIRST}", "%ygpt panel", BUSY]
    with opened(*lab, "busy.ipynb", cells) as page:
        panel = ready_panel(page)
        running = page.locator(".jp-Notebook .jp-Cell").nth(3).locator(".jp-InputPrompt")
        assert "*" in running.inner_text(), "the sleeping cell should be running"

        box = panel.locator(".ygpt-input textarea")
        box.fill(SECOND)
        box.press("Enter")
        status = panel.locator(".ygpt-status")
        status.get_by_text(WAITING).wait_for(timeout=3_000)
        assert box.input_value() == SECOND  # no submit mark in what the user reads
        assert box.is_disabled()  # the text cannot change under the message that carries it
        (lab[0].folder / GO).touch()  # the busy cell ends: the waiting message goes

        panel.locator(".ygpt-assistant .ygpt-bubble", has_text=ANSWER).wait_for(timeout=20_000)
        panel.locator(".ygpt-totals", has_text="2 turns").wait_for()
        status.get_by_text(WAITING).wait_for(state="detached", timeout=1_000)
        assert box.input_value() == "" and box.is_enabled()


def test_ctrl_s_in_the_panel_box_saves_the_notebook(lab):
    cells = ["%load_ext ygpt_magic", f"%%ygpt\n{FIRST}", "%ygpt panel"]
    with opened(*lab, "save.ipynb", cells) as page:
        panel = ready_panel(page)
        assert page.locator(".jp-mod-dirty").count() > 0  # the run changed the notebook
        box = panel.locator(".ygpt-input textarea")
        box.click()
        box.type("a draft")
        page.keyboard.press("Control+s")
        page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=5_000)
        stored = json.loads((lab[0].folder / "save.ipynb").read_text())
        assert any(REPLY in json.dumps(cell["outputs"]) for cell in stored["cells"])
        assert box.input_value() == "a draft"


def test_the_side_panel_fits_the_side_area_default_width(lab):
    pytest.importorskip("sidecar", reason="sidecar is not installed (pip install -e '.[test]')")
    cells = ["%load_ext ygpt_magic", f"%%ygpt\n{FIRST}", "%ygpt panel --side"]
    with opened(*lab, "narrow.ipynb", cells) as page:
        panel = ready_panel(page, ".jupyterlab-sidecar")
        page.wait_for_timeout(300)  # the layout settles
        area = page.locator(".jupyterlab-sidecar").bounding_box()
        right = area["x"] + area["width"]
        for name in ("Send", "Stop"):
            button = panel.locator("button", has_text=name).bounding_box()
            assert button["x"] + button["width"] <= right, f"{name} is cut off at the side area's edge"
        overflow = panel.evaluate("""(root, right) => [...root.querySelectorAll('*')]
            .filter(el => el.getClientRects().length && el.getBoundingClientRect().right > right + 0.5)
            .map(el => el.className + ': ' + (el.innerText || '').slice(0, 30))""", right)
        # a label cut short inside its own box ("def…" for "default", findings/panel2 4)
        ellipsised = panel.evaluate("""root => [...root.querySelectorAll('*')]
            .filter(el => el.getClientRects().length && el.scrollWidth > el.clientWidth
                    && getComputedStyle(el).textOverflow === 'ellipsis')
            .map(el => el.className + ': ' + (el.innerText || el.value || '').slice(0, 30))""")
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(".jupyterlab-sidecar").screenshot(path=str(ARTIFACTS / "panel-side-narrow.png"))
        assert not overflow, f"cut off at the side area's edge ({right:.0f} px): {overflow}"
        assert not ellipsised, f"labels cut short at the side area's default width: {ellipsised}"


def test_a_name_half_typed_in_new_chat_makes_no_chat_until_enter(lab):
    """Clicking away from "new chat…" made a chat of the half-typed name and switched the panel to
    it (findings/panel3 4): the box synced its value on blur as on Enter."""
    cells = ["%load_ext ygpt_magic", f"%%ygpt\n{FIRST}", "%ygpt panel"]
    with opened(*lab, "newchat.ipynb", cells) as page:
        panel = ready_panel(page)
        chats, box = panel.locator(".ygpt-head select"), panel.get_by_placeholder("new chat…")
        box.click()
        box.type("dra")
        panel.locator(".ygpt-input textarea").click()   # the user changed their mind
        page.wait_for_timeout(1_500)   # what the kernel would have done with the name by now
        assert chats.locator("option").all_inner_texts() == ["default"] and chats.input_value() == "default"
        assert box.input_value() == "dra"   # still there to finish or clear

        box.click()
        box.press("End")
        box.type("fts")
        box.press("Enter")
        panel.locator(".ygpt-totals", has_text="0 turns").wait_for(timeout=5_000)
        assert chats.input_value() == "drafts" and box.input_value() == ""


def test_a_panel_over_a_chat_of_800_turns_draws_every_turn(lab):
    """Its widgets were some 21,000 messages in one burst: the page got part of them, drew
    nothing and kept the cell busy (findings/panel3 1). Now the older turns are one block."""
    (lab[0].folder / "long.json").write_text(json.dumps(long_chat(800)))
    cells = ["%load_ext ygpt_magic", "%ygpt load long.json", "%ygpt panel"]
    with opened(*lab, "long.ipynb", cells) as page:
        panel = page.locator(".jp-Notebook .ygpt-panel")
        panel.get_by_text("Answer 799.").wait_for(timeout=30_000)
        text = panel.inner_text()
        assert "800 turns" in text and "Question 0\n" in text and "Answer 400." in text
        assert page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-InputPrompt").inner_text() == "[3]:"
