"""Why a SQLite file of ours (the reply cache, the sources index) cannot be used, in words a user
can act on: the ``problem`` of CacheUnusable and IndexUnusable, said alike for the same failure.

sqlite3's own words are few, and its "unable to open database file" is all it says whether the
path is a folder, a folder on the way is missing or is a file, or the folder is read-only: that
case is looked up on the disk. ``of_place`` tells the failures of the file's place (its folder,
its disk) from those of the file itself: the index then moves into memory. ``ours`` tells the
errors no file can cause (a transaction of ours in the wrong state): a bug of ours, said as one.
``locked`` tells a lock another connection held for the whole wait: the file itself is fine.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

#: sqlite3's words → what a user can act on ({kind}: what the file should be), and whether the
#: file's place fails rather than the file
_WORDS = ((("not a database", "malformed"), "the file is not {kind} (or is damaged)", False),
          (("readonly", "read-only"), "the file or its folder is read-only", True),
          (("full", "disk i/o"), "the disk is full, or the file could not be written", True),
          (("locked",), "another kernel kept it locked too long; try again", False),
          (("unable to open",), "", True))


def problem(error: BaseException, path: Path, kind: str, in_a_folder: str, shown: str | None = None) -> str:
    """What went wrong with the file ``path``, a ``kind`` (e.g. "a reply cache"), from sqlite3's
    or the OS's ``error``; ``in_a_folder`` says what to do when ``path`` is a folder; ``shown``:
    ``path`` as the user gave it (cache/shown.py), whose folders the words name (None: ``path``)."""
    for words, said, _ in _WORDS:
        if any(word in str(error).lower() for word in words):
            return said.format(kind=kind) if said else _unopenable(path, in_a_folder, shown or str(path))
    return f"{type(error).__name__}: {error}"

#: sqlite3's words for a transaction of ours in the wrong state, whatever the file
_OURS = ("within a transaction", "no transaction is active")


def ours(error: BaseException) -> bool:
    """Whether ``error`` is of our own making, not the file's: never "fix or delete the file"."""
    return any(words in str(error).lower() for words in _OURS)


def locked(error: sqlite3.Error) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection held the lock past ``busy_timeout``
    (``sqlite_errorcode`` from Python 3.11; the words before)."""
    code = getattr(error, "sqlite_errorcode", None)
    if sys.version_info >= (3, 11) and code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error).lower() or "busy" in str(error).lower()


def of_place(error: BaseException) -> bool:
    """Whether ``error`` is a failure of the file's place (read-only, full, cannot be opened)."""
    return any(place and any(word in str(error).lower() for word in words) for words, _, place in _WORDS)


def _unopenable(path: Path, in_a_folder: str, shown: str) -> str:
    """Why SQLite could not open ``path`` (``shown`` as the user gave it), looked up on the disk."""
    if path.is_dir():
        return f"it is a folder; {in_a_folder}"
    blocker = next((folder for folder in reversed(path.parents) if not folder.is_dir()), None)
    if blocker is not None and blocker.exists():
        return f"the file cannot be created there: {_named(blocker, path, shown)!r} is a file, not a folder"
    if blocker is not None:
        return f"the file cannot be created there: there is no folder {_named(blocker, path, shown)!r}"
    if path.exists() and not os.access(path, os.R_OK):
        return "the file cannot be opened: you may not read it"
    done = "opened" if path.exists() else "created"
    if not os.access(path.parent, os.W_OK):   # SQLite writes its journal beside the file
        return f"the file cannot be {done} there: the folder {_named(path.parent, path, shown)!r} is read-only"
    return f"the file cannot be {done}" + ("" if path.exists() else " there")


def _named(folder: Path, path: Path, shown: str) -> str:
    """``folder``, one of ``path``'s, as the user named ``path`` (``shown``): the folder as many
    levels up the path they gave, so no home folder goes into a saved notebook; absolute when
    they named none that high (a ``.`` or a ``~`` stands for a folder of its own)."""
    given = Path(shown).parents
    depth = list(path.parents).index(folder)
    if depth < len(given) and given[depth].name not in ("", ".", "~"):
        return str(given[depth])
    return str(folder)
