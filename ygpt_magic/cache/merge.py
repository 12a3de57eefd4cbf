"""Merging another reply cache into this one: every entry it holds that this one lacks.

Why: two teammates who record on two branches get a binary merge conflict in the committed
``replies.sqlite``, and taking one side drops the other's recordings (CI then fails on their
cells, and recording them again against Yandex Cloud is paid for). Entries are content-addressed
(the key is a SHA-256 of everything that decides the reply), so two sides' recordings of
different requests never collide, and the same key on both sides is the same request: this
side's entry is kept (``INSERT OR IGNORE``). The other file is only read, and checked first: a
file that is not a reply cache, or one of a newer format, is refused whole, never half-copied.
Used by ``%ygpt cache merge OTHER`` and by ``ygpt-magic cache merge OURS THEIRS``, which git
runs as a merge driver.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from ..errors import CacheNotMerged, CacheUnusable
from ..errors.merges import UNWRITTEN, this_side
from ..errors.sqlite_words import problem
from .schema import SCHEMA_VERSION, readable
from .store import Store

#: one entry as the file holds it: key, value (JSON text), recording time
Row = tuple[str, str, str]


class Merged(NamedTuple):
    """What a merge did: entries added, and those this cache held already (kept as they were)."""

    added: int
    already: int


def merge(store: Store, other: str | Path, who: str) -> Merged:
    """Copy into ``store`` every entry of the cache file ``other`` that it lacks, in one
    transaction. ``who``: the command a refusal (CacheNotMerged: nothing copied) is said by."""
    path = Path(other).expanduser()
    with closing(_reader(path, who)) as source:
        _check(source, path, who)
        rows = _entries(source, path, who)
    try:
        added = store.add_missing(rows)
    except CacheUnusable as error:
        raise CacheNotMerged(who, path, f"this reply cache {store.shown()!r} cannot be written "
                                        f"({error.problem})", UNWRITTEN) from None
    return Merged(added, len(rows) - added)


def merge_into(opened: Callable[[], Store], other: str | Path, who: str) -> Merged:
    """:func:`merge` into this notebook's cache, ``opened()`` (CacheUnusable when it cannot be
    used: then the advice is about this notebook's cache, not the other file)."""
    try:
        store = opened()
    except CacheUnusable as error:
        raise CacheNotMerged(who, other, f"this reply cache {str(error.path)!r} cannot be used ({error.problem})",
                             this_side(error.path, "this notebook's", "choose it with %ygpt cache PATH")) from None
    return merge(store, other, who)


def merge_files(ours: str | Path, theirs: str | Path, who: str) -> Merged:
    """:func:`merge` into the cache file ``ours``, which must exist (git's merge driver hands
    over both sides' files), closed after: its log folded in, no notes file made beside it."""
    path = Path(ours).expanduser()
    fix = this_side(path, "this side's", "give its right path (the first file)")
    if not path.is_file():
        raise CacheNotMerged(who, theirs, f"there is no reply cache at {str(path)!r} to merge into", fix)
    try:
        store = Store(path)
    except CacheUnusable as error:
        raise CacheNotMerged(who, theirs, f"the reply cache {str(path)!r} cannot be used ({error.problem})",
                             fix) from None
    try:
        return merge(store, theirs, who)
    finally:
        store.close()


def _reader(path: Path, who: str) -> sqlite3.Connection:
    """A read-only connection to ``path`` (never created: a path with no file is refused). With
    no log beside it (a committed file, ``git show``'s copy, git's temporary files) it is read as
    immutable: a read-only open of a WAL file would leave ``-wal`` and ``-shm`` files behind,
    which it cannot delete. With one (another kernel's live cache), the log is read too."""
    if not path.is_file():
        raise CacheNotMerged(who, path, problem(FileNotFoundError(path), path, "a reply cache",
                                                "give the cache file in it"))
    how = "mode=ro" if Path(f"{path}-wal").exists() else "immutable=1"
    try:
        return sqlite3.connect(f"file:{quote(str(path))}?{how}", uri=True)
    except sqlite3.Error as error:
        raise CacheNotMerged(who, path, _reason(error, path)) from None


def _check(source: sqlite3.Connection, path: Path, who: str) -> None:
    """CacheNotMerged unless ``source`` is a reply cache of a format this version reads."""
    not_a_cache = CacheNotMerged(who, path, "it is not a reply cache (an SQLite database of something else)")
    try:
        tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            raise not_a_cache
        found = source.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
    except sqlite3.Error as error:
        raise CacheNotMerged(who, path, _reason(error, path)) from None
    version = str(found[0]) if found else ""
    if not readable(version):
        raise CacheNotMerged(who, path, f"it was written by a newer ygpt_magic (cache format {version or '?'}; "
                                        f"this one reads format {SCHEMA_VERSION}); upgrade ygpt_magic and merge again")
    if "entries" not in tables:
        raise not_a_cache


def _entries(source: sqlite3.Connection, path: Path, who: str) -> list[Row]:
    """Every entry of ``source`` (a cache is megabytes: read whole, merged in one transaction)."""
    try:
        return source.execute("SELECT key, value, recorded FROM entries").fetchall()
    except sqlite3.Error as error:
        raise CacheNotMerged(who, path, _reason(error, path)) from None


def _reason(error: sqlite3.Error, path: Path) -> str:
    return problem(error, path, "a reply cache", "give the cache file in it")
