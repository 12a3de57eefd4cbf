"""An exception as the user saw it, as plain text for a model (`{Err[N]}`, `%ygpt fix`).

Python's own traceback format, which models know best, with three changes so the text holds what
a user needs to find the bug and nothing else: a cell's frames are named ``Cell In[N]`` (as
IPython shows them) instead of the kernel's temporary file; frames of IPython, ipykernel and
ygpt_magic (the machinery that ran the cell) are left out; and a library's frames are named by
their path inside the library or the standard library (``pandas/core/frame.py``), not by where
it is installed. There are no ANSI colour codes and no column carets (which differ between Python
versions). Chained exceptions (``raise ... from``, "during handling ...") and notes are kept.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

#: Packages whose frames are machinery, not the user's code.
_MACHINERY = ("IPython", "ipykernel", "ygpt_magic")

Namer = Callable[[str], "str | None"]


def _machinery_dirs() -> tuple[str, ...]:
    dirs = []
    for name in _MACHINERY:
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if path:
            dirs.append(str(Path(path).resolve().parent) + os.sep)
    return tuple(dirs)


def format_error(error: BaseException, cell_name: Namer) -> str:
    """``error``'s traceback as text; ``cell_name(filename)`` gives ``Cell In[N]`` for a cell's
    code (IPython's compiler knows which file is which cell) and None for a real file."""
    machinery = _machinery_dirs()
    report = traceback.TracebackException.from_exception(error)
    seen: set[int] = set()
    part: traceback.TracebackException | None = report
    while part is not None and id(part) not in seen:
        seen.add(id(part))
        part.stack = traceback.StackSummary.from_list(
            [_renamed(frame, cell_name) for frame in part.stack
             if not _is_machinery(frame.filename, machinery)])
        if getattr(part, "filename", None) is not None:  # a SyntaxError's location
            part.filename = _name(part.filename, cell_name)
        part = part.__cause__ or (None if part.__suppress_context__ else part.__context__)
    return "".join(report.format()).rstrip("\n")


def cells_passed(error: BaseException, cell_count: Callable[[str], int | None]) -> tuple[int, ...]:
    """The cells whose code ``error``'s traceback passes through, each once, the one it was
    raised in first (then its callers; then those of the exceptions it was chained from);
    ``cell_count(filename)`` is the N of a cell's ``Cell In[N]``, None for a file."""
    return tuple(dict.fromkeys(count for count, _ in _cell_frames(error, cell_count)))


def lines_in(error: BaseException, cell_count: Callable[[str], int | None], count: int) -> tuple[int, ...]:
    """The lines of cell ``count`` that ``error``'s traceback shows, innermost first (a
    SyntaxError's own location first of all): where a fix of a long cell must look."""
    located = [error.lineno] if isinstance(error, SyntaxError) and error.lineno \
        and cell_count(error.filename or "") == count else []
    return tuple(dict.fromkeys([*located, *(line for cell, line in _cell_frames(error, cell_count)
                                            if cell == count and line)]))


def _cell_frames(error: BaseException, cell_count: Callable[[str], int | None]) -> Iterator[tuple[int, int | None]]:
    """(cell, line) of each frame of ``error`` in a cell's code, innermost first, then those of
    the exceptions it was chained from."""
    seen: set[int] = set()
    part: BaseException | None = error
    while part is not None and id(part) not in seen:
        seen.add(id(part))
        for frame in reversed(traceback.extract_tb(part.__traceback__)):
            if (count := cell_count(frame.filename)) is not None:
                yield count, frame.lineno
        part = part.__cause__ or (None if part.__suppress_context__ else part.__context__)


def _is_machinery(filename: str, machinery: tuple[str, ...]) -> bool:
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    return resolved.startswith(machinery)


def _renamed(frame: traceback.FrameSummary, cell_name: Namer) -> traceback.FrameSummary:
    """The frame with a readable file name and no column positions (no carets)."""
    return traceback.FrameSummary(_name(frame.filename, cell_name), frame.lineno, frame.name,
                                  lookup_line=False, line=frame.line)


def _name(filename: str, cell_name: Namer) -> str:
    named = cell_name(filename)
    if named:
        return named
    for prefix in _library_dirs():
        if filename.startswith(prefix):
            return filename[len(prefix):]
    return filename


def _library_dirs() -> list[str]:
    """Where installed packages and the standard library live, longest first."""
    paths = sysconfig.get_paths()
    dirs = {str(Path(paths[key]).resolve()) + os.sep for key in ("purelib", "platlib", "stdlib")}
    dirs |= {str(Path(entry).resolve()) + os.sep for entry in sys.path
             if entry and ("site-packages" in entry or "dist-packages" in entry)}
    return sorted(dirs, key=len, reverse=True)
