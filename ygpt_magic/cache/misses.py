"""Why a replay-mode request has no recording, in the terms a user can act on: the cache is
empty (not the file that was recorded, or never recorded into), or it holds recordings and the
nearest of them differs from the request in its text, its model, its flags, an earlier turn.

Each entry keeps a digest of every part of its request (key.py ``request_parts``), so the
nearest recording is found by comparing digests: a miss costs one read of the file, and the
file still holds no text. Entries recorded by an older ygpt_magic, before the parts were kept or
before pictures, tool results and --docs sources had parts of their own (then inside ``text``),
still replay, but cannot be compared: a miss among them counts them, and says what they tell,
the server they were recorded against (their ``server`` part, cut the same way in every
version, or a reply's model version saying the local server made it), so a CI that replays a
cache recorded before the upgrade against another server is sent to that server, not told that
the cell changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, TypeGuard

from ..chat.values import LOCAL_SERVER
from ..errors import CacheMiss, CacheUnusable
from ..errors.miss_words import LOCAL_ANY
from .key import ADDED, PARTS, RECUT, server_of

if TYPE_CHECKING:
    from .store import Store


def missed(store: Store, path: object, cell: str, parts: Mapping[str, str]) -> CacheMiss:
    """The CacheMiss for the request of ``parts`` in ``cell``: what ``store`` holds, and what
    the nearest recording differs in (the count alone when the file cannot be read); when that
    is the server, which server it was recorded against."""
    try:
        held = store.count()
        values = list(store.values()) if held else []
    except CacheUnusable:
        return CacheMiss(path, cell)
    near = nearest(values, parts)
    older = [value for value in values if not _comparable(value.get("parts"), parts)]
    if older and (near is None or "text" in _differs(near, parts)):
        return CacheMiss(path, cell, held, servers=_older_servers(older, parts), older=len(older))
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
        if not _comparable(recorded, parts) or recorded.get("kind") != parts["kind"]:
            continue
        differs = _differs(recorded, parts)
        if differs and (best is None or _rank(differs) < _rank(_differs(best, parts))):
            best = recorded
    return best


def _comparable(recorded: object, parts: Mapping[str, str]) -> TypeGuard[dict[str, str]]:
    """Whether an entry's ``recorded`` parts are cut as this version cuts ``parts``, or as it
    did before the parts :data:`ADDED` (then compared without them: :func:`_differs`)."""
    return isinstance(recorded, dict) and recorded.keys() in (parts.keys(), parts.keys() - set(ADDED))


def _older_servers(older: Iterable[Mapping[str, object]], parts: Mapping[str, str]) -> tuple[str, str] | None:
    """What recordings of an older ygpt_magic tell of the server: the kind this request asks
    twice when one of them was made against it, else the kind most were made against and this
    request's; None when one of them does not tell."""
    asked = server_of(parts["server"])
    kinds = [_server_recorded(value) for value in older]
    if asked is None or None in kinds:
        return None
    if any(kind == asked or (kind == LOCAL_ANY and asked in ("local", "other")) for kind in kinds):
        return asked, asked
    return Counter(kinds).most_common(1)[0][0] or asked, asked


def _server_recorded(value: Mapping[str, object]) -> str | None:
    """The kind of server an older entry was recorded against: its ``server`` part's, else
    LOCAL_ANY when its reply says the local server made it (at local or at a HOST:PORT)."""
    recorded = value.get("parts")
    if isinstance(recorded, dict) and "server" in recorded:
        return server_of(str(recorded["server"]))
    version = value.get("model_version")
    return LOCAL_ANY if isinstance(version, str) and version.startswith(LOCAL_SERVER) else None


def _servers(recorded: Mapping[str, str], parts: Mapping[str, str]) -> tuple[str, str] | None:
    """The kinds of server ``recorded`` was made against and ``parts`` asks (None: unknown)."""
    was, now = server_of(recorded.get("server", "")), server_of(parts["server"])
    return (was, now) if was and now else None


def _differs(recorded: Mapping[str, object], parts: Mapping[str, str]) -> tuple[str, ...]:
    """The parts ``recorded`` differs in; one recorded before the parts :data:`ADDED` tells
    nothing of them, nor of those whose cut they changed (:data:`RECUT`)."""
    unknown = () if ADDED[0] in recorded else (*ADDED, *RECUT)
    return tuple(name for name in PARTS if name not in unknown and recorded.get(name) != parts[name])


def _rank(differs: tuple[str, ...]) -> tuple[bool, ...]:
    """Sorts the nearer first: the earlier in PARTS a part is, the more its match counts."""
    return tuple(name in differs for name in PARTS)
