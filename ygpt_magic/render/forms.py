"""A reply's final forms, one per format, and the small joins every output is made of.

Each form is a display bundle: HTML made by ``inert`` (never ``text/markdown``) beside the plain
text a terminal prints, with the notes above the reply and the footer under it in both, so
nothing a notebook shows is missing from a terminal (``StreamRenderer.finish`` picks the form).

The plain form of an output that stays is also sent again on its own (:func:`echo`), for the
frontends that ignore display updates.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..chat.values import Reply
from ..saving import LIVE_ONLY
from . import inert
from .controls import visible
from .markdown import code_blocks, extract_code, fenced

Bundle = dict[str, Any]

#: the rich form of every output (built by ``inert``; never ``text/markdown``, see inert.py)
HTML = "text/html"

NO_CODE = "no code block in the reply"
NO_CODE_CELL = "no code block in the reply; nothing was put into a new cell"


def join(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)


def plain(*parts: str) -> str:
    """The parts as a ``text/plain`` form: joined, each control character (but newline and tab)
    shown as a picture of itself (controls.py). A terminal would obey them, and a reader of the
    notebook's Markdown (``nbconvert --to markdown`` indents a plain output at ``\n`` only) ends
    a line at a raw ``\r``: the text after it would be Markdown again, a picture there live."""
    return visible(join(*parts))


def reply_plain(reply: Reply) -> str:
    """``_ygpt`` as a terminal shows a cell's value: what its HTML form (``stream.reply_html``)
    shows, as text, the reply and then its footer; not the dataclass's one-line repr."""
    return plain(reply.text, reply.summary())


def html_blocks(*blocks: str) -> str:
    return "\n".join(block for block in blocks if block)


def quiet_lines(*lines: str) -> Bundle:
    """Lines of ours (notes, a footer) as an output of their own."""
    return {HTML: html_blocks(*map(inert.quiet, lines)), "text/plain": join(*lines)}


def markdown_form(reply: Reply, notes: list[str], after: str = "", body: str | None = None) -> Bundle:
    """The reply as Markdown (``body``: its HTML when it is shown otherwise), ``after`` (a note
    about the reply) and the footer under it."""
    footer = reply.summary()
    return {
        HTML: html_blocks(*map(inert.quiet, notes), body or inert.markdown(reply.text),
                    inert.quiet(after) if after else "", inert.quiet(footer)),
        "text/plain": plain(*notes, reply.text, after, footer),
    }


def json_block(text: str) -> str:
    """A ``--json`` reply as a json fence: pretty-printed when it parses, as sent when not."""
    source = json_source(text)
    try:
        source = json.dumps(json.loads(source), ensure_ascii=False, indent=2)
    except ValueError:
        pass  # shown as the model wrote it; the fence still keeps it one readable block
    return inert.markdown(fenced(source, "json"))


def text_form(reply: Reply, notes: list[str], after: str = "", note: str = "") -> Bundle:
    return {"text/plain": plain(*notes, note, reply.text, after, reply.summary())}


def code_form(reply: Reply, notes: list[str], after: str = "", no_code: str = NO_CODE) -> Bundle:
    """The reply's code blocks only; a reply with none is shown whole, with ``no_code`` under it.
    ``after`` (that the request was retried) goes over the footer, as in every other format."""
    blocks = code_blocks(reply.text)
    if not blocks:
        return {
            HTML: html_blocks(*map(inert.quiet, notes), inert.markdown(reply.text), inert.quiet(no_code),
                        inert.quiet(after) if after else "", inert.quiet(reply.summary())),
            "text/plain": plain(*notes, reply.text, no_code, after, reply.summary()),
        }
    shown = inert.markdown(join(*(fenced(code, language) for language, code in blocks)))
    return {
        HTML: html_blocks(*map(inert.quiet, notes), shown, inert.quiet(after) if after else "",
                          inert.quiet(reply.summary())),
        "text/plain": plain(*notes, extract_code(reply.text), after, reply.summary()),
    }


def json_source(text: str) -> str:
    """The JSON a reply holds: its first code block's, or the whole text when it has none."""
    blocks = code_blocks(text)
    return blocks[0][1] if blocks else text


def json_tree(reply: Reply) -> dict[str, Any] | list[Any] | None:
    """The reply's JSON object or array (in a fence or not), None when it is not one."""
    try:
        value = json.loads(json_source(reply.text))
    except ValueError:
        return None
    return value if isinstance(value, (dict, list)) else None


def json_form(reply: Reply, notes: list[str], after: str = "") -> Bundle:
    """One bundle (the panel's, a terminal's): parsed JSON for a viewer, pretty text for consoles,
    the footer in the text (a cell in Jupyter uses ``_finish_tree`` instead); a reply that
    is not JSON is shown as text with a note saying so."""
    try:
        value = json.loads(json_source(reply.text))
    except ValueError as error:
        asked = reply.options is not None and reply.options.json   # --json asks the model for JSON
        how = "" if asked else " --format json only shows it; add --json to ask the model for JSON."
        return text_form(reply, notes, after, f"⚠ The reply is not valid JSON ({error}); shown as text.{how}")
    pretty = json.dumps(value, ensure_ascii=False, indent=2)
    bundle: Bundle = {"text/plain": plain(*notes, pretty, after, reply.summary())}
    if isinstance(value, (dict, list)):
        bundle["application/json"] = value
    return bundle


#: Formats whose final plain form is the streamed text with the footer under it. A terminal cannot
#: take back what it printed, so the others (code, json) are printed once, when they are final.
PRINTED_AS_STREAMED = ("markdown", "text")

FINAL: dict[str, Callable[[Reply, list[str], str], Bundle]] = {
    "markdown": markdown_form, "text": text_form, "json": json_form,
}


def echo(plain: str, display: Callable[..., Any] | None = None) -> None:
    """Send ``plain`` as a display of its own that only a frontend ignoring display updates
    shows. ``display``: the cell's display function, IPython's if None.

    A streamed reply reaches its cell's live display only as ``update_display_data``, and a ``--map``
    summary only as an update of its bar's display. The messaging spec lets a frontend ignore those
    updates, and ``jupyter console`` and ``papermill --log-output`` do: they showed nothing of a reply
    and a bar stuck at 0 %. So as an output that stays is put into a live display, its plain text is
    sent just before, as a display of its own under an empty HTML form (the update stays the cell's
    last message, the one that carries the provenance): such a frontend prints the text,
    and one that draws HTML (JupyterLab, Notebook 7, VS Code, an HTML or Markdown export) draws
    nothing for it. It is marked live-only, so a notebook saved by Jupyter (saving.py) or the demo
    keeps one copy. A notebook run by nbclient (``nbconvert --execute``, papermill) or saved by a
    Jupyter without saving.py keeps the copy, and LaTeX (so PDF) ranks plain text above HTML: an
    empty LaTeX form, which it ranks above both, keeps that export from printing every reply twice.

    Why not end the live display with an empty update and send the final form as a new display:
    JupyterLab drew a frame between the two messages, the reply gone for that frame, on every try
    (tests/test_browser_switch.py records every frame it draws). Here each message leaves a page
    that reads right on its own.
    """
    if display is None:
        from IPython.display import display as ipython_display

        display = ipython_display
    display({HTML: "", "text/latex": "", "text/plain": plain}, raw=True, metadata=LIVE_ONLY)
