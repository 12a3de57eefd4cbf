"""The cache file: one SQLite database (stdlib ``sqlite3``), safe for several kernels at once.

Why it looks like this: WAL lets readers go on while another kernel writes; ``busy_timeout`` makes
a writer wait for the other instead of failing; every write is one short transaction, so an entry
is either all there or not there (never torn). The log is SQLite's business, not the cache's:
``size()`` is the data, the "used" notes of replays go in batches (cache/notes.py) to a file of
their own beside it (``replies.sqlite-used``, :data:`NOTES_SUFFIX`), so a Run All that only replays
leaves the committed file byte for byte, and closing (at unload and at the kernel's exit) empties
the logs even when another kernel keeps the file open. A ``meta`` table holds the schema version: a
file written by a newer ygpt_magic is refused with a clear message instead of being misread. Every
failure comes out as :class:`~ygpt_magic.errors.CacheUnusable` with the reason in words (not a
cache, damaged, read-only, disk full, a folder, which folder is missing), so the caller decides
whether to go on; a file another process kept locked for the whole ``busy_timeout`` comes out as
:class:`~ygpt_magic.errors.CacheLocked`, since nothing is wrong with it and a later try may work.
"""

from __future__ import annotations

import atexit
import json
import os
import shlex
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from ..errors import CacheLocked, CacheUnusable, InternalError
from ..errors.sqlite_words import locked, ours, problem
from ..sqlite_writes import immediate
from .notes import NOTES_WAIT, Notes, PendingNotes, now
from .schema import SCHEMA_VERSION, TABLES, readable

BUSY_TIMEOUT_MS = 10_000

#: the file beside the cache that holds when each entry was last replayed (auto mode), for
#: clear --older-than: each checkout's own, left out of git (.gitignore ``*.sqlite-used*``)
NOTES_SUFFIX = "-used"
_NOTES_TABLE = "CREATE TABLE IF NOT EXISTS notes.used (key TEXT PRIMARY KEY, used TEXT NOT NULL)"
_NOTE = "INSERT OR REPLACE INTO notes.used VALUES (?, ?)"
#: an entry last used before the moment ``clear --older-than`` is given: recorded then, and
#: noted neither in the notes file nor in the cache file (older versions' notes)
_UNUSED = ("WHERE recorded < ? AND NOT EXISTS (SELECT 1 FROM notes.used AS n WHERE n.key = entries.key "
           "AND n.used >= ?) AND NOT EXISTS (SELECT 1 FROM main.used AS m WHERE m.key = entries.key "
           "AND m.used >= ?)")
#: how long closing waits for another kernel's write lock to write the last notes
CLOSING_WAIT_MS = 1000


def _reason(error: BaseException, path: Path, shown: str) -> str:
    """What a user can act on, from sqlite3's or the OS's error about ``path`` (``shown`` as
    the message names it)."""
    example = shlex.quote(str(Path(shown) / "replies.sqlite"))
    return problem(error, path, "a reply cache", f"give a file in it, e.g. %ygpt cache {example}", shown)


def _remove_if_empty(path: Path) -> None:
    """Remove the file an open made and could not write (a full disk): left behind, an empty
    replies.sqlite would be committed beside the notebooks, and refused in CI as not a cache.
    A file that holds anything is another kernel's, made meanwhile, and is kept."""
    with suppress(OSError):
        if path.stat().st_size == 0:
            path.unlink()


def _text(value: dict[str, Any]) -> str:
    """An entry's value as the file holds it: one JSON format, whoever writes the entry."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Cleared(NamedTuple):
    """What a clear did: entries removed, and the data's size (bytes) before and after."""

    removed: int
    size_before: int
    size_after: int


class Store:
    """The entries of one cache file: key → (value, recorded). Opened on creation.

    Every write is checkpointed into the database file at once, so the file alone (without its
    ``-wal`` and ``-shm`` companions) holds every entry: it is what gets committed next to the
    notebooks. A file that cannot be written (a read-only checkout, permissions) is opened
    read-only: it still replays, and a write says the file is read-only. A file that is locked
    is not: another process is writing it, and SQLite's read-only fallback for a read-only
    folder (``immutable``) would read it without locks, so the open fails with CacheLocked.
    """

    def __init__(self, path: str | os.PathLike[str], shown: Callable[[], str] | None = None) -> None:
        self.path = Path(path).expanduser()
        #: how a message names the file (ReplyCache.shown: as set, never the absolute path)
        self.shown: Callable[[], str] = shown or str(path).__str__
        self._lock = threading.Lock()  # one connection, shared by the kernel and the panel
        self.read_only = False
        self._closed = False
        self._notes_attached = False
        self._notes = PendingNotes(self._flush_notes, NOTES_WAIT)
        existed = self.path.exists()
        try:
            self._db = self._open()
        except CacheLocked:
            raise  # not read-only: reading a file another process writes is unsafe as immutable
        except CacheUnusable as error:
            if not existed:
                _remove_if_empty(self.path)
            if not self.path.is_file():
                raise
            self._db = self._open_read_only(error)
            self.read_only = True
        atexit.register(self.close)  # a kernel's exit unloads nothing: the last notes, the log

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
                raise CacheUnusable(self.shown(), "it is an SQLite database of something else, "
                                               "not a reply cache (it was left unchanged)")
            if "meta" not in tables or not read_only:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                with immediate(db):
                    for statement in TABLES:
                        db.execute(statement)
                    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            found = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()[0]
        except sqlite3.Error as error:
            raise self._unusable(error) from None
        if not readable(found):
            raise CacheUnusable(self.shown(), f"it was written by a newer ygpt_magic (cache format "
                                           f"{found}; this one reads format {SCHEMA_VERSION}). "
                                           f"Upgrade ygpt_magic, or record a new cache")

    def _unusable(self, error: sqlite3.Error) -> CacheUnusable | InternalError:
        """What a caller is told: CacheLocked when another process held the lock for the whole
        wait (the file is fine, and the cache tries it again later), InternalError for what no
        file can cause (a transaction of ours in the wrong state), else the reason in words."""
        if ours(error):
            return InternalError(error)
        if locked(error):
            return CacheLocked(self.shown(), BUSY_TIMEOUT_MS / 1000)
        return CacheUnusable(self.shown(), _reason(error, self.path, self.shown()))

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
            raise CacheUnusable(self.shown(), "an entry is damaged") from None

    def put(self, key: str, value: dict[str, Any], recorded: str | None = None) -> str:
        """Record ``value`` under ``key`` (replacing any), in one transaction; its time."""
        recorded = recorded or now()
        text = _text(value)
        with self._lock:
            try:
                with immediate(self._db):
                    self._db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                                     (key, text, recorded))
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # into the file itself
            except sqlite3.Error as error:
                raise self._unusable(error) from None
        return recorded

    def add_missing(self, rows: Sequence[tuple[str, str, str]]) -> int:
        """Add the entries ``rows`` (key, value as JSON text, recorded) that this file lacks, in
        one transaction (cache/merge.py); how many were added. One it holds is kept as it is."""
        with self._lock:
            try:
                with immediate(self._db):
                    before = self._db.total_changes
                    self._db.executemany("INSERT OR IGNORE INTO entries VALUES (?, ?, ?)", rows)
                    added = self._db.total_changes - before
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # into the file itself
            except sqlite3.Error as error:
                raise self._unusable(error) from None
        return added

    def mark_used(self, key: str) -> None:
        """Note that ``key``'s entry was replayed now (once a minute at most), in the file within
        :data:`~ygpt_magic.cache.notes.NOTES_WAIT` seconds, together with the notes of the
        replays around it. A note never delays nor fails the replay it is about: a file that
        cannot take it (read-only) drops it, and one whose lock another kernel holds gets it
        later."""
        if not self.read_only:
            self._notes.add(key)

    def _flush_notes(self) -> None:
        """The timer's round: the pending notes taken and written under the lock that
        :meth:`close` and :meth:`clear` take, so either finds each note pending or in the file,
        never taken and not yet written (a closed store: close wrote them)."""
        with self._lock:
            if not self._closed:
                self._notes.write(self._write_notes)

    def _write_notes(self, notes: Notes) -> bool:
        """Write ``notes`` in one transaction (the lock held), without waiting for another
        kernel's lock (the timer's thread holds the connection meanwhile, and a replay may be
        waiting for it); False when that lock was held, so they wait for the next round. A
        file that cannot take them otherwise (damaged, a full disk) loses only the notes: the
        next write says what is wrong with it."""
        self._db.execute("PRAGMA busy_timeout = 0")
        try:
            self._insert_notes(notes)
        except sqlite3.Error as error:
            return not locked(error)
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return True

    def _insert_notes(self, notes: Notes) -> None:
        self._attach_notes()
        with immediate(self._db):
            self._db.executemany(_NOTE, notes.items())

    def _attach_notes(self) -> None:
        """The notes file (the cache's path + :data:`NOTES_SUFFIX`) attached as ``notes``, made
        on first need (the lock held): a store that never notes nor clears makes none (a merge
        into git's temporary file). A read-only cache gets an empty one in memory, which clear
        reads before its write is refused."""
        if self._notes_attached:
            return
        self._db.execute("ATTACH DATABASE ? AS notes",
                         (":memory:" if self.read_only else f"{self.path}{NOTES_SUFFIX}",))
        try:
            if not self.read_only:
                self._db.execute("PRAGMA notes.journal_mode = WAL")
            self._db.execute(_NOTES_TABLE)
        except BaseException:
            self._db.execute("DETACH DATABASE notes")
            raise
        self._notes_attached = True

    def _read(self, sql: str) -> list[Any]:
        """The rows ``sql`` reads, under the lock; what :meth:`_unusable` says when it cannot."""
        with self._lock:
            try:
                return self._db.execute(sql).fetchall()
            except sqlite3.Error as error:
                raise self._unusable(error) from None

    def count(self) -> int:
        return int(self._read("SELECT count(*) FROM entries")[0][0])

    def rows(self) -> list[tuple[str, str, str]]:
        """Every entry as the file holds it: key, value (JSON text), recorded; in no order."""
        return self._read("SELECT key, value, recorded FROM entries")

    def values(self) -> Iterator[dict[str, Any]]:
        """Every entry's value, in no order; a damaged one is left out (what a replay-mode miss
        compares itself with, cache/misses.py: an explanation, not a replay)."""
        for _, text, _ in self.rows():
            try:
                value = json.loads(text)
            except ValueError:
                continue
            if isinstance(value, dict):
                yield value

    def size(self) -> int:
        """Bytes of data: the database's pages, the size of the file once its log is folded in.
        The ``-wal`` is SQLite's log of recent writes, not more data: counted, a Run All that
        recorded nothing read as a cache several times bigger."""
        return int(self._read("PRAGMA page_count")[0][0]) * int(self._read("PRAGMA page_size")[0][0])

    def clear(self, before: str | None = None) -> Cleared:
        """Forget every entry (or those last used before ``before``: recorded then, and not
        replayed since); how many went, and the data's size before and after. The pending notes
        go in first, taken under the lock the timer writes them under: a replay of a moment ago
        keeps its entry. Then the file gives the space back (:meth:`_rebuilt`): it is the one
        committed to git, and a clear that left its size would prune nothing there."""
        size = self.size()
        where, args = (_UNUSED, (before, before, before)) if before else ("", ())
        with self._lock:
            notes = self._notes.take()
            try:
                self._attach_notes()
                with immediate(self._db):
                    self._db.executemany(_NOTE, notes.items())
                    removed = self._db.execute(f"DELETE FROM main.entries {where}", args).rowcount
                    for table in ("notes.used", "main.used"):
                        self._db.execute(f"DELETE FROM {table} WHERE key NOT IN (SELECT key FROM main.entries)")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as error:
                self._notes.restore(notes)
                raise self._unusable(error) from None
            if removed:   # gone whatever happens here: a VACUUM that cannot run (another kernel's
                with suppress(sqlite3.Error):   # lock, no room for its copy) leaves the size, said
                    self._rebuilt()
        return Cleared(removed, size, self.size())

    def rewrite(self, values: Mapping[str, dict[str, Any]]) -> bool:
        """Replace the values of the entries ``values`` holds (key → value), their recording
        times kept, in one transaction, and rebuild the file (:meth:`_rebuilt`); whether the file
        itself now holds nothing of what they held. SQLite zeroes what the rewrite frees
        (``secure_delete``, for the rewrite only: the kernel's later writes do not zero theirs).
        False when another connection's read kept the old pages for the whole wait: the rewrite
        is in the log only, and a rewrite of nothing (rebuilding a file whose log holds more) ends it."""
        with self._lock:
            was = self._db.execute("PRAGMA secure_delete").fetchone()[0]
            try:
                self._db.execute("PRAGMA secure_delete = ON")
                if values:
                    with immediate(self._db):
                        self._db.executemany("UPDATE entries SET value = ? WHERE key = ?",
                                             [(_text(value), key) for key, value in values.items()])
                elif self.read_only or self._folded("PASSIVE"):
                    return True
                return self._rebuilt()
            except sqlite3.Error as error:
                raise self._unusable(error) from None
            finally:
                self._db.execute(f"PRAGMA secure_delete = {int(was)}")

    def _folded(self, mode: str) -> bool:
        """Whether a checkpoint (``mode``: PASSIVE, TRUNCATE) copied the whole log into the file:
        it gives (busy, frames in the log, frames copied), raising nothing when a reader stops it."""
        busy, log, copied = self._db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return not busy and log == copied

    def _rebuilt(self) -> bool:
        """VACUUM the cache file and fold it into the file itself, emptying the log (the lock
        held); whether the log was folded in whole (:meth:`_folded`)."""
        self._db.execute("VACUUM main")
        return self._folded("TRUNCATE")

    def close(self) -> None:
        """Write the pending notes and empty the log into the file (waiting a moment at most
        for another kernel's lock: what cannot be written then is only notes), then close.
        SQLite empties the log itself only when the last connection closes; another kernel
        may keep the file open for days."""
        self._notes.stop()
        atexit.unregister(self.close)
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                with suppress(sqlite3.Error):  # only notes are lost; the next writer folds the log in
                    self._fold_in(self._notes.take())
            finally:
                self._db.close()

    def _fold_in(self, notes: Notes) -> None:
        """Write ``notes`` and empty the log into the file (nothing for a read-only file)."""
        if self.read_only:
            return
        self._db.execute(f"PRAGMA busy_timeout = {CLOSING_WAIT_MS}")
        if notes:
            self._insert_notes(notes)
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
