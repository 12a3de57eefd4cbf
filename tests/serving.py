"""``ygpt-magic`` for the tests that use it as a user does, in as few processes as the stories allow.

Each Python process costs about a second of CPU before it does any work, so a story gets one
only for what only a process shows: the READY line and banner on a real stdout and stderr, a
signal, a port a client talks to. A refusal (a bad flag, a port in use, a bad file) is a message
and an exit code: :func:`run_here` runs it in this process through the function the console
script calls. A server that several stories only talk to, or whose banner or log they read, is
one :class:`Served` process for all of them (a module-scoped fixture, :func:`running`).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from types import FrameType

import pytest
import requests

from ygpt_magic import cli

CLI = [sys.executable, "-m", "ygpt_magic.cli"]
#: seconds a refusal run here may take before it is taken for a server that started
STARTED = 15


@dataclass(frozen=True)
class Ran:
    """What a run of the command line left: its exit code and what it printed."""

    code: int
    out: str
    err: str


def run_here(capfd: pytest.CaptureFixture[str], *argv: str) -> Ran:
    """``ygpt-magic ARGV`` run in this process through ``cli.main``, the console script's entry
    point: its exit code (returned, or argparse's SystemExit) and what it wrote to the file
    descriptors 1 and 2 (gRPC's C core logs there, past ``sys.stderr``).

    What ``main`` sets for a process of its own is put back: its Ctrl-C handler (it ends the
    process) and serve's log level. A refusal that no longer comes before the server starts would
    serve until stopped: after STARTED seconds it is stopped as a terminal stops it (SIGTERM),
    and the test fails saying so."""
    interrupt, emulator_level = signal.getsignal(signal.SIGINT), logging.getLogger("ygpt_magic.emulator").level
    root_handlers = list(logging.getLogger().handlers)
    overdue: list[bool] = []
    capfd.readouterr()
    previous = {signum: signal.signal(signum, _stop_it(overdue)) for signum in (signal.SIGALRM, signal.SIGTERM)}
    signal.alarm(STARTED)
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        signal.alarm(0)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.signal(signal.SIGINT, interrupt)
        logging.getLogger("ygpt_magic.emulator").setLevel(emulator_level)
        logging.getLogger().handlers[:] = root_handlers
    out, err = capfd.readouterr()
    if overdue:
        pytest.fail(f"ygpt-magic {' '.join(argv)} ran for {STARTED} s: it started a server instead of refusing\n"
                    f"{out}{err}", pytrace=False)
    return Ran(code, out, err)


def _stop_it(overdue: list[bool]) -> Callable[[int, FrameType | None], None]:
    """The handler of SIGALRM and SIGTERM in :func:`run_here`: the alarm sends SIGTERM, which a
    serving server takes as its stop (its own handler then stands in for this one); if nothing
    serves, this one stops the run."""
    def handler(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGALRM:
            overdue.append(True)
            signal.raise_signal(signal.SIGTERM)
        else:
            raise TimeoutError("stopped by run_here's alarm")
    return handler


class Served:
    """A ``ygpt-magic serve --port 0 FLAGS`` process: the words of its READY line, and its stderr
    line by line as it comes (read as bytes, so a carriage return it wrote stays one)."""

    _fences = count()

    def __init__(self, *flags: str) -> None:
        self.process = subprocess.Popen([*CLI, "serve", "--port", "0", *flags], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        assert self.process.stdout and self.process.stderr
        self.ready = self.process.stdout.readline().decode().split()
        self.lines: list[str] = []
        self._arrived = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if self.ready[:1] != ["READY"]:
            self.process.wait(timeout=10)
            self._reader.join(timeout=10)
            pytest.fail(f"serve {' '.join(flags)} did not start:\n" + "\n".join(self.lines), pytrace=False)

    @property
    def address(self) -> str:
        """The gRPC address of the READY line."""
        return self.ready[1]

    @property
    def http(self) -> str:
        """The HTTP side's URL of the READY line."""
        return self.ready[2]

    def _read(self) -> None:
        assert self.process.stderr
        for line in self.process.stderr:
            with self._arrived:
                self.lines.append(line.decode().removesuffix("\n"))
                self._arrived.notify_all()

    def wait_for(self, seen: Callable[[list[str]], bool], timeout: float = 10.0) -> list[str]:
        """The lines of stderr so far, once ``seen`` holds for them."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: seen(self.lines), timeout=timeout):
                pytest.fail("serve's stderr never showed what was waited for:\n" + "\n".join(self.lines))
            return list(self.lines)

    def line(self, index: int) -> str:
        """Line ``index`` of its stderr (the banner is line 0), once it is written."""
        return self.wait_for(lambda lines: len(lines) > index)[index]

    def logged_during(self, act: Callable[[], object]) -> list[str]:
        """The lines logged while ``act`` ran. A request before and one after, each waited for in
        the log, fence them off: a server logs each request before it answers it, so what ``act``
        sent and waited on is logged between them, and no line of another story is."""
        start = self._fence()
        act()
        end = self._fence()
        return self.lines[start + 1:end]

    def _fence(self) -> int:
        """Send a request the server logs as its own line; the index of that line."""
        path = f"/storage/datasets/fence-{next(self._fences)}/file"
        requests.get(self.http + path, timeout=10)
        lines = self.wait_for(lambda lines: any(path in line for line in lines))
        return next(index for index, line in enumerate(lines) if path in line)

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, str]:
        """Send ``signum`` and wait for the end: the exit code and all of stderr."""
        self.process.send_signal(signum)
        code = self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        assert self.process.stdout and self.process.stderr
        self.process.stdout.close()
        self.process.stderr.close()
        return code, "".join(line + "\n" for line in self.lines)


@contextmanager
def running(*flags: str, stop_with: int = signal.SIGINT) -> Iterator[Served]:
    """``serve FLAGS`` for the stories of a module, stopped after them with ``stop_with``: it
    must end as it does in a terminal, exit code 0, no traceback, 'Local server stopped.' last."""
    served = Served(*flags)
    try:
        yield served
    finally:
        code, stderr = served.stop(stop_with)
        assert code == 0 and "Traceback" not in stderr, stderr[-800:]
        assert stderr.splitlines()[-1] == "Local server stopped.", stderr[-800:]
