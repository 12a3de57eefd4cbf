"""Why a replay-mode request has no recording, in the terms a user can act on: the cache is
empty (not the file that was recorded, or never recorded into), or it holds recordings and the
nearest of them differs from the request in its text, its model, its flags, an earlier turn.

Each entry keeps a digest of every part of its request (key.py ``request_parts``), so the
nearest recording is found by comparing digests: a miss costs one read of the file, and the
file still holds no text. Entries recorded before the parts were kept are counted, not compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ..errors import CacheMiss, CacheUnusable
from .key import PARTS

if TYPE_CHECKING:
    from .store import Store


def missed(store: Store, path: object, cell: str, parts: Mapping[str, str]) -> CacheMiss:
    """The CacheMiss for the request of ``parts`` in ``cell``: what ``store`` holds, and what
    the nearest recording differs in (the count alone when the file cannot be read)."""
    try:
        held = store.count()
        return CacheMiss(path, cell, held, nearest_differs(store.values(), parts) if held else None)
    except CacheUnusable:
        return CacheMiss(path, cell)


def nearest_differs(values: Iterable[Mapping[str, object]], parts: Mapping[str, str]) -> tuple[str, ...] | None:
    """The parts the nearest recording of the same kind differs in (None: none to compare).
    Nearest by :data:`PARTS` in order: a recording of the same text is nearer than any of
    another text, whatever else they share."""
    best: tuple[str, ...] | None = None
    for value in values:
        recorded = value.get("parts")
        if not isinstance(recorded, dict) or recorded.get("kind") != parts["kind"]:
            continue
        differs = tuple(name for name in PARTS if recorded.get(name) != parts[name])
        if differs and (best is None or _rank(differs) < _rank(best)):
            best = differs
    return best


def _rank(differs: tuple[str, ...]) -> tuple[bool, ...]:
    """Sorts the nearer first: the earlier in PARTS a part is, the more its match counts."""
    return tuple(name in differs for name in PARTS)
