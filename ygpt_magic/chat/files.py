"""Files the user names: read bounded (`%ygpt load`, `%ygpt provenance NOTEBOOK`), written so
that nothing the path points at is lost or turned into something else (`%ygpt save`, `%ygpt
export`, the panel's Export).

A file to read may come from anywhere: it is read only when it is a regular file (a FIFO would
block the kernel, ``/dev/zero`` never ends) and only up to a size limit, and JSON nested too deep
for the parser is refused, each with the caller's error.

Text to write goes to a temporary file beside the target, is flushed to disk, and only then
renamed over it: a full disk or a Ctrl-C leaves the old file whole, never half a file. A symlink
is followed to its target (a user who linked ``chats.json`` into another folder expects that file
updated, not the link replaced by a copy), and a target that is not a regular file is refused:
renaming over a device node, a FIFO or a folder would replace it (as root, ``/dev/full`` became
a regular file).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import FileNotWritten

_NOT_FILES = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
              (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"))


def write_text(path: str | Path, text: str) -> Path:
    """Put ``text`` (UTF-8) in the file at ``path`` or raise FileNotWritten, the old file as it was.
    Returns the file written: the symlink's target when ``path`` is a symlink."""
    target = Path(os.path.realpath(path))
    data = text.encode("utf-8")
    try:
        _replace(target, data, _mode(path, target))
    except OSError as error:
        raise FileNotWritten.of(path, error) from None
    return target


def _mode(path: str | Path, target: Path) -> int | None:
    """The permissions of the file being replaced (kept by the new one), None when there is none;
    FileNotWritten when ``target`` is there but is not a regular file."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return None
    kind = _not_a_file(mode)
    if kind:
        shown = f"{path} (a link to {target})" if Path(path).is_symlink() else str(path)
        raise FileNotWritten(path, f"{shown} is {kind}, not a regular file",
                             "give the name of a file to write")
    return stat.S_IMODE(mode)


def _not_a_file(mode: int) -> str | None:
    """What a file of ``mode`` is when it is not a regular file ("a folder", ...), else None."""
    return next((kind for test, kind in _NOT_FILES if test(mode)), None)


def _replace(target: Path, data: bytes, mode: int | None) -> None:
    """Write ``data`` to a new file beside ``target``, sync it, rename it over ``target``."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            if mode is not None:
                os.fchmod(file.fileno(), mode)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_json(path: str | Path, max_bytes: int, refuse: Callable[[str], Exception]) -> Any:
    """The JSON in the regular file ``path``, read up to ``max_bytes``; ``refuse(problem)`` is
    raised for a file that is missing, not a regular file, too big, not UTF-8 or not JSON."""
    try:
        fd = os.open(Path(path).expanduser(), os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens at once
        kind = _not_a_file(os.fstat(fd).st_mode)
        if kind:
            os.close(fd)
            raise refuse(f"it is {kind}, not a regular file")
        with os.fdopen(fd, "rb") as file:
            raw = file.read(max_bytes + 1)
    except OSError as error:
        raise refuse(error.strerror or type(error).__name__) from None
    if len(raw) > max_bytes:
        raise refuse(f"it is larger than the {max_bytes // (1024 * 1024)} MB limit")
    try:   # utf-8-sig: an editor's "UTF-8 with BOM" (older Windows Notepad) is UTF-8 too
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise refuse("it is not UTF-8 text") from None
    except RecursionError:
        raise refuse("it is nested too deeply") from None
    except ValueError as error:
        raise refuse(f"it is not valid JSON ({error})") from None
