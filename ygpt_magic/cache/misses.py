"""Why a replay-mode request has no recording, in the terms a user can act on: the cache is
empty (not the file that was recorded, or never recorded into), or it holds recordings and the
nearest of them differs from the request in its text, its model, its flags, an earlier turn.

Each entry keeps a digest of every part of its request (key.py ``request_parts``), so the
nearest recording is found by comparing digests: a miss costs one read of the file, and the
file still holds no text. Entries recorded before the parts were kept, or before pictures, tool
results and --docs sources had parts of their own (then inside ``text``), still replay; a miss
counts them, and compares only the entries whose parts are cut the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ..errors import CacheMiss, CacheUnusable
from .key import PARTS, server_of

if TYPE_CHECKING:
    from .store import Store


def missed(store: Store, path: object, cell: str, parts: Mapping[str, str]) -> CacheMiss:
    """The CacheMiss for the request of ``parts`` in ``cell``: what ``store`` holds, and what
    the nearest recording differs in (the count alone when the file cannot be read); when that
    is the server, which server it was recorded against."""
    try:
        held = store.count()
        near = nearest(store.values(), parts) if held else None
    except CacheUnusable:
        return CacheMiss(path, cell)
    if near is None:
        return CacheMiss(path, cell, held)
    return CacheMiss(path, cell, held, _differs(near, parts), _servers(near, parts))


def nearest(values: Iterable[Mapping[str, object]], parts: Mapping[str, str]) -> Mapping[str, str] | None:
    """The parts of the nearest recording of the same kind that differs (None: none to
    compare). Nearest by :data:`PARTS` in order: a recording of the same text is nearer than
    any of another text, whatever else they share."""
    best: Mapping[str, str] | None = None
    for value in values:
        recorded = value.get("parts")
        if not isinstance(recorded, dict) or recorded.get("kind") != parts["kind"] or recorded.keys() != parts.keys():
            continue
        differs = _differs(recorded, parts)
        if differs and (best is None or _rank(differs) < _rank(_differs(best, parts))):
            best = recorded
    return best


def _servers(recorded: Mapping[str, str], parts: Mapping[str, str]) -> tuple[str, str] | None:
    """The kinds of server ``recorded`` was made against and ``parts`` asks (None: unknown)."""
    was, now = server_of(recorded.get("server", "")), server_of(parts["server"])
    return (was, now) if was and now else None


def _differs(recorded: Mapping[str, object], parts: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(name for name in PARTS if recorded.get(name) != parts[name])


def _rank(differs: tuple[str, ...]) -> tuple[bool, ...]:
    """Sorts the nearer first: the earlier in PARTS a part is, the more its match counts."""
    return tuple(name in differs for name in PARTS)
