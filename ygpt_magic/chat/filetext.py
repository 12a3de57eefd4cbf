"""Replies read from a chat file: what of them a request sends, and the note that says so.

The credential guard (client/guard.py) lets a key-shaped token in the model's own reply go back
with its chat: the server wrote it, so sending it back tells the server nothing new, and refusing
it would block every later cell of a chat whose model printed an example ``.env``. A reply read
from a chat file (``%ygpt load``) has no such warrant: anyone can write a file, and a colleague's
or an attacker's "assistant" turn may hold a real key, which our user's next cell would send.

So a turn read from a file (``Turn.from_file``: set by the loader, never by the file, which has
no field for it) sends its reply with every key-shaped token masked (keyshapes.mask_all, as
``***``), and the cell says so above the reply (:func:`note`). Masked rather than refused,
because a demanding user wants neither of the two failures: the honest chat (a model's example
key, saved and loaded the next day) goes on with no edit, and the key never leaves the kernel.
The masking sits in the turn's messages, above the reply cache, so ``--dry-run``, ``%ygpt
history`` and the cache's key all read what is sent, never the key.

The masked text is a :class:`FileText`: its type tells the guard the server did not write it, so
whatever the masking misses (a key wrapped onto several lines) is refused like a key in a
prompt, and it keeps the text as the file gave it, where the guard still looks for the kernel's
own credentials: those are refused everywhere, masked or not (guard.py says why).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..keyshapes import MASK, mask_all, sighted
from ..words import numbered

if TYPE_CHECKING:
    from .values import Turn


class FileText(str):
    """The text a reply read from a chat file sends (key shapes masked); ``original``: the text
    as the file gave it; ``found``: what the masking hid, as a note names it."""

    original: str
    found: str

    def __new__(cls, masked: str, original: str, found: str) -> FileText:
        text = super().__new__(cls, masked)
        text.original, text.found = original, found
        return text


def sent(reply: str) -> str:
    """What a reply read from a file sends: ``reply`` itself when the guard would find no key in
    it (most replies: one search for the shapes' openings settles it; text that only looks like
    part of a key goes out as it would from a cell), else a :class:`FileText`."""
    sighting = sighted(reply)
    if sighting is None:
        return reply
    return FileText(mask_all(reply), reply, sighting.named())


def withheld(turns: Sequence[Turn], first: int) -> tuple[tuple[int, str], ...]:
    """(turn number, what was masked) for each of ``turns`` that sends a masked reply; the turns
    are numbered from ``first``, as %ygpt history and the trim note number them."""
    texts = ((number, turn.messages()[-1].get("text")) for number, turn in enumerate(turns, first)
             if turn.from_file)
    return tuple((number, text.found) for number, text in texts if isinstance(text, FileText))


def note(chat: str, masked: Sequence[tuple[int, str]]) -> list[str]:
    """The line above a reply whose request carried replies read from a file, masked."""
    if not masked:
        return []
    return [f"🔒 {_held(chat, masked)}: sent as {MASK}, as a key read from a chat file always is "
            f"(the chat keeps the text; if the key is real, rotate it)."]


def loaded(chat: str, masked: Sequence[tuple[int, str]]) -> list[str]:
    """The line ``%ygpt load`` shows for a chat whose replies hold key shapes: told once where
    the file comes in, so the note above the next reply is no surprise."""
    if not masked:
        return []
    return [f"🔒 {_held(chat, masked)}: a key read from a chat file is never sent, so the chat's "
            f"requests carry it as {MASK} (if the key is real, rotate it)."]


def _held(chat: str, masked: Sequence[tuple[int, str]]) -> str:
    """``Turn 2 of chat 'main' holds in its reply what looks like …``."""
    turns = numbered("Turn", [number for number, _ in masked])
    found = "; ".join(dict.fromkeys(what for _, what in masked))
    one = len(masked) == 1
    return (f"{turns} of chat '{chat}' {'holds in its reply' if one else 'hold in their replies'} "
            f"what looks like {found}")
