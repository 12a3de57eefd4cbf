"""`%ygpt auth`: enter an API key or IAM token without echo, and the folder id.

The secret is read with getpass (never echoed, never in the notebook or its history) and kept
in this kernel's memory only; no flag takes a secret, so none can end up in a cell's source.

The folder id is read without echo too. It is no secret, but a key lands at its prompt often
enough (pasted twice out of habit, or the answers given in swapped order), and what a plain
``input()`` is given stays on screen and in the saved notebook (JupyterLab keeps a prompt's
answer as an output; a hidden one as dots). An answer that looks like a credential is refused
there, before anything is kept: the folder is shown by whoami and sent in every model URI. The
confirmation shows the folder id once it is known to be one. Ctrl-C or Ctrl-D at either prompt
keeps nothing, and says so in one line.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from IPython.core.error import StdinNotImplementedError

from ..client.credentials import sendable
from ..errors import AuthStopped, CredentialMalformed, FolderIsCredential, NoInputHere, OptionError
from ..kernel import Kernel
from ..keyshapes import looks_like
from ..saving import headless
from ._common import show
from .args import subcommand, uncommented

if TYPE_CHECKING:
    from IPython.core.history import HistoryManager


@subcommand
def run(kernel: Kernel, line: str) -> None:
    """Enter an API key or IAM token and the folder id (both hidden input).

    Empty answers keep the environment's YC_API_KEY / YC_IAM_TOKEN / YC_FOLDER_ID. Kept in
    the kernel's memory only: no flag takes a secret, so none lands in the notebook. A folder
    answer that looks like a key or token is refused, and nothing changes."""
    if uncommented(line).strip():  # never echo it: the argument may well be the key itself
        history = kernel.shell.history_manager if kernel.shell is not None else None
        if history is not None:
            forget(history, line.strip())
        raise OptionError("%ygpt auth takes no arguments: it asks for the key with hidden input, "
                          "so that the key never lands in the notebook. Run %ygpt auth alone. "
                          "What you typed after it was removed from IPython's history (In, _i, "
                          "the history file); delete it from this cell too, as the notebook keeps "
                          "the cell's text.")
    if headless():
        found = kernel.connection.credential()
        show(f"{_UNASKED} {_NONE_HERE}" if found.kind == "none" else f"{_UNASKED} The cells use {found.describe()}.")
        return
    secret = _ask(getpass.getpass, "API key or IAM token (hidden; empty = use the environment): ", "key")
    if not sendable(secret.strip()):
        raise CredentialMalformed("%ygpt auth")  # before the folder is asked, nothing changed
    folder = _ask(getpass.getpass, "Folder id (hidden too, shown once checked; empty = YC_FOLDER_ID): ",
                  "folder id").strip()
    kind = _credential_as_folder(secret.strip(), folder)
    if kind:
        raise FolderIsCredential("%ygpt auth", kind)   # before anything is kept: nothing changed
    kernel.connection.set_credentials(secret.strip() or None, folder or None)
    info = kernel.connection.describe()
    clear = f" {info['clear']}" if info["clear"] else ""
    show(f"Using {info['credential']}; folder {info['folder']}. "
         f"Kept in this kernel's memory only, not in the notebook.{clear}")


#: ``%ygpt auth`` in a run no page draws (saving.headless): it cannot ask, and it does not stop the
#: run either, so one notebook asks when opened and runs in CI on the environment's credentials
_UNASKED = ("This run takes no input (jupyter execute, nbconvert --execute, papermill), so %ygpt auth "
            "asks nothing, and the run goes on with the credentials found without it.")
_NONE_HERE = ("None is found: set YC_API_KEY (or YC_IAM_TOKEN) and YC_FOLDER_ID where the run starts. A cell "
              "the reply cache replays needs none; one that must send a request says so.")


def _credential_as_folder(secret: str, folder: str) -> str | None:
    """What the folder answer looks like when it is a credential: a Yandex credential
    (keyshapes), or the key given at the first prompt (of any shape: a test server's key is no
    Yandex one); None for anything else, a folder id or nothing."""
    if not folder:
        return None
    return looks_like(folder) or ("the key or token entered at the first prompt" if folder == secret else None)


def _ask(read: Callable[[str], str], prompt: str, asked: str) -> str:
    """``read(prompt)``; NoInputHere where the frontend cannot ask: ipykernel raises
    StdinNotImplementedError when a notebook runs without input (nbconvert, papermill,
    nbclient). Ctrl-C at the prompt, or Ctrl-D, which ends its input, is the user changing their
    mind about the ``asked`` (key, folder id): one line saying nothing changed (AuthStopped),
    never a traceback through getpass, on a line of its own in a terminal."""
    try:
        return read(prompt)
    except StdinNotImplementedError:
        raise NoInputHere() from None
    except (KeyboardInterrupt, EOFError) as stop:
        if _standard(read):   # the prompt's line ends here, as getpass ends it after an answer
            sys.stderr.write("\n")
        if isinstance(stop, EOFError) and _standard(read) and not _terminal():
            raise NoInputHere() from None
        raise AuthStopped(asked, interrupted=isinstance(stop, KeyboardInterrupt)) from None


def _standard(read: Callable[[str], str]) -> bool:
    """Whether ``read`` is the standard library's getpass (IPython in a terminal), not a
    frontend's (ipykernel's asks JupyterLab or jupyter console, and raises EOFError only for the
    Ctrl-D a console passes on)."""
    return getattr(read, "__module__", None) == getpass.__name__


def _terminal() -> bool:
    """Whether this process has a terminal to ask at. The standard getpass reads it, and only
    without one falls back to stdin, whose EOFError is then input that is closed (a script run by
    CI, a pipe): no one at a prompt, as getpass itself decides."""
    try:   # Windows has neither, and its getpass reads stdin only when it falls back
        os.close(os.open("/dev/tty", os.O_RDWR | getattr(os, "O_NOCTTY", 0)))
    except OSError:
        return False
    return True


#: what stands in the history for the text typed after %ygpt auth
REMOVED = "<removed by %ygpt auth>"


def forget(history: HistoryManager, typed: str) -> None:
    """Take ``typed`` (most likely a key) out of IPython's record of the running cell, and of
    nothing else: its entry in the lists behind ``In`` / ``_ih``, its ``_i00`` and ``_iN``
    variables, and its row of the history database (the cache written out first, so that the
    row is there). IPython stored the cell before running it, as the last entry. A database
    that cannot be written (locked, read-only) keeps the row: the refusal still stands."""
    line = len(history.input_hist_raw) - 1
    if line < 1 or typed not in history.input_hist_raw[line]:
        return
    for inputs in (history.input_hist_raw, history.input_hist_parsed):
        inputs[line] = inputs[line].replace(typed, REMOVED)
    history._i00 = history.input_hist_raw[line]
    if history.shell is not None:
        history.shell.user_ns[f"_i{line}"] = history.input_hist_raw[line]
    if not history.enabled:
        return
    try:
        history.writeout_cache()
        with history.db:
            history.db.execute("UPDATE history SET source = replace(source, ?, ?), source_raw = "
                               "replace(source_raw, ?, ?) WHERE session = ? AND line = ?",
                               (typed, REMOVED, typed, REMOVED, history.session_number, line))
    except sqlite3.Error:
        pass
