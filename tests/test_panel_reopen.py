"""A panel's conversation on a notebook's second day: its turns are never lost to Run All.

A turn asked in the panel has no cell: in a saved notebook it lives only in the panel's saved
view. Reopened with a new kernel, running the panel cell (as that view says to, and as Run All
does) replaced the view with one of the new kernel's chat, and the follow-up was gone from the
notebook for good (findings/reopen 1). Now the view carries its turns, and a panel opened in a
new kernel brings back those the chat does not hold, or keeps them where the chat cannot take
them.

Real kernels (tests/kernels.py) with the cell ids and the notebook path JupyterLab gives them;
the notebook is saved from what the kernel sent, as JupyterLab saves it (live-only outputs left
out, a display updated in place).

The first day is one kernel for the module (``first_day``): it writes the notebook both stories
of a follow-up reopen (each a copy of its own), then the 125-turn one, its chats replaced; every
later day is a new kernel of the story's own, since what it shows is what a new kernel brings back.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from kernels import ROOT, Kernel
from test_panel_long import long_chat

from ygpt_magic.saving import is_live_only

pytestmark = pytest.mark.slow

FOLLOW_UP = "Tell me about his childhood in Ulm, the details matter to me"
ASK = ("ask", "%%ygpt\nWho was Einstein?")
PANEL = ("panel", "%ygpt panel")
#: the kernel's chats, and the turns of its chat 'default', as code run in the kernel reads them
SESSION = "get_ipython().magics_manager.registry['YGptMagics'].kernel.session"
TURNS = f"{SESSION}.chat('default').turns"


def run_all(kernel: Kernel, path: Path, cells: list[tuple[str, str]]) -> dict[str, str]:
    """Run ``cells`` (id, source) in order, as Run All in JupyterLab does; their msg ids."""
    kernel.run(f"__session__ = {str(path)!r}")   # what Jupyter Server gives the kernel
    return {cell_id: kernel.run(source, cell_id=cell_id) for cell_id, source in cells}


def save(kernel: Kernel, path: Path, cells: list[tuple[str, str]], ran: dict[str, str]) -> None:
    """Save the notebook as JupyterLab does: each cell's outputs, displays updated in place, the
    live-only ones (the widget) left out by the package's pre-save hook."""
    updates = {content["transient"]["display_id"]: content for _, kind, content in kernel.messages
               if kind == "update_display_data"}
    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    for cell_id, source in cells:
        outputs = [_output(kind, content, updates) for kind, content in kernel.of(ran[cell_id])
                   if kind in ("stream", "display_data", "execute_result")]
        notebook["cells"].append({"cell_type": "code", "id": cell_id, "source": source, "metadata": {},
                                  "execution_count": None,
                                  "outputs": [output for output in outputs if not is_live_only(output)]})
    path.write_text(json.dumps(notebook))


def updated(kernel: Kernel, text: str, timeout: float = 5) -> None:
    """Wait for a display updated to show ``text``: the panel's thread sends it on IOPub, which
    orders it with no message of the cell that waited for the thread."""
    deadline = time.monotonic() + timeout
    while not any(kind == "update_display_data" and text in content["data"].get("text/plain", "")
                  for _, kind, content in list(kernel.messages)):
        assert time.monotonic() < deadline, f"no display was updated to show {text!r}"
        time.sleep(0.05)


def _output(kind: str, content: dict[str, Any], updates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if kind == "stream":
        return {"output_type": "stream", "name": content["name"], "text": content["text"]}
    shown = updates.get(content.get("transient", {}).get("display_id"), content)
    return {"output_type": "display_data", "data": shown["data"], "metadata": shown.get("metadata", {})}


def stored_view(path: Path) -> str:
    """The panel cell's saved view in the file, as text."""
    [cell] = [cell for cell in json.loads(path.read_text())["cells"] if cell["id"] == "panel"]
    return "\n".join(output["data"]["text/plain"] for output in cell["outputs"] if "data" in output)


def day_one(kernel: Kernel, path: Path, cells: list[tuple[str, str]]) -> None:
    """Run the cells, ask a follow-up in the panel, and save."""
    ran = run_all(kernel, path, cells)
    kernel.run("panel = _\npanel.send(" + repr(FOLLOW_UP) + ")\nassert panel.wait(15)")
    updated(kernel, FOLLOW_UP)
    save(kernel, path, cells, ran)
    assert FOLLOW_UP in stored_view(path)


def long_day(kernel: Kernel, path: Path, turns: int) -> None:
    """A chat of ``turns`` turns in chat 'default' (the kernel's chats replaced), its panel
    opened and saved."""
    data = long_chat(turns)
    data["current"] = data["chats"][0]["name"] = "default"
    kernel.run(f"import json\n{SESSION}.load_dict(json.loads({json.dumps(json.dumps(data))}))")
    ran = run_all(kernel, path, [PANEL])
    save(kernel, path, [PANEL], ran)


@pytest.fixture(scope="module")
def first_day(_ygpt_server_session, tmp_path_factory) -> dict[str, Path]:
    """The notebooks the first day saved: 'follow-up' ([ASK, PANEL] and a follow-up asked in the
    panel) and 'long' (a panel of 125 turns), run in one kernel, as one after the other."""
    folder = tmp_path_factory.mktemp("first-day")
    saved = {"follow-up": folder / "talk.ipynb", "long": folder / "long.ipynb"}
    with Kernel(_ygpt_server_session.address) as kernel:
        day_one(kernel, saved["follow-up"], [ASK, PANEL])
        long_day(kernel, saved["long"], 125)
    return saved


def reopened(first_day: dict[str, Path], name: str, tmp_path: Path) -> Path:
    """This story's copy of the notebook ``name`` the first day saved."""
    path = tmp_path / "talk.ipynb"
    shutil.copy(first_day[name], path)
    return path


def test_run_all_on_the_second_day_brings_the_panels_turns_back_into_the_chat(ygpt_server, first_day, tmp_path):
    path = reopened(first_day, "follow-up", tmp_path)

    with Kernel(ygpt_server.address) as kernel:
        ran = run_all(kernel, path, [ASK, PANEL])
        shown = kernel.shown(ran["panel"])
        assert "Brought back 1 turn to chat 'default' from this cell's saved view" in shown, shown
        assert kernel.value(f"[turn.prompt for turn in {TURNS}]") == repr(["Who was Einstein?", FOLLOW_UP])
        save(kernel, path, [ASK, PANEL], ran)
    view = stored_view(path)
    assert FOLLOW_UP in view and "Saved view of chat 'default' (2 turns)" in view, view

    with Kernel(ygpt_server.address) as kernel:   # a third day: still there
        ran = run_all(kernel, path, [ASK, PANEL])
        save(kernel, path, [ASK, PANEL], ran)
    assert FOLLOW_UP in stored_view(path)


def test_a_follow_up_the_chat_cannot_take_back_is_kept_in_the_view_until_brought_back(ygpt_server, first_day,
                                                                                     tmp_path):
    """The cell above was changed on the second day: the follow-up answered another question,
    so it is not put into the chat unasked; the panel and the saved view keep it, and the
    panel's button brings it back."""
    path = reopened(first_day, "follow-up", tmp_path)
    changed = [("ask", "%%ygpt\nWho was Marie Curie?"), PANEL]

    with Kernel(ygpt_server.address) as kernel:
        ran = run_all(kernel, path, changed)
        assert "Brought back" not in kernel.shown(ran["panel"])
        save(kernel, path, changed, ran)
        view = stored_view(path)
        assert "Saved view of chat 'default' (1 turn)" in view and FOLLOW_UP in view, view
        assert "1 turn asked in the panel is not in chat 'default'" in view, view
        kernel.run("panel = _\npanel.bring_back()")
        assert kernel.value(f"[turn.prompt for turn in {TURNS}]") == repr(["Who was Marie Curie?", FOLLOW_UP])


def once_in_order(text: str, prompts: list[str]) -> bool:
    """Whether ``text`` shows each of ``prompts`` once, in order (each a line "You: …")."""
    lines = [line for line in text.splitlines() if line.startswith("You: ")]
    return lines == [f"You: {prompt}" for prompt in prompts]


def test_a_long_panel_reopened_shows_and_brings_back_every_turn_once_in_order(ygpt_server, first_day, tmp_path):
    """A view of 125 turns is several outputs (the blocks of panel/blocks.py): the file shows
    each turn once, in order, and a new kernel brings them all back in that order."""
    path = reopened(first_day, "long", tmp_path)
    questions = [f"Question {n}" for n in range(125)]
    assert once_in_order(stored_view(path), questions), stored_view(path)

    brought_back(ygpt_server, path, questions)


def test_a_view_saved_by_0_1_0_as_one_output_still_brings_its_turns_back(ygpt_server, tmp_path):
    """ygpt_magic 0.1.0 saved the view as one output carrying all its turns (tests/saved_views)."""
    path = tmp_path / "old.ipynb"
    path.write_text((ROOT / "tests" / "saved_views" / "panel_0.1.0.json").read_text())
    questions = [f"Question {n}" for n in range(12)]
    assert once_in_order(stored_view(path), questions)
    brought_back(ygpt_server, path, questions)


def brought_back(ygpt_server, path, questions: list[str]) -> None:
    """Run All on the reopened notebook in a new kernel: the panel brings every saved turn back
    into the chat, and the view saved again holds each once, in order."""
    with Kernel(ygpt_server.address) as kernel:
        ran = run_all(kernel, path, [PANEL])
        assert f"Brought back {len(questions)} turns to chat 'default'" in kernel.shown(ran["panel"])
        assert kernel.value(f"[turn.prompt for turn in {TURNS}]") == repr(questions)
        save(kernel, path, [PANEL], ran)
    assert once_in_order(stored_view(path), questions)
