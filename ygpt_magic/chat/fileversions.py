"""The versions of the chat file (chat/chatfile.py): what each adds, which one a file is written
as, and how a reader refuses one it does not know.

A reader refuses a version it does not read by its number ("its version is 3, and this
ygpt_magic reads versions 1 and 2"), and a field it does not know by its name ("unknown field(s)
system_set"), which tells its user nothing about why. So a file is written as the oldest version
whose readers take every field in it.

Version 2 is version 1 plus what tools and pictures add: a reply's ``tool_calls`` (``[{"name",
"arguments", "result", "round", "summary", "error", "elapsed"}]``), the options ``tools`` /
``tool_choice`` (written, and read only to be left out: chat/filetools.py), and a turn's
``images`` (``[{"name", "format", "width", "height", "bytes", "sha256"}]``: the placeholders of
the pictures it sent, chat/pictures.py; never the pictures).

Two fields came without a version, in any version: a replayed reply's ``"cached": true`` and
when it was recorded (``"recorded": "2026-12-01T12:00:00Z"``), so a loaded chat still counts its
tokens as replayed, not billed; and a turn's ``notes`` (``["{df}: a DataFrame …", "🖼 Image …"]``:
what was said above its reply about what was sent), each written only when there is one. The
version-1 reader of 2026-11-23 refuses them by name; giving them a version now would make the
readers of 2026-12-01 to 12-06, which take them, refuse files they read today.

Version 3 is version 2 plus a turn's ``system_set``: a turn whose cell set the chat's system
message (``--system``) says what it replaced and what it set (``{"before": null, "to": "Answer in
French"}``), so a loaded chat (``%ygpt load``, the copy kept across ``%reload_ext``) rewinds its
system message as the session that ran the cells would (chat/rewind.py). No older reader takes
it, so a file holding one says 3, and every older version refuses it by that number. The
versions of 2026-12-07 that added it wrote it into files saying version 1; those still load: the
fields this reader takes do not depend on the number. From version 3 on, a field an older reader would refuse
comes with a new version, and a version above this reader's is refused as written by a newer
ygpt_magic, with the upgrade to make.

Version 4 is version 3 plus a turn's ``tokens``: its size per model as that model's tokenizer
counted it (``{"yandexgpt": 412, "yandexgpt-lite": 409}``), written once a long chat was counted
to fit its context budget, so the first cell after ``%ygpt load`` sends after no tokenizer round
trip per kept turn (98 of them, ≈11 s at the cloud's pace, before it). Every older reader refuses
an unknown field by its name, which says nothing about why, so a file holding counts says 4 and
an older reader refuses it by that number with the upgrade to make. A file without counts (a
chat that never outgrew the budget's upper bound, which needs none) keeps its older version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..words import listed
from .options import shown
from .values import Chat

VERSION = 4
VERSIONS = (1, 2, 3, 4)


def written_as(chats: Mapping[str, Chat]) -> int:
    """The oldest version whose readers take every field ``chats`` are written with."""
    turns = [turn for chat in chats.values() for turn in chat.turns]
    if any(turn.token_counts for turn in turns):
        return 4
    if any(turn.system_before for turn in turns):
        return 3
    if any(turn.reply.tool_calls or turn.images for turn in turns) or any(
            chat.options.tools or chat.options.tool_choice for chat in chats.values()):
        return 2
    return 1


def newer(version: Any) -> bool:
    """Whether a file saying ``version`` was written by a newer ygpt_magic than this one."""
    return isinstance(version, int) and not isinstance(version, bool) and version > VERSION


def refusal(version: Any) -> str:
    """Why a file of ``version`` (not one of :data:`VERSIONS`) is refused: for a number above
    ours, that a newer ygpt_magic wrote it and to upgrade; a field of it may mean anything."""
    reads = f"this ygpt_magic reads versions {listed([str(version) for version in VERSIONS])}"
    if newer(version):
        return (f"it was written by a newer ygpt_magic (its version is {version}, and {reads}): "
                f"upgrade ygpt_magic (pip install -U ygpt-magic) and restart the kernel to load it")
    return f"its version is {shown(version)}, and {reads}"
