"""`%ygpt auth`: enter an API key or IAM token without echo, and the folder id.

The secret is read with getpass (never echoed, never in the notebook or its history) and kept
in this kernel's memory only; no flag takes a secret, so none can end up in a cell's source.
"""

from __future__ import annotations

import getpass
from typing import Any

from ..client.credentials import sendable
from ..errors import CredentialMalformed, OptionError
from ..kernel import Kernel
from ._common import show
from .args import subcommand


@subcommand
def run(kernel: Kernel, line: str) -> None:
    """Enter an API key or IAM token (hidden input) and the folder id.

    Empty answers keep the environment's YC_API_KEY / YC_IAM_TOKEN / YC_FOLDER_ID. Kept in
    the kernel's memory only: no flag takes a secret, so none lands in the notebook."""
    if line.strip():  # never echo it: the argument may well be the key itself
        if kernel.shell is not None:
            forget(kernel.shell.history_manager, line.strip())
        raise OptionError("%ygpt auth takes no arguments: it asks for the key with hidden input, "
                          "so that the key never lands in the notebook. Run %ygpt auth alone. "
                          "What you typed after it was removed from IPython's history (In, _i, "
                          "the history file); delete it from this cell too, as the notebook keeps "
                          "the cell's text.")
    secret = getpass.getpass("API key or IAM token (hidden; empty = use the environment): ")
    if not sendable(secret.strip()):
        raise CredentialMalformed("%ygpt auth")  # before the folder is asked, nothing changed
    folder = input("Folder id (empty = YC_FOLDER_ID): ")
    kernel.connection.set_credentials(secret.strip() or None, folder.strip() or None)
    info = kernel.connection.describe()
    show(f"Using {info['credential']}; folder {info['folder']}. "
         "Kept in this kernel's memory only, not in the notebook.")


#: what stands in the history for the text typed after %ygpt auth
REMOVED = "<removed by %ygpt auth>"


def forget(history: Any, typed: str) -> None:
    """Take ``typed`` (most likely a key) out of IPython's record of the running cell: the lists
    behind ``In`` / ``_ih``, the ``_i`` variables, and the history database, its cache written
    out first so that the row to rewrite is there. IPython stored the cell before running it."""
    def scrubbed(text: str) -> str:
        return text.replace(typed, REMOVED)

    for inputs in (history.input_hist_raw, history.input_hist_parsed):
        if inputs and typed in inputs[-1]:
            inputs[-1] = scrubbed(inputs[-1])
    names = [name for name in ("_i00", "_i", "_ii", "_iii") if typed in getattr(history, name, "")]
    for name in names:
        setattr(history, name, scrubbed(getattr(history, name)))
    user = history.shell.user_ns if history.shell is not None else {}
    for name, value in list(user.items()):
        if name.startswith("_i") and isinstance(value, str) and typed in value:
            user[name] = scrubbed(value)
    if history.enabled:
        history.writeout_cache()
        with history.db:
            history.db.execute("UPDATE history SET source = replace(source, ?, ?), "
                               "source_raw = replace(source_raw, ?, ?) WHERE session = ?",
                               (typed, REMOVED, typed, REMOVED, history.session_number))
