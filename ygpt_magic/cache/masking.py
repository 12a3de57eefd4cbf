"""Entries of the reply cache that hold a credential: counted by ``%ygpt cache``, masked in the
file by ``%ygpt cache --mask``.

A reply is masked as the kernel takes it in (exchange.taken_in) before it is recorded, but that
came later than the cache: a file recorded by an older version may hold a key a server echoed (a
gateway in debug mode) in a reply's text, its model version or a tool call's arguments. Replay
masks it as it shows it; the file, committed beside the notebooks, keeps it. So ``--mask`` masks
what replay masks, the kernel's own credentials, as whoami shows them (``AQVN…x9Qz``), and a
masked file replays as it did. A token shaped like a Yandex key (keyshapes.py) that is not the
kernel's is counted apart and kept: replay shows it as the model wrote it (as the notebook's
stored output does), and a kernel holding that key masks it. What is read is every text an entry
holds but a vector's values (base64, no text) and its request's parts (digests). The count never
names the secret, nor the entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ..client.credentials import Credential, masked_in
from ..errors import CacheMaskUnfinished, CacheUnusable
from ..keyshapes import sighted
from .store import BUSY_TIMEOUT_MS, Store

#: an entry's fields that hold no text of a reply: a vector's base64, the request's digests
_NOT_TEXT = frozenset({"vector", "parts"})
#: a vector's base64 in an entry's JSON text, left out of the search before the text is parsed:
#: it often holds a shape's opening (``YC``), and reading on from each cost 0.4 s for 10,000
#: vectors (base64 holds no quote)
_VECTOR = re.compile(r'"vector":\s*"[^"]*"')


class Held(NamedTuple):
    """What a cache's entries hold: those holding one of the kernel's credentials (key → its
    value masked), and how many hold a key's shape that is none of them (kept as recorded)."""

    masked: dict[str, dict[str, Any]]
    shaped: int


def holding(store: Store, credentials: Sequence[Credential]) -> Held:
    """What the entries of ``store`` hold (:class:`Held`). An entry holding none of
    ``credentials`` is not parsed: ``%ygpt cache`` reads a cache of 20,000 entries (28 MB) in
    about 0.3 s."""
    found: dict[str, dict[str, Any]] = {}
    shaped = 0
    for key, text, _ in store.rows():
        searched = _VECTOR.sub("", text)
        if sighted(masked_in(searched, credentials)) is not None:
            shaped += 1
        if any(c.secret and c.secret in searched for c in credentials):
            found.update(_masked_entry(key, text, credentials))
    return Held(found, shaped)


def _masked_entry(key: str, text: str, credentials: Sequence[Credential]) -> dict[str, dict[str, Any]]:
    """``{key: value masked}`` for the entry ``text``, or nothing when masking changes nothing in
    its value or it is damaged (its replay says so, and it holds no reply)."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    masked = {field: item if field in _NOT_TEXT else _masked(item, credentials) for field, item in value.items()}
    return {key: masked} if masked != value else {}


def _masked(value: Any, credentials: Sequence[Credential]) -> Any:
    """``value`` with every text in it masked, at any depth (a tool call's arguments)."""
    if isinstance(value, str):
        return masked_in(value, credentials)
    if isinstance(value, dict):
        return {field: _masked(item, credentials) for field, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, credentials) for item in value]
    return value


def masked(store: Store, credentials: Sequence[Credential]) -> Held:
    """Mask the entries of ``store`` that hold one of ``credentials`` in the file (:func:`holding`);
    what they held. CacheUnusable when it cannot be written: then none is. CacheMaskUnfinished
    when they are masked but the file still holds what they held (Store.rewrite: another
    connection's read kept the old pages, or the rebuild failed); run again, with none left to
    mask, it folds them in."""
    found = holding(store, credentials)
    try:
        folded = store.rewrite(found.masked)
    except CacheUnusable as error:
        if not found.masked or holding(store, credentials).masked:
            raise   # nothing was masked
        raise CacheMaskUnfinished(store.shown(), BUSY_TIMEOUT_MS / 1000, error.problem) from None
    if not folded:
        raise CacheMaskUnfinished(store.shown(), BUSY_TIMEOUT_MS / 1000)
    return found


def left_in_file(path: Path, credentials: Sequence[Credential]) -> bool:
    """Whether the cache file or its log holds one of ``credentials`` as written, though no entry
    does: pages a ``--mask`` replaced that SQLite has not copied over yet (a reader kept them, the
    rebuild failed; in any kernel since). What gets committed is the file's bytes, not its entries;
    a cache of 20,000 entries (28 MB) is read in about 20 ms."""
    secrets = [credential.secret.encode() for credential in credentials if credential.secret]
    for part in (path, path.with_name(path.name + "-wal")) if secrets else ():
        try:
            data = part.read_bytes()
        except OSError:   # no log; a file another program just removed
            continue
        if any(secret in data for secret in secrets):
            return True
    return False
