"""Turn a responder's Generation into the CompletionResponse messages the cloud would send.

Streamed replies are cumulative, like the real service's: each PARTIAL response holds the whole
text so far, the last one is FINAL (or TRUNCATED_FINAL when max_tokens cut it). Every response
carries usage (growing completion tokens, reasoning tokens when reasoning is on) and a model
version that says the reply came from this server and how (``local server · scripted``: see
``served_by``); every client shows it where it shows the version, the magic's footer included,
so nobody takes a local answer for YandexGPT's. Without ``stream`` only the last response is
sent. Tool calls are one TOOL_CALLS response, streamed or not (as recorded from the real service):
an assistant message with a ``toolCallList`` and no text, the arguments a Struct.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from google.protobuf.struct_pb2 import Struct
from yandex.cloud.ai.foundation_models.v1.text_common_pb2 import (
    Alternative,
    ContentUsage,
    FunctionCall,
    Message,
    ToolCall,
    ToolCallList,
)
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import (
    CompletionResponse,
)

from . import prompt as prompts
from . import templates, tokenizer
from .prompt import Prompt
from .responders import Generation

#: tokens added to the text by each streamed chunk of a scripted reply
CHUNK_TOKENS = 4
PARTIAL = Alternative.ALTERNATIVE_STATUS_PARTIAL
FINAL = Alternative.ALTERNATIVE_STATUS_FINAL
TRUNCATED_FINAL = Alternative.ALTERNATIVE_STATUS_TRUNCATED_FINAL
TOOL_CALLS = Alternative.ALTERNATIVE_STATUS_TOOL_CALLS
#: how every reply's model version starts
SERVER = "local server"


def reasoning_tokens(prompt: Prompt, reply_tokens: int) -> int:
    """How many hidden reasoning tokens a reasoning-mode reply reports (0 when off)."""
    return 16 + reply_tokens // 2 if prompt.reasoning else 0


def response(prompt: Prompt, text: str, status: Alternative.AlternativeStatus.ValueType, completion: int,
             reasoning: int,
             message: Message | None = None) -> CompletionResponse:
    """One CompletionResponse; reasoning tokens are part of the completion tokens, as in the cloud."""
    usage = ContentUsage(
        input_text_tokens=prompt.input_tokens,
        completion_tokens=completion + reasoning,
        total_tokens=prompt.input_tokens + completion + reasoning,
    )
    if reasoning:
        usage.completion_tokens_details.reasoning_tokens = reasoning
    return CompletionResponse(
        alternatives=[Alternative(message=message or Message(role="assistant", text=text), status=status)],
        usage=usage,
    )


def served_by(generation: Generation) -> str:
    """The model version a reply reports: ``local server · <how it was made>``."""
    return f"{SERVER} · {generation.origin}"


async def responses(prompt: Prompt, generation: Generation) -> AsyncGenerator[CompletionResponse, None]:
    """The responses for one Completion call, in order, each with the version ``served_by`` says."""
    version = served_by(generation)
    async for item in _responses(prompt, generation):
        item.model_version = version
        yield item


async def _responses(prompt: Prompt, generation: Generation) -> AsyncGenerator[CompletionResponse, None]:
    if generation.recorded:
        for recorded in generation.recorded if prompt.stream else generation.recorded[-1:]:
            copy = CompletionResponse()
            copy.CopyFrom(recorded)  # the cassette's own stays as recorded
            yield copy
    elif generation.tool_calls:
        yield _tool_calls(prompt, generation.tool_calls)
    elif generation.text is not None:
        for item in _from_text(prompt, generation.text):
            yield item
    elif generation.deltas is not None:
        async for item in _from_deltas(prompt, generation.deltas):
            yield item


def _tool_calls(prompt: Prompt, calls: tuple[prompts.ToolCall, ...]) -> CompletionResponse:
    """The TOOL_CALLS response; its completion tokens are those of the calls written as JSON."""
    wire = []
    for call in calls:
        arguments = Struct()
        arguments.update(call.arguments)
        wire.append(ToolCall(function_call=FunctionCall(name=call.name, arguments=arguments)))
    message = Message(role="assistant", tool_call_list=ToolCallList(tool_calls=wire))
    used = templates.for_model(prompt.model.name).calls_count(calls)
    return response(prompt, "", TOOL_CALLS, used, reasoning_tokens(prompt, used), message)


def _from_text(prompt: Prompt, text: str) -> list[CompletionResponse]:
    """The responses of a text answer; its completion tokens are its model's count of the text,
    with the token the model ends an answer with (Qwen's ``<|im_end|>``) unless it was cut."""
    template = templates.for_model(prompt.model.name)
    pieces = template.answer_pieces(text)
    status, ends = FINAL, template.answer_ends
    if prompt.max_tokens is not None and len(pieces) > prompt.max_tokens:
        pieces, status, ends = pieces[: prompt.max_tokens], TRUNCATED_FINAL, 0
    reasoning = reasoning_tokens(prompt, len(pieces))
    out: list[CompletionResponse] = []
    if prompt.stream:
        so_far = ""
        for start in range(0, len(pieces) - CHUNK_TOKENS, CHUNK_TOKENS):
            so_far += "".join(pieces[start:start + CHUNK_TOKENS])
            out.append(response(prompt, so_far, PARTIAL, start + CHUNK_TOKENS, reasoning))
    out.append(response(prompt, "".join(pieces), status, len(pieces) + ends, reasoning))
    return out


async def _from_deltas(prompt: Prompt, deltas: AsyncGenerator[str, None]) -> AsyncGenerator[CompletionResponse, None]:
    """A live model's deltas; stops the model once max_tokens is reached."""
    text, status = "", FINAL
    try:
        async for delta in deltas:
            text += delta
            used = tokenizer.count(text)
            if prompt.max_tokens is not None and used >= prompt.max_tokens:
                if used > prompt.max_tokens:
                    text = "".join(tokenizer.split(text)[: prompt.max_tokens])
                status = TRUNCATED_FINAL
                break
            if prompt.stream and delta:
                yield response(prompt, text, PARTIAL, used, reasoning_tokens(prompt, used))
    finally:
        await deltas.aclose()
    used = tokenizer.count(text)
    yield response(prompt, text, status, used, reasoning_tokens(prompt, used))


async def final_response(prompt: Prompt, generation: Generation) -> CompletionResponse:
    """The last response of a reply: what a deferred completion or a batch row answers."""
    last = None
    async for last in responses(prompt, generation):
        pass
    if last is None:
        raise RuntimeError("a reply has at least one response")
    return last
