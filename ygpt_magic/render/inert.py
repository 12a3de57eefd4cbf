"""The one rule for what reaches the page: text this package did not write is shown, never run.

JupyterLab treats a live output as trusted: the HTML inside a ``text/markdown`` output is parsed,
and a script in it runs with the user's Jupyter session (its files, terminals and kernels, through
the page's XSRF cookie). Model replies, prompts, system messages, tool results, chat files, cache
entries, notebook metadata and a server's error text can all be written by someone else (one
review in a ``--map`` column can steer the model), so every rich output of this package is built
here, in two independent steps:

1. **markdown-it-py** renders the Markdown (CommonMark, tables, strikethrough, math) with raw HTML
   turned off: ``<img onerror=…>`` in a reply is shown as text, never parsed as markup. A link is
   kept for http, https and mailto only; anything else (``javascript:``, ``data:``, a relative
   path into the Jupyter server) stays as written text. A picture becomes a link: loading it would
   send its URL, and whatever a prompt injection put into it, to another server without a click.
   Math (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``) is kept as escaped TeX between ``$``
   delimiters, so Markdown does not eat its underscores and JupyterLab's MathJax, which
   typesets HTML outputs too, still shows it as math, but only if every command in it is a
   plain math command (``tex.is_plain``); other math, ``\\unicode[…]`` or ``\\href`` say, is
   shown as written code. MathJax is told to leave the rest of the page alone: the cleaned page
   sits in a ``div`` of its ignore class, and only the plain math is in its process class, so a
   ``$`` or ``\\(`` in text shown as written is never typeset.
   Text with no Markdown syntax at all skips the parser: ``prose.paragraphs`` gives the same
   HTML (escaped text in ``<p>``), tested against the parser over a corpus and random texts.
2. **nh3** (ammonia) cleans the HTML against an allowlist of tags, attributes and URL schemes: a
   second net in case the first one ever lets markup through.

Outputs carry this HTML as ``text/html`` beside ``text/plain``, never ``text/markdown``: a notebook
saved by its author is trusted again when reopened, so an unsafe copy kept in it would run then.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import nh3

from .controls import visible
from .prose import paragraphs
from .tex import is_plain

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.renderer import RendererHTML
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

#: what the parser needs, for the background import (``%load_ext`` does not wait for them)
PARSER_MODULES = ("markdown_it", "mdit_py_plugins.dollarmath", "mdit_py_plugins.texmath")

#: the only link targets kept
SCHEMES = frozenset({"http", "https", "mailto"})

_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "sub", "sup",
    "details", "summary", "span", "div",
})
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
#: MathJax's classes (both spellings: MathJax 2 and 3): skip what is inside, typeset what is inside
_IGNORE, _PROCESS = "tex2jax_ignore mathjax_ignore", "tex2jax_process mathjax_process"
_MATHJAX_CLASSES = {"div": {*_IGNORE.split(), *_PROCESS.split()}, "span": set(_PROCESS.split())}
_CLASS = re.compile(r"ygpt-[a-z-]+")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def link_allowed(url: str) -> bool:
    scheme = _SCHEME.match(url)
    return scheme is not None and scheme.group(1).lower() in SCHEMES


def _math_inline(self: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tex = tokens[idx].content
    shown = html.escape(f"${tex}$", quote=False)
    return f'<span class="{_PROCESS}">{shown}</span>' if is_plain(tex) else f"<code>{shown}</code>"


def _math_block(self: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tex = tokens[idx].content.strip()
    shown = html.escape(f"$${tex}$$", quote=False)
    return f'<div class="{_PROCESS}">{shown}</div>\n' if is_plain(tex) else f"<pre><code>{shown}</code></pre>\n"


def _math_display(self: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tex = tokens[idx].content.strip()
    shown = html.escape(f"$${tex}$$", quote=False)
    return f'<span class="{_PROCESS}">{shown}</span>' if is_plain(tex) else f"<code>{shown}</code>"


#: display math inside a line of text: its delimiters, opening → closing
_DISPLAY = {"\\[": "\\]", "$$": "$$"}


def _display_in_text(state: StateInline, silent: bool) -> bool:
    """``\\[…\\]`` or ``$$…$$`` in a paragraph, a list item or a table cell (the block rules
    take them only after a blank line): display math, as JupyterLab's own Markdown reads it
    (it lifts the math out before Markdown runs). Without this rule ``\\[`` is an escaped
    bracket and ``\\,`` an escaped comma: "The energy is:" over ``\\[ E = mc^2 \\]`` read
    "[ E = mc^2 ]", and ``$$ … x\\,dx $$`` lost its backslash. Its token is drawn by
    :func:`_math_display`, which keeps the TeX allow-list."""
    closing = _DISPLAY.get(state.src[state.pos:state.pos + 2])
    if closing is None:
        return False
    end = state.src.find(closing, state.pos + 2)
    if end < 0 or not state.src[state.pos + 2:end].strip():
        return False
    if not silent:
        state.push("math_inline_double", "math", 0).content = state.src[state.pos + 2:end]
    state.pos = end + 2
    return True


def _picture(self: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env) or "picture"
    return f'<a href="{html.escape(str(token.attrGet("src")))}">🖼 {html.escape(alt, quote=False)}</a>'


@cache
def markdown_parser() -> MarkdownIt:
    """The one Markdown parser, made on first use (its imports are left out of ``%load_ext``)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.texmath import texmath_plugin

    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    parser.use(texmath_plugin, delimiters="brackets")  # \( \) and \[ \] before "\" is an escape
    parser.use(dollarmath_plugin, allow_space=False, allow_digits=False)  # "$5 and $10" is money
    parser.inline.ruler.before("math_inline", "math_display_in_text", _display_in_text)
    for math in ("math_inline", "math_block", "math_block_label", "math_block_eqno"):
        parser.add_render_rule(math, _math_block if "block" in math else _math_inline)
    parser.add_render_rule("math_inline_double", _math_display)
    parser.add_render_rule("image", _picture)
    parser.validateLink = link_allowed  # type: ignore[method-assign]
    return parser


#: what the cleaners keep: these tags, attributes and link schemes, no relative link, one style
_ALLOWLIST: dict[str, Any] = {"tags": set(_TAGS), "attributes": _ATTRIBUTES, "url_schemes": set(SCHEMES),
                              "url_relative": "deny", "filter_style_properties": {"text-align"}}
#: the cleaner, built once (``nh3.clean`` with the same arguments builds it anew on every call)
_CLEANER = nh3.Cleaner(**_ALLOWLIST, allowed_classes=_MATHJAX_CLASSES)
#: the same, with no class MathJax typesets: the math stays as its TeX (``clean(typeset=False)``)
_UNTYPESET = nh3.Cleaner(**_ALLOWLIST, allowed_classes={"div": set(_IGNORE.split())})


#: a newline that starts a blank line (one of nothing but spaces and tabs)
_BLANK_LINE = re.compile(r"\n(?=[ \t]*\n)")


def clean(markup: str, *, typeset: bool = True) -> str:
    """HTML through the allowlist (the second net; every output passes it last), in a ``div``
    MathJax skips but for the plain math the parser marked (what else holds a ``$`` is text).

    ``typeset=False``: not that math either; it shows as its TeX. A streaming update replaces
    the whole output, and JupyterLab's MathJax then typesets every formula in it again: a reply
    with 25 formulas kept the browser busy for 4-8 s, in pauses of up to 0.4 s, and its page fell
    seconds behind the kernel. So the updates show the TeX, and the final form typesets it once.

    No blank line is left in it: a newline that would start one is written ``&#10;``, which the
    HTML parser reads as the same newline (a code block inside ``<pre>`` keeps its lines). A
    Markdown reader that meets this HTML (``jupyter nbconvert --to markdown``, then GitHub or
    JupyterLab's Markdown Preview) ends an HTML block at a blank line (CommonMark's rule) and reads
    what follows as Markdown, so a picture a code block showed as text would load there."""
    cleaned = _BLANK_LINE.sub("&#10;", (_CLEANER if typeset else _UNTYPESET).clean(markup))
    return f'<div class="{_IGNORE}">{cleaned}</div>' if cleaned else cleaned


def markdown(text: str) -> str:
    """Markdown from anyone, as HTML that shows it and runs none of it (plain prose without
    the parser: it would only wrap and escape it)."""
    plain = paragraphs(text)
    return plain if plain is not None else markdown_parser().render(text)


def text(line: str) -> str:
    """A line shown exactly as written (no Markdown), as a paragraph."""
    return f"<p>{html.escape(line, quote=False)}</p>"


def bold(line: str) -> str:
    """A heading line shown as written, in bold."""
    return f"<p><strong>{html.escape(line, quote=False)}</strong></p>"


def quiet(line: str) -> str:
    """A muted line (notes above a reply, the footer under it): small, shown as written."""
    return f"<p><sub>{html.escape(line, quote=False)}</sub></p>"


def details(summary: str, body: str) -> str:
    """``body`` (HTML from this module) folded under a one-line ``summary`` shown as written."""
    return f"<details><summary>{html.escape(summary, quote=False)}</summary>\n{body}</details>"


def page(*blocks: str) -> str:
    """HTML blocks from this module, joined and cleaned: what an output's ``text/html`` holds."""
    return clean("\n".join(block for block in blocks if block))


def marked(css_class: str, page_html: str) -> str:
    """A cleaned page in a ``div`` of one of this package's own classes (a name written here,
    never text from anyone), so the package's CSS can find it."""
    if not _CLASS.fullmatch(css_class):
        raise ValueError(f"not a class name of this package: {css_class!r}")
    return f'<div class="{css_class}">{page_html}</div>'


def bundle(*blocks: str, plain: str) -> dict[str, str]:
    """A display bundle: the page for notebooks, ``plain`` for terminals and logs (with its
    control characters shown, never obeyed: controls.py)."""
    return {"text/html": page(*blocks), "text/plain": visible(plain)}
