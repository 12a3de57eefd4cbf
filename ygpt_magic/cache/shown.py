"""The one rule for how an output or a message names the reply cache file: as it was set while
the working folder is the one it was set in (the notebook's), else relative to the working folder
(after a ``%cd``); as set when that was absolute or from ``~``. The absolute form put the
author's home folder in a committed notebook (a setup cell's output, a replay-mode refusal
nbval stores) and differed in every other checkout, so nbval failed in CI."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import CacheNotHere, CacheUnusable


def shown(path: str, given: str | None, set_in: str) -> str:
    """``path`` (absolute) as the user reads it; ``given``: the path as set, in the folder
    ``set_in``."""
    given = given or path
    if _anchored(given) or str(Path.cwd()) == set_in:
        return given
    return os.path.relpath(path)


def not_found(path: str, given: str | None, set_in: str) -> CacheUnusable:
    """Replay mode's refusal of a cache file that does not exist. A relative path says the
    working folder it was looked up in, by name: the file is often beside the notebook while the
    kernel works elsewhere (papermill's kernels), and the fix is a path, not a new recording."""
    if given is None or _anchored(given):
        return CacheUnusable(shown(path, given, set_in), "there is no such file, and replay mode records "
                                                         "nothing, so it does not create one")
    return CacheNotHere(shown(path, given, set_in), Path(set_in).name or set_in)


def _anchored(given: str) -> bool:
    """Whether ``given`` names the same file from any working folder (absolute, or from ``~``)."""
    return given.startswith("~") or Path(given).is_absolute()
