"""What the server's words say was wrong with a request it refused as INVALID_ARGUMENT.

The cloud answers one status for every bad value (AI Studio's error-codes page: an incorrect
model URI, a prompt too long, an invalid parameter value, a folder id that is not the
credential's), so the advice has to come from its words: a user told to check the temperature
when the model's name has a typo, or the folder is another's, looks in the wrong place. What is
matched is the cloud's own wording, kept narrow, each with its source; any other answer stays a
RequestRejected, which lists the options to check and quotes the server.
"""

from __future__ import annotations

import re

from ..errors import (
    ContextTooLong,
    FolderMismatch,
    ModelNotFound,
    RequestRejected,
    TextTooLong,
    TextTooLongToClassify,
    TextTooLongToEmbed,
    YGptError,
)

#: a number standing alone: not a part of a name (the 32 of qwen2.5-32b-instruct, the 95 of a folder id
#: b1gvmob95yy…), which would be taken for the context's size
_NUMBER = re.compile(r"(?<![\w.\-/])\d[\d,_]*(?!\w)")
_CONTEXT_WORDS = ("token", "context", "too long", "too many")
#: the cloud's words for a model URI it cannot use, above all one naming a model it does not serve
#: (AI Studio's error-codes page: "invalid model_uri, Failed to parse model URI errors"; the cloud
#: answered a real user so, black-roland/homeassistant-yandexgpt#14)
MODEL_URI_WORDS = ("invalid model_uri", "failed to parse model uri")
#: the cloud's words for a folder id that is not the folder of the key's service account (the same page)
FOLDER_MISMATCH = "specified folder id does not match"
#: the cloud's limit in characters, as the one client that keys on it quotes it (evidence from one
#: source: community-of-python/any-llm-client, "text length is 349354, which is outside the range
#: (0, 100000]"), so matched as written there
TEXT_LENGTH = re.compile(r"text length is (\d+), which is outside the range \(0, (\d+)\]")
#: what a text alone too long for a model that reads one text (no chat history) is, by what was asked
_ONE_TEXT: dict[str, type[TextTooLongToClassify] | type[TextTooLongToEmbed]] = {
    "classification": TextTooLongToClassify, "embedding": TextTooLongToEmbed}


def refusal(details: str, *, model: str | None, folder: str | None, asked: str,
            history_turns: int) -> YGptError:
    """The error for an INVALID_ARGUMENT whose server said ``details``: the model (``model``, as
    the request named it), the folder (``folder``), the text's length in characters or tokens
    (``asked``: a completion, an embedding or a classification; ``history_turns``: the earlier
    turns a completion carried), or else a value of the request."""
    lowered = details.lower()
    if any(words in lowered for words in MODEL_URI_WORDS):
        return ModelNotFound(model or "(unknown)", details, asked, status="INVALID_ARGUMENT")
    if FOLDER_MISMATCH in lowered:
        return FolderMismatch(folder, details)
    length = TEXT_LENGTH.search(details)
    if length:
        return TextTooLong(int(length[1]), int(length[2]), asked, details)
    numbers = context_numbers(details)
    if numbers and asked in _ONE_TEXT:
        return _ONE_TEXT[asked](*numbers)
    if numbers:
        return ContextTooLong(*numbers, history_turns=history_turns)
    return RequestRejected(details, asked)


def context_numbers(details: str) -> tuple[int, int] | None:
    """(needed, limit) from an INVALID_ARGUMENT detail about the context size, if it says so.

    Servers word this differently; whatever the order, the larger number is the request's size
    and the smaller one the limit. Only numbers that stand alone count: a model's name or a
    folder id in the detail holds digits too.
    """
    lowered = details.lower()
    if not any(word in lowered for word in _CONTEXT_WORDS):
        return None
    numbers = [int(n.replace(",", "").replace("_", "")) for n in _NUMBER.findall(details)]
    numbers = [n for n in numbers if n >= 16]
    if len(numbers) < 2:
        return None
    return max(numbers), min(numbers)
