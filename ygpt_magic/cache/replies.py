"""The reply cache in front of the client: replay a recorded reply, or send and record it.

:class:`ReplyCache` is the kernel's cache (where, which mode, counts since the kernel started);
for each request it hands ``run_exchange`` a :class:`Front`, which looks the request up
(``replayed``), records a finished reply (``recorded``), and stands in for the client: the real
client (and with ``local``, the in-kernel server) is only built on a miss, so a notebook whose
every cell is recorded replays with no server and no credentials. Token counts (``--dry-run``,
trimming long chats) are replayed and recorded the same way.

Modes: ``auto`` (hit → replay, miss → send and record), ``replay`` (a miss is an error naming
the cell and nothing is sent: for CI), ``record`` (always send, overwrite), ``off``. A file that
cannot be used (not a cache, damaged, read-only, disk full) never costs a reply: the cell runs
uncached with one line saying so, except in ``replay`` mode, where it is refused.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..chat import Options, Reply, Usage
from ..errors import CacheMiss, CacheUnusable
from .key import endpoint_kind, request_key

if TYPE_CHECKING:
    from ..chat import Plan
    from .store import Store

MODES = ("auto", "replay", "record", "off")


def path_from(environ: Mapping[str, str]) -> str | None:
    """``YGPT_CACHE``: the cache file, or None."""
    return environ.get("YGPT_CACHE", "").strip() or None


def mode_from(environ: Mapping[str, str]) -> str:
    """``YGPT_CACHE_MODE``, else ``auto``. A mistyped mode is said in one line and taken as
    ``replay``: a typo must not start sending (and paying for) what CI meant to replay."""
    mode = environ.get("YGPT_CACHE_MODE", "").strip().lower() or "auto"
    if mode not in MODES:
        print(f"YGPT_CACHE_MODE={mode!r} is not one of {', '.join(MODES)}; the cache is in replay "
              f"mode (nothing unrecorded is sent) until you choose one with %ygpt cache --mode M.",
              file=sys.stderr)
        mode = "replay"
    return mode


class ReplyCache:
    """Where the kernel's cache is, its mode, its open file, and what it did since start."""

    def __init__(self, path: str | None = None, mode: str = "auto") -> None:
        self.path: str | None = None
        self.mode = "auto"
        self._store: Store | None = None
        self._lock = threading.Lock()
        self.hits = self.misses = self.recorded = 0
        self.replayed = Usage()  # tokens replayed instead of sent, since the kernel started
        self.configure(path, mode)

    def configure(self, path: str | None, mode: str) -> None:
        """Use ``path`` (None: no cache) in ``mode``; a new path is opened on first use."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        path = str(path).strip() if path else None
        if path != self.path:
            self.close()
        self.path, self.mode = path or None, mode

    @property
    def active(self) -> bool:
        return self.path is not None and self.mode != "off"

    def store(self) -> Store:
        """The open file (opened now if needed); CacheUnusable if it cannot be used."""
        with self._lock:  # a cell and the panel's thread may ask first at the same moment
            if self._store is None:
                from .store import Store  # sqlite3: only once a cache is used

                if self.mode == "replay" and not Path(self.path).expanduser().exists():
                    raise CacheUnusable(self.path, "there is no such file (replay mode records "
                                                   "nothing, so it does not create one)")
                self._store = Store(self.path)
            return self._store

    def front(self, get_client: Callable[[], Any], *, target: str, where: str,
              prompt: str) -> Front | None:
        """The cache as one request sees it (None when there is no cache or it is off).
        ``target``: the connection's (``cloud``, ``local`` or HOST:PORT); ``where`` and the
        prompt's first line tell the user which request a replay-mode miss is about
        (``cell In [7] (“Translate …”)``)."""
        if not self.active:
            return None
        return Front(self, get_client, endpoint_kind(target), f"{where} (“{first_line(prompt)}”)")

    def clear(self, before: str | None = None) -> int:
        return self.store().clear(before)

    def close(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()


def first_line(prompt: str, limit: int = 60) -> str:
    """How a user recognises a request in a message: its prompt's first line, shortened."""
    line = (prompt.strip().splitlines() or [""])[0].strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


class Front:
    """One request's cache: ``replayed`` / ``recorded`` for run_exchange, ``client`` to send."""

    def __init__(self, cache: ReplyCache, get_client: Callable[[], Any], endpoint: str,
                 cell: str) -> None:
        self.cache, self.endpoint, self.cell = cache, endpoint, cell
        self._get_client = get_client
        self._warned = False
        self.client = _LazyClient(self, get_client)

    def declined(self) -> None:
        """No cache for a tool exchange (``--tools`` / ``--schema``: its functions run in the
        kernel between its requests) nor for pictures (``--image``: the key holds text only):
        the cache does not record them yet. Replay mode sends nothing unrecorded, so there it
        is refused (CacheUnusable)."""
        if self.cache.mode == "replay":
            raise CacheUnusable(self.cache.path, f"{self.cell} uses --tools, --schema or --image, "
                                                 f"whose exchanges are not recorded yet; run it "
                                                 f"with --no-cache")
        return None

    def replayed(self, plan: Plan) -> Reply | None:
        """The recorded reply for ``plan`` (None: send it). CacheMiss in replay mode."""
        started = time.monotonic()

        def reply(value: dict, recorded: str) -> Reply:
            text, status = value["text"], value["status"]
            if not isinstance(text, str) or not isinstance(status, str):
                raise TypeError("text and status are strings")
            usage = Usage(**{k: int(value["usage"].get(k, 0)) for k in Usage.__dataclass_fields__})
            return Reply(text=text, status=status, usage=usage,
                         model=plan.options.model, model_version=str(value.get("model_version", "")),
                         elapsed=time.monotonic() - started, messages=tuple(plan.messages),
                         options=plan.options, cached=True, recorded=recorded)

        found = self._lookup("reply", plan.messages, plan.options, reply)
        if found is not None:
            self.cache.replayed = self.cache.replayed + found.usage
        return found

    def recorded(self, plan: Plan, reply: Reply) -> None:
        """Keep a finished reply (never a credential: text, status, usage, version)."""
        usage = reply.usage
        self._store("reply", plan.messages, plan.options, {
            "text": reply.text, "status": reply.status, "model_version": reply.model_version,
            "usage": {k: getattr(usage, k) for k in Usage.__dataclass_fields__},
            "tool_calls": []})

    def count_tokens(self, messages: Sequence[Mapping[str, str]], options: Options) -> int:
        """The tokenizer's count, replayed or asked and recorded."""
        found = self._lookup("tokens", messages, options, lambda value, _: int(value["tokens"]))
        if found is not None:
            return found
        tokens = self._get_client().count_tokens(messages, options)
        self._store("tokens", messages, options, {"tokens": tokens})
        return tokens

    # -- the rules ------------------------------------------------------------------------------

    def _key(self, kind: str, messages: Sequence[Mapping[str, str]], options: Options) -> str:
        return request_key(kind=kind, endpoint=self.endpoint, options=options, messages=messages)

    def _lookup(self, kind: str, messages, options, parse: Callable[[dict, str], Any]) -> Any:
        """``parse(value, recorded)`` of the entry for this request, None without one."""
        cache = self.cache
        if cache.mode == "record":
            return None
        try:
            found = cache.store().get(self._key(kind, messages, options))
            if found is not None:
                found = _parsed(cache, parse, *found)
        except CacheUnusable as error:
            if cache.mode == "replay":
                raise
            self._warn(error)
            return None
        if found is None:
            cache.misses += 1
            if cache.mode == "replay":
                raise CacheMiss(cache.path, self.cell)
        else:
            cache.hits += 1
        return found

    def _store(self, kind: str, messages, options, value: dict) -> None:
        try:
            self.cache.store().put(self._key(kind, messages, options), value)
        except CacheUnusable as error:
            self._warn(error)
        else:
            self.cache.recorded += 1

    def _warn(self, error: CacheUnusable) -> None:
        """One line per cell, on stderr: the reply is shown and kept, only not cached."""
        if not self._warned:
            self._warned = True
            print(error.line(), file=sys.stderr)


def _parsed(cache: ReplyCache, parse: Callable[[dict, str], Any], value: Any, recorded: str) -> Any:
    try:
        return parse(value, recorded)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CacheUnusable(cache.path, "an entry is damaged") from None


class _LazyClient:
    """The client as a cached request uses it: token counts go through the cache, the rest
    builds the real client on first use (a request that is replayed never does)."""

    def __init__(self, front: Front, get_client: Callable[[], Any]) -> None:
        self._front, self._get_client = front, get_client

    def count_tokens(self, messages: Sequence[Mapping[str, str]], options: Options) -> int:
        return self._front.count_tokens(messages, options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get_client(), name)
