"""Plain IPython in a terminal, as a user runs it: the real ``ipython`` in a pseudo-terminal,
talking to the local server over loopback, typed into line by line.

A terminal prints a display once and can never change it, so what it shows is what was printed:
the test reads the raw bytes, keeps when each piece arrived, and replays the line erasures to
get the screen a person reads.

The stories share one ``ipython`` (a start costs 2-3 CPU-s: IPython, the SDK, pandas), as a
user types one cell after another: each starts from :meth:`Terminal.fresh` (the extension
reloaded, every setting back to its default) and reads only what its own cells printed, up to
the next prompt, so no story's screen holds an earlier one's output.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import sys
import termios
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pexpect
import pexpect.fdpexpect
import pytest
from conftest import CREDENTIAL_ENV, TEST_FOLDER, TEST_KEY

import ygpt_magic
from ygpt_magic.render.stream import FAILED, INTERRUPTED, RETRIED
from ygpt_magic.render.terminal import ERASE_LINE, RETRYING, Typewriter

REPO = Path(ygpt_magic.__file__).resolve().parents[1]
FOOTER = re.compile(r"yandexgpt · [^\n]*? · \d+ → \d+ tokens · [^\n]*?₽ · \d+\.\d s")
NOTE = "{df}: DataFrame 200 × 5, sent as 20 rows"
WAITING = "⏳ waiting for yandexgpt…"
#: IPython's continuation prompt, as wide as the prompt of the cell typed ("In [9]: " or "In [10]: ")
CONTINUATION = re.compile(r" {3,}\.\.\.: ")
#: a shell's ygpt_magic as a new one's: the settings ``%config`` set forgotten (``%reload_ext``
#: keeps them), then the extension reloaded (no chat, usage or connection kept)
FRESH = ("get_ipython().config.pop('YGptMagics', None);", "%reload_ext ygpt_magic")


class Terminal:
    """``ipython`` in a pseudo-terminal: type a cell, read what it prints and when."""

    def __init__(self, child: pexpect.fdpexpect.fdspawn) -> None:
        self.child = child
        self.count = 1
        self.prompt()

    def prompt(self) -> None:
        self.child.expect_exact(f"In [{self.count}]: ")
        self.count += 1

    def run(self, *lines: str, interrupt_at: str | None = None,
            resize_at: tuple[str, int] | None = None) -> list[tuple[float, str]]:
        """Type a cell (a cell magic ends with blank lines, as a user ends it) and return every
        piece it printed with the seconds since Enter, up to the next prompt; press Ctrl-C once
        ``interrupt_at`` is printed; once ``resize_at``'s text is printed, tell the terminal's
        size is its columns, as ``stty cols N`` does (the window, and its wrapping, stay)."""
        ending = "\r\r\r" if lines[0].startswith("%%") else "\r"
        self.child.send("\r".join(lines) + ending)
        start, pieces, prompt = time.monotonic(), [], f"In [{self.count}]: "
        while not (printed := "".join(piece for _, piece in pieces)).endswith(prompt):
            if interrupt_at is not None and interrupt_at in printed:
                self.child.send("\x03")   # Ctrl-C: the terminal sends SIGINT to IPython
                interrupt_at = None
            if resize_at is not None and resize_at[0] in printed:
                self.resize(resize_at[1])
                resize_at = None
            piece = self.child.read_nonblocking(65536, timeout=30)
            pieces.append((time.monotonic() - start, piece))   # stamped as it came, not as the read began
        self.count += 1
        return pieces

    def resize(self, columns: int) -> None:
        """Tell the terminal's size is ``columns`` wide, as ``stty cols N`` does."""
        fcntl.ioctl(self.child.child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))

    def fresh(self, *settings: str) -> None:
        """Start a story as in a new ``ipython``: the extension reloaded (no chat, usage or
        connection of an earlier story; the connection from the environment again), every
        ``%config YGptMagics`` an earlier story set forgotten, then ``settings`` (``%config``
        lines) run."""
        for line in FRESH:
            self.run(line)
        for setting in settings:
            self.run(setting)


def screen(pieces: list[tuple[float, str]]) -> str:
    """What the terminal shows once the pieces are printed: each line erasure applied, without
    the continuation prompts of the cell typed (wider from the tenth cell of a session on)."""
    shown = ""
    for _, piece in pieces:
        for index, part in enumerate(piece.replace("\r\n", "\n").split(ERASE_LINE)):
            if index:
                shown = shown[: shown.rfind("\n") + 1]
            shown += part
    return CONTINUATION.sub("", shown)


def first(pieces: list[tuple[float, str]], text: str) -> float:
    """When ``text`` was first on screen (seconds since Enter)."""
    for index, (seconds, _) in enumerate(pieces):
        if text in "".join(piece for _, piece in pieces[: index + 1]):
            return seconds
    raise AssertionError(f"{text!r} never printed:\n{screen(pieces)}")


def user_env(server_address: str, ipython_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's ``ipython`` connected to the local server at ``server_address``."""
    env = {name: value for name, value in os.environ.items() if name not in CREDENTIAL_ENV}
    env.update(PYTHONPATH=str(REPO), IPYTHONDIR=str(ipython_dir), YC_API_KEY=TEST_KEY, YC_FOLDER_ID=TEST_FOLDER,
               YGPT_ENDPOINT=server_address, YGPT_INSECURE="1", **extra)
    return env


@contextmanager
def user_ipython(server_address: str, ipython_dir: Path) -> Iterator[Terminal]:
    """``ipython`` in a 200-column pseudo-terminal with the extension loaded, connected to the
    local server at ``server_address``; a DataFrame ``df`` of 200 rows and 5 columns in its namespace."""
    with loaded_ipython(user_env(server_address, ipython_dir)) as shell:
        shell.run("import pandas as pd; df = pd.DataFrame({c: range(200) for c in 'abcde'})")
        yield shell


@pytest.fixture
def terminal(ygpt_server, tmp_path) -> Iterator[Terminal]:
    """:func:`user_ipython` of a story's own (test_auth_stopped.py and test_stream_retry.py take it)."""
    with user_ipython(ygpt_server.address, tmp_path) as shell:
        yield shell


@pytest.fixture(scope="module")
def _module_terminal(_ygpt_server_session, tmp_path_factory) -> Iterator[Terminal]:
    """:func:`user_ipython` for the module's stories, connected to the session's local server
    (the one ``ygpt_server`` resets for each story): no story here is about IPython's start."""
    with user_ipython(_ygpt_server_session.address, tmp_path_factory.mktemp("ipython")) as shell:
        yield shell


@pytest.fixture
def typed(_module_terminal, ygpt_server) -> Terminal:
    """The module's ``ipython``, :meth:`~Terminal.fresh`, talking to the story's reset server."""
    _module_terminal.fresh()
    return _module_terminal


@contextmanager
def loaded_ipython(env: dict[str, str], columns: int = 200) -> Iterator[Terminal]:
    """``ipython`` (:func:`spawn_ipython`) with ``%load_ext ygpt_magic`` run; exited and reaped
    after, however the block ends."""
    child, pid = spawn_ipython(env, columns)
    try:
        shell = Terminal(child)
        shell.run("%load_ext ygpt_magic")
        yield shell
    finally:
        child.send("exit\r")
        child.expect(pexpect.EOF)
        os.waitpid(pid, 0)


def spawn_ipython(env: dict[str, str], columns: int = 200) -> tuple[pexpect.fdpexpect.fdspawn, int]:
    """``ipython`` on a new pseudo-terminal of 50 rows × ``columns``, its controlling terminal (so Ctrl-C is a
    SIGINT). Started with posix_spawn, not fork: this test process runs gRPC (the local server),
    and a fork runs gRPC's fork handlers in the child, which now and then died of them before
    IPython started (``epoll_wait: Bad file descriptor``)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    name = os.ttyname(slave)
    os.close(slave)
    pid = os.posix_spawn(sys.executable, [sys.executable, "-m", "IPython", "--no-banner", "--colors=nocolor",
                                          "--simple-prompt"], env,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 0, name, os.O_RDWR, 0),
                                       (os.POSIX_SPAWN_DUP2, 0, 1), (os.POSIX_SPAWN_DUP2, 0, 2)],
                         setsid=True)
    return pexpect.fdpexpect.fdspawn(master, encoding="utf-8", timeout=30), pid


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_a_slow_streamed_reply_appears_as_it_arrives_with_its_note_and_footer(typed, ygpt_server):
    ygpt_server.faults.latency(0.2)  # before every chunk: about 4 s for the whole reply
    ygpt_server.faults.first_chunk_latency(0.5)  # past loop.SLOW_AFTER: the waiting line shows
    pieces = typed.run("%%ygpt", "Summarise {df}")
    shown = screen(pieces)
    lines = shown.split("\n")
    reply = lines[lines.index(NOTE) + 2]
    assert first(pieces, NOTE) <= first(pieces, WAITING) < first(pieces, reply[:12])
    assert WAITING not in shown  # erased when the text came
    assert first(pieces, reply[:12]) + 1.0 < first(pieces, "tokens ·")  # the text came as it was written
    footer = next(line for line in lines if FOOTER.fullmatch(line))
    assert lines.index(footer) > lines.index(reply) and "\\n" not in shown


@pytest.mark.slow
def test_dry_run_prints_each_message_as_its_own_lines(typed, ygpt_server):
    shown = screen(typed.run("%%ygpt --dry-run", "Summarise {df}", "in two lines"))
    assert NOTE in shown and "Nothing was sent." in shown
    assert "user:\n    Summarise DataFrame: 200 rows × 5 columns\n" in shown
    assert "\n    | 199 | 199 | 199 | 199 | 199 | 199 |\n" in shown
    assert "    in two lines\n" in shown and "\\n" not in shown
    assert ygpt_server.requests == [] or all(r.method.startswith("Tokenize") for r in ygpt_server.requests)


@pytest.mark.slow
def test_a_tool_call_shows_its_arguments_and_result_above_the_reply(typed):
    typed.run("def get_sales(region: str) -> str:", "    return 'three sales, 240 units'", "")
    shown = screen(typed.run("%%ygpt --tools get_sales", "How did the north region do?"))
    call = shown.index('🔧 get_sales(region="north") →')
    assert shown.index('arguments:\n        {\n          "region": "north"\n        }', call) > call
    assert shown.index("result:\n        three sales, 240 units", call) > call
    assert shown.index("The north region had **3 sales**", call) > call
    assert FOOTER.search(shown[call:]) and "⏳" not in shown


@pytest.mark.slow
def test_a_tool_call_and_the_reply_under_it_are_a_blank_line_apart(typed):
    """The call is an output of its own: the reply's first line came right under the call's
    indented result, and read as more of it."""
    typed.run("def get_sales(region: str) -> str:", "    return 'three sales, 240 units'", "")
    shown = screen(typed.run("%%ygpt --tools get_sales --once", "How did the north region do?"))
    assert "        three sales, 240 units\n\nThe north region had" in shown, shown
    assert "\n\n\n" not in shown[shown.index("🔧"):], shown


@pytest.mark.slow
def test_ctrl_c_keeps_the_text_printed_so_far_and_marks_it_once(typed, ygpt_server):
    ygpt_server.faults.latency(0.2)
    shown = screen(typed.run("%%ygpt", "Summarise {df}", interrupt_at="Summarise DataFrame"))
    partial = shown[shown.index(NOTE) + len(NOTE):shown.index("⏹")].strip()
    assert partial.count("Summarise DataFrame") == 1 and not partial.endswith("unclear.")
    assert "⏹ interrupted — not added to the chat\n" in shown and shown.count("⏹") == 1


class Pressed:
    """A terminal's writes, with Ctrl-C pressed during the next one: Python handles the SIGINT
    when the write's system call returns, which is where a Ctrl-C lands most often."""

    def __init__(self) -> None:
        self.pieces: list[tuple[float, str]] = []
        self.armed = False

    def __call__(self, text: str) -> None:
        self.pieces.append((0.0, text))
        if self.armed:
            self.armed = False
            raise KeyboardInterrupt


def test_ctrl_c_as_a_write_returns_leaves_the_partial_reply_printed_once():
    writes = Pressed()
    typewriter = Typewriter(writes, erasable=True)
    typewriter.show(f"{NOTE}\n\nGood question about")
    writes.armed = True
    with pytest.raises(KeyboardInterrupt):
        typewriter.show(f"{NOTE}\n\nGood question about “Summarise")
    typewriter.show(f"Good question about “Summarise\n\n{INTERRUPTED}")   # notes dropped, text kept
    assert screen(writes.pieces) == f"{NOTE}\n\nGood question about “Summarise\n\n{INTERRUPTED}"


def test_a_partial_reply_that_grew_before_it_was_printed_is_finished_not_printed_again():
    writes = Pressed()
    typewriter = Typewriter(writes, erasable=True)
    typewriter.show(f"{NOTE}\n\nGood question\n\nabout")
    typewriter.show(f"Good question\n\nabout “Summarise\n\n{INTERRUPTED}")
    assert screen(writes.pieces) == f"{NOTE}\n\nGood question\n\nabout “Summarise\n\n{INTERRUPTED}"


@pytest.mark.slow
def test_code_and_json_formats_are_printed_once_in_their_final_form(typed):
    for flags in ("--format code", "--format json"):
        shown = screen(typed.run(f"%%ygpt {flags} --once", "Tell me about cats"))
        assert shown.count("Tell me about cats") == 2, shown  # the cell typed, and the reply once
        assert FOOTER.search(shown) and "⏳" not in shown


@pytest.mark.slow
def test_a_stream_retried_after_a_break_marks_the_abandoned_text_above_the_answer(typed, ygpt_server):
    """A terminal cannot take back the text of the attempt that broke off: a line says the text
    below replaces it, so two attempts (different ones, at a temperature above 0) never read as
    one reply."""
    ygpt_server.faults.latency(0.02)
    ygpt_server.faults.break_stream_after(8, "UNAVAILABLE")   # the client retries; the text starts over
    shown = screen(typed.run("%%ygpt --once", "Summarise {df}"))
    mark = shown.index(RETRIED)
    abandoned, answer = shown[:mark], shown[mark + len(RETRIED):]
    assert "Summarise DataFrame" in abandoned and not FOOTER.search(abandoned)
    assert answer.count("Summarise DataFrame") == 1 and FOOTER.search(answer)
    assert shown.count(RETRIED) == 1 and "⚠" not in shown
    assert f"{RETRIED}\n\nYou asked" in shown or f"{RETRIED}\n\n{NOTE}" in shown, "one blank line under the mark"


@pytest.mark.slow
def test_a_stream_that_broke_off_says_it_is_tried_again_while_the_retry_waits(typed, ygpt_server):
    """The text froze with no word while the retry waited (2.5 s here; 13.5 s when the server had
    died) and a user pressed Ctrl-C: as in Jupyter, a line under the text says the stream broke
    off and is tried again, erased when the new attempt's text or the error comes."""
    ygpt_server.faults.latency(0.02)
    ygpt_server.faults.break_stream_after(8, "UNAVAILABLE")
    pieces = typed.run("%%ygpt --once", "Summarise {df}")
    assert first(pieces, RETRYING) + 1.0 < first(pieces, RETRIED), "the line shows while the retry waits"
    shown = screen(pieces)
    assert RETRYING not in shown and shown.count(RETRIED) == 1 and FOOTER.search(shown), shown

    typed.run("%config YGptMagics.retries = 1")
    ygpt_server.faults.break_stream_after(8, "UNAVAILABLE")
    ygpt_server.faults.break_stream_after(0, "UNAVAILABLE")   # the retry fails before any text: the error
    shown = screen(typed.run("%%ygpt --once", "Summarise {df}"))
    assert RETRYING not in shown and shown.count(FAILED) == 1, shown
    assert shown.count(NOTE) == 1 and shown.count("Summarise DataFrame") == 1, "the text is not printed again"


#: a stderr that presses Ctrl-C (a real SIGINT to IPython) as the first --map bar is written to
#: it: where Python handles it, as the write returns, the bar is on screen and not yet closed; it
#: presses once and puts the real stderr back
PRESS_AS_THE_BAR_DRAWS = (
    "import os, signal, sys\n"
    "class PressingStderr:\n"
    "    def __init__(self, stream): self.stream, self.armed = stream, True\n"
    "    def write(self, text):\n"
    "        written = self.stream.write(text)\n"
    "        if self.armed and '--map' in text:\n"
    "            self.armed, sys.stderr = False, self.stream\n"   # then the real one, for the next story
    "            os.kill(os.getpid(), signal.SIGINT)\n"
    "        return written\n"
    "    def __getattr__(self, name): return getattr(self.stream, name)\n"
    "sys.stderr = PressingStderr(sys.stderr)\n")


@pytest.mark.slow
def test_ctrl_c_as_a_map_bar_first_draws_leaves_no_half_bar_under_the_stop(typed, ygpt_server):
    """The stop's line was printed on the bar's row, after it: '--map 3 rows:   0%|…| 0/3
    [00:00<?, ?row/s]StoppedBeforeSending: Stopped before any row was sent: …'."""
    typed.run(f"exec({PRESS_AS_THE_BAR_DRAWS!r})")
    typed.run("words = ['a', 'b', 'c']")
    shown = screen(typed.run("%%ygpt --map words --out answers", "Say {item}"))
    assert "\nStoppedBeforeSending: Stopped before any row was sent: Ctrl-C came while the progress bar was being " \
           "set up." in shown, shown
    assert "--map 3 rows" not in shown, shown
    assert not [r for r in ygpt_server.requests if r.method == "Completion"]
