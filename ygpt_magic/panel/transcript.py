"""The panel's scrolling transcript: system line, one bubble pair per turn, panel-only notes.

It draws what the chat holds and keeps no chat data of its own: :meth:`Transcript.show` takes
the chat and reuses the widgets of turns it has drawn before (widgets are costly to create, one
comm each), so a new turn adds two bubbles instead of redrawing the conversation. Besides the
turns it shows two things the chat does not hold: notes pinned after a given number of turns
(an interrupted reply, which by the rules stays out of the history) and the live reply of a
request in flight.

Bubbles are ``ipywidgets.Output`` widgets holding the same inert bundles as a ``%%ygpt`` cell's
output (render/inert.py): Markdown renders, HTML typed into the box or written by the model
never runs.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from ..chat import Chat, Turn
from ..render import inert
from .style import close_tree, styled

Bundle = Mapping[str, str]


def _outputs(bundle: Bundle | None) -> tuple[dict[str, Any], ...]:
    if not bundle:
        return ()
    return ({"output_type": "display_data", "data": dict(bundle), "metadata": {}},)


def _bubble(bundle: Bundle | None) -> widgets.Output:
    return styled(widgets.Output(outputs=_outputs(bundle)), "ygpt-bubble")


def prompt_bundle(prompt: str) -> dict[str, str]:
    """A user's prompt as the bubble shows it: Markdown made inert, the raw text as the fallback."""
    return inert.bundle(inert.markdown(prompt), plain=prompt)


def _with_pictures(turn: Turn) -> str:
    """A turn's prompt with one quiet line per picture it sent (the chat keeps no bytes to show)."""
    return "\n\n".join([turn.prompt, *(info.caption() for info in turn.images)])


class Bubbles:
    """One exchange on screen: the user's bubble on the right, the reply's on the left (its
    usage line is part of the reply's bundle, as in a cell)."""

    def __init__(self, prompt: str, reply: Bundle | None = None) -> None:
        self.prompt = prompt
        self.shown = (prompt_bundle(prompt), reply or {})  # what the bubbles hold (panel/saved.py)
        self.reply = _bubble(reply)
        user = styled(widgets.VBox([_bubble(self.shown[0])]), "ygpt-col")
        assistant = styled(widgets.VBox([self.reply]), "ygpt-col")
        self.widget = styled(
            widgets.VBox(
                [
                    styled(widgets.HBox([user]), "ygpt-row", "ygpt-row-user", "ygpt-user"),
                    styled(widgets.HBox([assistant]), "ygpt-row", "ygpt-row-assistant", "ygpt-assistant"),
                ]
            ),
            "ygpt-turn",
        )

    def show_reply(self, bundle: Bundle | None) -> None:
        """Replace the reply bubble's content (one trait assignment: safe from any thread)."""
        self.shown = (self.shown[0], bundle or {})
        self.reply.outputs = _outputs(bundle)

    def close(self) -> None:
        close_tree(self.widget)


class Transcript:
    """The log view; ``widget`` is what the panel lays out.

    ``reply_bundle(turn, chat)`` says how a recorded reply looks; the live bubbles, once their
    turn is recorded, become that turn's bubbles (no new widgets, no flicker).
    """

    def __init__(self, reply_bundle: Callable[[Turn, Chat], Bundle]) -> None:
        self._reply_bundle = reply_bundle
        self._drawn: dict[int, tuple[Turn, Bubbles]] = {}  # id(turn) → (turn kept alive, bubbles)
        self._notes: list[tuple[int, widgets.Widget]] = []  # (turns before it, widget)
        self.live: Bubbles | None = None
        self._system = styled(widgets.HTML(), "ygpt-system")
        self._empty = styled(widgets.HTML("No messages yet. Type below and press Enter."), "ygpt-empty")
        self._log = styled(widgets.VBox(), "ygpt-log")
        # The outer box scrolls in reverse (CSS), which keeps the newest turn in view.
        self.widget = styled(widgets.Box([self._log]), "ygpt-scroll")
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
            bubbles = kept[1] if kept else self._draw(turn, chat, last=count == len(turns) - 1)
            drawn[id(turn)] = (turn, bubbles)
            rows.append(bubbles.widget)
        for _, gone in self._drawn.values():
            gone.close()
        self._drawn = drawn
        self._notes = [(after, note) for after, note in self._notes if after <= len(turns)]
        rows.extend(note for after, note in self._notes if after == len(turns))
        if self.live is not None:
            rows.append(self.live.widget)
        if len(rows) == (1 if chat.system else 0):
            rows.append(self._empty)
        self._log.children = tuple(rows)

    def exchanges(self) -> list[tuple[Bundle, Bundle]]:
        """(prompt, reply) bundles of the recorded turns drawn, in order: the saved view's text."""
        return [bubbles.shown for _, bubbles in self._drawn.values()]

    def _draw(self, turn: Turn, chat: Chat, last: bool) -> Bubbles:
        if last and self.live is not None and self.live.prompt == turn.prompt:
            bubbles, self.live = self.live, None  # the reply in flight was just recorded
        else:
            bubbles = Bubbles(_with_pictures(turn))
        bubbles.show_reply(self._reply_bundle(turn, chat))
        return bubbles

    def set_live(self, bubbles: Bubbles) -> None:
        """Show the reply being streamed below everything else (drawn by the next ``show``)."""
        self.live = bubbles

    def end_live(self, keep: bool) -> None:
        """The reply in flight ended unrecorded: pin it where it is (``keep``) or remove it."""
        if self.live is not None:
            if keep:
                self._notes.append((self._turns, self.live.widget))
            else:
                self.live.close()
            self.live = None

    def clear_notes(self) -> None:
        """Forget pinned notes (the chat was reset, or the panel shows another chat)."""
        for _, note in self._notes:
            close_tree(note)
        self._notes = []
