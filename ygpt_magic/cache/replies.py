"""The reply cache in front of the client: replay a recorded reply, or send and record it.

:class:`ReplyCache` is the kernel's cache (where, which mode, counts since the kernel started);
for each cell it hands ``run_exchange`` a :class:`Front`, which looks each request up
(``replayed_answer``: a tool exchange is several requests, one per round, each an entry of its
own), records each complete answer (``recorded_answer``), and stands in for the client: the real
client (and with ``local``, the in-kernel server) is only built on a miss, so a notebook whose
every cell is recorded replays with no server and no credentials. Token counts (``--dry-run``,
trimming long chats) are replayed and recorded the same way.

Modes: ``auto`` (hit → replay, miss → send and record), ``replay`` (a miss is an error naming
the cell and nothing is sent: for CI), ``record`` (always send, overwrite), ``off``. A file that
cannot be used (not a cache, damaged, read-only, disk full) never costs a reply: the cell runs
uncached with one line saying so, except in ``replay`` mode, where it is refused.
"""

from __future__ import annotations

import base64
import copy
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..chat import Answer, Message, RequestOptions, ToolCallItem, Usage
from ..client.guard import check_request
from ..errors import CacheMiss, CacheNotCleared, CacheUnusable
from .key import NOTHING_ASKED, Asked, endpoint_kind, request_entry, request_key, request_parts
from .settings import MODES

if TYPE_CHECKING:
    from .merge import Merged
    from .store import Cleared, Store

#: one entry's value as the file holds it (JSON: what each kind keeps is its own)
Entry = dict[str, Any]
#: what an entry's value is read as (an Answer, a token count, a RecordedVector)
Parsed = TypeVar("Parsed")


class ReplyCache:
    """Where the kernel's cache is, its mode, its open file, and what it did since start."""

    def __init__(self, path: str | None = None, mode: str = "auto") -> None:
        self.path: str | None = None
        self.mode = "auto"
        self.given: str | None = None  # the path as set, which ``path`` is the absolute form of
        self.set_in = ""  # the working folder when it was set, which a relative ``given`` is in
        self._store: Store | None = None
        self._lock = threading.Lock()
        self.hits = self.misses = self.recorded = 0
        self.replayed = Usage()  # tokens replayed instead of sent, since the kernel started
        self.configure(path, mode)

    def configure(self, path: str | None, mode: str) -> None:
        """Use ``path`` (None: no cache) in ``mode``; a new path is opened on first use.

        A relative path is resolved once, when it is set, against the kernel's folder of that
        moment (the notebook's, in Jupyter): a later ``%cd`` moves neither the file nor its
        ``--docs`` index, and ``%ygpt cache`` shows where it is. Setting only the mode keeps it."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        given = str(path).strip() or None if path else None
        if given != self.given:
            self.close()
            self.given, self.set_in = given, str(Path.cwd())
            self.path = str(Path(given).expanduser().absolute()) if given else None
        self.mode = mode

    def shown(self) -> str:
        """The cache file as every output and message names it (cache/shown.py)."""
        from .shown import shown
        return shown(self.path or "(none)", self.given, self.set_in)

    def beside(self, path: Path) -> str:
        """A file beside the cache (its --docs sources index), named in :meth:`shown`'s form."""
        return str(Path(self.shown()).with_name(path.name))

    @property
    def active(self) -> bool:
        return self.path is not None and self.mode != "off"

    def store(self) -> Store:
        """The open file (opened now if needed); CacheUnusable if it cannot be used (or when
        there is no cache: a caller asks only when ``active``)."""
        with self._lock:  # a cell and the panel's thread may ask first at the same moment
            if self._store is None:
                from .store import Store  # sqlite3: only once a cache is used

                if self.path is None:
                    raise CacheUnusable("(none)", "no cache file is set")
                if self.mode == "replay" and not Path(self.path).expanduser().exists():
                    from .shown import not_found
                    raise not_found(self.path, self.given, self.set_in)
                self._store = Store(self.path, self.shown)
            return self._store

    def front(self, get_client: Callable[[], Any], *, target: str, where: str,
              prompt: str, written: str = "", framing: str = "", secrets: Callable[[], Sequence[Any]] = tuple) -> Front:
        """The cache as one request sees it (asked only when :attr:`active`: request.front).
        ``target``: the connection's (``cloud``, ``local`` or HOST:PORT); ``where`` and the
        prompt's first line tell the user which request a replay-mode miss is about
        (``cell In [7] (“Translate …”)``); ``written``, ``framing``: what the prompt was made of,
        for a miss to tell from an edited cell (key.Asked); ``secrets()``: the credentials no
        request may carry, replayed or not (a replayed one would still land in the chat)."""
        return Front(self, get_client, endpoint_kind(target), f"{where} (“{first_line(prompt)}”)",
                     secrets, asked=Asked(prompt, written, framing))

    def clear(self, before: str | None = None) -> Cleared:
        """Forget entries (all, or those last used before ``before``); how many went, and the
        file's size before and after.
        CacheNotCleared, in every mode, when the file cannot be opened or written."""
        try:
            return self.store().clear(before)
        except CacheUnusable as error:
            exists = Path(str(error.path)).expanduser().is_file()
            raise CacheNotCleared(error, exists=exists) from None

    def merge(self, other: str, who: str) -> Merged:
        """Add every entry of the cache file ``other`` that this one lacks (cache/merge.py);
        CacheNotMerged, nothing added, when either file cannot be used."""
        from .merge import merge_into

        return merge_into(self.store, other, who)

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
    """One cell's cache: each request it makes replayed (``replayed_answer``) or recorded
    (``recorded_answer``), an embedding's vector likewise; the cell's ``ledger.Ledger`` asks it
    and counts what it gives."""

    def __init__(self, cache: ReplyCache, get_client: Callable[[], Any], endpoint: str,
                 cell: str, secrets: Callable[[], Sequence[Any]] = tuple, *, asked: Asked = NOTHING_ASKED) -> None:
        self.cache, self.endpoint, self.cell, self.asked = cache, endpoint, cell, asked
        self._get_client, self._secrets = get_client, secrets
        self._warned = False
        self._unopened: CacheUnusable | None = None
        #: Ctrl-C came while a write waited (another kernel writing the file): that entry is missing
        self.write_stopped = False
        self.strict = True   # a replay-mode miss is CacheMiss (False: a request to send, see peeking)

    def peeking(self) -> Front:
        """This cell's cache as a dry run reads it: a request with no recording is not an error,
        also in replay mode, where the run itself refuses it (a dry run in CI prices it
        instead), and nothing reads the whole file to explain the miss. Replay mode still
        sends and records nothing: a count it does not hold is :meth:`replayed_tokens`' None."""
        peek = copy.copy(self)
        peek.strict = False
        return peek

    @property
    def mode(self) -> str:
        """The cache's mode (settings.MODES), which says what a re-run of the notebook sends."""
        return self.cache.mode

    @property
    def replaying(self) -> bool:
        """Replay mode (CI's): nothing is sent and nothing is written, ever."""
        return self.cache.mode == "replay"

    def replayed_answer(self, messages: Sequence[Message], options: RequestOptions,
                        extras: Mapping[str, Any] | None = None) -> Answer | None:
        """The recorded answer to one request (None: send it). CacheMiss in replay mode."""
        found = self._lookup("reply", messages, options, extras, _replayed)
        if found is not None:
            self.cache.replayed = self.cache.replayed + found.usage
        return found

    def recorded_answer(self, messages: Sequence[Message], options: RequestOptions,
                        extras: Mapping[str, Any] | None, answer: Answer) -> None:
        """Keep one request's complete answer (a stream's last chunk; never a credential:
        text, status, usage, version, the tool calls it asks for)."""
        usage = answer.usage
        self._store("reply", messages, options, extras, {
            "text": answer.text, "status": answer.status, "model_version": answer.model_version,
            "usage": {k: getattr(usage, k) for k in Usage.__dataclass_fields__},
            "tool_calls": [{"name": c["name"], "arguments": c["arguments"]}
                           for c in answer.tool_calls]})

    def replayed_tokens(self, messages: Sequence[Mapping[str, Any]], options: RequestOptions,
                        **extras: Any) -> int | None:
        """The tokenizer's count as recorded, None without one (nothing is asked)."""
        return self._lookup("tokens", messages, options, extras, _counted)

    def count_tokens(self, messages: Sequence[Mapping[str, Any]], options: RequestOptions,
                     **extras: Any) -> int:
        """The tokenizer's count, replayed or asked and recorded."""
        found = self.replayed_tokens(messages, options, **extras)
        if found is not None:
            return found
        tokens: int = self._get_client().count_tokens(messages, options, **extras)
        self._store("tokens", messages, options, extras, {"tokens": tokens})
        return tokens

    def count_tokens_each(self, requests: Sequence[list[Message]], options: RequestOptions,
                          slow: Callable[[], None] | None = None, **extras: Any) -> list[int]:
        """:meth:`count_tokens` of each list: the replayed ones from the cache, the others asked
        all at once (``Client.count_tokens_each``) and recorded; the secrets read once for all."""
        secrets = self._secrets()
        counts = [self._lookup("tokens", messages, options, extras, _counted, secrets) for messages in requests]
        missing = [index for index, count in enumerate(counts) if count is None]
        if missing:
            asked = self._get_client().count_tokens_each([requests[i] for i in missing], options, slow, **extras)
            for index, count in zip(missing, asked):
                self._store("tokens", requests[index], options, extras, {"tokens": count})
                counts[index] = count
        return [count or 0 for count in counts]

    def replayed_vector(self, text: str, model: str) -> RecordedVector | None:
        """The recorded embedding of ``text`` by ``model`` (one entry per text and model; None:
        send it). CacheMiss in replay mode; CredentialInPrompt for a text that carries one. Its
        tokens count as replayed, as a reply's do: ``%ygpt cache`` and ``%ygpt usage`` (the
        ledger counts it there) say one number for the same replays."""
        found = self._lookup("embedding", _embedded(text), RequestOptions(model=model), None,
                             _recorded_vector)
        if found is not None:
            self.cache.replayed = self.cache.replayed + Usage.read_only(found.tokens)
        return found

    def holds_vector(self, text: str, model: str) -> bool:
        """Whether :meth:`replayed_vector` would replay ``text``'s embedding by ``model``, asked
        without replaying or counting it: a cost cap prices only the texts that will be sent."""
        if self.cache.mode == "record":
            return False
        try:
            return self._recorded("embedding", _embedded(text), RequestOptions(model=model), None,
                                  _recorded_vector) is not None
        except CacheUnusable:   # said by the lookup that follows, which then sends it
            return False

    def recorded_vector(self, text: str, model: str, vector: RecordedVector) -> None:
        """Keep one text's embedding: the float32 values as base64, its tokens and version."""
        self._store("embedding", _embedded(text), RequestOptions(model=model), None, {
            "vector": base64.b64encode(vector.values).decode("ascii"), "tokens": vector.tokens,
            "model_version": vector.model_version})

    # -- the rules ------------------------------------------------------------------------------

    def _key(self, kind: str, messages: Sequence[Mapping[str, Any]], options: RequestOptions,
             extras: Mapping[str, Any] | None) -> str:
        return request_key(kind=kind, endpoint=self.endpoint, options=options, messages=messages,
                           extra=extras)

    def _lookup(self, kind: str, messages: Sequence[Mapping[str, Any]], options: RequestOptions,
                extras: Mapping[str, Any] | None, parse: Callable[[Entry, str], Parsed],
                secrets: Sequence[Any] | None = None) -> Parsed | None:
        """``parse(value, recorded)`` of the entry for this request, None without one; the
        client's credential guard first, as for a request sent (with ``secrets``, else read now)."""
        check_request(messages, extras or {}, self._secrets() if secrets is None else secrets)
        cache = self.cache
        if cache.mode == "record":
            return None
        try:
            found = self._recorded(kind, messages, options, extras, parse, used=cache.mode == "auto")
        except CacheUnusable as error:
            if cache.mode == "replay":
                raise
            self._warn(error)
            return None
        if found is None:
            cache.misses += 1
            if cache.mode == "replay" and self.strict:
                raise self._missed(kind, messages, options, extras)
        else:
            cache.hits += 1
        return found

    def _missed(self, kind: str, messages: Sequence[Mapping[str, Any]], options: RequestOptions,
                extras: Mapping[str, Any] | None) -> CacheMiss:
        """The replay-mode miss of this request, saying what the cache holds instead."""
        from .misses import missed

        parts = request_parts(kind=kind, endpoint=self.endpoint, options=options, messages=messages,
                              extra=extras, asked=self.asked)
        return missed(self._file(), self.cache.shown(), self.cell, parts)

    def _recorded(self, kind: str, messages: Sequence[Mapping[str, Any]], options: RequestOptions,
                  extras: Mapping[str, Any] | None, parse: Callable[[Entry, str], Parsed], *,
                  used: bool = False) -> Parsed | None:
        """``parse(value, recorded)`` of the entry for this request, None without one
        (CacheUnusable when the file cannot be read, or the entry is damaged). ``used``: mark
        the entry used now, so ``clear --older-than`` keeps what a re-run replayed (auto mode
        only: replay mode, CI's, leaves the committed file as it is)."""
        key, store = self._key(kind, messages, options, extras), self._file()
        entry = store.get(key)
        if entry is None:
            return None
        found = _parsed(self.cache, parse, *entry)
        if used:
            store.mark_used(key)
        return found

    def _store(self, kind: str, messages: Sequence[Mapping[str, Any]], options: RequestOptions,
               extras: Mapping[str, Any] | None, value: Entry) -> None:
        """Record ``value`` for this request, except in replay mode: CI's committed file is
        never written, whatever asked (a guard behind the lookups, which send nothing there)."""
        if self.replaying:
            return
        key, parts = request_entry(kind=kind, endpoint=self.endpoint, options=options, messages=messages,
                                   extra=extras, asked=self.asked)
        try:
            self._file().put(key, {**value, "parts": parts})
        except CacheUnusable as error:
            self._warn(error)
        except KeyboardInterrupt:
            self.write_stopped = True
            raise
        else:
            self.cache.recorded += 1

    def _file(self) -> Store:
        """The open cache file. A file this cell could not open is not tried again in it: a
        file locked by another process is waited for once a cell, not at every lookup and
        record (the next cell tries again, and uses it once it is free)."""
        if self._unopened is not None:
            raise self._unopened
        try:
            return self.cache.store()
        except CacheUnusable as error:
            self._unopened = error
            raise

    def _warn(self, error: CacheUnusable) -> None:
        """One line per cell, on stderr: the reply is shown and kept, only not cached."""
        if not self._warned:
            self._warned = True
            print(error.line(), file=sys.stderr)


def _replayed(value: Entry, recorded: str) -> Answer:
    """An entry's value as the answer it recorded (TypeError/KeyError: a damaged entry)."""
    text, status = value["text"], value["status"]
    calls = tuple(ToolCallItem(name=call["name"], arguments=dict(call["arguments"]))
                  for call in value.get("tool_calls") or ())
    if not isinstance(text, str) or not isinstance(status, str) or \
            not all(isinstance(call["name"], str) for call in calls):
        raise TypeError("text, status and tool names are strings")
    usage = Usage(**{k: _count(value["usage"].get(k, 0)) for k in Usage.__dataclass_fields__})
    return Answer(text, status, usage, str(value.get("model_version", "")), calls, recorded)


@dataclass(frozen=True)
class RecordedVector:
    """One text's embedding as the cache keeps it: float32 values as bytes (numpy reads them
    without a copy), the input tokens and the model's version."""

    values: bytes
    tokens: int
    model_version: str


def _embedded(text: str) -> list[dict[str, str]]:
    """The one message an embedding's key is made of (the text itself never reaches the file)."""
    return [{"role": "embed", "text": text}]


def _recorded_vector(value: Entry, _recorded: str) -> RecordedVector:
    """An entry's value as a :class:`RecordedVector` (ValueError: a damaged entry)."""
    values = base64.b64decode(value["vector"], validate=True)
    if not values or len(values) % 4:
        raise ValueError("a vector is a whole number of float32 values")
    return RecordedVector(values, _count(value["tokens"]), str(value.get("model_version", "")))


def _counted(value: Entry, _recorded: str) -> int:
    """A tokens entry's count (ValueError/KeyError: a damaged entry)."""
    return _count(value["tokens"])


def _count(value: Any) -> int:
    """A recorded token count: a whole number ≥ 0. Anything else (``Infinity``, ``-5``, ``2.5``,
    ``true``) is a damaged entry, not a count to replay or add to the kernel's totals."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"a token count is a whole number ≥ 0, not {value!r}")
    return value


def _parsed(cache: ReplyCache, parse: Callable[[Entry, str], Parsed], value: Entry, recorded: str) -> Parsed:
    try:
        return parse(value, recorded)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CacheUnusable(cache.shown(), "an entry is damaged") from None
