"""`ygpt-magic demo` in a terminal, as a newcomer runs it: stopped with Ctrl-C, or given an empty
prompt, it says so in one line, never with a traceback.

The command runs on a pseudo-terminal of its own, as its controlling terminal, so Ctrl-C is the
terminal's SIGINT to its foreground group, as from a keyboard. The demo's kernels run in sessions
of their own (jupyter_client starts them so), with this terminal as their stdout and stderr: they
get a SIGINT from the demo's cleanup, which interrupts a kernel before it shuts it down.
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pexpect
import pexpect.fdpexpect
import pytest

import ygpt_magic

CLI = [sys.executable, "-m", "ygpt_magic.cli"]
REPO = Path(__file__).resolve().parents[1]


class Command:
    """A command on a pseudo-terminal: read what it prints, press Ctrl-C, wait for its exit."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        """``ygpt-magic ARGS`` started in the current folder, with ``env`` added to its environment."""
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
        name = os.ttyname(slave)
        os.close(slave)
        env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        # posix_spawn, not fork: a test process that runs gRPC must not fork (test_terminal.py)
        self.pid = os.posix_spawn(CLI[0], [*CLI, *args], env, setsid=True, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, name, os.O_RDWR, 0), (os.POSIX_SPAWN_DUP2, 0, 1), (os.POSIX_SPAWN_DUP2, 0, 2)])
        self.child = pexpect.fdpexpect.fdspawn(master, encoding="utf-8", timeout=90)

    def ctrl_c_once(self, printed: str) -> tuple[str, int]:
        """Press Ctrl-C once ``printed`` is on screen; everything printed, and the exit code."""
        self.child.expect_exact(printed)
        return self.ctrl_c()

    def ctrl_c(self) -> tuple[str, int]:
        """Press Ctrl-C now; everything printed since the last text waited for, and the exit code."""
        self.child.send("\x03")
        self.child.expect(pexpect.EOF)
        _, status = os.waitpid(self.pid, 0)
        return self.child.before, os.waitstatus_to_exitcode(status)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def _notebook(path: Path, *sources: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(notebook, path)


@pytest.mark.slow
def test_ctrl_c_while_the_demo_runs_its_notebooks_says_how_far_it_got(in_tmp):
    (in_tmp / "in").mkdir()
    _notebook(in_tmp / "in" / "a_quick.ipynb", "%load_ext ygpt_magic", "%%ygpt --once\nHello")
    _notebook(in_tmp / "in" / "b_slow.ipynb", "import time\ntime.sleep(60)")
    command = Command(["demo", "--notebooks", "in", "--out", "out"], )
    printed, code = command.ctrl_c_once("━━ a_quick ━━")
    assert "Traceback" not in printed and "Error" not in printed, printed[-1500:]
    assert printed.rstrip().endswith("Demo stopped (Ctrl-C) after 1 of 2 notebooks; the executed ones are in out.")
    assert code == 130 and (in_tmp / "out" / "a_quick.ipynb").exists()


#: a kernel that says it starts (on its stderr, and in $KERNEL_STARTS), then takes its time (as
#: importing ipykernel and zmq does on a loaded machine), so that a Ctrl-C lands in its start
_SLOW_KERNEL_START = """import os, sys, time
if "ipykernel_launcher" in sys.orig_argv:
    print("a kernel starts", file=sys.stderr, flush=True)
    with open(os.environ["KERNEL_STARTS"], "a") as starts:
        starts.write("a kernel starts\\n")
    time.sleep(3)
"""


@pytest.mark.slow
def test_ctrl_c_while_a_notebooks_kernel_starts_prints_no_traceback(in_tmp):
    """The demo's cleanup interrupts the kernel it started; one interrupted in its start printed a
    KeyboardInterrupt traceback (in ``import zmq``) on the terminal, above the demo's line. What a
    kernel prints itself is shown after its notebook's exchanges, and dropped with one stopped."""
    (in_tmp / "in").mkdir()
    (in_tmp / "site").mkdir()
    (in_tmp / "site" / "sitecustomize.py").write_text(_SLOW_KERNEL_START)
    _notebook(in_tmp / "in" / "a_quick.ipynb", "1 + 1")
    _notebook(in_tmp / "in" / "b_next.ipynb", "2 + 2")
    starts = in_tmp / "starts.txt"
    command = Command(["demo", "--notebooks", "in", "--out", "out"],
                      env={"PYTHONPATH": f"{in_tmp / 'site'}{os.pathsep}{REPO}", "KERNEL_STARTS": str(starts)})
    command.child.expect_exact("━━ a_quick ━━")
    _wait_until(lambda: len(starts.read_text().splitlines()) == 2)   # the second kernel is starting
    printed, code = command.ctrl_c()
    assert "Traceback" not in printed and "Error" not in printed, printed[-1500:]
    assert printed.count("a kernel starts") == 1 and "  kernel ▸ a kernel starts" in printed, printed
    assert printed.rstrip().endswith("Demo stopped (Ctrl-C) after 1 of 2 notebooks; the executed ones are in out.")
    assert code == 130


@pytest.mark.slow
def test_ctrl_c_while_a_notebooks_cell_runs_prints_no_traceback(in_tmp):
    """A kernel stopped under a running cell logged ipykernel's "Exception in message handler"
    (its sockets closed under the interrupted cell's reply) on the terminal."""
    (in_tmp / "in").mkdir()
    _notebook(in_tmp / "in" / "a_quick.ipynb", "1 + 1")
    _notebook(in_tmp / "in" / "b_slow.ipynb", "import pathlib, time\npathlib.Path('running').touch()\ntime.sleep(60)")
    command = Command(["demo", "--notebooks", "in", "--out", "out"])
    command.child.expect_exact("━━ a_quick ━━")
    _wait_until((in_tmp / "in" / "running").exists)
    printed, code = command.ctrl_c()
    assert "Traceback" not in printed and "Error" not in printed, printed[-1500:]
    assert printed.rstrip().endswith("Demo stopped (Ctrl-C) after 1 of 2 notebooks; the executed ones are in out.")
    assert code == 130


def _wait_until(done: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"not so after {seconds} s"
        time.sleep(0.05)


def test_ctrl_c_while_the_demo_streams_a_reply_stops_it_in_one_line(in_tmp):
    command = Command(["demo", "Tell me something"], )
    printed, code = command.ctrl_c_once("Prompt: Tell me something")
    assert "Traceback" not in printed, printed[-1500:]
    assert printed.rstrip().endswith("Demo stopped (Ctrl-C).") and code == 130


@pytest.mark.parametrize("prompt", ["", "   "])
def test_the_demo_with_an_empty_prompt_says_so_in_one_line(prompt, in_tmp):
    result = subprocess.run([*CLI, "demo", prompt], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == ("ygpt-magic demo: error: argument PROMPT: the prompt is empty; "
                                               "give some text, or no prompt to run the notebooks")


def test_the_top_level_help_reads_as_plain_text_and_there_is_a_version():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    shown = subprocess.run([*CLI, "--help"], capture_output=True, text=True, timeout=30, env=env).stdout
    assert "``" not in shown and "'serve' runs the local server, 'demo' shows it" in " ".join(shown.split())
    version = subprocess.run([*CLI, "--version"], capture_output=True, text=True, timeout=30, env=env)
    assert version.returncode == 0 and version.stdout.strip() == f"ygpt-magic {ygpt_magic.__version__}"
