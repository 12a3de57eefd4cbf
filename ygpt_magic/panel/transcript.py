"""The panel's scrolling transcript: system line, one bubble pair per turn, panel-only notes.

It draws what the chat holds and keeps no chat data of its own: :meth:`Transcript.show` takes
the chat and reuses the widgets of turns it has drawn before (widgets are costly to create, one
comm each), so a new turn adds two bubbles instead of redrawing the conversation. Besides the
turns it shows two things the chat does not hold: notes pinned after a given number of turns
(an interrupted reply, which by the rules stays out of the history) and the live reply of a
request in flight.

Only the newest turns are bubbles of their own (``NEWEST`` to ``NEWEST + FOLD - 1`` of them):
each costs about seven widgets, and each widget is a message or two to the page, so a loaded
chat of 400 turns sent some 10,000 messages at once, which the page dropped in part and drew
nothing of. The turns before them are folded, into a few blocks cut where panel/blocks.py cuts
(each one Output widget holding one inert page that the CSS draws as bubbles, panel/style.py);
as the newest bubbles move into them, ``FOLD`` at a time, only the block that changed is sent
again. So a panel costs the same number of widgets over any chat, and about the same traffic
per turn.

Bubbles are ``ipywidgets.Output`` widgets holding the same inert bundles as a ``%%ygpt`` cell's
output (render/inert.py): Markdown renders, HTML typed into the box or written by the model
never runs.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from ..chat import Chat, Turn
from ..chat.planning import Settings
from ..render import inert
from .blocks import STEPS, spans
from .carried import kept_line
from .shown import Bundle, Exchange, asked, exchange, prompt_bundle, reply_bundle
from .style import close_tree, styled

#: the fewest newest turns drawn as bubbles of their own
NEWEST = 10
#: turns moved into the folded blocks at a time: the finest step they are cut at
FOLD = STEPS[-1]


def folded(turns: int) -> int:
    """How many of the first of a chat's ``turns`` the folded blocks hold."""
    return max(0, turns - NEWEST) // FOLD * FOLD


def _outputs(bundle: Bundle | None) -> tuple[dict[str, Any], ...]:
    if not bundle:
        return ()
    return ({"output_type": "display_data", "data": dict(bundle), "metadata": {}},)


def _bubble(bundle: Bundle | None) -> widgets.Output:
    return styled(widgets.Output, "ygpt-bubble", outputs=_outputs(bundle))


def block(exchanges: Sequence[Exchange]) -> dict[str, str]:
    """Exchanges as one inert page: each prompt and reply (inert pages themselves) in a box of
    the package's own class, which the panel's CSS draws as it draws the bubbles."""
    page = "".join(inert.marked("ygpt-said", prompt.get("text/html", ""))
                   + inert.marked("ygpt-answer", reply.get("text/html", "")) for prompt, reply in exchanges)
    plain = "\n\n".join(f"You: {prompt.get('text/plain', '')}\n\n{reply.get('text/plain', '')}"
                         for prompt, reply in exchanges)
    return {"text/html": page, "text/plain": plain}


class Bubbles:
    """One exchange on screen: the user's bubble on the right, the reply's on the left (its
    usage line is part of the reply's bundle, as in a cell)."""

    def __init__(self, prompt: str, reply: Bundle | None = None) -> None:
        self.prompt = prompt
        self.shown: Exchange = (prompt_bundle(prompt), reply or {})  # what the bubbles hold
        self.reply = _bubble(reply)
        user = styled(widgets.VBox, "ygpt-col", [_bubble(self.shown[0])])
        assistant = styled(widgets.VBox, "ygpt-col", [self.reply])
        self.widget = styled(widgets.VBox, "ygpt-turn", [
            styled(widgets.HBox, "ygpt-row ygpt-row-user ygpt-user", [user]),
            styled(widgets.HBox, "ygpt-row ygpt-row-assistant ygpt-assistant", [assistant]),
        ])

    def show_reply(self, bundle: Bundle | None) -> None:
        """Replace the reply bubble's content (one trait assignment: safe from any thread)."""
        self.shown = (self.shown[0], bundle or {})
        self.reply.outputs = _outputs(bundle)

    def close(self) -> None:
        close_tree(self.widget)


class Transcript:
    """The log view; ``widget`` is what the panel lays out.

    A recorded turn looks as panel/shown.py shows it, in the format ``settings()`` (the
    notebook's, at the time it is drawn) give its chat; the live bubbles, once their turn is
    recorded, become that turn's bubbles (no new widgets, no flicker).
    """

    def __init__(self, settings: Callable[[], Settings | None]) -> None:
        self._settings = settings
        self._drawn: dict[int, tuple[Turn, Bubbles]] = {}  # id(turn) → (turn kept alive, bubbles)
        self._folded: dict[int, tuple[Turn, Exchange]] = {}  # the same for the turns folded
        self._notes: list[tuple[int, Bubbles]] = []  # (turns before it, its bubbles)
        self.live: Bubbles | None = None
        self._system = styled(widgets.HTML, "ygpt-system")
        self._empty = styled(widgets.HTML, "ygpt-empty", "No messages yet. Type below and press Enter.")
        self._earlier = tuple(styled(widgets.Output, "ygpt-earlier") for _ in STEPS)  # the folded blocks
        self._earlier_holds: list[tuple[int, ...]] = [() for _ in STEPS]  # ids of the turns and notes each shows
        self._log = styled(widgets.VBox, "ygpt-log")
        # The outer box scrolls in reverse (CSS), which keeps the newest turn in view.
        self.widget = styled(widgets.Box, "ygpt-scroll", [self._log])
        self._turns = 0

    def show(self, chat: Chat, after: Sequence[widgets.Widget] = ()) -> None:
        """Draw ``chat``: fold its older turns, reuse bubbles of turns already drawn, make new
        ones, drop the rest; ``after``: widgets shown below them all."""
        turns = list(chat.turns)
        self._turns = len(turns)
        fold = folded(len(turns))
        rows: list[widgets.Widget] = []
        if chat.system:
            self._system.value = "<b>system</b> · " + html.escape(chat.system)
            rows.append(self._system)
        rows.extend(self._fold(turns[:fold], chat))
        drawn: dict[int, tuple[Turn, Bubbles]] = {}
        for count, turn in enumerate(turns[fold:], start=fold):
            rows.extend(note.widget for at, note in self._notes if at == count)
            kept = self._drawn.pop(id(turn), None)
            bubbles = kept[1] if kept else self._draw(turn, chat, last=count == len(turns) - 1)
            drawn[id(turn)] = (turn, bubbles)
            rows.append(bubbles.widget)
        for _, gone in self._drawn.values():
            gone.close()
        self._drawn = drawn
        self._notes = [(at, note) for at, note in self._notes if at <= len(turns)]
        rows.extend(note.widget for at, note in self._notes if at == len(turns))
        if self.live is not None:
            rows.append(self.live.widget)
        if len(rows) == (1 if chat.system else 0):
            rows.append(self._empty)
        self._log.children = (*rows, *after)

    def _fold(self, turns: list[Turn], chat: Chat) -> list[widgets.Widget]:
        """Show ``turns`` (and the notes pinned among them) in the folded blocks, taking the
        bundles of those drawn as bubbles until now; the blocks that show anything. A note's
        widget is kept, as a rewind may unfold it."""
        folded_now: dict[int, tuple[Turn, Exchange]] = {}
        for turn in turns:
            kept, drawn = self._folded.get(id(turn)), self._drawn.pop(id(turn), None)
            if drawn is not None:
                drawn[1].close()
            shown = kept[1] if kept else drawn[1].shown if drawn else self.exchange(turn, chat)
            folded_now[id(turn)] = (turn, shown)
        self._folded = folded_now
        held = list(folded_now.values())
        notes = sorted(((at, note) for at, note in self._notes if at < len(turns)), key=lambda pinned: pinned[0])
        blocks = []
        # len(turns) is a multiple of FOLD, the last step: the last span, the rest, is empty
        for index, (start, end) in enumerate(spans(len(turns))[:-1]):
            here = [(at, note) for at, note in notes if start <= at < end]
            self._show_block(index, held[start:end], [(at - start, note) for at, note in here])
            if end > start:
                blocks.append(self._earlier[index])
        return blocks

    def _show_block(self, index: int, held: list[tuple[Turn, Exchange]], notes: list[tuple[int, Bubbles]]) -> None:
        """Folded block ``index`` shows ``held`` with ``notes`` pinned among them: sent to the
        page only if it showed something else."""
        holds = (*(id(turn) for turn, _ in held), *(id(note) for _, note in notes))
        if holds == self._earlier_holds[index]:
            return
        self._earlier_holds[index] = holds
        exchanges = [exchange for _, exchange in held]
        for at, note in reversed(notes):  # the last first
            exchanges.insert(at, note.shown)
        self._earlier[index].outputs = _outputs(block(exchanges)) if exchanges else ()

    def spare(self) -> tuple[widgets.Widget, ...]:
        """The widgets it lays out only when they have something to show (to close with it)."""
        return self._system, self._empty, *self._earlier

    def exchanges(self) -> list[Exchange]:
        """(prompt, reply) bundles of the recorded turns shown, in order: the saved view's text."""
        return [shown for _, shown in self._folded.values()] + [b.shown for _, b in self._drawn.values()]

    def exchange(self, turn: Turn, chat: Chat) -> Exchange:
        """How ``turn`` of ``chat`` is shown: its prompt's bundle and its reply's."""
        return exchange(turn, chat, self._settings())

    def _draw(self, turn: Turn, chat: Chat, last: bool) -> Bubbles:
        reply = reply_bundle(turn, chat, self._settings())
        if last and self.live is not None and self.live.prompt == turn.prompt:
            bubbles, self.live = self.live, None  # the reply in flight was just recorded
            bubbles.show_reply(reply)
            return bubbles
        return Bubbles(asked(turn), reply)

    def set_live(self, bubbles: Bubbles) -> None:
        """Show the reply being streamed below everything else (drawn by the next ``show``)."""
        self.live = bubbles

    def end_live(self, keep: bool) -> None:
        """The reply in flight ended unrecorded: pin it where it is (``keep``) or remove it."""
        if self.live is not None:
            if keep:
                self._notes.append((self._turns, self.live))
            else:
                self.live.close()
            self.live = None

    def clear_notes(self) -> None:
        """Forget pinned notes (the chat was reset, or the panel shows another chat)."""
        for _, note in self._notes:
            note.close()
        self._notes = []


class KeptBlock:
    """Turns asked in the panel that the chat does not hold, kept from an earlier kernel's saved
    view (panel/carried.py), shown under the chat's turns: for each chat the line that says so
    and the turns as one block, then a button that brings them back and one that forgets them."""

    def __init__(self, bring_back: Callable[[], None], forget: Callable[[], None]) -> None:
        self._block = styled(widgets.Output, "ygpt-earlier")
        self.bring_back = widgets.Button(description="Bring them back", icon="undo",
                                         tooltip="Add them at the end of the chat: the next messages send them")
        self.forget = widgets.Button(description="Forget them", icon="times",
                                     tooltip="Leave them out of this panel and of the saved view")
        self.bring_back.on_click(lambda _: bring_back())
        self.forget.on_click(lambda _: forget())
        buttons = styled(widgets.HBox, "ygpt-kept-buttons", [self.bring_back, self.forget])
        self.widget = styled(widgets.VBox, "ygpt-kept", [self._block, buttons])
        self._holds: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def show(self, kept: Sequence[tuple[str, Sequence[Turn]]],
             exchange: Callable[[Turn, str], Exchange]) -> list[widgets.Widget]:
        """Show the turns ``kept`` of each chat (``exchange(turn, chat)`` draws one); the
        widgets to lay out under the chat's turns (none when nothing is kept)."""
        holds = tuple((name, tuple(map(id, turns))) for name, turns in kept)
        if holds != self._holds:
            self._holds = holds
            parts = [(kept_line(name, len(turns)), block([exchange(turn, name) for turn in turns]))
                     for name, turns in kept]
            self._block.outputs = _outputs({
                "text/html": "".join(inert.page(inert.quiet(line)) + page["text/html"] for line, page in parts),
                "text/plain": "\n\n".join(f"{line}\n\n{page['text/plain']}" for line, page in parts),
            }) if parts else ()
        return [self.widget] if kept else []
