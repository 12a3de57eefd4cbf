"""`%ygpt save PATH`: write every chat to a JSON file (with a version field)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from IPython.core.magic_arguments import argument

from ..chat import chatfile
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
    chats = kernel.session.to_dict()
    written = chatfile.each_text(chats, secrets_masked(kernel))
    chatfile.write(path, written)
    return bool(written != chats)


def on_unload(kernel: Kernel) -> None:
    """Keep the chats of a kernel whose extension is unloaded (``%reload_ext`` does it too, and
    IPython suggests that command): a new load starts with none, so they are written to a file
    in the temporary folder and one line says where and how to load them back."""
    turns = sum(len(chat.turns) for chat in kernel.session.chats.values())
    if not turns:
        return
    try:
        handle, name = tempfile.mkstemp(prefix=f"ygpt-chats-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".json")
        os.close(handle)   # a name of its own: two kernels unloading in one second keep both
        path = Path(name)
        _written(kernel, path)
    except (OSError, YGptError) as error:   # a full disk, a read-only temporary folder
        print(f"ygpt_magic unloaded: its chats could not be kept ({error}).")
        return
    print(f"ygpt_magic unloaded: its {counted(len(kernel.session.chats), 'chat')} "
          f"({counted(turns, 'turn')}) were written to {path}; %ygpt load {path} brings them back. "
          f"%ygpt connect and %ygpt cache start from their defaults again.")
