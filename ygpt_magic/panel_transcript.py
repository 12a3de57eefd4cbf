"""The panel's scrolling transcript: system line, one bubble pair per turn, panel-only notes.

It draws what the chat holds and keeps no chat data of its own: :meth:`Transcript.show` takes
the chat and reuses the widgets of turns it has drawn before (widgets are costly to create, one
comm each), so a new turn adds two bubbles instead of redrawing the conversation. Besides the
turns it shows two things the chat does not hold: notes pinned after a given number of turns
(an interrupted reply, which by the rules stays out of the history) and the live reply of a
request in flight.

Bubbles are ``ipywidgets.Output`` widgets holding a MIME bundle, so the browser renders the
Markdown with the same renderer as a ``%%ygpt`` cell's output (code highlighting, math), and the
panel needs no Markdown library.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import ipywidgets as widgets

from .session import Chat, Turn

Bundle = Mapping[str, str]


def _classes(widget: widgets.DOMWidget, *names: str) -> widgets.DOMWidget:
    for name in names:
        widget.add_class(name)
    return widget


def _output(bundle: Bundle | None) -> widgets.Output:
    return _classes(widgets.Output(outputs=_outputs(bundle)), "ygpt-bubble")


def _outputs(bundle: Bundle | None) -> tuple[dict, ...]:
    if not bundle:
        return ()
    return ({"output_type": "display_data", "data": dict(bundle), "metadata": {}},)


def prompt_bundle(prompt: str) -> dict[str, str]:
    """A user's prompt as the bubble shows it: Markdown, with the raw text as the fallback."""
    return {"text/markdown": prompt, "text/plain": prompt}


class Bubbles:
    """One exchange on screen: the user's bubble, the reply's bubble, and a muted line under it."""

    def __init__(self, prompt: str, reply: Bundle | None = None, meta: str = "") -> None:
        self.reply = _output(reply)
        self.meta = _classes(widgets.HTML(meta), "ygpt-meta")
        user = _classes(widgets.VBox([_output(prompt_bundle(prompt))]), "ygpt-col")
        assistant = _classes(widgets.VBox([self.reply, self.meta]), "ygpt-col")
        self.widget = _classes(
            widgets.VBox(
                [
                    _classes(widgets.HBox([user]), "ygpt-row", "ygpt-row-user", "ygpt-user"),
                    _classes(
                        widgets.HBox([assistant]), "ygpt-row", "ygpt-row-assistant", "ygpt-assistant"
                    ),
                ]
            ),
            "ygpt-turn",
        )

    def show_reply(self, bundle: Bundle | None) -> None:
        """Replace the reply bubble's content (one trait assignment: safe from any thread)."""
        self.reply.outputs = _outputs(bundle)

    def show_meta(self, text: str, flag: str = "") -> None:
        """The muted line: usage and timing, with a highlighted word such as "interrupted"."""
        marked = f'<span class="ygpt-flag">{html.escape(flag)}</span> · ' if flag else ""
        self.meta.value = marked + html.escape(text)

    def close(self) -> None:
        _close_tree(self.widget)


def _close_tree(widget: widgets.Widget) -> None:
    """Close a widget and its descendants, so their comms are released in the kernel."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()


class Transcript:
    """The log view; ``widget`` is what the panel lays out."""

    def __init__(
        self,
        reply_bundle: Callable[[Turn, Chat], Bundle],
        reply_meta: Callable[[Turn], tuple[str, str]],
    ) -> None:
        self._reply_bundle = reply_bundle
        self._reply_meta = reply_meta
        self._drawn: dict[int, tuple[Turn, Bubbles]] = {}  # id(turn) → (turn kept alive, bubbles)
        self._notes: list[tuple[int, widgets.Widget]] = []  # (turns before it, widget)
        self._live: widgets.Widget | None = None
        self._system = _classes(widgets.HTML(), "ygpt-system")
        self._empty = _classes(
            widgets.HTML("No messages yet. Type below and press Enter."), "ygpt-empty"
        )
        self._log = _classes(widgets.VBox(), "ygpt-log")
        # The outer box scrolls in reverse (CSS), which keeps the newest turn in view.
        self.widget = _classes(widgets.Box([self._log]), "ygpt-scroll")
        self._turns = 0

    def show(self, chat: Chat) -> None:
        """Draw ``chat``: reuse bubbles of turns already drawn, make new ones, drop the rest."""
        turns = list(chat.turns)
        self._turns = len(turns)
        drawn: dict[int, tuple[Turn, Bubbles]] = {}
        rows: list[widgets.Widget] = []
        if chat.system:
            self._system.value = "<b>system</b> · " + html.escape(chat.system)
            rows.append(self._system)
        for count, turn in enumerate(turns):
            rows.extend(note for after, note in self._notes if after == count)
            kept = self._drawn.pop(id(turn), None)
            bubbles = kept[1] if kept else self._draw(turn, chat)
            drawn[id(turn)] = (turn, bubbles)
            rows.append(bubbles.widget)
        for _, gone in self._drawn.values():
            gone.close()
        self._drawn = drawn
        self._notes = [(after, note) for after, note in self._notes if after <= len(turns)]
        rows.extend(note for after, note in self._notes if after == len(turns))
        if self._live is not None:
            rows.append(self._live)
        if not turns and self._live is None and not self._notes:
            rows.append(self._empty)
        self._log.children = tuple(rows)

    def _draw(self, turn: Turn, chat: Chat) -> Bubbles:
        bubbles = Bubbles(turn.prompt, self._reply_bundle(turn, chat))
        bubbles.show_meta(*self._reply_meta(turn))
        return bubbles

    def pin(self, widget: widgets.Widget) -> None:
        """Keep ``widget`` after the turns drawn so far (it stays put as later turns arrive)."""
        self._notes.append((self._turns, widget))

    def set_live(self, widget: widgets.Widget | None) -> None:
        """Show (or, with None, remove) the reply being streamed, below everything else."""
        self._live = widget

    def clear_notes(self) -> None:
        for _, note in self._notes:
            _close_tree(note)
        self._notes = []
