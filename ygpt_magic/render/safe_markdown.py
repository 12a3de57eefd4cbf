"""Markdown from anyone, written again as Markdown that any viewer shows and none runs.

A file we write (``%ygpt export``'s transcript) is opened in JupyterLab's Markdown Preview, on
GitHub, in VS Code or MkDocs: CommonMark readers that keep raw HTML, load pictures and hand
``$…$`` to MathJax. So the text of a chat goes through the same parse and the same rule as a
cell's output (inert.py): the parser reads it with raw HTML off, and each piece is written back so
that it means in the file what the cell showed:

- text is escaped (``<`` and entity-like ``&`` as entities, which every reader decodes to text;
  Markdown's punctuation with a backslash), so nothing in it becomes a tag, a picture or a link;
  ``_``, ``!`` and ``\\`` only where they could start something (``_escape``), so the file reads
  well raw (a ``!`` is escaped wherever the written text after it starts with ``[``, across
  pieces that write nothing, such as an empty link), and no math delimiter of JupyterLab's
  (``\\\\(``, ``\\\\[``, ``\\begin{…}``: its ``removeMath`` reads them in the Markdown
  source, across code spans) is ever written by text;
- a picture becomes a link, ``[🖼 alt](URL)``; a link keeps its target (the parser kept only
  http, https and mailto); code spans and fenced blocks stay code. A code span that holds such a
  delimiter is cut into two spans around it, so the source never holds one outside allowed math;
  a ``<`` in code is written between two spans, as ``&lt;``: Python-Markdown reads raw HTML over
  the whole file before it knows any code span, and a ``<`` there could open a live tag;
- a code block inside a quote or a list item is written as one code span a line: Python-Markdown
  (MkDocs' default ``fenced_code``) knows fences only at the top level and reads one inside a
  quote or a list as Markdown, where a raw tag after a blank line is live; a code span is code in
  every reader (only its indentation may be lost there);
- math is written as math only if ``tex.is_plain`` allows it and it holds nothing a reader
  without math would act on (a tag, an entity, a code span, a fence, a picture or a link); else
  it is written as code. A run of text that holds a
  math delimiter (``$``, ``\\(``, ``\\[``) and a command that is not plain is written as code too:
  a Markdown reader drops the escapes, and MathJax scans what is left on the page.

The reply's structure stays: headings, lists, quotes, tables, code blocks, rules. Lines end at
``\n`` only, CommonMark's own line ending (the parser reads ``\r\n`` and ``\r`` as it): every other
character some reader takes for a line or page break (U+2028, U+2029, ``\f``, ``\v``, U+0085, the
other controls) is written as a picture of itself (controls.py), so no reader cuts a line where
this writer did not.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING

from .controls import visible
from .inert import link_allowed, markdown_parser
from .markdown import fenced
from .tex import is_plain

if TYPE_CHECKING:
    from markdown_it.tree import SyntaxTreeNode

#: what text may hold that a reader could take for Markdown, HTML or math: punctuation (written
#: with a backslash), ``<`` and an entity's ``&`` (as entities); ``\\``, ``_`` and ``!`` are
#: written so only where they could start something (``_escape``)
_TEXT = re.compile(r"[\\`*_\[\]$~|!]|<|&(?=#|[A-Za-z0-9]+;)")
_ENTITIES = {"<": "&lt;", "&": "&amp;"}
#: a backslash before one of these, doubled, would write JupyterLab's math delimiter ``\\\\(``
_BRACKETS = frozenset("()[]")
#: what a bare backslash before it would make an escape or a hard break of
_ESCAPABLE = frozenset(string.punctuation + "\n")
#: what JupyterLab's ``removeMath`` reads as math after a backslash in the source
_MATH_ENVIRONMENT = re.compile(r"(?:begin|end)\{", re.IGNORECASE)
#: where a code span is cut so that JupyterLab's ``removeMath`` finds no math delimiter in it:
#: between ``\\`` and a bracket, between ``\`` and ``begin{`` / ``end{``
_DELIMITER_CUT = re.compile(r"(?<=\\\\)(?=[()\[\]])|(?<=\\)(?=(?:begin|end)\{)", re.IGNORECASE)
#: a ``<`` in code, with the spaces around it, written as text (``&lt;``) between code spans:
#: Python-Markdown reads raw HTML over the whole file before it knows any code span, and a ``<``
#: there can open a tag that runs past the span's closing backticks
_LESS_THAN = re.compile(r"((?<=\S)\s*<[<\s]*|<[<\s]*)")
#: line and paragraph separators, which the controls' pictures leave as they are
_SEPARATORS = {0x2028: "\u2424", 0x2029: "\u2424"}
#: what starts a block at a line's start: a heading, a quote, a list item, a setext underline
_LINE_START = re.compile(r"^([ \t]*)([#>+=-]|\d+(?=[.)]))", re.MULTILINE)
#: what MathJax takes for the start of math in text on the page
_MATH_OPENER = re.compile(r"\$|\\\(|\\\[|\\begin")
#: what a reader without math (Python-Markdown, plain CommonMark) would act on inside written math:
#: a tag or an entity, a code span or a fence (either could swallow what follows and free what we
#: wrote as code), a picture, a link or a link's definition. Emphasis and plain brackets (``[0, 1]``,
#: ``n!``) make no tag and stay math.
_MARKUP = re.compile(r"<[A-Za-z/!?]|&(?:#|[A-Za-z0-9]+;)|`|~~~|!\[|\]\s*[(\[:]")
#: inline pieces that sit in one run of text on the page (MathJax reads math across them)
_RUN = frozenset({"text", "text_special", "softbreak", "hardbreak"})
#: what a link's target may not hold as written in ``(…)``, percent-encoded
_URL_SPECIAL = re.compile(r"[()<>\s|\\`]")
#: a fence's language as written after the fence: a plain name (``py``, ``c++``, ``c#``, ``.py``)
_LANGUAGE = re.compile(r"[\w+#.-]+")
_ALIGN = {"text-align:left": ":--", "text-align:right": "--:", "text-align:center": ":-:"}


def safe_markdown(text: str, quoted: bool = False) -> str:
    """``text`` (Markdown from anyone) as Markdown that shows the same and runs nothing;
    ``quoted`` when the caller puts it in a quote (its code blocks are then written as in one)."""
    from markdown_it.tree import SyntaxTreeNode

    nodes = SyntaxTreeNode(markdown_parser().parse(text)).children
    return visible(_blocks(nodes, nested=quoted)).translate(_SEPARATORS)


def safe_line(line: str) -> str:
    """One line from anyone (a chat's name, a model version) as Markdown text, shown as written."""
    return visible(_line_starts(_escaped(" ".join(line.split()))))


def _escaped(text: str, after: str = "") -> str:
    """``text`` as Markdown text that shows as written; ``after``: the first character written
    after it, if known (only a ``[`` there matters, for a ``!`` at its end)."""
    return _TEXT.sub(lambda m: _escape(m.group(), text[:m.start()], text[m.end():], after), text)


def _escape(char: str, before: str, rest: str, after: str) -> str:
    """``char`` written bare where it starts nothing, so the file reads well raw: ``_`` inside a
    word (no reader's emphasis opens or closes there), ``!`` but right before a link, ``\\``
    before anything but ASCII punctuation (``_backslash``); else with a backslash."""
    if char == "_" and before[-1:].isalnum() and rest[:1].isalnum():
        return char
    if char == "!" and (rest or not after.startswith("[")):
        return char
    if char == "\\":
        return _backslash(rest)
    return _ENTITIES.get(char, "\\" + char)


def _backslash(rest: str) -> str:
    """A ``\\`` before ``rest``: bare where it escapes nothing (before a letter, a digit, a space);
    doubled before ASCII punctuation and a line's end; ``&#92;`` at the text's end (what follows
    is not known here), before a bracket and before ``begin{``, where a doubled one would be read
    as math (``\\\\(``, ``\\begin{``)."""
    if not rest or rest[0] in _BRACKETS or _MATH_ENVIRONMENT.match(rest):
        return "&#92;"
    return "\\\\" if rest[0] in _ESCAPABLE else "\\"


def _line_starts(markdown: str) -> str:
    return _LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if not m.group(2)[0].isdigit()
                           else f"{m.group(1)}{m.group(2)}\\", markdown)


def _piped(markdown: str, in_table: bool) -> str:
    """A table's cell may not hold a bare ``|``, not even in code (GFM splits the row first)."""
    return markdown.replace("|", "\\|") if in_table else markdown


def _code(text: str, in_table: bool = False) -> str:
    """``text`` as code spans on one line: one, or one each side of a math delimiter's cut."""
    return " ".join(_spans(piece, in_table) for piece in _DELIMITER_CUT.split(text.replace("\n", " ")))


def _spans(code: str, in_table: bool) -> str:
    """``code`` as code spans with each ``<`` between them as text, so no span holds one."""
    pieces = _LESS_THAN.split(code)
    return "".join(piece.replace("<", "&lt;") if index % 2 else _span(piece, in_table) if piece else ""
                   for index, piece in enumerate(pieces))


def _span(text: str, in_table: bool) -> str:
    """``text`` as a code span: a backtick run longer than any inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    padded = f" {text} " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else text
    return f"{ticks}{_piped(padded, in_table)}{ticks}"


def _code_lines(code: str) -> str:
    """A code block inside a quote or a list item: a code span a line, ended by a hard break; a
    blank line holds a no-break space, so the lines stay one paragraph."""
    return "  \n".join(_code(line) if line.strip() else "\u00a0" for line in code.split("\n"))


def _blocks(nodes: list[SyntaxTreeNode], tight: bool = False, nested: bool = False) -> str:
    return ("\n" if tight else "\n\n").join(filter(None, (_block(node, nested) for node in nodes)))


def _trimmed(line: str) -> str:
    """A line without trailing spaces or tabs, but a hard break's two spaces."""
    kept = line.rstrip(" \t")
    return kept + ("  " if line.endswith("  ") and kept.strip(" \t>") else "")


def _block(node: SyntaxTreeNode, nested: bool = False) -> str:
    kind = node.type
    if kind in ("paragraph", "heading"):
        shown = _line_starts(_inline(node.children[0]))
        return f"{'#' * int(node.tag[1])} {shown}" if kind == "heading" else shown
    if kind in ("bullet_list", "ordered_list"):
        return _list(node)
    if kind == "blockquote":
        return "\n".join(_trimmed(f"> {line}") for line in _blocks(node.children, nested=True).split("\n"))
    if kind in ("fence", "code_block"):
        if nested:
            return _code_lines(node.content.removesuffix("\n"))
        return fenced(node.content.removesuffix("\n"), _language(node.info))
    if kind == "hr":
        return "---"
    if kind == "table":
        return _table(node)
    if kind.startswith("math"):
        return _math_block(node.content.strip(), nested)
    return _escaped(node.content)


def _language(info: str) -> str:
    """A fence's language, if its info string starts with a plain name: a ``~~~`` fence's info may
    hold a backtick, which a backtick fence's opening line may not: that line would open no fence,
    and the code would be read as Markdown."""
    words = info.split()
    return words[0] if words and _LANGUAGE.fullmatch(words[0]) else ""


def _list(node: SyntaxTreeNode) -> str:
    tight = all(child.hidden for item in node.children for child in item.children
                if child.type == "paragraph")
    start = int(node.attrs.get("start", 1))
    items = []
    for number, item in enumerate(node.children, start):
        marker = f"{number}{node.markup}" if node.type == "ordered_list" else "-"
        body = _blocks(item.children, tight, nested=True).split("\n")
        indent = " " * (len(marker) + 1)
        items.append("\n".join([_trimmed(f"{marker} {body[0]}"),
                                *(_trimmed(f"{indent}{line}") for line in body[1:])]))
    return ("\n" if tight else "\n\n").join(items)


def _table(node: SyntaxTreeNode) -> str:
    rows = [row for part in node.children for row in part.children]
    lines = ["| " + " | ".join(_inline(cell.children[0], in_table=True) if cell.children else ""
                               for cell in row.children) + " |" for row in rows]
    aligns = [_ALIGN.get(str(cell.attrs.get("style", "")), "---") for cell in rows[0].children]
    return "\n".join([lines[0], "| " + " | ".join(aligns) + " |", *lines[1:]])


def _typeset(tex: str) -> bool:
    """Whether math may be written as math: plain (tex.py), and nothing in it that a reader
    without math would act on (``_MARKUP``)."""
    return is_plain(tex) and not _MARKUP.search(tex) and "$" not in tex


def _math_block(tex: str, nested: bool) -> str:
    if _typeset(tex):
        return f"$$\n{tex}\n$$"
    return _code(f"$${tex}$$") if nested else fenced(f"$${tex}$$")


def _math_inline(tex: str, delimiter: str, in_table: bool) -> str:
    written = f"{delimiter}{' '.join(tex.split())}{delimiter}"
    return _piped(written, in_table) if _typeset(tex) else _code(written, in_table)


def _inline(node: SyntaxTreeNode, in_table: bool = False, after: str = "") -> str:
    """The inline children of ``node`` as Markdown; ``after``: what the caller writes right after
    them. Written from the last piece back, so each run of text knows the written text that
    follows it, not only the next piece: a piece may write nothing (an empty link, an empty code
    span), and a ``!`` at a run's end must not meet a link's ``[`` across it (``_escape``)."""
    parts: list[str] = []
    for segment in reversed(_segments(node.children)):
        following = next((part for part in reversed(parts) if part), after)
        parts.append(_text_run(segment, in_table, following) if isinstance(segment, list)
                     else _piece(segment, in_table, following))
    return "".join(_apart(parts[::-1]))


def _segments(children: list[SyntaxTreeNode]) -> list[list[SyntaxTreeNode] | SyntaxTreeNode]:
    """``children`` as runs of text (pieces that sit in one run on the page) and single pieces."""
    segments: list[list[SyntaxTreeNode] | SyntaxTreeNode] = []
    for child in children:
        if child.type not in _RUN:
            segments.append(child)
        elif segments and isinstance(segments[-1], list):
            segments[-1].append(child)
        else:
            segments.append([child])
    return segments


def _apart(parts: list[str]) -> list[str]:
    """Pieces with a space between two code spans that would touch: their backticks would make
    one run, which closes neither span, and the text inside would be read as Markdown again."""
    joined = [part for part in parts if part]
    return [f" {part}" if index and part.startswith("`") and joined[index - 1].endswith("`") else part
            for index, part in enumerate(joined)]


def _text_run(run: list[SyntaxTreeNode], in_table: bool, after: str = "") -> str:
    raw = "".join("\n" if piece.type.endswith("break") else piece.content for piece in run)
    if _MATH_OPENER.search(raw) and not is_plain(raw):
        stripped = raw.strip()
        return raw[:len(raw) - len(raw.lstrip())] + _code(stripped, in_table) + raw[len(raw.rstrip()):]
    written, line = [], ""
    for piece in run:
        if piece.type.endswith("break"):
            written += [_escaped(line, "\n"), "  \n" if piece.type == "hardbreak" else "\n"]
            line = ""
        else:
            line += piece.content
    return "".join([*written, _escaped(line, after)])


def _piece(node: SyntaxTreeNode, in_table: bool, after: str) -> str:
    """One inline piece that is not a run of text; ``after``: the written text that follows it."""
    kind = node.type
    if kind == "code_inline":
        return _code(node.content, in_table)
    if kind in ("em", "strong", "s"):
        inner = _inline(node, in_table, node.markup)
        return f"{node.markup}{inner}{node.markup}" if inner else ""   # ``~~~~`` would open a fence
    if kind in ("link", "image"):
        return _link(node, in_table, after)
    if kind.startswith("math"):
        return _math_inline(node.content.strip(), "$$" if kind == "math_inline_double" else "$", in_table)
    return _escaped(node.content)


def _link(node: SyntaxTreeNode, in_table: bool, after: str) -> str:
    """A link, or a picture as a link; one whose target is not allowed as its text alone, which
    is then followed by what follows the link (``after``)."""
    target = str(node.attrs.get("href" if node.type == "link" else "src", ""))
    allowed = link_allowed(target)
    shown = _inline(node, in_table, "]" if allowed else after)
    shown = f"🖼 {shown or 'picture'}" if node.type == "image" else shown or _escaped(target, after)
    if not allowed:
        return shown
    return f"[{shown}]({_URL_SPECIAL.sub(lambda m: f'%{ord(m.group()):02X}', target)})"
