"""The cache file's format: its tables, and the version a file names in its ``meta`` table, so
a file written by a newer ygpt_magic is refused (cache/store.py) or not merged (cache/merge.py)
by one rule instead of being misread.
"""

from __future__ import annotations

SCHEMA_VERSION = 1


def readable(version: str) -> bool:
    """Whether a cache file of format ``version`` (its ``meta`` table's schema) is one this
    version reads: a store opening it and a merge reading it go by the same rule."""
    return version.isdigit() and int(version) <= SCHEMA_VERSION


#: the tables of a cache file, made when missing (a store opening it writable)
TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
    "recorded TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS entries_recorded ON entries (recorded)",
    # the notes of versions that kept them in the cache file itself (and still do): clear reads
    # them beside the notes file's, so no version loses another's (no schema bump)
    "CREATE TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY, used TEXT NOT NULL)",
)
