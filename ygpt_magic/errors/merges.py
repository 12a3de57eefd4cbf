"""Another reply cache could not be merged into this one (`%ygpt cache merge`, `ygpt-magic cache
merge`): a refusal is whole, so it says that nothing was merged, why, and what to do instead of
taking one side of a conflict (which drops the other side's recordings)."""

from __future__ import annotations

from .base import YGptError


class CacheNotMerged(YGptError):
    """``who`` (the command) merged nothing from ``path``: ``problem`` says why in words."""

    def __init__(self, who: str, path: object, problem: str) -> None:
        self.path, self.problem = path, problem.rstrip(".")
        super().__init__(
            f"{who}: nothing was merged from {str(path)!r}: {self.problem}. The reply cache was left "
            f"as it was. Give the other side's cache file (in a git conflict: git show "
            f"OTHER-BRANCH:path/replies.sqlite > theirs.sqlite), then merge again.")
