"""`%ygpt save PATH`: write every chat to a JSON file (with a version field)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from IPython.core.magic_arguments import argument

from ..chat import Chat, Options
from ..errors import YGptError
from ..kernel import Kernel
from ..words import counted
from ._common import output_path, secrets_masked, show
from .args import parse, subcommand


@subcommand
@argument("path", metavar="PATH", help="Where to write, e.g. chats.json.")
def run(kernel: Kernel, line: str) -> None:
    """Write all chats to a JSON file.

    System messages, options and turns, with a version; `%ygpt load` reads it.

    A credential of this kernel in a chat (one loaded from a file, where a prompt held it) is
    written masked, as `%ygpt whoami` shows it, and the output says so. Masked rather than
    refused: a refusal would leave no way to save those chats (a turn cannot be edited here,
    only reset), and the masked copy loses nothing usable, since a chat holding the key cannot
    be sent anyway (the credential guard refuses it)."""
    args = parse(run, line)
    path = output_path(args.path)
    note = (" A credential of this kernel found in them was written masked, as %ygpt whoami "
            "shows it." if _written(kernel, path) else "")
    show(f"Saved {counted(len(kernel.session.chats), 'chat')} to {path}.{note}")


def _written(kernel: Kernel, path: Path) -> bool:
    """Every chat written to ``path``, a credential of this kernel masked; whether one was."""
    return kernel.session.save(path, secrets_masked(kernel))


def holds_work(chat: Chat) -> bool:
    """Whether a user would miss ``chat`` if it were gone: it has turns, a system message or an
    option set (a chat set up with ``%ygpt config`` before its first cell is work too)."""
    return bool(chat.turns or chat.system or chat.options != Options())


def keep_copy(kernel: Kernel) -> Path | None:
    """Every chat written to a new file in the temporary folder, before something replaces them
    (``%reload_ext``, ``%ygpt load``), when one of them :func:`holds_work`; None when none does.
    OSError or YGptError when the file cannot be written (a full disk, a read-only folder)."""
    if not any(holds_work(chat) for chat in kernel.session.chats.values()):
        return None
    handle, name = tempfile.mkstemp(prefix=f"ygpt-chats-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".json")
    os.close(handle)   # a name of its own: two kernels unloading in one second keep both
    path = Path(name)
    _written(kernel, path)
    return path


def kept_words(kernel: Kernel) -> str:
    """The chats :func:`keep_copy` keeps, for its message: "2 chats (3 turns)"."""
    chats = kernel.session.chats.values()
    turns = sum(len(chat.turns) for chat in chats)
    return f"{counted(len(chats), 'chat')} ({counted(turns, 'turn')})"


def on_unload(kernel: Kernel) -> None:
    """Keep the chats of a kernel whose extension is unloaded (``%reload_ext`` does it too, and
    IPython suggests that command): a new load starts with none, so they are written to a file
    in the temporary folder (:func:`keep_copy`) and one line says where and how to load them
    back. The new load's accounts start empty, so the line says `%ygpt usage` starts at zero."""
    words = kept_words(kernel)
    try:
        path = keep_copy(kernel)
    except (OSError, YGptError) as error:
        print(f"ygpt_magic unloaded: its chats could not be kept ({error}).")
        return
    if path is None:
        return
    verb = "was" if len(kernel.session.chats) == 1 else "were"
    print(f"ygpt_magic unloaded: its {words} {verb} written to {path}; %ygpt load {path} brings them "
          f"back. %ygpt connect and %ygpt cache start from their defaults again, and %ygpt usage "
          f"from zero.")
