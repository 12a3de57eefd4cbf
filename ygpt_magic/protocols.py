"""What run_exchange (exchange.py) needs of its parts, as protocols: the client (``Transport``)
and its stream, the views (``Renderer``, ``ToolView``), the tool loop and the cost cap. Each part
is written elsewhere (client/sdk.py, render/stream.py, the panel's renderer, tools/loop.py,
cost_cap.py); the exchange depends only on these shapes, so the panel brings its own renderer and
a test a tiny client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Protocol

from .chat import Answer, Ask, Extras, Message, Reply, RequestOptions, Usage
from .chat.tooluse import ToolCall


class Renderer(Protocol):
    """What run_exchange needs from a renderer (StreamRenderer, or the panel's own)."""

    def start(self, notes: list[str]) -> None: ...
    def show_waiting(self) -> None: ...
    def waiting(self, seconds: float) -> None: ...
    def update(self, text: str) -> None: ...
    def due(self) -> float | None: ...
    def finish(self, reply: Reply) -> None: ...
    def interrupt(self, text: str, *, kept: bool = False) -> None: ...
    def fail(self, message: str) -> None: ...
    def tool_running(self, line: str) -> None: ...
    def tool_done(self, call: ToolCall) -> None: ...
    def note(self, line: str) -> None: ...
    def opened(self, stream: AnswerStream) -> None: ...
    def retrying(self, status: str | None = None, wait: float | None = None) -> None: ...


class AnswerStream(Protocol):
    """A streamed request as run_exchange reads it (``client.sdk.Stream``)."""

    cancelled: bool  # stopped by ``cancel`` (the panel's Stop), not cut off
    on_retry: Callable[[str | None, float | None], None] | None  # (status, wait) while a retry waits
    @property
    def received(self) -> int: ...  # chunks of the attempt now running, all (the caller may read fewer)
    @property
    def attempt(self) -> int: ...  # the SDK's attempt now running (1: not retried)

    def __iter__(self) -> Iterator[Answer | None]: ...  # None: the renderer's held text is due
    def cancel(self) -> None: ...


class Transport(Protocol):
    """What run_exchange needs of a client (``client.sdk.Client``): each request method gives
    back the transport's Answer."""

    def stream(self, messages: list[Message], options: RequestOptions, *, slow: Callable[[], None] | None = None,
               due: Callable[[], float | None] | None = None, **extras: Any) -> AnswerStream: ...
    def complete(self, messages: list[Message], options: RequestOptions, *,
                 slow: Callable[[], None] | None = None, **extras: Any) -> Answer: ...
    def deferred(self, messages: list[Message], options: RequestOptions,
                 on_wait: Callable[[float], None], **extras: Any) -> Answer: ...


class ToolView(Protocol):
    """What a tool loop draws while the model calls functions (a Renderer, or _ReplayedRounds)."""

    def tool_running(self, line: str) -> None: ...
    def tool_done(self, call: ToolCall) -> None: ...
    def note(self, line: str) -> None: ...


class ToolRounds(Protocol):
    """What run_exchange needs from a tool loop (tools/loop.py ToolLoop)."""

    calls: list[ToolCall]
    spent: Usage  # tokens of the rounds before the final answer

    def extras(self) -> Extras: ...
    def answer(self, ask: Ask, messages: list[Message], extras: Extras, renderer: ToolView) -> Answer: ...


class Cap(Protocol):
    """A cost cap as an exchange asks it before sending request ``number`` (1: the first), having
    ``paid`` for the requests it sent before (estimated roubles of the server's counts) and made
    ``calls``: it raises to stop the exchange (cost_cap.RequestCap)."""

    def __call__(self, messages: list[Message], options: RequestOptions, extras: Extras, *,
                 number: int, paid: Decimal, calls: Sequence[ToolCall]) -> None: ...
