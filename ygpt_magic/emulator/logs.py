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

aiohttp writes through this logger too (http/app.py), and a request it cannot read (a bad
header, a chunk size that is no number) is one line like the others: its words after aiohttp's
"Error handling request from HOST", without the traceback aiohttp attaches, which told the
server's terminal nothing of ours, about ten lines for each such request any client may send.
A traceback of anything else (a bug of ours in a handler) is kept.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

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
    """Formats a record's message with its arguments (and a request aiohttp could not read, in
    place of its traceback), then makes it :func:`one_line`."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):   # the client's request, not our code
            text, record.exc_info, record.exc_text = f"{text}: {_refusal(error)}", None, None
        record.msg, record.args = one_line(text), None
        return True


def _refusal(error: HttpProcessingError) -> str:
    """aiohttp's refusal of a request on one line: its status and words, without the line of
    carets that points into the request's bytes."""
    words = [line.strip() for line in error.message.splitlines() if line.strip(" ^")]
    return " ".join([str(error.code), *words])


logger = logging.getLogger("ygpt_magic.emulator")
logger.addFilter(_OneLine())
