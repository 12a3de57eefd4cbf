"""`%ygpt auth`: enter an API key or IAM token without echo, and the folder id.

The secret is read with getpass (never echoed, never in the notebook or its history) and kept
in this kernel's memory only; no flag takes a secret, so none can end up in a cell's source.
"""

from __future__ import annotations

import getpass

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
        raise OptionError("%ygpt auth takes no arguments: it asks for the key with hidden input, "
                          "so that the key never lands in the notebook. Run %ygpt auth alone, "
                          "and clear this cell if you typed a key into it.")
    secret = getpass.getpass("API key or IAM token (hidden; empty = use the environment): ")
    if not sendable(secret.strip()):
        raise CredentialMalformed("%ygpt auth")  # before the folder is asked, nothing changed
    folder = input("Folder id (empty = YC_FOLDER_ID): ")
    kernel.connection.set_credentials(secret.strip() or None, folder.strip() or None)
    info = kernel.connection.describe()
    show(f"Using {info['credential']}; folder {info['folder']}. "
         "Kept in this kernel's memory only, not in the notebook.")
