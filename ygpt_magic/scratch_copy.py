"""A scratch copy of a notebooks folder for `ygpt-magic demo`'s kernels to work in.

A kernel works in its notebook's folder, and a notebook writes there: `%ygpt save chats.json`
replaced a user's own chat file (the old one moved to .ipynb_checkpoints, said only in the
executed copy), though the demo promises a folder of yours is only read. So the kernels work in a
copy, one for the whole run (a notebook may read what an earlier one wrote, as in the folder
itself), removed when the run ends; the executed notebooks still go to ``--out``.

What a notebook reads must still be there, cheaply for a folder with big data files:

- a file up to :data:`COPIED_UP_TO` is copied (notebooks, chat files, small tables: what a
  notebook writes over); a bigger one is a symbolic link to the user's file. Copying gigabytes
  of data for a demo would cost minutes and the disk; notebooks read their big data and write
  results under new names, so a write that goes through to the user's file is the rare case.
- the user's own links stay links (copying what they lead to could be any size, or loop); a
  relative one that leads out of the folder still resolves, through the neighbours' links below.
- hidden folders (``.git``, ``.venv``, ``.ipynb_checkpoints``) are left out: tools' state, often
  big, that no notebook reads; Jupyter's checkpoints are where a replaced file would go.
- the folder's neighbours are linked beside the copy, which keeps the folder's name: a notebook
  that reads ``../data/x.csv`` (a project's notebooks/ beside its data/) still finds it. They
  are not the folder the promise is about, and the run wrote to them before.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import FolderNotCopied

#: bytes: a file up to this size is copied into the scratch folder, a bigger one linked
COPIED_UP_TO = 20 * 2**20


@contextmanager
def scratch_copy(folder: Path, copied_up_to: int = COPIED_UP_TO, linked: Sequence[str] = ()) -> Iterator[Path]:
    """A copy of ``folder`` (see the module's docstring) for the ``with`` block; removed after
    it, whatever the notebooks wrote there. ``linked``: paths in ``folder`` that are links in
    the copy, whether the file is there yet or not (a reply cache the run records into: SQLite
    follows the link, its log and lock files go beside the user's file, and the path a cell
    shows stays the one the user named); each must lie inside ``folder``."""
    folder = folder.resolve()
    scratch: tempfile.TemporaryDirectory[str] | None = None
    try:
        scratch = tempfile.TemporaryDirectory(prefix="ygpt-demo-", ignore_cleanup_errors=True)
        copy = Path(scratch.name) / (folder.name or "notebooks")
        shutil.copytree(folder, copy, symlinks=True, ignore=_hidden_folders,
                        copy_function=lambda source, target: _copy_or_link(source, target, copied_up_to))
        for name in linked:
            if not (folder / name).resolve().is_relative_to(folder):
                raise ValueError(f"{name} is not inside {folder}")   # the caller's promise (demo._cache_files)
            _linked(folder / name, copy / name)
        _link_neighbours(folder, copy)
    except (shutil.Error, OSError) as error:
        if scratch is not None:
            scratch.cleanup()
        raise FolderNotCopied(folder, _first_problem(error), tempfile.gettempdir()) from None
    with scratch:
        yield copy


def _copy_or_link(source: str, target: str, copied_up_to: int) -> None:
    """Copy a regular, readable file of up to ``copied_up_to`` bytes; link anything else (a big
    file, a pipe, a socket, one it may not read): a link reads as the file does. The choice is
    made by the source alone, so a copy that fails for the scratch area (a full disk) is an
    error: a link there would let a notebook's write reach the user's file."""
    if _copied(os.stat(source), source, copied_up_to):
        shutil.copy2(source, target)
    else:
        os.symlink(source, target)


def _copied(status: os.stat_result, source: str, copied_up_to: int) -> bool:
    return stat.S_ISREG(status.st_mode) and status.st_size <= copied_up_to and os.access(source, os.R_OK)


def _linked(source: Path, target: Path) -> None:
    """``target`` a link to ``source`` (its copy, and its SQLite side files' copies, removed)."""
    for side in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{side}").unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(source)


def _first_problem(error: shutil.Error | OSError) -> str:
    """What went wrong first, in a line: copytree gathers every file's failure into one
    shutil.Error, as (source, target, reason) triples."""
    if isinstance(error, shutil.Error) and error.args and isinstance(error.args[0], list) and error.args[0]:
        source, _, reason = error.args[0][0]
        return f"{source}: {reason}"
    return f"{error.filename}: {error.strerror}" if error.filename and error.strerror else str(error)


def _hidden_folders(where: str, names: list[str]) -> set[str]:
    """The hidden folders among ``names`` in ``where`` (copytree's ``ignore``)."""
    return {name for name in names if name.startswith(".") and os.path.isdir(os.path.join(where, name))}


def _link_neighbours(folder: Path, copy: Path) -> None:
    """Link what lies beside ``folder`` beside its ``copy``, by the same names: a courtesy (a
    parent folder that cannot be listed leaves the copy without them, not the demo unrun)."""
    try:
        neighbours = [neighbour for neighbour in folder.parent.iterdir() if neighbour.name != folder.name]
    except OSError:
        return
    for neighbour in neighbours:
        (copy.parent / neighbour.name).symlink_to(neighbour)
