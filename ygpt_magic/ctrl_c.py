"""How the command line (``ygpt-magic serve | demo``) meets Ctrl-C: one line, exit code 130.

Python's own answer, a KeyboardInterrupt raised wherever the press lands, prints a traceback
when it lands in an import, and in nbclient's or jupyter_client's cleanup it became whatever
error that cleanup raised next. So the command line never lets it be raised: from its first
line until work that owns child processes begins, a press ends the process at once (there is
nothing to clean up yet); work that owns them runs on an event loop of ours
(:func:`run_until_ctrl_c`), where a press cancels it and its own ``finally`` ends them. This
module imports nothing heavy: it is in force before the heavy imports.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Coroutine
from types import FrameType
from typing import Any, TypeVar

#: the exit code after Ctrl-C, as shells give a command killed by SIGINT (128 + 2)
INTERRUPTED_EXIT = 130

T = TypeVar("T")


def exit_at_ctrl_c(line: str) -> None:
    """From now on, Ctrl-C prints ``line`` on stderr and ends the process with 130, at once."""
    def handler(signum: int, frame: FrameType | None) -> None:
        _flush_quietly()
        os.write(sys.stderr.fileno(), f"\n{line}\n".encode())
        os._exit(INTERRUPTED_EXIT)
    signal.signal(signal.SIGINT, handler)


def _flush_quietly() -> None:
    """Flush what was printed (a pipe buffers it); the press may have landed inside a write to
    the same stream, which refuses a nested flush: then that text is lost, not the exit."""
    try:
        sys.stdout.flush()
    except (RuntimeError, OSError, ValueError):
        pass


class Stopped(Exception):
    """Ctrl-C ended :func:`run_until_ctrl_c`'s work (what it raised on its way out is the cause)."""


async def run_until_ctrl_c(work: Coroutine[Any, Any, T], line: str) -> T:
    """Await ``work``; the first Ctrl-C cancels it, later ones are ignored while it cleans up.

    Raises :class:`Stopped` if Ctrl-C came, whatever ``work`` then raised: nbclient turns a
    cancelled wait for a cell into "Kernel died", so the exception alone cannot tell. Once the
    work has ended, a press is :func:`exit_at_ctrl_c` with ``line``; after a stop, one is ignored
    (the caller is saying, in one line, that it stopped)."""
    import asyncio

    loop = asyncio.get_running_loop()
    task = loop.create_task(work)
    pressed: list[bool] = []

    def on_press() -> None:
        if not pressed:
            pressed.append(True)
            task.cancel()
    loop.add_signal_handler(signal.SIGINT, on_press)
    try:
        return await task
    except BaseException as error:
        if pressed:
            raise Stopped from error
        raise
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        if pressed:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        else:
            exit_at_ctrl_c(line)
        await _end_leftovers()


async def _end_leftovers() -> None:
    """Cancel what the work left running and wait for it, its errors unsaid: nbclient leaves its
    watchers of a cancelled cell (output, kernel alive), and ``asyncio.run`` would log the
    error of each one that failed on the kernel's closed sockets, as a traceback."""
    import asyncio

    left = asyncio.all_tasks() - {asyncio.current_task()}
    for task in left:
        task.cancel()
    await asyncio.gather(*left, return_exceptions=True)
