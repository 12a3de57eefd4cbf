"""Where the panel's Export writes a chat: ``ygpt-chat-NAME.md`` in the working folder.

The user never types this path, so two rules keep their work: the name keeps the chat's letters
in any script (``ygpt-chat-переводчик.md``: an ASCII-only name made every Russian chat
``ygpt-chat--.md``), and a file that already holds another chat's export is never replaced: the
next free ``ygpt-chat-NAME-2.md`` is taken instead. A file that holds this chat's earlier export,
or anything else the user put there (a link to their own file), is written as before.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..words import composed

#: a file name's limit is 255 bytes on most file systems; the prefix, a number and ".md" fit
_MAX_NAME_BYTES = 200


def file_name_part(name: str) -> str:
    """``name`` as a safe piece of a file name: letters, digits and combining marks (the vowel
    signs of Devanagari or Tamil, Hebrew and Arabic points) of any script, ``_ . -``; every run
    of anything else (a path separator, a space, a control character) is one ``-``."""
    kept = "".join(char if char.isalnum() or unicodedata.category(char)[0] == "M" or char in "_.-"
                   else "-" for char in composed(name))
    part = re.sub(r"-{2,}", "-", kept)
    return part.encode("utf-8")[:_MAX_NAME_BYTES].decode("utf-8", "ignore")


def export_path(folder: Path, name: str, transcript: str) -> Path:
    """The file in ``folder`` the chat ``name``'s ``transcript`` goes to: its own name unless
    that file holds another chat's export (its title line differs), then the first free
    numbered one."""
    stem = f"ygpt-chat-{file_name_part(name)}"
    title = transcript.split("\n", 1)[0]
    number = 1
    while True:
        path = folder / (f"{stem}.md" if number == 1 else f"{stem}-{number}.md")
        if not _another_chat(path, title):
            return path
        number += 1


def _another_chat(path: Path, title: str) -> bool:
    """Whether ``path`` holds the export of a chat other than the one titled ``title``."""
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            first = file.readline(4096).rstrip("\n")
    except OSError:
        return False
    return first.startswith("# Chat: ") and first != title
