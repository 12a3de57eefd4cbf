"""The values a chat is made of: usage, replies, turns, and the chat itself (options: options.py).

Plain data with validation and no I/O, so the magics, the panel, the chat file and the tests can
all build and compare them. ``ygpt_magic.chat`` exports the public names.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from typing import Any

if sys.version_info >= (3, 11):
    from typing import Required, TypedDict
else:  # Python 3.10: Required came in 3.11 (typing_extensions costs %load_ext 2 ms otherwise)
    from typing_extensions import Required, TypedDict

from ..modelname import model_name
from ..words import counted
from .filetext import sent
from .options import Options
from .pictures import Picture, PictureInfo, with_placeholders
from .prices import roubles, saved
from .tooluse import ToolCall, tool_messages, tool_size

#: how the local server's model version starts (``local server · scripted``, ...): its replies
#: cost nothing, so the footer says what Yandex Cloud would bill (tests/test_emulator_honest.py)
LOCAL_SERVER = "local server"
# How a non-FINAL status reads in a footer; unknown statuses fall back to their lower-cased name.
_STATUS_WORDS = {
    "TRUNCATED_FINAL": "cut at max tokens",
    "CONTENT_FILTER": "stopped by the content filter",
    "INTERRUPTED": "interrupted",
}


class ToolCallItem(TypedDict):
    """One call the model asked for (the SDK's ``toolCallList`` item)."""

    name: str
    arguments: dict[str, Any]


class ToolResultItem(TypedDict):
    """One call's result sent back (the SDK's ``toolResultList`` item)."""

    name: str
    content: str


class Message(TypedDict, total=False):
    """One message of a request, as chats keep it, the client sends it and a chat file stores
    it: a role with its text (system, user, assistant), or an assistant's tool calls, or the
    user side's tool results; a prompt's pictures ride in ``images`` (the chat API)."""

    role: Required[str]
    text: str
    tool_calls: list[ToolCallItem]
    tool_results: list[ToolResultItem]
    images: tuple[Any, ...]


#: What a request carries besides its messages: tools, tool choice, a response format.
Extras = dict[str, Any]


@dataclass(frozen=True)
class Usage:
    """Token counts reported by the server for one reply (or summed over a chat)."""

    input_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def read_only(cls, count: int) -> Usage:
        """A request that reads ``count`` tokens and writes none: an embedding, a classification."""
        return cls(input_tokens=count, total_tokens=count)

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(self.input_tokens + other.input_tokens,
                     self.completion_tokens + other.completion_tokens,
                     self.reasoning_tokens + other.reasoning_tokens,
                     self.total_tokens + other.total_tokens)


class Answer:
    """The transport's answer to one request, whoever gave it: the client (each chunk of a
    stream is one, holding the whole text so far), the reply cache (``recorded``: when it was
    recorded, ISO 8601 UTC; "" for one that was sent), a classifier, a batch job's row, the rows'
    memo. Read-only by convention (not frozen: a stream makes hundreds of these a second).

    ``usage`` is read once per reply, from its last chunk, so a subclass may count it on first
    access (client/chunks.py ``SdkAnswer``: building it per chunk was a quarter of a streamed
    cell's CPU); this class holds it as given, or no counts.
    """

    __slots__ = ("text", "status", "model_version", "tool_calls", "recorded", "_usage")

    def __init__(self, text: str, status: str = "FINAL", usage: Usage | None = None,
                 model_version: str = "", tool_calls: tuple[ToolCallItem, ...] = (),
                 recorded: str = "") -> None:
        self.text = text
        self.status = status  # PARTIAL | FINAL | TRUNCATED_FINAL | CONTENT_FILTER | TOOL_CALLS | ...
        self.model_version = model_version
        self.tool_calls = tool_calls  # the calls the model asks for, when status is TOOL_CALLS
        self.recorded = recorded
        self._usage = usage

    @property
    def usage(self) -> Usage:
        if self._usage is None:
            self._usage = self._counted()
        return self._usage

    def _counted(self) -> Usage:
        """The token counts, built on first access (none here: a subclass knows where)."""
        return Usage()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Answer):
            return NotImplemented
        return self._fields() == other._fields()

    def _fields(self) -> tuple[object, ...]:
        return (self.text, self.status, self.usage, self.model_version, self.tool_calls, self.recorded)

    def __repr__(self) -> str:
        return f"<Answer {self.status} {len(self.text)} chars>"


#: One request of an exchange: (messages, extras) → its answer (a stream's last chunk, or a
#: reply cache's replay of it).
Ask = Callable[[list[Message], Extras], Answer]


@dataclass(frozen=True)
class Reply:
    """One answer as the user sees it after the cell (``_ygpt``): text, status, usage, timing."""

    text: str
    status: str
    usage: Usage
    model: str
    model_version: str
    elapsed: float
    messages: tuple[Message, ...] = ()
    #: the tools the model called on the way to this answer, in order (``--tools``)
    tool_calls: tuple[ToolCall, ...] = ()
    #: the answer validated against ``--schema`` (an instance of the user's type), else None
    parsed: Any = field(default=None, compare=False)
    options: Options | None = None  # what was asked (for provenance), None when unknown
    #: replayed from the reply cache (``recorded``: when it was recorded, ISO 8601 UTC); its
    #: tokens are not billed again, so chats count them apart (``Chat.replayed``)
    cached: bool = False
    recorded: str = ""
    #: the estimated roubles of its tokens (chat/prices.py), None when the model has no price
    #: or the reply was not priced (read from a chat file); a replayed reply's is what it saved
    cost: Decimal | None = field(default=None, compare=False)
    #: priced, and its model has no price in the table (its footer says "no price", as %ygpt usage does)
    unpriced: bool = field(default=False, compare=False)

    @classmethod
    def of(cls, answer: Answer, *, model: str, elapsed: float, messages: Sequence[Message] = (),
           options: Options | None = None, calls: tuple[ToolCall, ...] = (), spent: Usage | None = None,
           status: str | None = None, cached: bool = False,
           priced: Callable[[Usage], Decimal | None] | None = None) -> Reply:
        """What the user sees of the transport's ``answer`` to a request for ``model``: the
        tools called on the way (``calls``) and the tokens of the rounds before it (``spent``);
        ``status`` when it was stopped; ``cached`` when every request was replayed (its time of
        recording is then the answer's); ``priced``: what its tokens cost (None: not priced)."""
        usage = answer.usage if spent is None else answer.usage + spent
        cost = None if priced is None else priced(usage)
        return cls(text=answer.text, status=status or answer.status, usage=usage, model=model,
                   model_version=answer.model_version, elapsed=elapsed, messages=tuple(messages),
                   tool_calls=calls, options=options, cached=cached,
                   recorded=answer.recorded if cached else "",
                   cost=cost, unpriced=priced is not None and cost is None)

    def summary(self) -> str:
        """One quiet line: model · version · tokens (· roubles) · seconds (· status when not
        FINAL).

        Everything but the seconds is deterministic, and the seconds always read ``N.N s`` so a
        notebook sanitizer can normalise them. Roubles are an estimate: what a replayed reply
        saved, and what Yandex Cloud would bill for a reply of the local server; a model the
        price table has none for says "no price", so a missing cost is not taken for a free one.
        """
        usage = self.usage
        reasoning = f" (+{usage.reasoning_tokens:,} reasoning)" if usage.reasoning_tokens else ""
        parts = [model_name(self.model).short]
        if self.model_version:
            parts.append(self.model_version)
        parts.append(f"{usage.input_tokens:,} → {counted(usage.completion_tokens, 'token')}{reasoning}")
        if self.cost is not None:
            parts.append(self._cost_words(self.cost))
        elif self.unpriced:
            parts.append("no price")
        parts.append(f"cached · recorded {self.recorded[:10]}" if self.cached else f"{self.elapsed:.1f} s")
        if self.status != "FINAL":
            parts.append(_STATUS_WORDS.get(self.status, self.status.lower().replace("_", " ")))
        return " · ".join(parts)

    def _cost_words(self, cost: Decimal) -> str:
        local = self.model_version.startswith(LOCAL_SERVER)
        if self.cached:
            return saved(cost, local)
        return f"Yandex Cloud would bill {roubles(cost)}" if local else roubles(cost)

    def __str__(self) -> str:
        return self.text

    def _repr_llm_(self) -> str:
        """The text, for `{_ygpt}` in a later cell (chatlab's convention, context/values.py):
        the dataclass's repr would send the previous prompt, the options and the cost."""
        return self.text


@dataclass(frozen=True)
class Turn:
    """One prompt and its reply; ``cell_id`` ties it to the notebook cell that asked; ``images``
    are the placeholders of the pictures sent with the prompt (see chat/pictures.py); ``notes``
    what was said above the reply about what was sent (a value cut, a picture downscaled, old
    turns left out: Plan.kept_notes), kept so a view redrawn from the chat still says it."""

    prompt: str
    reply: Reply
    cell_id: str | None = None
    images: tuple[PictureInfo, ...] = ()
    notes: tuple[str, ...] = ()
    #: when the turn's cell set the chat's system message (--system): the one it replaced and the
    #: one it set (either may be None), so a rewind past this turn puts the first back if the chat
    #: still holds the second (chat/rewind.py); () when it set none
    system_before: tuple[str | None, ...] = ()
    #: the N of the `In [N]` run that asked, in this session (None from a file or the panel):
    #: %ygpt history's label, which the cell's later runs (elsewhere, --once) must not change
    asked_in: int | None = None
    #: read from a chat file (set by the loader, never by the file): not this kernel's server's
    #: words, so its reply goes out with key shapes masked (chat/filetext.py says why)
    from_file: bool = field(default=False, compare=False)
    # Derived once per turn and shared by every later request, so that a long chat costs a
    # pointer per turn, not new dicts or a new token count, each time it is sent.
    _messages: tuple[Message, ...] = field(
        init=False, repr=False, compare=False
    )
    _tokens: dict[str, int] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    #: UTF-8 bytes of the prompt and the reply: the context-budget check adds these up instead
    #: of encoding the whole history again for every cell.
    utf8_size: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # a turn with neither pictures nor tool calls (most) has nothing to add for them
        calls = self.reply.tool_calls
        user = with_placeholders(self.prompt, self.images) if self.images else self.prompt
        reply = sent(self.reply.text) if self.from_file else self.reply.text
        messages = ({"role": "user", "text": user}, *(tool_messages(calls) if calls else ()),
                    {"role": "assistant", "text": reply})
        object.__setattr__(self, "_messages", messages)
        object.__setattr__(self, "utf8_size", len(user.encode()) + len(reply.encode())
                           + (tool_size(calls) if calls else 0))

    def messages(self) -> tuple[Message, ...]:
        """The messages this turn adds to every later request: the user's, the tool calls and
        results if any, the assistant's answer."""
        return self._messages

    def tokens(self, model: str, count: Callable[[list[Message]], int]) -> int:
        """This turn's size in ``model``'s tokens, counted once, ever (a long chat must not ask
        the tokenizer for every turn again at each cell)."""
        if model not in self._tokens:
            self._tokens[model] = count(list(self._messages))
        return self._tokens[model]

    def counted(self, model: str) -> bool:
        """Whether this turn's size in ``model``'s tokens is known (asking costs a round trip)."""
        return model in self._tokens

    @property
    def token_counts(self) -> dict[str, int]:
        """The counts known so far, per model (the tokenizer depends on the model): a chat file
        keeps them, so a loaded long chat is not counted again turn by turn (chatfile.py)."""
        return dict(self._tokens)

    def keep_counts(self, counts: Mapping[str, int]) -> None:
        """Take sizes counted elsewhere (a chat file, a count of many turns at once)."""
        self._tokens.update(counts)


class Chat:
    """A named conversation: a system message, options, and the turns so far.

    ``turns`` is read freely but changed only through :meth:`replace_from` and :meth:`clear`,
    which keep an index from cell id to turns, so finding a re-run cell's turn costs the same
    in a chat of 1,000 turns as in a chat of one.
    """

    def __init__(
        self,
        name: str,
        *,
        system: str | None = None,
        options: Options | None = None,
        turns: list[Turn] | None = None,
    ) -> None:
        self.name = name
        self.system = system
        self.options = options or Options()
        self.turns: list[Turn] = list(turns or [])
        self._cells: dict[str, list[int]] = {}  # cell id → indexes of its turns, in order
        for index, turn in enumerate(self.turns):
            self._index(turn, index)
        # Set by ChatSession whenever the turns change, so a request prepared before a change
        # (by another cell or the panel) is refused instead of dropping or interleaving turns.
        self.revision = 0

    def _index(self, turn: Turn, index: int) -> None:
        if turn.cell_id is not None:
            self._cells.setdefault(turn.cell_id, []).append(index)

    def last_turn_of(self, cell_id: str) -> int | None:
        """The index of the latest turn asked by cell ``cell_id``, if it has one."""
        indexes = self._cells.get(cell_id)
        return indexes[-1] if indexes else None

    def replace_from(self, keep: int, turn: Turn) -> None:
        """Drop the turns from index ``keep`` on (a re-run cell's and later ones), add ``turn``."""
        for index in range(len(self.turns) - 1, keep - 1, -1):
            cell_id = self.turns[index].cell_id
            if cell_id is not None:
                indexes = self._cells[cell_id]
                indexes.pop()  # the latest index of that cell is this one
                if not indexes:
                    del self._cells[cell_id]
        del self.turns[keep:]
        self.turns.append(turn)
        self._index(turn, len(self.turns) - 1)

    def clear(self) -> None:
        """Forget every turn."""
        self.turns.clear()
        self._cells.clear()

    @property
    def usage(self) -> Usage:
        """Tokens used by the turns of this chat that were sent (replayed ones cost nothing)."""
        return sum((t.reply.usage for t in self.turns if not t.reply.cached), Usage())

    @property
    def kept_tokens(self) -> int:
        """The tokens the chat's history holds (``%ygpt chats``, the panel): what each turn
        added to the request after it, from the server's counts. A turn's request read the turns
        before it, so turn k added ``input + completion`` minus turn k-1's: the sum is the last
        request's input plus its reply (not each request's bill summed, which grows with the
        square of the chat's length). A turn whose request was trimmed adds at least its reply.
        The same whether its reply was sent or replayed (a replay keeps the recorded counts)."""
        kept, before = 0, 0
        for turn in self.turns:
            usage = turn.reply.usage
            after = usage.input_tokens + usage.completion_tokens
            kept += max(after - before, usage.completion_tokens)
            before = after
        return kept

    @property
    def replayed(self) -> Usage:
        """Tokens of the turns replayed from the reply cache (recorded earlier, not billed now)."""
        return sum((t.reply.usage for t in self.turns if t.reply.cached), Usage())

    def messages(
        self, prompt: str | None = None, turns: list[Turn] | None = None
    ) -> list[Message]:
        """What a request sends: the system message (if set), the turns, then the prompt."""
        return build_messages(self.system, self.turns if turns is None else turns, prompt)

    def __repr__(self) -> str:
        return f"Chat({self.name!r}, turns={len(self.turns)}, options={self.options!r})"


def build_messages(
    system: str | None, turns: list[Turn], prompt: str | None, pictures: tuple[Picture, ...] = ()
) -> list[Message]:
    """System + history + prompt, reusing each turn's message dicts. The prompt's ``pictures``
    ride in its message as ``"images"``; the client sends such a request over the chat API."""
    messages: list[Message] = [{"role": "system", "text": system}] if system else []
    messages.extend(chain.from_iterable([turn._messages for turn in turns]))
    if prompt is not None:
        messages.append({"role": "user", "text": prompt, "images": pictures} if pictures
                        else {"role": "user", "text": prompt})
    return messages
