"""The cache file: one SQLite database (stdlib ``sqlite3``), safe for several kernels at once.

Why it looks like this: WAL lets readers go on while another kernel writes; ``busy_timeout``
makes a writer wait for the other instead of failing; every write is one short transaction, so
an entry is either all there or not there (never torn). A ``meta`` table holds the schema
version: a file written by a newer ygpt_magic is refused with a clear message instead of being
misread. Every failure comes out as :class:`~ygpt_magic.errors.CacheUnusable` with the reason
in words (not a cache, damaged, read-only, disk full, a folder, which folder is missing), so
the caller decides whether to go on; a file another process kept locked for the whole
``busy_timeout`` comes out as
:class:`~ygpt_magic.errors.CacheLocked`, since nothing is wrong with it and a later try may work.
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import CacheLocked, CacheUnusable, InternalError
from ..errors.sqlite_words import ours, problem
from ..sqlite_writes import immediate

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
    "recorded TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS entries_recorded ON entries (recorded)",
    # when an entry was last replayed (auto mode), for clear --older-than; a table of its own, so
    # files stay readable and writable by versions that do not know it (no schema bump)
    "CREATE TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY, used TEXT NOT NULL)",
)
#: seconds within which a replayed entry is not marked used again: a re-run's hits cost one
#: small write per entry, not one per lookup (``clear --older-than`` counts in minutes at best)
MARK_EVERY = 60.0


def now() -> str:
    """A recording time: UTC, to the second, ISO 8601 (sorts as text)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reason(error: BaseException, path: Path) -> str:
    """What a user can act on, from sqlite3's or the OS's error about ``path``."""
    example = shlex.quote(str(path / "replies.sqlite"))
    return problem(error, path, "a reply cache", f"give a file in it, e.g. %ygpt cache {example}")


def _is_lock(error: sqlite3.Error) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection held the lock past ``busy_timeout``
    (``sqlite_errorcode`` from Python 3.11; the words before)."""
    code = getattr(error, "sqlite_errorcode", None)
    if sys.version_info >= (3, 11) and code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error).lower() or "busy" in str(error).lower()


class Store:
    """The entries of one cache file: key → (value, recorded). Opened on creation.

    Every write is checkpointed into the database file at once, so the file alone (without its
    ``-wal`` and ``-shm`` companions) holds every entry: it is what gets committed next to the
    notebooks. A file that cannot be written (a read-only checkout, permissions) is opened
    read-only: it still replays, and a write says the file is read-only. A file that is locked
    is not: another process is writing it, and SQLite's read-only fallback for a read-only
    folder (``immutable``) would read it without locks, so the open fails with CacheLocked.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()  # one connection, shared by the kernel and the panel
        self.read_only = False
        self._marked: dict[str, float] = {}  # key → when this connection last marked it used
        try:
            self._db = self._open()
        except CacheLocked:
            raise  # not read-only: reading a file another process writes is unsafe as immutable
        except CacheUnusable as error:
            if not self.path.is_file():
                raise
            self._db = self._open_read_only(error)
            self.read_only = True

    def _open_read_only(self, error: CacheUnusable) -> sqlite3.Connection:
        """A file that cannot be written may still be read (replay needs no more): read-only,
        else as immutable (a read-only folder, where SQLite cannot make its ``-shm`` file; every
        entry is in the file itself). ``error`` if neither works."""
        for mode in ("mode=ro", "immutable=1"):
            try:
                return self._open(mode)
            except CacheUnusable:
                continue
        raise error

    def _open(self, read_only: str = "") -> sqlite3.Connection:
        """The connection, schema checked (and created when writable); ``read_only``: the URI
        parameter that opens it read-only."""
        target = f"file:{quote(str(self.path))}?{read_only}" if read_only else str(self.path)
        try:
            db = sqlite3.connect(target, uri=bool(read_only), timeout=BUSY_TIMEOUT_MS / 1000,
                                 isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise self._unusable(error) from None
        try:
            self._prepare(db, read_only)
        except BaseException:
            db.close()
            raise
        return db

    def _prepare(self, db: sqlite3.Connection, read_only: str) -> None:
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            tables = {row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "meta" not in tables:  # before anything is written to it
                raise CacheUnusable(self.path, "it is an SQLite database of something else, "
                                               "not a reply cache (it was left unchanged)")
            if "meta" not in tables or not read_only:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                with immediate(db):
                    for statement in _SCHEMA:
                        db.execute(statement)
                    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            found = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()[0]
        except sqlite3.Error as error:
            raise self._unusable(error) from None
        if not found.isdigit() or int(found) > SCHEMA_VERSION:
            raise CacheUnusable(self.path, f"it was written by a newer ygpt_magic (cache format "
                                           f"{found}; this one reads format {SCHEMA_VERSION}). "
                                           f"Upgrade ygpt_magic, or record a new cache")

    def _unusable(self, error: sqlite3.Error) -> CacheUnusable | InternalError:
        """What a caller is told: CacheLocked when another process held the lock for the whole
        wait (the file is fine, and the cache tries it again later), InternalError for what no
        file can cause (a transaction of ours in the wrong state), else the reason in words."""
        if ours(error):
            return InternalError(error)
        if _is_lock(error):
            return CacheLocked(self.path, BUSY_TIMEOUT_MS / 1000)
        return CacheUnusable(self.path, _reason(error, self.path))

    def get(self, key: str) -> tuple[dict[str, Any], str] | None:
        """The value and recording time for ``key``, if recorded."""
        with self._lock:
            try:
                row = self._db.execute("SELECT value, recorded FROM entries WHERE key = ?",
                                       (key,)).fetchone()
            except sqlite3.Error as error:
                raise self._unusable(error) from None
        if row is None:
            return None
        try:
            return json.loads(row[0]), row[1]
        except ValueError:
            raise CacheUnusable(self.path, "an entry is damaged") from None

    def put(self, key: str, value: dict[str, Any], recorded: str | None = None) -> str:
        """Record ``value`` under ``key`` (replacing any), in one transaction; its time."""
        recorded = recorded or now()
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            try:
                with immediate(self._db):
                    self._db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                                     (key, text, recorded))
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # into the file itself
            except sqlite3.Error as error:
                raise self._unusable(error) from None
        return recorded

    def mark_used(self, key: str) -> None:
        """Note that ``key``'s entry was replayed now (once a minute at most). A file that cannot
        take the note at once (read-only, or its lock held by another thread or kernel) loses
        only the note: the replay it is about has already worked, and a note is never worth
        failing it nor delaying it, so the lock is tried once, with no wait. Not checkpointed
        at once, as an entry is: a killed kernel's notes wait in the ``-wal`` for the next open."""
        moment = time.monotonic()
        if self.read_only or moment - self._marked.get(key, -MARK_EVERY) < MARK_EVERY:
            return
        self._marked[key] = moment
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._note_used(key)
        except sqlite3.Error:
            return
        finally:
            self._lock.release()

    def _note_used(self, key: str) -> None:
        """The note itself, with SQLite's wait for another kernel's lock off while it is taken."""
        self._db.execute("PRAGMA busy_timeout = 0")
        try:
            with immediate(self._db):
                self._db.execute("INSERT OR REPLACE INTO used VALUES (?, ?)", (key, now()))
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def count(self) -> int:
        with self._lock:
            try:
                count: int = self._db.execute("SELECT count(*) FROM entries").fetchone()[0]
                return count
            except sqlite3.Error as error:
                raise self._unusable(error) from None

    def values(self) -> Iterator[dict[str, Any]]:
        """Every entry's value, in no order; a damaged one is left out (what a replay-mode miss
        compares itself with, cache/misses.py: an explanation, not a replay)."""
        with self._lock:
            try:
                rows = self._db.execute("SELECT value FROM entries").fetchall()
            except sqlite3.Error as error:
                raise self._unusable(error) from None
        for (text,) in rows:
            try:
                value = json.loads(text)
            except ValueError:
                continue
            if isinstance(value, dict):
                yield value

    def size(self) -> int:
        """Bytes on disk: the database and its write-ahead log."""
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

    def clear(self, before: str | None = None) -> int:
        """Forget every entry (or those last used before ``before``: recorded then, and not
        replayed since); how many went."""
        where, args = ("WHERE recorded < ? AND NOT EXISTS (SELECT 1 FROM used WHERE "
                       "used.key = entries.key AND used.used >= ?)", (before, before)) if before else ("", ())
        with self._lock:
            try:
                with immediate(self._db):
                    removed = self._db.execute(f"DELETE FROM entries {where}", args).rowcount
                    self._db.execute("DELETE FROM used WHERE key NOT IN (SELECT key FROM entries)")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as error:
                raise self._unusable(error) from None
        return removed

    def close(self) -> None:
        with self._lock:
            self._db.close()

