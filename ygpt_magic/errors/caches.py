"""The reply cache's errors: a file that cannot be used (or is locked by another kernel), one
that cannot be cleared, and a replay-mode miss, which says why no recording matched.
"""

from __future__ import annotations

from .base import YGptError
from .miss_words import advice, holds


class CacheUnusable(YGptError):
    """The reply cache file cannot be used (not a cache, damaged, from a newer version,
    read-only, disk full). Outside replay mode the cell runs uncached and says so in one line;
    in replay mode it is refused with this message (%ygpt cache clear says CacheNotCleared)."""

    def __init__(self, path: object, problem: str) -> None:
        self.path, self.problem = path, problem.rstrip(".")
        super().__init__(
            f"The reply cache {str(path)!r} cannot be used: {self.problem}. In replay mode nothing "
            f"is sent without it: fix the path (%ygpt cache PATH), record a new cache with "
            f"%ygpt cache --mode auto against a server, or switch the cache off with "
            f"%ygpt cache --mode off."
        )

    def line(self) -> str:
        """The one line a cell shows when it ran uncached because of this."""
        return f"ygpt cache: {str(self.path)!r} was not used ({self.problem}); this reply was not cached."


class CacheNotHere(CacheUnusable):
    """Replay mode found no file at a relative cache path, in the working folder it was set in,
    where it was looked up. The file is often right beside the notebook while the kernel works
    elsewhere (papermill starts kernels in the folder it runs in): recording a new cache there
    would cost tokens and leave a second file, so this says where it looked and how to point at
    the file, and only then how to record one that never was. ``folder``: that folder's name only
    (the message is stored in the output notebook)."""

    def __init__(self, path: object, folder: str) -> None:
        YGptError.__init__(
            self,
            f"The reply cache {str(path)!r} cannot be used: there is no such file in {folder!r}, the "
            f"working folder when the cache was set, where a relative path is looked up, and replay mode "
            f"records nothing. If it was recorded beside the notebook: a kernel works in the folder it was "
            f"started in (Jupyter and jupyter execute: the notebook's; papermill: the one papermill runs in), "
            f"so run papermill with --cwd and the notebook's folder, or set the cache (YGPT_CACHE, or %ygpt "
            f"cache PATH) by its path from the working folder or by an absolute path. If it was never "
            f"recorded, record it first (YGPT_CACHE_MODE=auto, or %ygpt cache auto).")
        self.path = path
        self.problem = f"there is no such file in {folder!r}, the working folder when the cache was set"


class CacheLocked(CacheUnusable):
    """Another process (another kernel) held the cache file locked for longer than the wait.
    Nothing about the file is wrong: it is tried again at the next cell and used once free."""

    def __init__(self, path: object, waited: float) -> None:
        YGptError.__init__(
            self,
            f"The reply cache {str(path)!r} is locked by another process (another kernel "
            f"writing it?), which held it for over {waited:g} s, so in replay mode nothing was "
            f"sent. Run the cell again once the other process is done with the cache.")
        self.path = path
        self.problem = (f"locked by another process for over {waited:g} s; it is tried again at "
                        f"the next cell")


class CacheNotCleared(YGptError):
    """`%ygpt cache clear` could not open or write the cache file, so nothing was removed. Not a
    CacheUnusable: it speaks of clearing, in any mode (no cell was refused, so replay mode is
    not its concern), and it is shown as every other error is, not as a failed CI run."""

    def __init__(self, unusable: CacheUnusable, *, exists: bool) -> None:
        super().__init__(f"%ygpt cache clear: {_not_cleared(unusable, exists)}")
        self.path, self.problem = unusable.path, unusable.problem


def _not_cleared(unusable: CacheUnusable, exists: bool) -> str:
    """Why nothing was cleared, and what to do: a path with no file has nothing to clear, a
    locked file is free later, anything else is for the user to fix first."""
    path = str(unusable.path)
    if not exists:
        return (f"nothing to clear: there is no reply cache at {path!r} ({unusable.problem}). "
                f"If the cache is somewhere else, set its path with %ygpt cache PATH.")
    if isinstance(unusable, CacheLocked):
        return (f"nothing was cleared: the reply cache {path!r} is locked by another process "
                f"(another kernel writing it?). Run %ygpt cache clear again once it is done.")
    return (f"nothing was cleared from the reply cache {path!r}: {unusable.problem}. The file was "
            f"left as it is: fix that and clear again, or choose another cache with "
            f"%ygpt cache PATH.")


class CacheNotMasked(YGptError):
    """`%ygpt cache --mask` could not write the cache file (read-only, locked, damaged), so its
    entries still hold the credentials it found. Not a CacheUnusable: no cell was refused."""

    def __init__(self, unusable: CacheUnusable) -> None:
        super().__init__(f"%ygpt cache --mask: the reply cache {str(unusable.path)!r} could not be "
                         f"written ({unusable.problem}), so its entries still hold what was found. "
                         f"Fix that and run %ygpt cache --mask again, or forget every entry with "
                         f"%ygpt cache clear.")
        self.path, self.problem = unusable.path, unusable.problem


class CacheMaskUnfinished(YGptError):
    """`%ygpt cache --mask` masked the entries, but the cache file itself still holds what they
    held: the masked pages are in SQLite's log (``-wal``), which another connection's read of
    the old ones kept out of the file for the whole wait. The file is what gets committed, so
    the command is not done: closing that reader and running it again finishes it. ``problem``:
    the rebuild failed instead (a full disk, another kernel's write for the whole wait)."""

    def __init__(self, path: object, waited: float, problem: str | None = None) -> None:
        why = (f"SQLite could not rebuild the file ({problem}), so the old pages are still in it. Do not commit "
               f"the file yet: fix that (free disk space, or let the kernel or program writing to the cache finish)"
               if problem else
               f"another program kept a read of the cache open for over {waited:g} s (another kernel or notebook "
               f"reading it, a database browser, a script), and SQLite copies the masked pages into the file only "
               f"once no reader needs the old ones. Do not commit the file yet: close the other kernels and programs "
               f"using this cache (or end their reads)")
        super().__init__(f"%ygpt cache --mask: the entries are masked, but the file {str(path)!r} itself still "
                         f"holds what they held: {why}, then run %ygpt cache --mask again, which finishes it.")
        self.path, self.waited, self.problem = path, waited, problem


class CacheMiss(YGptError):
    """Replay mode (``YGPT_CACHE_MODE=replay``, for CI) found no recording for a request.
    ``held``: how many recordings the cache holds (None: it could not say); ``differs``: the
    parts of the request (cache/key.py ``PARTS``) the nearest recording differs in (None: no
    recording to compare with), so an empty cache, a cache from elsewhere and an edited cell
    are told apart. ``servers``: the kinds of server (key.py ``SERVERS``) the nearest recording
    was made against and this request is for: recording again would not help a CI that replays
    against another server than the one recorded, so the miss says which to replay against.
    ``older``: how many recordings an older ygpt_magic made, which cannot be compared (then
    ``differs`` is None, and ``servers`` what they tell: the same kind twice when it is this
    request's; errors/miss_words.py)."""

    def __init__(self, path: object, cell: str, held: int | None = None,
                 differs: tuple[str, ...] | None = None,
                 servers: tuple[str, str] | None = None, older: int = 0) -> None:
        super().__init__(
            f"No recorded reply for {cell} in the reply cache {str(path)!r}, and the cache is in "
            f"replay mode, so nothing was sent. {holds(held, differs, servers, older)}. "
            f"{advice(differs, servers, older)}"
        )
        self.path, self.cell, self.held, self.differs = path, cell, held, differs
        self.servers, self.older = servers, older

    def at_row(self, label: object) -> CacheMiss:
        """The same miss, naming the row of a ``--map`` or ``embed`` run it is about."""
        return CacheMiss(self.path, f"{self.cell}, row {label!r}", self.held, self.differs,
                         self.servers, self.older)

    def of_source_chunk(self, where: str | None = None) -> CacheMiss:
        """The same miss, for the embedding of a --docs file's chunk: a text no recording holds
        is then a source chunk that changed (a file edited or added), not the cell's text;
        ``where``: the chunk's file and lines, named as a row of ``%ygpt embed`` is."""
        differs = ("chunk",) if self.differs and "text" in self.differs else self.differs
        cell = f"{self.cell}, the chunk {where}" if where else self.cell
        return CacheMiss(self.path, cell, self.held, differs, self.servers, self.older)
