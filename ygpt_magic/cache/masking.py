"""Entries of the reply cache that hold a credential: counted by ``%ygpt cache``, masked in the
file by ``%ygpt cache --mask``.

A reply is masked as the kernel takes it in (exchange.taken_in) before it is recorded, but that
came later than the cache: a file recorded by an older version may hold a key a server echoed (a
gateway in debug mode) in a reply's text, its model version or a tool call's arguments, and a
token shaped like a Yandex key (keyshapes.py) is kept as the model wrote it. Replay masks what
it shows; the file, committed beside the notebooks, keeps it. What is read is every text an
entry holds but a vector's values (base64, no text) and its request's parts (digests): the
kernel's own credentials are masked as whoami shows them (``AQVN…x9Qz``), a key's shape as
every quoted text masks one (``***``). The count never names the secret, nor the entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..client.credentials import Credential, masked_in
from ..keyshapes import mask_all, sighted
from .store import Store

#: an entry's fields that hold no text of a reply: a vector's base64, the request's digests
_NOT_TEXT = frozenset({"vector", "parts"})
#: a vector's base64 in an entry's JSON text, left out of the search before the text is parsed:
#: it often holds a shape's opening (``YC``), and reading on from each cost 0.4 s for 10,000
#: vectors (base64 holds no quote)
_VECTOR = re.compile(r'"vector":\s*"[^"]*"')


def holding(store: Store, credentials: Sequence[Credential]) -> dict[str, str]:
    """The entries of ``store`` that hold one of ``credentials`` or a key's shape: key → its
    value masked (JSON text, as the file holds values). An entry holding neither is passed
    over without being parsed (:func:`_held`): ``%ygpt cache`` reads a cache of 20,000 entries
    (28 MB) in about 0.3 s."""
    found: dict[str, str] = {}
    for key, text, _ in store.rows():
        if not _held(_VECTOR.sub("", text), credentials):
            continue
        try:
            value = json.loads(text)
        except ValueError:   # a damaged entry: its replay says so, and it holds no reply
            continue
        if not isinstance(value, dict):   # damaged too
            continue
        masked = {field: item if field in _NOT_TEXT else _masked(item, credentials) for field, item in value.items()}
        if masked != value:
            found[key] = json.dumps(masked, ensure_ascii=False, separators=(",", ":"))
    return found


def _held(text: str, credentials: Sequence[Credential]) -> bool:
    """Whether ``text`` holds one of ``credentials`` whole (what masking replaces) or a key's
    shape: a text holding neither is settled by one search for each and one for the shapes'
    openings (keyshapes.sighted)."""
    return any(c.secret and c.secret in text for c in credentials) or sighted(text) is not None


def _masked(value: Any, credentials: Sequence[Credential]) -> Any:
    """``value`` with every text in it masked, at any depth (a tool call's arguments)."""
    if isinstance(value, str):
        return mask_all(masked_in(value, credentials))
    if isinstance(value, dict):
        return {field: _masked(item, credentials) for field, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, credentials) for item in value]
    return value


def masked(store: Store, credentials: Sequence[Credential]) -> int:
    """Mask the entries of ``store`` that hold a credential (:func:`holding`) in the file; how
    many. CacheUnusable when it cannot be written: then none is."""
    found = holding(store, credentials)
    if found:
        store.rewrite(found)
    return len(found)
