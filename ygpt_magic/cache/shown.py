"""The one rule for how an output or a message names the reply cache file: as it was set while
the working folder is the one it was set in (the notebook's), else relative to the working folder
(after a ``%cd``); as set when that was absolute or from ``~``. The absolute form put the
author's home folder in a committed notebook (a setup cell's output, a replay-mode refusal
nbval stores) and differed in every other checkout, so nbval failed in CI."""

from __future__ import annotations

import os
from pathlib import Path


def shown(path: str, given: str | None, set_in: str) -> str:
    """``path`` (absolute) as the user reads it; ``given``: the path as set, in the folder
    ``set_in``."""
    given = given or path
    if given.startswith("~") or Path(given).is_absolute() or str(Path.cwd()) == set_in:
        return given
    return os.path.relpath(path)
