"""The render layer: how a reply appears in a cell's output.

``stream`` holds the StreamRenderer (one display handle per cell, throttled updates, one final
render, the footer) and the other displays a request makes (errors); ``dryrun`` what
``--dry-run`` shows; ``inert`` the one rule every rich output follows (Markdown renders, HTML in
it never runs); ``plain`` the text forms of messages and tool calls; ``terminal`` how a reply is
printed in plain IPython in a terminal; ``markdown`` the helpers that pull code out of a reply.
It is imported with the first request, not with ``%load_ext``.
"""

from .dryrun import dry_run
from .stream import RENDER_INTERVAL, StreamRenderer, extract_code, reply_html, show

__all__ = ["RENDER_INTERVAL", "StreamRenderer", "dry_run", "extract_code", "reply_html", "show"]
