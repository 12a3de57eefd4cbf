"""Responders decide what the local server answers; the services decide how it goes on the wire.

A responder looks at a validated Prompt and returns a Generation, or None to let the next
responder in the chain answer. The chain is: replay of recorded real responses, then the scripts,
then the tool model (calls, and the answer after the results) for requests that declare tools,
then a deterministic fallback (or, with a GGUF file, a real local model for everything).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import CompletionResponse

from ..prompt import Prompt, ToolCall


@dataclass(frozen=True)
class Generation:
    """A reply in one of four shapes (exactly one is set).

    text:       the whole reply at once; the server splits it into streamed chunks itself.
    deltas:     pieces of text as a live model produces them.
    recorded:   real CompletionResponse messages, sent as they were recorded.
    tool_calls: the model asks the client to call these functions (status TOOL_CALLS); like the
                real service, the calls come in one response, streamed or not.

    ``origin`` says how the reply was made; every response reports it in its model version
    (``local server · scripted``), so a reader of any client's output knows the answer came from
    this server, not from YandexGPT: ``unscripted`` (the fallback and the tool model's rules),
    ``scripted``, ``llama.cpp``, or ``replay of <the recording's version>``.
    """

    text: str | None = None
    deltas: AsyncGenerator[str, None] | None = None
    recorded: tuple[CompletionResponse, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    origin: str = "unscripted"


class Responder(Protocol):
    def respond(self, prompt: Prompt) -> Generation | None:
        """A Generation for this prompt, or None when this responder has nothing to say."""


class ResponderChain:
    """Ask each responder in turn; the last one must always answer."""

    def __init__(self, responders: Sequence[Responder]):
        self.responders = list(responders)

    def respond(self, prompt: Prompt) -> Generation:
        for responder in self.responders:
            generation = responder.respond(prompt)
            if generation is not None:
                return generation
        raise RuntimeError("No responder answered; the chain must end with one that always does.")

    def tokens(self, prompt: Prompt) -> list[tuple[str, bool]] | None:
        """The tokens a responder knows for this prompt (a recording's), or None: then the
        server's tokenizer counts them."""
        for responder in self.responders:
            known: Callable[[Prompt], list[tuple[str, bool]] | None] | None = getattr(responder, "tokens", None)
            if known is not None and (tokens := known(prompt)) is not None:
                return tokens
        return None

    def close(self) -> None:
        """Release what responders hold (a loaded model) when the server stops."""
        for responder in self.responders:
            close = getattr(responder, "close", None)
            if close is not None:
                close()
