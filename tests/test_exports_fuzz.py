"""An exported chat stays inert for every input, not only for the inputs someone thought of
(findings/review13.md B1 and T1: three ways to a live picture were found by a fuzz, none by the
example tests).

Prompts, replies and tool results are drawn at random from a grammar of hostile pieces (links,
pictures, fences, math, raw HTML, entities, escapes, line breaks, quotes and lists nested in each
other), go through the real shell and the local server into a chat, and ``%ygpt export`` writes
the chat. The file is read by every reader it is opened in: markdown-it (CommonMark, raw HTML on:
GitHub, VS Code, JupyterLab) and Python-Markdown as MkDocs runs it with this project's mkdocs.yml.
Python-Markdown with its defaults, which knows no fences, is not one of them (the fence test
here says why). No reader may make a tag that loads or runs something: no
``<img>``, ``<script>``, ``<iframe>`` (nor their kin), no ``on…=`` attribute, no ``javascript:``
link, no ``url(`` in a style.

In the suite: a fixed seed and ``CASES`` = 24 cases (each a prompt, a reply and a tool result),
about 3 s. By hand, with more: ``YGPT_FUZZ_CASES=20000 YGPT_FUZZ_SEED=7 pytest
tests/test_exports_fuzz.py``.
"""

from __future__ import annotations

import json
import os
import random
from html.parser import HTMLParser

import markdown
import pytest
from conftest import cell
from markdown_it import MarkdownIt

from ygpt_magic.emulator import start_local_server
from ygpt_magic.render.safe_markdown import safe_markdown

CASES = int(os.environ.get("YGPT_FUZZ_CASES", "24"))
SEED = int(os.environ.get("YGPT_FUZZ_SEED", "13"))
#: cases a chat holds before it is exported and a new one begins (one file stays small to read)
PER_CHAT = 12
PICTURE = "http://tracker.example/p.png"
#: the pieces a hostile text is made of, by what a reader would make of them
PIECES = [
    # links, pictures, link definitions
    f"[x]({PICTURE})", f"![x]({PICTURE})", "[x](javascript:alert(1))", f"<{PICTURE}>",
    "<javascript:alert(1)>", f"[r]: {PICTURE}", "[r]: javascript:alert(1)", "[r]", "![r]", "![x][r]",
    f"({PICTURE})", "[", "]", "](", "!",
    # code spans and fences, with info strings
    "`", "``", "```", "~~~", "```py", "~~~py`", "~~~ `x", "    ",
    # math and JupyterLab's math delimiters
    "$", "$$", "\\(", "\\)", "\\[", "\\]", "\\begin{x}", "\\unicode[x]{41}", "\\frac{a}{b}",
    # raw HTML
    "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", f"<iframe src={PICTURE}>",
    "<svg onload=alert(1)>", '<a href="javascript:alert(1)">', "<div>", "</div>", "<!--", "-->",
    "<details open ontoggle=alert(1)>", "<", ">",
    # entities and escapes
    "&#33;", "&#x21;", "&#60;", "&lt;", "&amp;", "&#91;", "&#96;", "\\", "\\!", "\\`", "\\<", "\\$",
    # line breaks, indentation and block starts
    "\n", "\n\n", "  \n", "\r\n", "\r", "\u2028", "\t", "> ", "- ", "1. ", "1) ", "+ ", "# ", "---",
    "===", "|", "| --- |",
    # emphasis and plain text
    "*", "_", "~", "a", "x ",
]
#: pieces that write nothing, or nothing a reader sees, between what is before and after them (an
#: empty link, its target refused; empty emphasis around one; an empty code span; an invisible
#: character's entity), and links whose text alone is written, ending in a bang: findings/redteam4.md
#: 1, ``\\![]()[x](URL)`` was written ``![x](URL)``, a picture
NOTHING = ("[]()", "[]( )", "[](<>)", "*[]()*", "**[]()**", "~~[]()~~", "` `", "``  ``",
           "&#8203;", "&#xFEFF;", "&NoBreak;", "&shy;", "[\\!]()", "[a&#33;](#x)")
#: tags that fetch or run something when a page shows them
ACTIVE_TAGS = frozenset({"img", "script", "iframe", "frame", "object", "embed", "svg", "style",
                         "link", "meta", "base", "form", "video", "audio", "source", "picture",
                         "image", "details", "input", "math"})
ACTIVE_SCHEMES = ("javascript:", "vbscript:", "data:")


def hostile(rng: random.Random, depth: int = 0, nothing: tuple[str, ...] = NOTHING) -> str:
    """A text of 1 to 14 pieces; some of them a quote or a list item around a hostile text, some
    one of ``nothing`` (so what is before it meets what is after it in the file)."""
    parts = []
    for _ in range(rng.randint(1, 14)):
        if depth < 2 and rng.random() < 0.08:
            parts.append(nested(rng, hostile(rng, depth + 1, nothing)))
        elif nothing and rng.random() < 0.15:
            parts.append(rng.choice(nothing))
        else:
            parts.append(rng.choice(PIECES))
    return "".join(parts)


def nested(rng: random.Random, text: str) -> str:
    """``text`` as a quote or a list item (its lines indented under the marker), on its own lines."""
    marker = rng.choice(["> ", "- ", "1. "])
    indent = "> " if marker == "> " else " " * len(marker)
    lines = text.split("\n")
    return "\n" + "\n".join([marker + lines[0], *(indent + line for line in lines[1:])]) + "\n"


class _Active(HTMLParser):
    """The tags and attributes of a page that would load or run something."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            target = "".join((value or "").split()).lower()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=>")
            elif name in ("href", "src", "action", "formaction") and target.startswith(ACTIVE_SCHEMES):
                self.found.append(f"<{tag} {name}={value}>")
            elif name == "style" and "url(" in target:
                self.found.append(f"<{tag} style={value}>")


def readers() -> dict[str, object]:
    """Each reader an exported chat is opened in, as ``text -> HTML``: MkDocs adds ``toc``,
    ``tables`` and ``fenced_code`` to the extensions mkdocs.yml names (its config's builtins)."""
    return {
        "markdown-it": MarkdownIt("commonmark", {"html": True}).enable("table").render,
        "python-markdown (mkdocs.yml)": lambda text: markdown.markdown(text, extensions=[
            "toc", "tables", "fenced_code", "admonition", "pymdownx.highlight", "pymdownx.superfences"],
            extension_configs={"toc": {"permalink": True}}),
    }


def live(html: str) -> list[str]:
    """The tags and attributes of ``html`` that would load or run something."""
    parser = _Active()
    parser.feed(html)
    parser.close()
    return parser.found


def active(written: str) -> dict[str, list[str]]:
    """What each reader makes of ``written`` that would load or run something."""
    found = {name: live(render(written)) for name, render in readers().items()}  # type: ignore[operator]
    return {name: tags for name, tags in found.items() if tags}


def quoted(text: str) -> str:
    """``text`` as the export writes a tool result: safe Markdown in a quote."""
    return "\n".join(f"> {line}" if line else ">" for line in safe_markdown(text, quoted=True).split("\n"))


def culprits(texts: list[str]) -> list[str]:
    """The inputs that are live on their own (as a reply and as a quoted tool result)."""
    return [f"{text!r}: {found}" for text in texts
            for found in (active(safe_markdown(text)) or active(quoted(text)),) if found]


def cases(count: int, seed: int, nothing: tuple[str, ...] = NOTHING) -> list[tuple[str, str, str]]:
    """``count`` (prompt, reply, tool result) triples. A prompt ends with its number, so the local
    server's script tells them apart; a reply ends with it too, so none is blank (a blank answer is
    not recorded). ``nothing=()`` draws the cases of the generator before ``NOTHING`` was added."""
    rng = random.Random(seed)
    return [(f"{hostile(rng, 0, nothing)}\n\nCase {number}.", f"{hostile(rng, 0, nothing)}\n\nAnswer {number}.",
             hostile(rng, 0, nothing)) for number in range(count)]


def script_for(chat: list[tuple[str, str, str]]) -> dict:
    """The local server's script: each prompt calls the tool for its page, then gives its reply."""
    return {"replies": [{"user": prompt, "tool_calls": [{"name": "read_page", "arguments": {"n": n}}],
                         "after_tools": reply} for n, (prompt, reply, _) in enumerate(chat)]}


def exported(shell, tmp_path, chat: list[tuple[str, str, str]]) -> str:
    """The transcript of a chat in which each prompt got its tool result and its reply."""
    def read_page(n: int) -> str:
        """Read the page numbered n."""
        return chat[int(n)][2]

    script = tmp_path / "script.json"
    script.write_text(json.dumps(script_for(chat)), encoding="utf-8")
    shell.user_ns["read_page"] = read_page
    with start_local_server(scripts=[script]) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        for prompt, reply, _ in chat:
            run = cell(shell, f"%%ygpt --chat fuzz --no-interpolate --tools read_page\n{prompt}")
            assert run.error is None, (prompt, run.shown)
        cell(shell, f"%ygpt export {tmp_path / 'chat.md'} --chat fuzz")
        cell(shell, "%ygpt chats --delete fuzz")
    return (tmp_path / "chat.md").read_text(encoding="utf-8")


@pytest.mark.usefixtures("fresh_names")
@pytest.mark.slow
def test_an_exported_chat_of_hostile_text_is_inert_in_every_reader(shell, tmp_path):
    all_cases = cases(CASES, SEED)
    for start in range(0, len(all_cases), PER_CHAT):
        chat = all_cases[start:start + PER_CHAT]
        written = exported(shell, tmp_path, chat)
        assert written.count("**tool results**") == len(chat), written
        found = active(written)
        assert not found, (found, culprits([text for triple in chat for text in triple]))


def test_a_code_block_is_a_fence_with_its_language_in_every_reader_we_support():
    """The promise, decided: an export is inert in the readers of ``readers()`` (CommonMark with
    raw HTML on, and Python-Markdown with fenced code as MkDocs runs it), and a top-level code
    block stays a fence there, coloured by its language. A reader that knows no fences
    (Python-Markdown with its defaults) is not promised: there a fence's lines are Markdown, and
    a tag after a blank line in the code is live. Indented code would hold there, but would drop
    the language on GitHub, in JupyterLab and in MkDocs; docs/reliability.md says which readers
    an export is made for."""
    written = safe_markdown(f"~~~html\nstep one\n\n<img src={PICTURE} onerror=alert(1)>\n~~~")
    assert written.startswith("```html\n"), written
    shown = {name: render(written) for name, render in readers().items()}  # type: ignore[operator]
    assert not {name: live(html) for name, html in shown.items() if live(html)}, shown
    assert '<code class="language-html">' in shown["markdown-it"], shown
    assert '<span class="nt">img</span>' in shown["python-markdown (mkdocs.yml)"], shown


def test_code_spans_of_one_chat_stay_code_together_in_mkdocs():
    """Cases 3480-3491 of seed 20000 (found by the 20,000-case run, before ``NOTHING``), each
    inert on its own, written one after another as the export writes them: Python-Markdown (MkDocs)
    read a tag in one text's code span, and a ``<script>`` or a ``javascript:`` link came out live."""
    chat = cases(3492, 20000, nothing=())[3480:]
    assert not culprits([text for triple in chat for text in triple])
    written = "\n\n".join(part for prompt, reply, page in chat
                          for part in (safe_markdown(prompt), quoted(page), safe_markdown(reply)))
    assert not active(written), written


def test_a_tag_in_a_code_span_is_not_read_by_python_markdown_before_the_span():
    """The case above, reduced: Python-Markdown reads raw HTML over the whole file before it
    knows any code span. A ``&#`` that opens no character reference, with a ``;`` further on,
    puts its HTML parser off its count of lines; a ``<frame>`` in a later code span was then
    taken for the start of a raw HTML block, and ``</d`` ran as an end tag up to a quote's
    ``>``, past the span's closing backtick. A code span we write holds no ``<``."""
    written = "\n\n".join(safe_markdown(text) for text in [".", "\\u&amp;#$", "<frame>\\n$</d", "))\n><\n~"])
    assert not active(written), written
    shown = readers()["python-markdown (mkdocs.yml)"](written)  # type: ignore[operator]
    assert "&lt;<code>frame&gt;\\n$</code>&lt;<code>/d</code>" in shown, "the code is readable, as written"


def test_no_code_span_holds_a_less_than_sign():
    """The rule that holds the case above for any text: each ``<`` in code is written between
    spans, as ``&lt;``, where no reader can take it for the start of a tag."""
    from markdown_it.tree import SyntaxTreeNode

    def spans(written: str) -> list[str]:
        tree = SyntaxTreeNode(MarkdownIt("commonmark").enable("table").parse(written))
        return [node.content for node in tree.walk() if node.type == "code_inline"]

    texts = [text for triple in cases(CASES, SEED) for text in triple]
    holding = [(text, span) for text in texts for written in (safe_markdown(text), quoted(text))
               for span in spans(written) if "<" in span]
    assert not holding, holding
