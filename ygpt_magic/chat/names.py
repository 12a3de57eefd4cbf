"""The names a session gives new chats.

The shape of a chat name: it is shown in outputs and tables and saved in chat files, so it is
one short line of text that can be written. Which names a kernel refuses besides (one holding a
credential) is the ``refuse`` rule the session is given, asked first (:class:`NameRule`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..errors import OptionError
from . import chatfile
from .options import shown, unencodable

#: what IPython fills in on other magics' lines (`%cd $d`, `%run {script}`), not on ours
_EXPANDED_ELSEWHERE = re.compile(r"\$[A-Za-z_{]|\{[^{}]+\}")
_DOLLAR = re.compile(r"\$\{?([A-Za-z_]\w*)\}?")


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


def as_written(name: str, call: Callable[[str], str]) -> str:
    """The sentence that tells a new chat ``name`` that reads like an IPython expansion (`$name`,
    `{name}`) was named as written; "" for any other name.

    Every other line magic fills those in; the %ygpt line is taken as typed (magics.py:
    ``no_var_expand``), on purpose, so ``%ygpt chat $name`` makes a chat called '$name', and
    the next cells go to it, where the user meant the chat the variable names. ``call`` gives
    the code that names the chat after the value, from the name as an f-string's field
    (``$name`` becomes ``{name}``)."""
    if not _EXPANDED_ELSEWHERE.search(name):
        return ""
    field = _DOLLAR.sub(r"{\1}", name)
    return (f"The name '{name}' was taken as written: IPython fills in $name and {{name}} on other "
            f"magics' lines, not on a %ygpt line. To name the chat after a variable's value, run "
            f"in a cell: {call(field)}")


def flag_note(name: str) -> tuple[str, ...]:
    """The note above the reply of a cell whose ``--chat`` makes chat ``name``, when it reads
    like a variable (:func:`as_written`)."""
    taken = as_written(name, lambda field: f'get_ipython().run_cell_magic("ygpt", f"--chat {field}", prompt)')
    return (f"⚠ {taken}",) if taken else ()


def literal(text: str) -> str:
    """``text`` as it is written inside an f-string: its braces doubled."""
    return text.replace("{", "{{").replace("}", "}}")


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
