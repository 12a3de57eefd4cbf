"""The names a session gives new chats.

The shape of a chat name: it is shown in outputs and tables and saved in chat files, so it is
one short line of text that can be written. Which names a kernel refuses besides (one holding a
credential) is the ``refuse`` rule the session is given, asked first (:class:`NameRule`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import OptionError
from . import chatfile
from .options import shown, unencodable


def checked_name(name: Any) -> str:
    """``name`` if it is one line of 1 to ``chatfile.MAX_NAME`` characters that can be saved;
    OptionError saying what to type instead otherwise."""
    if not isinstance(name, str) or not chatfile.good_name(name):
        raise OptionError(
            f"A chat name must be one line of text of 1 to {chatfile.MAX_NAME} characters, "
            f"not {shown(name)}; e.g. --chat translator."
        )
    problem = unencodable(name)
    if problem:  # accepted, it broke %ygpt save for every chat
        raise OptionError(f"A chat name must be text that can be saved, and {shown(name)} holds "
                          f"{problem}; use another name, e.g. --chat translator.")
    return name


def any_name(name: str) -> None:
    """The name rule of a session without a kernel: every well-formed name goes."""


class NameRule:
    """The names no chat may have: ``refuse(name)`` raises for one (the kernel's: one that carries
    a credential, CredentialInName), then :func:`checked_name` for the shape."""

    def __init__(self, refuse: Callable[[str], None] = any_name) -> None:
        self._refuse = refuse

    def refused(self, name: Any) -> None:
        """The ``refuse`` rule over a name given as text."""
        if isinstance(name, str):
            self._refuse(name)

    def new(self, name: Any) -> str:
        """``name`` for a chat that does not exist yet: the ``refuse`` rule first (a credential
        must not be echoed by the shape check's message), then the shape of a name."""
        self.refused(name)
        return checked_name(name)
