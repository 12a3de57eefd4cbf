"""Another reply cache could not be merged into this one (`%ygpt cache merge`, `ygpt-magic cache
merge`): a refusal is whole, so it says that nothing was merged, why, and what to do instead of
taking one side of a conflict (which drops the other side's recordings). The advice is about the
side that failed: the other side's file, or this side's own cache (missing, damaged, unwritable)."""

from __future__ import annotations

import shlex

from .base import YGptError

#: what to do when the other side's file is what failed
OTHER_SIDE = ("Give the other side's cache file (in a git conflict: git show OTHER-BRANCH:path/replies.sqlite > "
              "theirs.sqlite), then merge again.")
#: what to do when this side's cache could not take the entries read from the other side's
UNWRITTEN = "The other side's file was read: once this side's cache can be written, merge again."


def this_side(path: object, whose: str, choose: str) -> str:
    """What to do when this side's cache at ``path`` is missing or cannot be used: ``whose``
    names it ("this side's", "this notebook's"), ``choose`` says how to give its right path."""
    return (f"The file to fix is {whose} cache, not the other's: {choose}, or restore it (in git: "
            f"git checkout HEAD -- {shlex.quote(str(path))}), then merge again.")


class CacheNotMerged(YGptError):
    """``who`` (the command) merged nothing from ``path``: ``problem`` says why in words, ``fix``
    what to do (:data:`OTHER_SIDE` unless this side's cache is what failed)."""

    def __init__(self, who: str, path: object, problem: str, fix: str = OTHER_SIDE) -> None:
        self.path, self.problem = path, problem.rstrip(".")
        super().__init__(
            f"{who}: nothing was merged from {str(path)!r}: {self.problem}. The reply cache was left "
            f"as it was. {fix}")
