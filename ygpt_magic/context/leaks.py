"""Refuse a prompt that carries a credential: the check every prompt passes before it is sent.

A key pasted into a cell, kept in a variable that `{config}` sends, or printed in a traceback that
`{Err[N]}` or `%ygpt fix` sends would leave the notebook inside a prompt, to the model and to its
logs. So every piece of a prompt (the cell's text, --system, each interpolated value) is checked
against the credentials this kernel knows (credentials.known_secrets), in full and for any run of
``FRAGMENT`` characters taken from one, and the error says which piece carried it, never the
secret.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import CredentialInPrompt

if TYPE_CHECKING:
    from ..client.credentials import Credential

#: a run of this many characters of a secret counts as "a long token-looking part of it"
FRAGMENT = 12


def check(where: str, text: str, credentials: Iterable[Credential]) -> None:
    """CredentialInPrompt naming ``where`` (``{df}``, "the cell's text") if ``text`` holds any
    of ``credentials`` or a FRAGMENT-long run of one."""
    for credential in credentials:
        if _carries(text, credential.secret or ""):
            raise CredentialInPrompt(where, f"{credential.kind.replace('_', ' ')} "
                                            f"(from {credential.source})")


def _carries(text: str, secret: str) -> bool:
    if len(secret) <= FRAGMENT:
        return bool(secret) and secret in text
    return any(secret[start:start + FRAGMENT] in text
               for start in range(len(secret) - FRAGMENT + 1))
