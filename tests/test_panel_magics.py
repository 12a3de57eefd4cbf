"""The chat panel opened through the magics in the real shell: ``%ygpt panel`` shares its chat
with the cells, replays the reply cache as a cell does, asks for sidecar when ``--side`` cannot
open, follows a deleted or renamed chat, and its saved view reopens the chat it showed. Widgets
over the recording comm of test_panel, replies from the local server.
"""

from __future__ import annotations

import html
import sys

import pytest
from test_panel import bubbles, saved_text, send, widget_comm  # noqa: F401 (widget_comm: a fixture)

from ygpt_magic.panel import ChatPanel


def test_through_the_magics_cells_and_panel_share_one_chat(shell, ygpt_server):
    from conftest import cell as run_cell

    panel = shell.run_line_magic("ygpt", "panel")
    try:
        run_cell(shell, "%%ygpt\nErors wont corrct themselfs", cell_id="c1")
        assert bubbles(panel)[1][1].startswith("Errors will not correct themselves.")

        panel.controls.temperature.value = 0.9
        run_cell(shell, "%%ygpt\nAnd now?", cell_id="c2")
        assert ygpt_server.requests[-1].options["temperature"] == pytest.approx(0.9)
        assert len(bubbles(panel)) == 4

        run_cell(shell, "%ygpt reset")
        assert bubbles(panel) == []
    finally:
        panel.close()


def test_a_panel_send_uses_the_reply_cache_like_a_cell(shell, ygpt_server, tmp_path):
    from conftest import cell as run_cell
    from conftest import completions

    shell.run_line_magic("ygpt", f"cache {tmp_path / 'replies.sqlite'}")
    run_cell(shell, "%%ygpt --chat sea\nTell me about the sea", cell_id="c1")
    panel = shell.run_line_magic("ygpt", "panel --chat sea")
    try:
        run_cell(shell, "%ygpt reset --chat sea")
        send(panel, "Tell me about the sea")
        assert panel.wait(15)
        assert len(completions(ygpt_server)) == 1  # recorded by the cell, replayed by the panel
        assert "cached · recorded" in bubbles(panel)[1][1]
        run_cell(shell, "%ygpt cache --mode replay")
        send(panel, "Something nobody recorded")
        assert panel.wait(15)
        assert "No recorded reply for the panel's message (“Something nobody recorded”)" in html.unescape(
            panel.status.value)
        assert len(completions(ygpt_server)) == 1
    finally:
        panel.close()


def test_panel_side_without_sidecar_says_what_to_install(shell, monkeypatch):
    from cellrun import assert_clear_error
    from conftest import cell

    from ygpt_magic.errors import SidecarMissing

    monkeypatch.setitem(sys.modules, "sidecar", None)  # as if it were not installed
    run = cell(shell, "%ygpt panel --side")
    assert_clear_error(run, "pip install sidecar", "--side", "reload", error_type=SidecarMissing)
    assert not run.displays


def test_a_panel_whose_chat_is_deleted_says_so_and_drops_its_stale_line(shell, tmp_path, monkeypatch):
    """findings/panel2 3: it moved to 'default' without a word, still saying where 'notes' went."""
    from conftest import cell

    monkeypatch.chdir(tmp_path)
    assert cell(shell, "%%ygpt --chat notes\nTell me about the sea").ok
    panel = shell.run_line_magic("ygpt", "panel --chat notes")
    try:
        assert panel.export() is not None and "Exported chat 'notes'" in panel.status.value
        assert cell(shell, "%ygpt chats --delete notes").ok
        assert panel.chat_name == "default"
        assert html.unescape(panel.status.value) == "Chat 'notes' was deleted; showing 'default'."
    finally:
        panel.close()


def test_the_side_tab_names_no_chat_that_could_go_stale(shell, monkeypatch):
    """JupyterLab's sidecar reads its title once, when it opens the tab: a chat name there stayed
    after a rename, a pick or a delete (findings/panel2 2); the panel's header names the chat."""
    from conftest import cell
    from ipywidgets import Widget
    from sidecar import Sidecar

    opened: list[Widget] = []
    monkeypatch.setattr(Widget, "_widget_construction_callback", opened.append)
    assert cell(shell, "%ygpt panel --side --chat notes").ok
    try:
        [side] = [widget for widget in opened if isinstance(widget, Sidecar)]
        [panel] = [widget for widget in opened if isinstance(widget, ChatPanel)]
        assert cell(shell, "%ygpt chats --rename notes journal").ok
        assert panel.chat_name == "journal" and "notes" not in side.title, side.title
        assert side.title.startswith("ygpt")
    finally:
        for widget in opened:
            widget.close()


def test_the_saved_view_reopens_a_chat_whose_name_has_a_space(shell):
    """The line under a saved panel, typed again, opens that chat (its name quoted as the
    magic's line is split), not 'unrecognized arguments'."""
    shell.run_line_magic("ygpt", "chat 'my notes'")
    panel = shell.run_line_magic("ygpt", "panel --chat 'my notes'")
    line = next(part for part in saved_text(panel).splitlines() if "%ygpt panel" in part)
    command = line[line.index("%ygpt panel"):line.index(" to open it again")]
    assert command == "%ygpt panel --chat 'my notes'", line
    reopened = shell.run_line_magic("ygpt", command.removeprefix("%ygpt "))
    assert reopened._name == "my notes"
    panel.close()
    reopened.close()


def test_a_panel_following_the_current_chat_follows_a_load_that_makes_another_current(shell, ygpt_server, tmp_path):
    """``%ygpt panel`` (no --chat) follows the current chat; after a load that made 'translator'
    current it kept showing 'default' and sending there, while the cells went to 'translator'
    (findings/panel3 3). A panel showing a chat picked for it stays where it is."""
    from conftest import cell

    saved = tmp_path / "chats.json"
    for line in ("%ygpt chat translator", "%%ygpt\nWhere is the bakery?", f"%ygpt save {saved}", "%ygpt chat default"):
        assert cell(shell, line).ok
    following = shell.run_line_magic("ygpt", "panel")
    picked = shell.run_line_magic("ygpt", "panel --chat default")
    try:
        assert "current chat: 'translator'" in cell(shell, f"%ygpt load {saved}").shown
        assert cell(shell, "%%ygpt\nTwo croissants, please.").ok
        assert following.chat_name == "translator"
        assert [text for who, text in bubbles(following) if who == "user"] == [
            "Where is the bakery?", "Two croissants, please."]
        assert following.controls.totals.value.startswith("2 turns")
        assert picked.chat_name == "default" and bubbles(picked) == []
    finally:
        following.close()
        picked.close()
