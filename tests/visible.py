"""What a person reads on the page from an output's HTML, for tests that assert what users see.

Outputs are HTML made by render/inert.py. ``visible`` keeps the text a browser would show, one
block (paragraph, code block, list item, table row, heading) a line, so a test can compare what
is read, not how it is marked up; ``tags`` and ``links`` say what markup there is.
"""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = {"p", "div", "pre", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "details",
           "summary", "table", "thead", "tbody", "ul", "ol", "blockquote", "hr", "br"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: list[str] = []
        self.links: list[str] = []
        self._cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | " if self._cell else "")
            self._cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")
            self._cell = False

    def handle_data(self, data: str) -> None:
        if data.strip() or "\n" not in data:  # a line break between tags is not text
            self.parts.append(data)


def _page(markup: str) -> _Page:
    page = _Page()
    page.feed(markup)
    page.close()
    return page


def visible(markup: str) -> str:
    """The text of ``markup`` as read: blocks on lines of their own, no blank lines."""
    lines = "".join(_page(markup).parts).split("\n")
    return "\n".join(line for line in lines if line.strip())


def tags(markup: str) -> set[str]:
    """Every element name in ``markup``."""
    return set(_page(markup).tags)


def links(markup: str) -> list[str]:
    """The target of every link in ``markup``."""
    return _page(markup).links


def read(markdown: str) -> str:
    """How a reply's Markdown reads on the page (what ``visible`` gives for its output)."""
    from ygpt_magic.render import inert

    return visible(inert.page(inert.markdown(markdown)))


def published(markup: str) -> str:
    """An output's HTML inside the container JupyterLab's MathJax leaves alone (every output
    is in one: only the plain math in it is typeset), asserting the container is there."""
    container = '<div class="tex2jax_ignore mathjax_ignore">'
    assert markup.startswith(container) and markup.endswith("</div>"), markup
    return markup[len(container):-len("</div>")]
