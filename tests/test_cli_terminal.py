"""`ygpt-magic demo` in a terminal, as a newcomer runs it: stopped with Ctrl-C, or given an empty
prompt, it says so in one line, never with a traceback.

The command runs on a pseudo-terminal of its own, as its controlling terminal, so Ctrl-C is the
terminal's SIGINT to its foreground group, as from a keyboard. The demo's kernels run in sessions
of their own (jupyter_client starts them so): the demo kills the one a press stops. Each press
waits for a mark of the moment it is meant for (a file the CLI or a kernel writes), not a sleep.
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
from ygpt_magic import cli

CLI = [sys.executable, "-m", "ygpt_magic.cli"]
REPO = Path(__file__).resolve().parents[1]


class Command:
    """A command on a pseudo-terminal: read what it prints, press Ctrl-C, wait for its exit."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        """``ygpt-magic ARGS`` started in the current folder, with ``env`` added to its environment."""
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
        _keep_output_at_ctrl_c(slave)
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
        return self.ended()

    def ended(self) -> tuple[str, int]:
        """Wait for the command's end; everything printed since the last text waited for, and the exit code."""
        self.child.expect(pexpect.EOF)
        _, status = os.waitpid(self.pid, 0)
        return self.child.before, os.waitstatus_to_exitcode(status)


def _keep_output_at_ctrl_c(tty: int) -> None:
    """NOFLSH: a terminal discards the output not yet read when it takes Ctrl-C, and it takes it
    a moment after the key (the line discipline works on its own); a terminal's window reads at
    once, this test only at the end, so without it what the command printed next could be lost."""
    attributes = termios.tcgetattr(tty)
    attributes[3] |= termios.NOFLSH
    termios.tcsetattr(tty, termios.TCSANOW, attributes)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def _notebook(path: Path, *sources: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(notebook, path)


#: imported by sitecustomize.py in every Python the tests below start (the CLI, its kernels): it
#: says when things start and stop, in files a test waits for, so Ctrl-C lands at a chosen moment
_SITE = """import atexit, os, pathlib, sys, time
def _say(what):
    with open(os.environ["MARKS"], "a") as marks:
        marks.write(f"{what} {os.getpid()}\\n")
class _SlowImport:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ.get("SLOW_IMPORT"):
            _say("importing " + name)
            time.sleep(60)
sys.meta_path.insert(0, _SlowImport())
if "ipykernel_launcher" in sys.orig_argv:
    print("a kernel starts", file=sys.stderr, flush=True)
    _say("kernel")
    started = sum(line.startswith("kernel ") for line in open(os.environ["MARKS"]))
    if started == int(os.environ.get("SLOW_KERNEL", 0)):
        time.sleep(60)
"""


class Marked(Command):
    """The demo with _SITE in its Pythons: ``marks()`` lists what they said, ``kernels`` their pids."""

    def __init__(self, folder: Path, args: list[str], **env: str) -> None:
        (folder / "site").mkdir()
        (folder / "site" / "sitecustomize.py").write_text(_SITE)
        self.marks_file = folder / "marks.txt"
        self.marks_file.touch()
        self.runtime = folder / "runtime"    # the kernels' connection files
        super().__init__(args, env={"PYTHONPATH": f"{folder / 'site'}{os.pathsep}{REPO}", **env,
                                    "MARKS": str(self.marks_file), "JUPYTER_RUNTIME_DIR": str(self.runtime)})

    def marks(self) -> list[str]:
        return self.marks_file.read_text().splitlines()

    def wait_for(self, mark: str, count: int = 1) -> None:
        """Wait until ``mark`` was said ``count`` times (a line ``MARK PID``)."""
        _wait_until(lambda: sum(line.rsplit(" ", 1)[0] == mark for line in self.marks()) >= count)

    def nothing_left(self) -> None:
        """No kernel outlived the command, and no connection file of one is left."""
        kernels = [int(line.split()[-1]) for line in self.marks() if line.startswith("kernel ")]
        assert kernels and not [pid for pid in kernels if _alive(pid)], self.marks()
        assert not list(self.runtime.glob("kernel-*.json"))


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _stopped_after(printed: str, code: int, done: int, of: int) -> None:
    assert "Traceback" not in printed and "Error" not in printed, printed[-1500:]
    notebooks = "notebook" if of == 1 else "notebooks"
    assert printed.rstrip().endswith(f"Demo stopped (Ctrl-C) after {done} of {of} {notebooks}; "
                                     "the executed ones are in out."), printed[-1500:]
    assert code == 130


@pytest.mark.slow
@pytest.mark.parametrize("args, module, line", [
    (["demo", "--notebooks", "in"], "ygpt_magic.demo", "Demo stopped (Ctrl-C)."),
    (["demo", "Tell me something"], "ygpt_magic.client.sdk", "Demo stopped (Ctrl-C)."),
    (["serve", "--port", "0"], "ygpt_magic.emulator.main", "Local server stopped (Ctrl-C)."),
], ids=["demo", "demo-prompt", "serve"])
def test_ctrl_c_while_the_command_imports_what_it_needs_says_so_in_one_line(in_tmp, args, module, line):
    """Python's KeyboardInterrupt in an import printed its traceback for the first ~0.3 s."""
    command = Marked(in_tmp, args, SLOW_IMPORT=module)
    command.wait_for("importing " + module)
    printed, code = command.ctrl_c()
    said = [shown.strip() for shown in printed.splitlines() if shown.strip() not in ("", "^C")]  # the echo
    assert said == [line] and code == 130, printed


@pytest.mark.slow
def test_ctrl_c_while_a_notebooks_kernel_starts_prints_no_traceback(in_tmp):
    """The demo's cleanup interrupted the kernel it started; one interrupted in its start printed a
    KeyboardInterrupt traceback (in ``import zmq``), or nbclient's "Kernel died before replying to
    kernel_info". What a kernel prints itself is shown after its notebook's exchanges, and dropped
    with one stopped; the kernel stopped is gone with the demo."""
    (in_tmp / "in").mkdir()
    _notebook(in_tmp / "in" / "a_quick.ipynb", "1 + 1")
    _notebook(in_tmp / "in" / "b_next.ipynb", "2 + 2")
    command = Marked(in_tmp, ["demo", "--notebooks", "in", "--out", "out"], SLOW_KERNEL="2")
    command.wait_for("kernel", count=2)
    printed, code = command.ctrl_c()
    assert printed.count("a kernel starts") == 1 and "  kernel ▸ a kernel starts" in printed, printed
    _stopped_after(printed, code, 1, 2)
    command.nothing_left()


@pytest.mark.slow
def test_ctrl_c_while_the_first_kernel_starts_ends_it(in_tmp):
    (in_tmp / "in").mkdir()
    _notebook(in_tmp / "in" / "a_first.ipynb", "1 + 1")
    command = Marked(in_tmp, ["demo", "--notebooks", "in", "--out", "out"], SLOW_KERNEL="1")
    command.wait_for("kernel")
    printed, code = command.ctrl_c()
    _stopped_after(printed, code, 0, 1)
    assert not list((in_tmp / "out").glob("*.ipynb"))   # made up front (can it be?), left empty
    command.nothing_left()


#: a cell that says it runs, then takes its time
_RUNNING = ("import os, time\nwith open(os.environ['MARKS'], 'a') as marks: marks.write('cell 0\\n')\n"
            "time.sleep(60)")


@pytest.mark.slow
@pytest.mark.parametrize("first", [True, False], ids=["first-notebook", "second-notebook"])
def test_ctrl_c_while_a_notebooks_cell_runs_prints_no_traceback(in_tmp, first):
    """A kernel stopped under a running cell logged ipykernel's "Exception in message handler"
    (its sockets closed under the interrupted cell's reply) on the terminal.

    In the second notebook, it is also the demo stopped after a first notebook that asked the
    model: the demo says how far it got and keeps that notebook executed. (That was a demo run of
    its own, pressed at whatever moment followed the first notebook: the kernel's start, told
    apart above, or this cell.)"""
    (in_tmp / "in").mkdir()
    if not first:
        _notebook(in_tmp / "in" / "a_quick.ipynb", "%load_ext ygpt_magic", "%%ygpt --once\nHello")
    _notebook(in_tmp / "in" / "b_slow.ipynb", "1 + 1", _RUNNING)
    command = Marked(in_tmp, ["demo", "--notebooks", "in", "--out", "out"])
    command.wait_for("cell")
    printed, code = command.ctrl_c()
    _stopped_after(printed, code, 0 if first else 1, 1 if first else 2)
    assert first or (in_tmp / "out" / "a_quick.ipynb").exists()
    command.nothing_left()


#: cells that stream a reply from a server of their own, saying when it has the request; the
#: next chunk is 60 s away
_STREAMING = ["%load_ext ygpt_magic",
              "import os, threading, time\nfrom ygpt_magic.emulator import start_local_server\n"
              "server = start_local_server()\nserver.faults.first_chunk_latency(0)\nserver.faults.latency(60)\n"
              "def say():\n    while not server.requests: time.sleep(0.02)\n"
              "    with open(os.environ['MARKS'], 'a') as marks: marks.write('streaming 0\\n')\n"
              "threading.Thread(target=say, daemon=True).start()",
              "get_ipython().run_line_magic('ygpt', f'connect {server.address} --insecure')",
              "%%ygpt --once\nTell me about cats"]


@pytest.mark.slow
def test_ctrl_c_while_a_notebooks_reply_streams_prints_no_traceback(in_tmp):
    (in_tmp / "in").mkdir()
    _notebook(in_tmp / "in" / "a_streams.ipynb", *_STREAMING)
    command = Marked(in_tmp, ["demo", "--notebooks", "in", "--out", "out"])
    command.wait_for("streaming")
    printed, code = command.ctrl_c()
    _stopped_after(printed, code, 0, 1)
    command.nothing_left()


@pytest.mark.slow
def test_ctrl_c_between_two_notebooks_keeps_the_first(in_tmp):
    """While the first notebook is being written (its kernel ended, the next not started): its
    output is a pipe the test reads, bigger than the pipe holds, so the demo waits in the write."""
    (in_tmp / "in").mkdir()
    _notebook(in_tmp / "in" / "a_big.ipynb", f"x = {'1' * 200_000!r}")
    _notebook(in_tmp / "in" / "b_next.ipynb", "2 + 2")
    (in_tmp / "out").mkdir()
    os.mkfifo(in_tmp / "out" / "a_big.ipynb")
    command = Marked(in_tmp, ["demo", "--notebooks", "in", "--out", "out"])
    with open(in_tmp / "out" / "a_big.ipynb", encoding="utf-8") as written:   # opens once the demo writes
        command.child.send("\x03")
        notebook = nbformat.reads(written.read(), as_version=4)
    printed, code = command.ended()
    assert notebook.cells[0].source.startswith("x = '111")
    assert "━━ a_big ━━ 0 exchanges" in printed and "b_next" not in printed
    _stopped_after(printed, code, 1, 2)
    command.nothing_left()


#: a cell that makes its kernel's end (where its local server stops) say so, then take its time
_SLOW_END = ("import atexit, os, time\n"
             "def end():\n    with open(os.environ['MARKS'], 'a') as marks: marks.write('ending 0\\n')\n"
             "    time.sleep(60)\natexit.register(end)")


@pytest.mark.slow
def test_ctrl_c_while_a_notebooks_kernel_shuts_down_ends_it(in_tmp):
    (in_tmp / "in").mkdir()
    _notebook(in_tmp / "in" / "a_ends.ipynb", "%load_ext ygpt_magic", "%ygpt connect local", _SLOW_END)
    command = Marked(in_tmp, ["demo", "--notebooks", "in", "--out", "out"])
    command.wait_for("ending")
    printed, code = command.ctrl_c()
    _stopped_after(printed, code, 0, 1)
    command.nothing_left()


def _wait_until(done: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"not so after {seconds} s"
        time.sleep(0.05)


@pytest.mark.slow
def test_ctrl_c_while_the_demo_streams_a_reply_stops_it_in_one_line(in_tmp):
    command = Command(["demo", "Tell me something"], )
    printed, code = command.ctrl_c_once("Prompt: Tell me something")
    assert "Traceback" not in printed, printed[-1500:]
    assert printed.rstrip().endswith("Demo stopped (Ctrl-C).") and code == 130


@pytest.mark.parametrize("prompt", ["", "   "])
def test_the_demo_with_an_empty_prompt_says_so_in_one_line(prompt, capsys):
    """In this process: argparse refuses the prompt before the command imports or starts
    anything, and the SystemExit it raises is the exit code Python gives (the real process's
    exit codes are the version's, below, and the Ctrl-C stories')."""
    with pytest.raises(SystemExit) as refused:
        cli.main(["demo", prompt])
    stderr = capsys.readouterr().err
    assert refused.value.code == 2 and "Traceback" not in stderr
    assert stderr.splitlines()[-1] == ("ygpt-magic demo: error: argument PROMPT: the prompt is empty; "
                                       "give some text, or no prompt to run the notebooks")


def test_the_top_level_help_reads_as_plain_text(capsys):
    """In this process: the help is argparse's text, printed before anything starts."""
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    shown = capsys.readouterr().out
    assert "``" not in shown and "'serve' runs the local server, 'demo' shows it" in " ".join(shown.split())


@pytest.mark.slow
def test_there_is_a_version():
    """The real command: what it prints, and its exit code."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    version = subprocess.run([*CLI, "--version"], capture_output=True, text=True, timeout=30, env=env)
    assert version.returncode == 0 and version.stdout.strip() == f"ygpt-magic {ygpt_magic.__version__}"
