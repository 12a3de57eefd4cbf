"""Things the local server keeps by id (datasets, batch jobs, operations), refused like the cloud.

One place for the two refusals every such store makes: NOT_FOUND for an id it does not hold
(with why it may be gone), RESOURCE_EXHAUSTED when it is full (with what to delete), so each
store only words them for what it keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .errors import RequestError

T = TypeVar("T")


class Keyed(Generic[T]):
    """Items by id, oldest first, at most ``limit`` (None: no limit). Only one event loop uses it."""

    def __init__(self, limit: int | None, *, missing: Callable[[str], str], full: Callable[[int], str]):
        self.limit = limit
        self._missing = missing
        self._full = full
        self._items: dict[str, T] = {}

    def add(self, key: str, item: T) -> T:
        if self.limit is not None and len(self._items) >= self.limit:
            raise RequestError("RESOURCE_EXHAUSTED", self._full(len(self._items)))
        self._items[key] = item
        return item

    def get(self, key: str) -> T:
        item = self._items.get(key)
        if item is None:
            raise RequestError("NOT_FOUND", self._missing(key))
        return item

    def pop(self, key: str) -> T:
        item = self.get(key)
        del self._items[key]
        return item

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)
