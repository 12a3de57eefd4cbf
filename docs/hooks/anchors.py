"""A link to a heading of its own page must reach it, or `mkdocs build --strict` fails.

mkdocs checks the links between pages and the anchors it sees in Markdown, not the HTML a plugin
writes: mkdocs-jupyter's table of contents for a tutorial listed a heading without its code spans
("Deferred:", ``#deferred``) while the heading's id kept them, and each such link went nowhere
(reference.py's ``_contents_to_headings`` gives the entries their headings' ids). This hook reads
every page as it is written and warns, an error under ``--strict`` (``make docs``, and so
``make test``), for each ``href="#…"`` that no element's id answers.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger("mkdocs.plugins.anchors")

_HREF = re.compile(r'href="#([^"]+)"')
_ID = re.compile(r'\bid="([^"]+)"')


def dead_anchors(html_text: str) -> list[str]:
    """The anchors ``html_text`` links to that no element of it has as its id."""
    return sorted(set(_HREF.findall(html_text)) - set(_ID.findall(html_text)))


def on_post_page(output: str, page, config) -> str:
    for anchor in dead_anchors(output):
        log.warning("%s links to #%s, which is no heading or element of that page", page.file.src_uri, anchor)
    return output
