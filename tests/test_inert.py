"""Every output path shows untrusted text inert: bundle by bundle, through the real shell.

The browser test (test_browser_inert.py) proves in JupyterLab that nothing runs; these tests hold
each output path to the rule without a browser: a chat loaded from a hostile file, a hostile
reply, system message, tool result and notebook metadata go through every subcommand that shows
them, and each bundle must carry no ``text/markdown``, only allowed tags, no event attributes,
links only to http, https and mailto, and the payload readable as text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell, scripted
from visible import links, tags, visible

from ygpt_magic.render import inert

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

PAYLOAD = '<img src=x onerror="alert(1)"> <script>alert(2)</script> [x](javascript:alert(3))'
SAFE = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
        "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "sub", "sup",
        "details", "summary", "span", "div"}
PACKAGE = Path(__file__).resolve().parent.parent / "ygpt_magic"


def assert_inert(data: dict, *readable: str) -> None:
    """One bundle: HTML of allowed tags only, no handlers or script links, ``readable`` shown."""
    assert "text/markdown" not in data, "text/markdown would let its HTML run in JupyterLab"
    markup = data.get("text/html", "")
    assert tags(markup) <= SAFE, tags(markup) - SAFE
    assert not re.search(r"<[^>]*\son\w+\s*=", markup), "an event handler attribute"
    assert all(link.startswith(("http://", "https://", "mailto:")) for link in links(markup)), links(markup)
    shown = visible(markup) if markup else data.get("text/plain", "")
    for text in readable:
        assert text in shown, f"{text!r} is not readable in:\n{shown}"


@pytest.mark.parametrize("text, shown", [
    ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("<svg onload=alert(1)>", "<svg onload=alert(1)>"),
    ('<iframe srcdoc="<script>alert(1)</script>">', "<iframe srcdoc="),
    ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
    ("[x](JaVaScRiPt:alert(1))", "[x](JaVaScRiPt:alert(1))"),
    ('<a href="javascript:alert(1)">x</a>', '<a href="javascript:alert(1)">x</a>'),
    ("&lt;img src=x onerror=alert(1)&gt;", "<img src=x onerror=alert(1)>"),
    ("[x](&#106;avascript:alert(1))", "javascript:alert(1)"),
    ("<javascript:alert(1)>", "<javascript:alert(1)>"),
    ("[rel](../api/contents/x)", "[rel](../api/contents/x)"),
    ("```\ncode\n<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
])
def test_markup_in_markdown_is_shown_as_text(text, shown):
    markup = inert.page(inert.markdown(text))
    assert_inert({"text/html": markup}, shown)
    assert links(markup) == []


def test_formatting_links_pictures_and_math_still_render():
    markup = inert.page(inert.markdown(
        "# Title\n\n**bold** *em* `code` ~~gone~~\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "[docs](https://yandex.cloud/docs) <mailto:me@example.com> ![chart](https://example.com/c.png)\n\n"
        "Energy $E = m_1 c^2$ and\n\n$$\\sum_i x_i$$\n\nand \\(a_1 < b_1\\); it costs $5 or $10."))
    assert {"h1", "strong", "em", "code", "s", "ul", "li", "table", "td", "a"} <= tags(markup)
    assert links(markup) == ["https://yandex.cloud/docs", "mailto:me@example.com", "https://example.com/c.png"]
    assert "img" not in tags(markup), "a picture is a link, never loaded"
    shown = visible(markup)
    assert "🖼 chart" in shown
    assert "$E = m_1 c^2$" in shown and "$$\\sum_i x_i$$" in shown, "math reaches MathJax as TeX"
    assert "$a_1 &lt; b_1$" in markup, "TeX escaped, its < kept for MathJax"
    assert "it costs $5 or $10." in shown


def test_math_is_typeset_only_if_plain_and_nothing_else_is():
    """JupyterLab's MathJax typesets our outputs' math: a command that sets a style or a link is
    shown as written code, and MathJax skips all but the plain math (browser: test_browser_inert)."""
    page = inert.page(inert.markdown("Plain $\\frac{a}{b}$ and $\\unicode[x; position:fixed]{x41}$, "
                                     "\\(\\href{/api/contents}{x}\\), $ \\unicode[y]{x41} $\n\n"
                                     "$$\\style{color:red}{x}$$"), inert.quiet("$ \\unicode[z]{x41} $"))
    process = '<span class="tex2jax_process mathjax_process">'
    assert page.startswith('<div class="tex2jax_ignore mathjax_ignore">'), "MathJax skips the page"
    assert page.count("mathjax_process") == 1 and f"{process}$\\frac{{a}}{{b}}$</span>" in page
    for code in ["<code>$\\unicode[x; position:fixed]{x41}$</code>", "<code>$\\href{/api/contents}{x}$</code>",
                 "<pre><code>$$\\style{color:red}{x}$$</code></pre>"]:
        assert code in page
    assert "$ \\unicode[y]{x41} $" in visible(page) and "$ \\unicode[z]{x41} $" in visible(page)


DISPLAY_MATH = [
    ("brackets under a line", "The energy is:\n\\[\nE = mc^2\n\\]\nwhere m is the mass.", "E = mc^2"),
    ("dollars under a line", "The integral is:\n$$\n\\int_0^1 x\\,dx = \\frac{1}{2}\n$$\nas expected.",
     "\\int_0^1 x\\,dx = \\frac{1}{2}"),
    ("brackets in a list item", "1. First square it: \\[ y = x^2 \\]\n2. Then add one.", "y = x^2"),
]


@pytest.mark.parametrize("reply, tex", [case[1:] for case in DISPLAY_MATH], ids=[case[0] for case in DISPLAY_MATH])
def test_display_math_in_a_line_of_text_keeps_its_tex_and_is_typeset(shell, tmp_path, reply, tex):
    """Display math right under a line of text, or inside a sentence or a list item, as models
    write it: typeset as JupyterLab's own Markdown does, its backslashes kept (they were read as
    Markdown escapes: "[ E = mc^2 ]", "x,dx")."""
    with scripted(shell, tmp_path, "Show the formula", reply):
        run = cell(shell, "%%ygpt --once\nShow the formula")
    assert run.ok, run.message
    assert f'<span class="tex2jax_process mathjax_process">$${tex}$$</span>' in run.displays[-1]["text/html"]
    assert f"$${tex}$$" in run.final and "[ y = x^2 ]" not in run.final and "x,dx" not in run.final


def test_display_math_in_a_line_of_text_is_typeset_only_if_plain():
    page = inert.page(inert.markdown("See:\n\\[ \\unicode[x; position:fixed]{x41} \\]\nand $$\\href{/api}{y}$$ too."))
    assert "mathjax_process" not in page
    assert "<code>$$\\unicode[x; position:fixed]{x41}$$</code>" in page and "<code>$$\\href{/api}{y}$$</code>" in page


def test_no_module_publishes_markdown_or_builds_its_own_page():
    """One module makes every rich output: no other publishes text/markdown or a _repr_markdown_."""
    found = [f"{path.relative_to(PACKAGE.parent)}" for path in PACKAGE.rglob("*.py")
             if "emulator" not in path.parts and path.name != "inert.py"
             and re.search(r'"text/markdown"|_repr_markdown_\(self', path.read_text(encoding="utf-8"))]
    assert found == [], found


def test_every_subcommand_shows_a_hostile_chat_file_inert(shell, ygpt_server, tmp_path):
    assert cell(shell, "%%ygpt --chat hostile --system PLACEHOLDER-SYSTEM\nPLACEHOLDER-PROMPT").ok
    path = tmp_path / "chat.json"
    shell.run_line_magic("ygpt", f"save {path}")
    saved = path.read_text(encoding="utf-8")
    for placeholder in ("PLACEHOLDER-PROMPT", "PLACEHOLDER-SYSTEM"):
        saved = saved.replace(placeholder, json.dumps(PAYLOAD)[1:-1])  # a hostile file, as JSON
    path.write_text(saved, encoding="utf-8")
    assert cell(shell, f"%ygpt load {path}").ok
    for command in ("%ygpt history --chat hostile", "%ygpt chats", "%ygpt config --chat hostile",
                    "%ygpt usage", "%ygpt chat hostile"):
        result = cell(shell, command)
        assert result.ok, result.message
        for output in result.displays:
            assert_inert(output)
    history = cell(shell, "%ygpt history --chat hostile")
    assert_inert(history.displays[-1], '<img src=x onerror="alert(1)">', "<script>alert(2)</script>")


def test_provenance_of_a_hostile_notebook_is_inert(shell, tmp_path):
    record = {"model": PAYLOAD, "model_version": "<svg onload=alert(1)>", "status": "FINAL",
              "usage": {"input_tokens": 1}, "options": {"json": PAYLOAD}}
    notebook = tmp_path / "hostile.ipynb"
    notebook.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "", "metadata": {},
                                               "outputs": [{"output_type": "display_data", "data": {},
                                                            "metadata": {"ygpt": record}}]}]}))
    result = cell(shell, f"%ygpt provenance {notebook}")
    assert result.ok, result.message
    assert_inert(result.displays[-1], '<img src=x onerror="alert(1)">', "<svg onload=alert(1)>")


def test_replies_dry_runs_and_tool_details_are_inert(shell, tmp_path):
    tool = f"def lookup(query: str) -> str:\n    '''Look up a review.'''\n    return {PAYLOAD!r}"
    with scripted(shell, tmp_path, "Summarise it", PAYLOAD):
        for source in ("%%ygpt --once\nSummarise it", "%%ygpt --once --no-stream\nSummarise it",
                       "%%ygpt --once --format code\nSummarise it", f"%%ygpt --once --dry-run\n{PAYLOAD}"):
            result = cell(shell, source)
            assert result.ok, result.message
            for output in result.outputs:  # every frame, streamed ones included
                assert_inert(output["data"])
            assert_inert(result.displays[-1], "<script>alert(2)</script>")
        assert cell(shell, tool).ok
        result = cell(shell, "%%ygpt --once --tools lookup\nLookup the review with the lookup tool")
        assert result.ok, result.message
        for output in result.outputs:
            assert_inert(output["data"])
        details = result.displays[0]["text/html"]
        assert "<details>" in details and "<script>alert(2)</script>" in visible(details)
