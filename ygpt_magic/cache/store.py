"""The cache file: one SQLite database (stdlib ``sqlite3``), safe for several kernels at once.

Why it looks like this: WAL lets readers go on while another kernel writes; ``busy_timeout``
makes a writer wait for the other instead of failing; every write is one short transaction, so
an entry is either all there or not there (never torn). A ``meta`` table holds the schema
version: a file written by a newer ygpt_magic is refused with a clear message instead of being
misread. Every failure comes out as :class:`~ygpt_magic.errors.CacheUnusable` with the reason
in words (not a cache, damaged, read-only, disk full), so the caller decides whether to go on.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import CacheUnusable

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
    "recorded TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS entries_recorded ON entries (recorded)",
)


def now() -> str:
    """A recording time: UTC, to the second, ISO 8601 (sorts as text)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reason(error: BaseException) -> str:
    """What a user can act on, from sqlite3's or the OS's error."""
    text = str(error).lower()
    if "not a database" in text or "malformed" in text:
        return "the file is not a reply cache (or is damaged)"
    if "readonly" in text or "read-only" in text:
        return "the file or its folder is read-only"
    if "full" in text or "disk i/o" in text:
        return "the disk is full, or the file could not be written"
    if "unable to open" in text:
        return "the file cannot be created or opened there (a missing or read-only folder?)"
    if "locked" in text or "busy" in text:
        return "another process kept the file locked for too long"
    return f"{type(error).__name__}: {error}"


class Store:
    """The entries of one cache file: key → (value, recorded). Opened on creation."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()  # one connection, shared by the kernel and the panel
        try:
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                       isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise CacheUnusable(path, _reason(error)) from None
        try:
            self._prepare()
        except (sqlite3.Error, CacheUnusable):
            self._db.close()
            raise

    def _prepare(self) -> None:
        db = self._db
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            tables = {row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "meta" not in tables:  # before anything is written to it
                raise CacheUnusable(self.path, "it is an SQLite database of something else, "
                                               "not a reply cache (it was left unchanged)")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            with self._transaction():
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                found = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()[0]
        except sqlite3.Error as error:
            raise CacheUnusable(self.path, _reason(error)) from None
        if not found.isdigit() or int(found) > SCHEMA_VERSION:
            raise CacheUnusable(self.path, f"it was written by a newer ygpt_magic (cache format "
                                           f"{found}; this one reads format {SCHEMA_VERSION}). "
                                           f"Upgrade ygpt_magic, or record a new cache")

    def _transaction(self):
        return _Transaction(self._db)

    def get(self, key: str) -> tuple[dict[str, Any], str] | None:
        """The value and recording time for ``key``, if recorded."""
        with self._lock:
            try:
                row = self._db.execute("SELECT value, recorded FROM entries WHERE key = ?",
                                       (key,)).fetchone()
            except sqlite3.Error as error:
                raise CacheUnusable(self.path, _reason(error)) from None
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
                with self._transaction():
                    self._db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                                     (key, text, recorded))
            except sqlite3.Error as error:
                raise CacheUnusable(self.path, _reason(error)) from None
        return recorded

    def put_many(self, items: list[tuple[str, dict[str, Any], str]]) -> None:
        """Many entries in one transaction (for building big caches in benchmarks and tests)."""
        rows = [(k, json.dumps(v, ensure_ascii=False, separators=(",", ":")), r) for k, v, r in items]
        with self._lock:
            try:
                with self._transaction():
                    self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", rows)
            except sqlite3.Error as error:
                raise CacheUnusable(self.path, _reason(error)) from None

    def count(self) -> int:
        with self._lock:
            try:
                return self._db.execute("SELECT count(*) FROM entries").fetchone()[0]
            except sqlite3.Error as error:
                raise CacheUnusable(self.path, _reason(error)) from None

    def size(self) -> int:
        """Bytes on disk: the database and its write-ahead log."""
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

    def clear(self, before: str | None = None) -> int:
        """Forget every entry (or those recorded before ``before``); how many went."""
        where, args = ("WHERE recorded < ?", (before,)) if before else ("", ())
        with self._lock:
            try:
                with self._transaction():
                    removed = self._db.execute(f"DELETE FROM entries {where}", args).rowcount
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as error:
                raise CacheUnusable(self.path, _reason(error)) from None
        return removed

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error): the write lock is taken at the
    start, so two kernels queue on ``busy_timeout`` instead of failing halfway."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self._db.execute("COMMIT")
        elif self._db.in_transaction:
            self._db.execute("ROLLBACK")
