"""Text with no Markdown syntax at all, as the exact HTML markdown-it makes of it, without the parser.

Many replies are a sentence or a few paragraphs of prose ("Быть или не быть: вот в чём вопрос.").
For those, markdown-it's tokenizer does nothing but wrap each paragraph in ``<p>`` and escape
``& < > "``, at a tenth of a millisecond a render, on the kernel's main thread, twice a cell.
``paragraphs`` gives that same HTML directly, and gives None for any text that could mean more
(then ``inert.markdown`` runs the parser, as before). The test is deliberately blunt: any
character that starts inline syntax anywhere, or block syntax at a line's start, sends the text to
the parser. tests/test_prose.py holds the claim "same HTML" against markdown-it over a corpus and
thousands of random texts built from every character that matters.

What this gives is escaped text in ``<p>``: no markup of the text's own can come through it, and
``inert.clean`` still cleans every page last, as for the parser's HTML.
"""

from __future__ import annotations

import re

#: What sends a text to the parser: inline syntax anywhere (code, emphasis, links, pictures,
#: escapes, autolinks, strikethrough, tables, math, entities); block syntax or whitespace at a
#: line's start (headings, quotes, lists, rules, setext underlines, fences, tables, indented
#: code); whitespace at a line's end (hard breaks, trimming); characters markdown-it rewrites
#: or treats as line ends or spaces (CR, NUL, other controls, U+0085, U+2028/9, U+FEFF).
_SYNTAX = re.compile(
    r"[\\`*_\[\]!<~$|\t\r\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\ufeff]"
    r"|&#|&[A-Za-z0-9]+;"
    r"|^(?:[^\S\n]|[#>+\-=:]|\d+[.)])"
    r"|[^\S\n]$",
    re.MULTILINE,
)
_BLANK_LINES = re.compile(r"\n{2,}")
#: markdown-it's escaping (``escapeHtml``): these four, and not the single quote
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def paragraphs(text: str) -> str | None:
    """``text`` as markdown-it (CommonMark, HTML off) renders it, when it holds no Markdown
    syntax at all; None when it might, and only the parser can say what it means."""
    if _SYNTAX.search(text):
        return None
    blocks = _BLANK_LINES.split(text.strip("\n"))
    return "".join(f"<p>{block.translate(_ESCAPES)}</p>\n" for block in blocks if block)
