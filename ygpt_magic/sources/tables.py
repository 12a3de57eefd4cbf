"""The sources index's tables and every statement on them (sources/index.py decides when).

What is stored once, and why:

- ``vectors``: one vector per chunk text (its SHA-256) and embedding space (the model and the
  server that made it, ``text-search-doc@local``): vectors of the local server's stand-in and of
  Yandex Cloud live in unrelated spaces and are never ranked against each other. A vector is
  written as soon as its batch comes back, not when its whole file is done, so a run stopped
  half way through one large file (Ctrl-C, a quota) keeps what it paid for.
- ``texts``: each chunk text once, whatever files and versions hold it.
- ``files`` and ``chunks``: a file version (its content hash) indexed in a space and chunking,
  and its chunks in order, by text hash and place. A ``files`` row is written once every chunk
  has its vector, so a file found there is complete.
- ``paths``: which version each file last had, by the SHA-256 of its path relative to the index
  (no path is stored). When a file changes, the version it replaced is dropped once no other
  file holds it, with the texts and vectors no version holds any more: a CSV that grows each
  day keeps one copy, not one per day.

Schema 1 (one row per chunk of each version, text and vector inline, no server) is dropped on
opening, not converted: its vectors' server is unknown, and the index only saves requests (with
the reply cache on they replay from it, keyed by server, with nothing sent).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from ..errors import IndexUnusable
from ..sqlite_writes import immediate

SCHEMA_VERSION = 2
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vectors (space TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, "
    "PRIMARY KEY (space, hash))",
    "CREATE TABLE IF NOT EXISTS texts (hash TEXT PRIMARY KEY, text TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS files (space TEXT NOT NULL, digest TEXT NOT NULL, "
    "chunks INTEGER NOT NULL, PRIMARY KEY (space, digest))",
    "CREATE TABLE IF NOT EXISTS chunks (id INTEGER PRIMARY KEY, space TEXT NOT NULL, "
    "digest TEXT NOT NULL, ordinal INTEGER NOT NULL, hash TEXT NOT NULL, location TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS chunks_file ON chunks (space, digest)",
    "CREATE INDEX IF NOT EXISTS chunks_hash ON chunks (hash)",
    "CREATE TABLE IF NOT EXISTS paths (path TEXT PRIMARY KEY, digest TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS paths_digest ON paths (digest)",
)

#: every table that holds what was indexed (``meta`` aside)
_CONTENT = ("vectors", "texts", "files", "chunks", "paths")

#: a chunk as written: ordinal, text hash, where in its file, text
ChunkRow = tuple[int, str, str, str]


def prepare(db: sqlite3.Connection, path: str) -> None:
    """The tables, at this version: an index of schema 1 is emptied and rebuilt (see the module's
    docstring); one of a newer version is refused."""
    db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    row = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
    if row is not None and int(row[0]) > SCHEMA_VERSION:
        raise IndexUnusable(path, f"it was written by a newer ygpt_magic (schema {row[0]})")
    if row is not None and int(row[0]) < SCHEMA_VERSION:
        with immediate(db):
            for table in ("chunks", "files"):
                db.execute(f"DROP TABLE IF EXISTS {table}")
            db.execute("DELETE FROM meta WHERE name = 'schema'")
        row = None
    for statement in _SCHEMA:
        db.execute(statement)
    if row is None:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))


def complete(db: sqlite3.Connection, space: str, digest: str) -> bool:
    return db.execute("SELECT 1 FROM files WHERE space = ? AND digest = ?", (space, digest)).fetchone() is not None


def known(db: sqlite3.Connection, model: str, hashes: Sequence[str]) -> set[str]:
    """Which of these text hashes have a vector in ``model``'s space."""
    return {h for (h,) in db.execute(
        "SELECT hash FROM vectors WHERE space = ? AND hash IN (SELECT value FROM json_each(?))",
        (model, json.dumps(list(hashes))))}


def write(db: sqlite3.Connection, model: str, space: str, vectors: Iterable[tuple[str, bytes]],
          files: Iterable[tuple[str, Sequence[ChunkRow]]]) -> None:
    """In one transaction: the ``vectors`` (text hash, float32 bytes) of ``model``, and the
    complete ``files`` (digest, chunks) of ``space``, each skipped when another kernel wrote it
    meanwhile."""
    with immediate(db):
        db.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?, ?)",
                       ((model, text_hash, blob) for text_hash, blob in vectors))
        for digest, rows in files:
            if complete(db, space, digest):
                continue
            db.executemany("INSERT OR IGNORE INTO texts VALUES (?, ?)", ((h, text) for _, h, _, text in rows))
            db.executemany("INSERT INTO chunks (space, digest, ordinal, hash, location) VALUES (?, ?, ?, ?, ?)",
                           ((space, digest, ordinal, h, where) for ordinal, h, where, _ in rows))
            db.execute("INSERT INTO files VALUES (?, ?, ?)", (space, digest, len(rows)))


def refer(db: sqlite3.Connection, paths: Iterable[tuple[str, str]]) -> list[str]:
    """Record the version each path (its key) holds now; drop each version a path held before
    that no path holds any more. Returns the digests dropped. Writes nothing when no path
    changed (a committed index stays as it was)."""
    held = dict(paths)
    before = dict(db.execute("SELECT path, digest FROM paths WHERE path IN (SELECT value FROM json_each(?))",
                             (json.dumps(list(held)),)).fetchall())
    changed = {path: digest for path, digest in held.items() if before.get(path) != digest}
    if not changed:
        return []
    with immediate(db):
        db.executemany("INSERT OR REPLACE INTO paths VALUES (?, ?)", changed.items())
        replaced = {before[path] for path in changed if path in before}
        dropped = [digest for digest in sorted(replaced) if _unheld(db, digest)]
        for digest in dropped:
            _drop(db, digest)
    return dropped


def _unheld(db: sqlite3.Connection, digest: str) -> bool:
    return db.execute("SELECT 1 FROM paths WHERE digest = ?", (digest,)).fetchone() is None


def _drop(db: sqlite3.Connection, digest: str) -> None:
    """A file version in every space, and the texts and vectors of its chunks no other version
    holds (a vector of a run stopped half way holds no version yet, and is kept)."""
    hashes = json.dumps([h for (h,) in db.execute("SELECT DISTINCT hash FROM chunks WHERE digest = ?", (digest,))])
    db.execute("DELETE FROM chunks WHERE digest = ?", (digest,))
    db.execute("DELETE FROM files WHERE digest = ?", (digest,))
    for table in ("texts", "vectors"):
        db.execute(f"DELETE FROM {table} WHERE hash IN (SELECT value FROM json_each(?)) "
                   f"AND hash NOT IN (SELECT hash FROM chunks)", (hashes,))


def held(db: sqlite3.Connection, model: str, space: str, digests: Sequence[str]) -> list[tuple[str, int, bytes]]:
    """(digest, chunk id, vector) of every chunk of these files, by file and in file order."""
    return db.execute(
        "SELECT c.digest, c.id, v.vector FROM chunks c JOIN vectors v ON v.space = ? AND v.hash = c.hash "
        "WHERE c.space = ? AND c.digest IN (SELECT value FROM json_each(?)) ORDER BY c.digest, c.ordinal",
        (model, space, json.dumps(list(digests)))).fetchall()


def stored(db: sqlite3.Connection, ids: Sequence[int]) -> list[tuple[int, str, str, str]]:
    """(id, digest, location, text) of the chunks with these ids."""
    return db.execute("SELECT c.id, c.digest, c.location, t.text FROM chunks c JOIN texts t ON t.hash = c.hash "
                      "WHERE c.id IN (SELECT value FROM json_each(?))", (json.dumps(list(ids)),)).fetchall()


def longest(db: sqlite3.Connection, space: str, digests: Sequence[str], count: int) -> list[tuple[str, str, str]]:
    """(digest, location, text) of the ``count`` longest chunks (in UTF-8 bytes) of these files."""
    return db.execute(
        "SELECT c.digest, c.location, t.text FROM chunks c JOIN texts t ON t.hash = c.hash WHERE c.space = ? "
        "AND c.digest IN (SELECT value FROM json_each(?)) ORDER BY length(CAST(t.text AS BLOB)) DESC LIMIT ?",
        (space, json.dumps(list(digests)), count)).fetchall()


def clear(db: sqlite3.Connection) -> int:
    """Forget everything indexed; how many file versions it held (in any space)."""
    with immediate(db):
        versions: int = db.execute("SELECT COUNT(DISTINCT digest) FROM files").fetchone()[0]
        for table in _CONTENT:
            db.execute(f"DELETE FROM {table}")
    return versions
