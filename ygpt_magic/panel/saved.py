"""The panel as a notebook stores it: the chat's transcript as inert HTML, with how to reopen it.

The widget dies with its kernel (see saving.py), so beside it the panel displays this view and
keeps it up to date as turns are recorded (:class:`SavedViews`). While the widget is alive, the
panel's CSS hides this view in the same output area; reopened without a kernel, it is what the
reader sees. It is built from the bundles the bubbles show (render/inert.py), not drawn again.
Turns asked in the panel that the kernel's chat does not hold, kept from an earlier kernel's
view (panel/carried.py), follow the chat's, under a line that says so; the turns themselves go
with the view as data too, in its metadata (carried.record), for the next kernel to read back.

The view is a fixed set of outputs in the panel's cell, so that a new turn sends what changed,
not the whole transcript again (at 800 turns, 570 KB after every turn): the head (the reopen
line with its turn count, the system message), the chat's turns in the blocks panel/blocks.py
cuts them into, and the turns kept. Each carries its own turns as data; ``carried.stored`` joins
them in order. A part with nothing to show is an empty output marked ``LIVE_ONLY``, so the saved
file leaves it out (saving.py) and the page hides it while the panel's CSS is there.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..chat import Chat, ChatSession, Turn
from ..client.credentials import masked_in
from ..render import inert
from ..saving import LIVE_ONLY
from ..words import counted
from .blocks import spans
from .carried import kept_line, record
from .shown import Exchange

#: the class the panel's CSS hides while a live panel is in the same output area
CSS_CLASS = "ygpt-saved"
#: one output of the view: its bundle and its metadata
Part = tuple[dict[str, str], dict[str, Any]]
#: a part with nothing to show (a block of no turns, no turns kept)
EMPTY: Part = ({"text/html": inert.marked(CSS_CLASS, ""), "text/plain": ""}, LIVE_ONLY)


@dataclass(frozen=True)
class View:
    """What a panel's saved view shows: chat ``chat`` of session ``session``, its turns as the
    panel shows them (``exchanges``) and as data (``turns``), and the turns kept of each chat
    (name, as shown, as data); ``command`` reopens it; ``secrets()`` are masked in its data."""

    session: str
    chat: str
    system: str
    command: str
    exchanges: Sequence[Exchange]
    turns: Sequence[Turn]
    kept: Sequence[tuple[str, Sequence[Exchange], Sequence[Turn]]]
    secrets: Callable[[], Sequence[Any]]


def view_of(session: ChatSession, name: str, follows_current: bool, exchanges: Sequence[Exchange],
            kept: Sequence[tuple[str, Sequence[Turn]]], exchange: Callable[[Turn, Chat], Exchange],
            secrets: Callable[[], Sequence[Any]]) -> View:
    """The saved view of chat ``name`` of ``session``, as a panel following the current chat
    (``follows_current``) or that one shows it: the chat's turns as shown (``exchanges``), then
    the turns ``kept`` of each chat (panel/carried.py), each as ``exchange(turn, chat)`` shows it."""
    # quoted as the magic's line is split (shlex), so a name with a space reopens this chat
    command = "%ygpt panel" if follows_current else f"%ygpt panel --chat {shlex.quote(name)}"
    chat = session.chats[name]
    shown = [(held, [exchange(turn, session.chats.get(held) or Chat(held)) for turn in turns], turns)
             for held, turns in kept]
    return View(session.id, name, chat.system or "", command, exchanges, chat.turns, shown, secrets)


def reopen_line(chat: str, turns: int, command: str) -> str:
    return (f"Saved view of chat '{chat}' ({counted(turns, 'turn')}); the live panel needs a "
            f"running kernel. Run {command} to open it again.")


def sources(view: View) -> list[tuple[Any, Callable[[int], Part]]]:
    """Each part of the view: what it is made from (equal sources make the same part) and how
    to make it, given its place among the outputs."""
    line = reopen_line(view.chat, len(view.exchanges), view.command)
    made: list[tuple[Any, Callable[[int], Part]]] = [((line, view.system), lambda _: _head(line, view.system))]
    for start, end in spans(len(view.exchanges)):
        shown, turns = tuple(view.exchanges[start:end]), tuple(view.turns[start:end])
        made.append(((view.chat, shown, turns), partial(_turns, view, shown, turns)))
    kept = tuple((name, tuple(shown), tuple(turns)) for name, shown, turns in view.kept)
    made.append((kept, partial(_kept, view, kept)))
    return made


def whole(view: View) -> list[tuple[Any, Callable[[int], Part]]]:
    """The view as one part, for a run that draws no page and saves its notebook itself
    (saving.headless): what :func:`sources` makes, the parts with nothing to show left out, in
    one output carrying all their turns. No page is sent it, so none pays for it whole."""
    made = sources(view)
    parts = [make for _, make in made]
    return [(tuple(source for source, _ in made), lambda _: _joined(view, [make(i) for i, make in enumerate(parts)]))]


def _joined(view: View, parts: Sequence[Part]) -> Part:
    shown = [part[0] for part in parts if part is not EMPTY]
    chats: dict[str, list[Turn]] = {view.chat: list(view.turns)}
    kept = _kept_turns(view.kept)
    for name, turns in kept.items():
        chats[name] = [*chats.get(name, ()), *turns]
    metadata = record(view.session, chats, {name: len(turns) for name, turns in kept.items()}, _hide(view))
    return {"text/html": "".join(bundle["text/html"] for bundle in shown),
            "text/plain": "\n\n".join(bundle["text/plain"] for bundle in shown)}, metadata


def _head(line: str, system: str) -> Part:
    """The reopen line and the system message."""
    said = [line, *([f"system · {system}"] if system else [])]
    return _bundle([inert.quiet(line), *(inert.text(text) for text in said[1:])], said), {}


def _turns(view: View, shown: Sequence[Exchange], turns: Sequence[Turn], part: int) -> Part:
    """A block of the chat's turns: each exchange as prompt and reply, the turns as data."""
    if not shown:
        return EMPTY
    blocks: list[str] = []
    plain: list[str] = []
    _add(blocks, plain, shown)
    return _bundle(blocks, plain), record(view.session, {view.chat: turns}, {}, _hide(view), part)


def _kept(view: View, kept: Sequence[tuple[str, Sequence[Exchange], Sequence[Turn]]], part: int) -> Part:
    """For each chat turns were kept of, the line about them and those turns; as data too."""
    if not kept:
        return EMPTY
    blocks: list[str] = []
    plain: list[str] = []
    for name, shown, _ in kept:
        blocks.append(inert.quiet(kept_line(name, len(shown))))
        plain.append(kept_line(name, len(shown)))
        _add(blocks, plain, shown)
    chats = _kept_turns(kept)
    counts = {name: len(turns) for name, turns in chats.items()}
    return _bundle(blocks, plain), record(view.session, chats, counts, _hide(view), part)


def _kept_turns(kept: Sequence[tuple[str, Sequence[Exchange], Sequence[Turn]]]) -> dict[str, list[Turn]]:
    """The turns kept, by chat, in order."""
    chats: dict[str, list[Turn]] = {}
    for name, _, turns in kept:
        chats[name] = [*chats.get(name, ()), *turns]
    return chats


def _hide(view: View) -> Callable[[str], str]:
    """Credentials masked as %ygpt save masks them."""
    secrets = view.secrets()
    return lambda text: masked_in(text, secrets)


def _bundle(blocks: Sequence[str], plain: Sequence[str]) -> dict[str, str]:
    return {"text/html": inert.marked(CSS_CLASS, inert.page(*blocks)), "text/plain": "\n\n".join(plain)}


def _add(blocks: list[str], plain: list[str], exchanges: Sequence[Exchange]) -> None:
    """Each exchange as "You", the prompt, "YandexGPT", the reply."""
    for prompt, reply in exchanges:
        blocks += [inert.bold("You"), prompt.get("text/html", ""), inert.bold("YandexGPT"),
                   reply.get("text/html", "")]
        plain += [f"You: {prompt.get('text/plain', '')}", reply.get("text/plain", "")]


class SavedViews:
    """The saved views a panel displayed beside its widget, one set of outputs per display,
    kept up to date part by part."""

    def __init__(self, made_of: Callable[[View], list[tuple[Any, Callable[[int], Part]]]] = sources) -> None:
        self._made_of = made_of   # the view's parts: :func:`sources`, or :func:`whole`
        self._handles: list[list[Any]] = []   # for each display, one handle per part
        self._made: list[tuple[Any, Part]] = []   # each part's source and the part made from it
        self._sent: list[Part] = []   # what the displays show

    def parts(self, view: View) -> list[Part]:
        """The parts of ``view``, each made again only if its source changed."""
        made = []
        for index, (source, make) in enumerate(self._made_of(view)):
            was = self._made[index] if index < len(self._made) else None
            made.append(was if was is not None and was[0] == source else (source, make(index)))
        self._made = made
        return [part for _, part in made]

    def display(self, view: View) -> None:
        """Display one more (in the panel's cell: the outputs a saved notebook keeps)."""
        from IPython.display import display

        self.update(view)
        self._sent = self.parts(view)
        self._handles.append([display(bundle, raw=True, display_id=True, metadata=metadata)
                              for bundle, metadata in self._sent])

    def update(self, view: View) -> None:
        """Show ``view`` in every view displayed: each part that shows something else."""
        if not self._handles:
            return
        parts = self.parts(view)
        for index, (bundle, metadata) in enumerate(parts):
            if parts[index] is not self._sent[index]:
                for handles in self._handles:
                    handles[index].update(bundle, raw=True, metadata=metadata)
        self._sent = parts
