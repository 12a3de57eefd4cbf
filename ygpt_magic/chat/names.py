"""The shape of a chat name: it is shown in outputs and tables and saved in chat files, so it is
one short line of text that can be written. (Which names a kernel refuses besides, one holding a
credential, is the session's ``refuse_name`` rule.)"""

from __future__ import annotations

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
