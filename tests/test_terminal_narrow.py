"""Plain IPython in a narrow terminal (a split editor pane): a line meant to be replaced (a retry's
"trying again", a tool's "running") is erased over every row it wrapped onto, counted in display
columns, so none is left on screen above what replaced it.

The real ``ipython`` runs in a pseudo-terminal 60 columns wide; :class:`Rows` replays what it
printed the way a terminal lays it out (a line wraps at the edge, a CJK character takes two
columns and starts the next row when one is left) to give the rows a person reads.

The stories of one width share its ``ipython`` (a start costs 2-3 CPU-s), each from
:meth:`~test_terminal.Terminal.fresh` at the width it started with: one pane 60 columns wide,
one 76 for the tables. The width is the one the pane started with, and COLUMNS says 80.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import cell
from test_terminal import Terminal, loaded_ipython, user_env
from wcwidth import iter_graphemes, wcswidth

from ygpt_magic.render.terminal import Typewriter

COLUMNS = 60
#: the escapes a terminal is sent here: erase the row, go up a row, and IPython's own
_ESCAPE = re.compile(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)")
TOKYO = "東京都新宿区西新宿二丁目八番一号"


class Rows:
    """The rows of a terminal ``columns`` wide after the text it was sent: what a person reads."""

    def __init__(self, columns: int = COLUMNS) -> None:
        self.columns = columns
        self.rows: list[list[str]] = [[]]
        self.wrapped: set[int] = set()   # the rows that go on with the row above (a line wrapped there)
        self.row = 0
        self.column = 0

    def feed(self, text: str) -> Rows:
        for part in _ESCAPE.split(text):
            if part == "\r":
                self.column = 0
            elif part == "\n":
                self._next_row(wrapped=False)
            elif part == "\x1b[2K":
                self.rows[self.row] = []
            elif part == "\x1b[A":
                self.row = max(0, self.row - 1)
            elif not part.startswith("\x1b"):   # IPython's own modes (bracketed paste) change no row
                for char in iter_graphemes(part):   # a ZWJ emoji or a flag is one glyph, 2 columns
                    self._put(char)
        return self

    def _put(self, char: str) -> None:
        width = max(wcswidth(char), 0)
        if self.column + width > self.columns:   # the edge: on to the next row
            self._next_row(wrapped=True)
        cells = self.rows[self.row]
        cells.extend(" " * (self.column - len(cells)))
        cells[self.column:self.column + width] = [char] + [""] * (width - 1)
        self.column += width

    def _next_row(self, wrapped: bool) -> None:
        self.row, self.column = self.row + 1, 0
        if self.row == len(self.rows):
            self.rows.append([])
        (self.wrapped.add if wrapped else self.wrapped.discard)(self.row)

    def text(self) -> str:
        """What is on screen as lines (a wrapped line's rows joined), without the empty rows at
        the bottom (erased, or never written)."""
        lines: list[str] = []
        for index, cells in enumerate(self.rows):
            if index in self.wrapped:
                lines[-1] += "".join(cells)
            else:
                lines.append("".join(cells))
        return "\n".join(line.rstrip() for line in lines).rstrip("\n")


#: the setting of every story in a pane: retrying after 0.1 s (not 1 s)
QUICK_RETRY = "%config YGptMagics.retry_backoff = 0.1"


@contextmanager
def _split_pane(server_address: str, ipython_dir: Path, columns: int) -> Iterator[Terminal]:
    """``ipython`` in a pseudo-terminal ``columns`` wide, the extension loaded, connected to the
    local server. The environment says COLUMNS=80, as one exported before the pane was split
    says (pytest-xdist's workers export it too): the terminal's own width is the one that wraps."""
    with loaded_ipython(user_env(server_address, ipython_dir, COLUMNS="80", LINES="24"), columns=columns) as shell:
        yield shell


def _story_in(pane: Terminal, columns: int) -> Terminal:
    """``pane`` as a story starts in it: ``columns`` wide again (a story may have shrunk it),
    :meth:`~test_terminal.Terminal.fresh`, retrying after 0.1 s."""
    pane.resize(columns)
    pane.fresh(QUICK_RETRY)
    return pane


def _pane(name: str, columns: int) -> tuple[object, object]:
    """The fixture ``name``: the module's :func:`_split_pane` ``columns`` wide, started once (the
    fixture ``_name``), as each story starts in it (:func:`_story_in`)."""
    @pytest.fixture(scope="module", name=f"_{name}")
    def started(_ygpt_server_session, tmp_path_factory) -> Iterator[Terminal]:
        with _split_pane(_ygpt_server_session.address, tmp_path_factory.mktemp("ipython"), columns) as shell:
            yield shell

    @pytest.fixture(name=name)
    def as_a_story_starts(request, ygpt_server) -> Terminal:
        return _story_in(request.getfixturevalue(f"_{name}"), columns)
    return started, as_a_story_starts


_narrow_started, narrow = _pane("narrow", COLUMNS)


def _cell(flags: str, prompt: str) -> str:
    """A `%%ygpt` cell typed as one line, so its output starts a row of its own: the lines of a
    cell typed ahead are echoed before IPython's continuation prompts, which then share the
    output's first row."""
    return f"get_ipython().run_cell_magic('ygpt', {flags!r}, {prompt!r})"


def _printed(pieces: list[tuple[float, str]]) -> str:
    return Rows().feed(_printed_raw(pieces)).text()


def _printed_raw(pieces: list[tuple[float, str]]) -> str:
    return "".join(piece for _, piece in pieces)


@pytest.mark.slow
def test_the_trying_again_lines_of_a_narrow_terminal_are_erased_before_the_reply(narrow, ygpt_server):
    """Each '↻ the server is unavailable (UNAVAILABLE); trying again in 0.1 s…' is 64 columns:
    two rows at 60, of which only the second was erased, once it was erased at all."""
    ygpt_server.faults.fail_next(2, "UNAVAILABLE")
    shown = _printed(narrow.run(_cell("--once", "Tell me about cats")))
    assert "↻ the server is" not in shown and "trying again" not in shown, shown
    assert "↻ the server was unavailable (UNAVAILABLE); the request was retried 2 times\n" in shown, shown


@pytest.mark.slow
def test_a_trying_again_line_is_erased_without_the_row_above_when_stty_shrinks_the_terminal(narrow, ygpt_server):
    """``stty cols 30`` while the line waits: the terminal still wraps at 60, where the 64-column
    line took 2 rows, but counted at 30 it took 3, and the erase took the cell's own last row
    with it. A line is erased over the fewer of its rows then and now: a row too few leaves a
    stray row, a row too many erases the user's."""
    narrow.run("%config YGptMagics.retry_backoff = 1.0")
    ygpt_server.faults.fail_next(1, "UNAVAILABLE")
    typed = _cell("--once", "Tell me about cats")
    shown = _printed(narrow.run(typed, resize_at=("trying again", 30)))
    assert shown.startswith(f"{typed}\nYou asked about “Tell me about cats”"), shown
    assert "trying again" not in shown, shown


@pytest.mark.slow
def test_a_running_tool_line_with_japanese_arguments_is_erased_whole(narrow):
    """``⏳ running get_weather(city="… 東京都…")…`` is 58 characters but 74 columns: the check by
    characters left its first row, cut in half, above the finished call."""
    narrow.run("def get_weather(city: str) -> str:", "    return 'sunny'", "")
    shown = _printed(narrow.run(_cell("--tools get_weather --once", f"get_weather {TOKYO}")))
    assert "⏳" not in shown and "running" not in shown, shown
    assert shown.count("🔧 get_weather") == 1 and "sunny" in shown, shown


def test_a_line_wider_than_the_terminal_in_display_columns_is_erased_over_every_row(monkeypatch):
    """The Typewriter alone, on a stdout with no terminal behind it, whose width is then COLUMNS."""
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    monkeypatch.setenv("LINES", "24")
    printed: list[str] = []
    typewriter = Typewriter(printed.append, erasable=True)
    for line in (f"⏳ running get_weather(city=\"{TOKYO * 3}\")…", "↻ the server is busy; trying again in 0.1 s…"):
        typewriter.show(f"note\n\n{line}")
    typewriter.show("note\n\nthe reply")
    assert Rows().feed("".join(printed)).text() == "note\n\nthe reply"


def test_a_line_of_emoji_sequences_is_erased_without_the_row_above_it(monkeypatch):
    """A family emoji (three people joined by ZWJ) is one glyph of 2 columns: counted per code
    point (6), the 67-column line took 3 rows, and its erase went on to the reply's row above."""
    glyph = "👨\u200d👩\u200d👧"
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    monkeypatch.setenv("LINES", "24")
    printed: list[str] = []
    typewriter = Typewriter(printed.append, erasable=True)
    typewriter.show(f"the reply so far\n⏳ running react(emoji=\"{glyph * 20}\")…")
    typewriter.show("the reply so far\nand the rest")
    assert Rows().feed("".join(printed)).text() == "the reply so far\nand the rest"


#: a pane a little narrower than the 80 columns exported before it was split: each table below
#: can be made to fit it (a column wraps to no fewer than 20), and is wider than it unwrapped
SPLIT = 76


_split_started, split = _pane("split", SPLIT)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["%ygpt models", "%ygpt chats", "%ygpt usage"])
def test_a_table_fits_the_terminals_own_width_not_an_exported_columns(split, command):
    """A table's plain form was as wide as COLUMNS said (80), so in the pane the terminal wrapped
    each long row, pushing its last column under its first. A line of prose under a table
    (usage's note on prices) wraps as prose does."""
    split.run(_cell("--chat customer-support-notes --system 'You answer in short plain sentences, a few at "
                    "most, and never more'", "Tell me about cats"))
    shown = Rows(SPLIT).feed("".join(piece for _, piece in split.run(command))).text()
    table = [line for line in shown.splitlines() if "  " in line.strip()]   # cells are two spaces apart
    assert table and max(len(line) for line in table) > SPLIT - 10, shown   # a table, wrapped to fit
    assert [line for line in table if len(line) > SPLIT] == [], shown


def test_a_table_in_a_notebook_is_as_wide_as_its_cells_whatever_columns_says(shell, monkeypatch):
    """No terminal (a kernel): the plain form is a copy beside the HTML, never wrapped to a width."""
    monkeypatch.setenv("COLUMNS", "40")
    plain = cell(shell, "%ygpt models").plain
    assert "YandexGPT Pro, release candidate" in plain and max(len(line) for line in plain.splitlines()) > 60, plain


@pytest.mark.slow
def test_a_table_too_wide_for_the_terminal_never_widens_a_column(narrow):
    """%ygpt usage's tables are 61 columns, one too many for 60: the column to wrap, `completion`
    (10 wide, the widest), was set to the 20 a wrapped column keeps at least, so the table grew
    to 71 columns with a gap of twelve spaces in every row."""
    narrow.run(_cell("--chat notes", "Tell me about cats"))
    shown = Rows().feed("".join(piece for _, piece in narrow.run("%ygpt usage"))).text()
    assert shown.count("completion  reasoning") == 2, shown


@pytest.mark.slow
def test_help_of_a_subcommand_fits_a_narrow_terminal_and_a_notebook_keeps_it_as_written(narrow, shell):
    """`%ygpt help config` printed its docstring as written, lines of up to 94 columns, which a
    60-column pane wrapped again mid-word; its arguments followed the stale COLUMNS=80. Every
    line now fits the pane, with the same words; a notebook's help is as before."""
    rows = Rows().feed(_printed_raw(narrow.run("%ygpt help config")))
    shown = rows.text().splitlines()[1:-1]   # the typed line and the next prompt aside
    assert not rows.wrapped and max(map(len, shown)) <= COLUMNS, "\n".join(shown)
    notebook = cell(shell, "%ygpt help config").plain
    assert " ".join(notebook.split()) == " ".join(" ".join(shown).split())
    assert any(len(line) > COLUMNS for line in notebook.splitlines()), "the notebook's help as written"


@pytest.mark.slow
def test_a_url_in_a_table_of_a_narrow_terminal_stays_whole_to_be_copied(narrow, ygpt_server):
    """`%ygpt config` in 50 columns wrapped its value column mid-word, so the chat API's URL read
    `http://127.0.0.1:351` / `71/v1/` and could not be copied: a word longer than its column
    overflows it on a line of its own instead (the terminal wraps it as one line)."""
    narrow.run(f"%ygpt connect {ygpt_server.address} --insecure --http {ygpt_server.http_url}")
    narrow.resize(50)
    shown = Rows(50).feed("".join(piece for _, piece in narrow.run("%ygpt config"))).text()
    api = next(line for line in shown.splitlines() if line.startswith("chat API"))
    assert re.fullmatch(r"chat API +" + re.escape(ygpt_server.http_url) + r"\S* *", api), shown
