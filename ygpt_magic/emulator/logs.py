"""The local server's log: one line per event, and what a client sent is shown, never obeyed.

``ygpt-magic serve`` logs each request to the terminal it runs in, and those lines carry what
the client chose: a model URI, a URL path, a proxy's CONNECT target. Any client that reaches the
port can send them, without a key (a web page's cross-origin ``text/plain`` POST is enough), so
written raw, ``ESC ]0;…BEL`` would set the window title, ``ESC [2J`` clear the screen and a
newline start a forged log line. Every record of the server's logger therefore passes
:func:`one_line` once its arguments are in: each control character, newline and tab included,
is shown as a picture of itself, as render/controls.py shows them in what the kernel prints (the
emulator imports nothing of the magic side, and a log line keeps no newline, so the table is its
own). The rule sits on the logger, so a line added later is held to it without a word at its
call site.
"""

from __future__ import annotations

import logging

#: every C0 control (newline and tab too), DEL and every C1 control, as a picture of itself
_PICTURES: dict[int, str] = {
    **{code: chr(0x2400 + code) for code in range(0x20)},
    0x7F: "\u2421",
    **{code: "\u241b" + chr(code - 0x40) for code in range(0x80, 0xA0)},
}


def one_line(text: str) -> str:
    """``text`` on one line, every control character in it shown as a picture (``ESC`` → ``␛``,
    newline → ``␊``), so a terminal prints it and obeys none of it."""
    return text.translate(_PICTURES)


class _OneLine(logging.Filter):
    """Formats a record's message with its arguments, then makes it :func:`one_line`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = one_line(record.getMessage()), None
        return True


logger = logging.getLogger("ygpt_magic.emulator")
logger.addFilter(_OneLine())
