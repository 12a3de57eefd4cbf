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
    """What a reply read from a file sends: ``reply`` itself when it holds nothing a key's shape
    could be (most replies: the shapes' openings settle it), else a :class:`FileText`."""
    masked = mask_all(reply)
    sighting = sighted(reply)
    if masked == reply and sighting is None:
        return reply
    found = sighting.named() if sighting is not None else "the start of a Yandex key"
    return FileText(masked, reply, found)


def withheld(turns: Sequence[Turn], first: int) -> tuple[tuple[int, str], ...]:
    """(turn number, what was masked) for each of ``turns`` that sends a masked reply; the turns
    are numbered from ``first``, as %ygpt history and the trim note number them."""
    texts = ((number, turn.messages()[-1].get("text")) for number, turn in enumerate(turns, first))
    return tuple((number, text.found) for number, text in texts if isinstance(text, FileText))


def note(chat: str, masked: Sequence[tuple[int, str]]) -> list[str]:
    """The line above a reply whose request carried replies read from a file, masked."""
    if not masked:
        return []
    turns = numbered("Turn", [number for number, _ in masked])
    found = "; ".join(dict.fromkeys(what for _, what in masked))
    one = len(masked) == 1
    return [f"🔒 {turns} of chat '{chat}' {'was' if one else 'were'} read from a chat file, and "
            f"{'its reply holds' if one else 'their replies hold'} what looks like {found}: sent as {MASK}, as a "
            f"key read from a file always is (the chat keeps the text; if the key is real, rotate it)."]
