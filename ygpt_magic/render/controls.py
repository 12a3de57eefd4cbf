"""The terminal's twin of inert.py: text this package did not write is shown, never obeyed.

A terminal acts on the control characters in what it prints: ``ESC [2J`` clears the screen,
``ESC ]0;…BEL`` sets the window title, ``ESC ]52`` writes the clipboard on terminals that honour
it, and a lone carriage return lets a line overprint itself. A reply, a tool result, a value in
``--dry-run`` or ``%ygpt history`` and a server's words in an error can all be written by someone
else, so every plain form this package prints (the Typewriter, every display's ``text/plain``,
every error's message) passes :func:`visible` first.

Newline and tab stay; every other C0 control, DEL and every C1 control is replaced by a picture
of itself: U+2400's Control Pictures for C0 (``ESC`` → ``␛``, CR → ``␍``), ``␡`` for DEL, and
a C1 control by ``␛`` and the character it stands for (CSI, U+009B, is ``ESC [`` → ``␛[``). The
mapping is one character for one, so a prefix of a text maps to a prefix of its mapping: the
Typewriter's "print only what is new" still holds. Our own escapes (erasing the waiting line)
are added after this step, so they stay ours.
"""

from __future__ import annotations

_KEPT = {ord("\n"), ord("\t")}
_PICTURES: dict[int, str] = {
    **{code: chr(0x2400 + code) for code in range(0x20) if code not in _KEPT},
    0x7F: "\u2421",
    **{code: "\u241b" + chr(code - 0x40) for code in range(0x80, 0xA0)},
}


def visible(text: str) -> str:
    """``text`` with every control character but newline and tab shown as a picture of itself."""
    return text.translate(_PICTURES)
