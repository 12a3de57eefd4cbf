"""A reply in plain IPython in a terminal: printed as it arrives, since display updates cannot be.

In a terminal, IPython prints each display's ``text/plain`` once and can never change it, so
updating a display would print the whole text again each time (and an update that carries only
HTML prints nothing: a streamed reply stayed blank until its end). A :class:`Typewriter` takes the
place of the display handle instead: it is given each new plain form of the output and prints
only what changed at its end: the new text of a reply, the footer under it, a mark after it. A
line that is replaced (the waiting line) is erased and written anew, over every row it wrapped
onto at the terminal's width (then or now, whichever gives fewer); a form that cannot be
reached by erasing the last line starts a new block under the old one, so nothing is lost.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass

from .controls import visible

#: What the terminal understands as "erase the line the cursor is on and go to its start".
ERASE_LINE = "\r\033[2K"
#: "Go up a row and erase it": after ERASE_LINE, once for each further row a wrapped line took.
ERASE_ROW_ABOVE = "\033[A\033[2K"

#: The words of a stream that broke off and that the SDK retries, in one place for every view
#: (stream.py shows them): while the retry waits, under the text so far; in a terminal, under the
#: abandoned text (it cannot take back what it printed); in a display, above the new attempt's
#: text, which replaced the old; and by the final reply's footer.
BROKE_OFF = "↻ the stream broke off"
RETRYING = f"{BROKE_OFF}; trying again…"
RETRIED = f"{BROKE_OFF} and was retried: the text below replaces the text above"
REPLACED = f"{BROKE_OFF} and was retried: the text below replaces the partial text shown before"


#: what a status that is retried says of the server, by the name its wire gives it (the chat
#: API's HTTP code, gRPC's status name)
SERVER_WAS = {"429": "busy", "RESOURCE_EXHAUSTED": "busy", "503": "unavailable", "UNAVAILABLE": "unavailable"}


def retried(times: int) -> str:
    """What the final reply's footer line says of a stream retried ``times`` times."""
    return f"{BROKE_OFF} and was retried {_times(times)}"


def refused(status: str | None, wait: float | None) -> str:
    """The line while a retry waits with no text yet: nothing broke off, the server refused the
    request (``status``, as its wire names it) and it is tried again in ``wait`` seconds."""
    when = f" in {wait:.1f} s" if wait is not None else ""
    return f"↻ {_refusal(status, 'is')}; trying again{when}…"


def refused_retried(status: str | None, times: int) -> str:
    """What the final reply's footer line says of a request refused ``times`` times before any
    text came (the last refusal's ``status``) and then answered."""
    return f"↻ {_refusal(status, 'was')}; the request was retried {_times(times)}"


@dataclass
class Retries:
    """The retries of one reply, which its final footer tells: of a stream that ``broke`` off
    after some text, and of a request refused before any (``refusals``, the last with ``status``)."""

    broke: int = 0
    refusals: int = 0
    status: str | None = None

    def count(self, broke: bool, status: str | None) -> None:
        """One more retry: after some text (``broke``), or a refusal with ``status`` before any."""
        if broke:
            self.broke += 1
        else:
            self.refusals, self.status = self.refusals + 1, status

    def said(self) -> str:
        """The footer's line of them ("" for none)."""
        return "; ".join([*([refused_retried(self.status, self.refusals)] if self.refusals else []),
                          *([retried(self.broke)] if self.broke else [])])


def _refusal(status: str | None, tense: str) -> str:
    if status in SERVER_WAS:
        return f"the server {tense} {SERVER_WAS[status]} ({status})"
    return f"the server refused the request ({status})" if status else "the server refused the request"


def _times(times: int) -> str:
    return "once" if times == 1 else f"{times} times"


def active() -> bool:
    """True when the running shell is IPython's terminal one (``ipython`` in a terminal). Its
    module is imported only by that shell, so a kernel never pays for importing it here."""
    module = sys.modules.get("IPython.terminal.interactiveshell")
    if module is None:
        return False
    from IPython import get_ipython

    return isinstance(get_ipython(), module.TerminalInteractiveShell)


class Typewriter:
    """One output of a cell in a terminal: successive plain forms, printed as differences.

    It stands in for the display handle (``show`` for ``update``). The cursor stays at the end
    of the current form, so the next one can go on from there; :meth:`end` closes the output
    with a newline."""

    def __init__(self, write: Callable[[str], object] | None = None, erasable: bool | None = None) -> None:
        self._write = write or _stdout
        # erasing needs a terminal that understands it: piped into a file, or on a dumb terminal
        # (Emacs' shell, some CI consoles), the escape would only be noise
        self.erasable = _can_erase() if erasable is None else erasable
        self._form = ""  # the plain form on screen, from the start of this output
        self._open = False  # something of this output is on screen, with no newline after it
        self._ended = False  # an output of this cell was closed: the next one starts a blank line under it
        self._columns = 0  # the terminal's width when the screen was last written to (erasable only)

    def show(self, form: str) -> None:
        """Make the screen read ``form``, printing as little as possible. The form is taken as
        shown before it is written: a Ctrl-C lands most often as a write returns, and the
        interrupted form that follows must go on from what the screen shows, not print it again.
        Its control characters are shown, never obeyed (controls.py): a reply or a tool result
        does not clear the screen or set the window title."""
        form = visible(form)
        change = self._change(form)
        if form and not self._open and self._ended:   # a new output (a reply under its tool calls)
            change = "\n" + change
        self._form, self._open = form, bool(form)
        if self.erasable:
            self._columns = size().columns
        self._write(change)

    def abandon(self, line: str, replacing: str = "") -> None:
        """What is on screen is given up (a retried stream starts over): ``line`` under it says
        so, in place of ``replacing`` when that is the screen's last line, and the next form
        starts a new block under it, so two attempts never read as one."""
        if self._open:
            kept = self._form.removesuffix(f"\n\n{replacing}") if replacing else self._form
            self.show(f"{kept}\n\n{line}")
            self.end()

    def end(self) -> None:
        """The output is complete: IPython's prompt starts on a new line, and the next output of
        this cell (the reply under a tool call's) a blank line under it, as a note is above a reply."""
        was_open = self._open
        self._form, self._open = "", False
        if was_open:
            self._ended = True
            self._write("\n")

    def _change(self, form: str) -> str:
        """What to print to turn the current form into ``form``."""
        old = self._form
        if form.startswith(old):  # the usual case: more text, or the footer under it
            return form[len(old):]
        kept = _common_prefix(old, form)
        line_start = old.rfind("\n", 0, kept) + 1
        erase = _erasing(old[line_start:], self._columns) if self.erasable and "\n" not in old[kept:] else None
        if erase is not None:
            return erase + form[line_start:]
        overlap = _overlap(old, form)
        if overlap:
            return form[overlap:]
        return "\n\n" + form if form else "\n"


def _erasing(line: str, printed_at: int) -> str | None:
    """What erases ``line``, the last on screen with the cursor at its end, and leaves the cursor
    where it began: the row the cursor is on, then each row above that the line wrapped onto
    (None: it took more rows than the screen has, so its first ones are out of reach). Its rows
    are counted at the width it was printed at and at the width now, and the fewer taken: after
    ``stty cols`` (or a resize in a terminal that does not wrap its lines anew) the line keeps
    the rows it was printed on, in one that does it takes the rows of the width now, and a row
    too few leaves a stray row where a row too many would erase the user's."""
    now = size()
    rows = min(_rows(line, now.columns), _rows(line, printed_at or now.columns))
    return ERASE_LINE + ERASE_ROW_ABOVE * (rows - 1) if rows <= now.lines else None


def size() -> os.terminal_size:
    """The terminal's size now, as the terminal gives it: a COLUMNS exported at login (or by a
    test runner: pytest-xdist sets 80) stays as it was when the window is resized or the pane
    split. Where stdout is no terminal, or one that gives no size (0 × 0), shutil's answer
    (COLUMNS and LINES, else 80 × 24). The one width for all that is printed to fit a terminal:
    the lines a Typewriter erases, and the tables of %ygpt commands (commands/_common.py)."""
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # no file behind stdout, or not a terminal
        return shutil.get_terminal_size()
    return size if size.columns and size.lines else shutil.get_terminal_size()


def _rows(line: str, columns: int) -> int:
    """How many rows ``line`` takes on a terminal ``columns`` wide, by display width: a CJK
    character or an emoji takes two columns, and one that does not fit at the end of a row
    starts the next (``len`` counts characters, which left a wide line's first rows on screen).
    Measured per grapheme, as a terminal draws it: a family emoji or a flag is several code points
    but one glyph of 2 columns (counted per code point, the erase went on into the output above).
    What wcwidth cannot measure (a control character) counts 0: a row counted too few leaves a
    stray row, one too many erases the user's. A tab goes on to the next stop, never past the
    row's end. wcwidth is imported here, when a line is first erased, as words.columns does."""
    from wcwidth import iter_graphemes, wcswidth

    rows, column = 1, 0
    for glyph in iter_graphemes(line):
        if glyph == "\t":
            column = min(column - column % 8 + 8, columns)
            continue
        width = max(wcswidth(glyph), 0)
        if column + width > columns:
            rows, column = rows + 1, 0
        column += width
    return rows


def _can_erase() -> bool:
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _common_prefix(first: str, second: str) -> int:
    size = min(len(first), len(second))
    index = 0
    while index < size and first[index] == second[index]:
        index += 1
    return index


def _overlap(old: str, form: str) -> int:
    """How much of ``form``'s head the screen already ends with, from the start of one of the
    screen's blocks: a partial reply with its mark under it, when the notes above it are dropped
    (and the reply may have grown since it was last printed: only the rest is printed)."""
    starts = [0, *(index + 2 for index in range(len(old)) if old.startswith("\n\n", index))]
    for start in starts:
        tail = old[start:]
        if tail and form.startswith(tail):
            return len(tail)
    return 0
