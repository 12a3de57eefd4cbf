"""A deterministic tokenizer, so usage counts and TokenizeCompletion always agree.

It is not YandexGPT's SentencePiece model; it only has to be stable, cheap and roughly as dense as
a real one (a word piece of up to 7 letters, each punctuation mark, with the leading space shown
as "▁" like SentencePiece does). Splitting is loss-less: the tokens concatenate to the text.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

_TOKEN_RE = re.compile(r"\s*(?:\w{1,7}|[^\w\s])|\s+")
_VOCAB = 128000
_SPECIAL_IDS = {"<s>": 1, "[NL]": 3}
_ROLE_LABELS = {"system": "Система", "user": "Пользователь", "assistant": "Ассистент"}


def split(text: str) -> list[str]:
    """Split text into token strings whose concatenation is the text."""
    return _TOKEN_RE.findall(text)


def count(text: str) -> int:
    """Number of tokens in a text (what usage.completion_tokens reports)."""
    return len(_TOKEN_RE.findall(text))


def display(piece: str) -> str:
    """How a token looks in a TokenizeResponse: leading whitespace becomes "▁"."""
    stripped = piece.lstrip()
    if not stripped:
        return "▁" if piece.strip(" ") == "" else "[NL]"
    return ("▁" + stripped) if stripped != piece else piece


def token_id(text: str) -> int:
    """A stable id for a token text (special tokens keep their well-known ids)."""
    if text in _SPECIAL_IDS:
        return _SPECIAL_IDS[text]
    return 4 + zlib.crc32(text.encode()) % (_VOCAB - 4)


def prompt_tokens(messages: Sequence[tuple[str, str]]) -> list[tuple[str, bool]]:
    """The tokens a completion request's messages occupy, as (text, special) pairs.

    The layout follows what the real TokenizeCompletion returns: ``<s>``, then per message
    its role label, ":", the text and a ``[NL]``, then the assistant's label awaiting the answer.
    (The real one ends with a longer header, 10 tokens: ``cassettes/test_tokenize.gprc.json``.
    It is kept short here so the counts of the server's own answers, stored in the tutorial
    notebooks, stay as they are; recorded requests count as recorded, see ``replay.py``.)
    """
    tokens: list[tuple[str, bool]] = [("<s>", True)]
    for role, text in messages:
        tokens.append(("▁" + _ROLE_LABELS.get(role, role), False))
        tokens.append((":", False))
        pieces = [display(piece) for piece in split(text)]
        if pieces and pieces[0][0] not in "▁[":   # SentencePiece marks a text's first word too
            pieces[0] = "▁" + pieces[0]
        tokens.extend((piece, False) for piece in pieces)
        tokens.append(("[NL]", True))
    tokens.append(("▁" + _ROLE_LABELS["assistant"], False))
    tokens.append((":", False))
    return tokens


def prompt_count(messages: Sequence[tuple[str, str]]) -> int:
    """len(prompt_tokens(messages)) without building the list (usage.input_text_tokens)."""
    return 3 + sum(3 + count(text) for _, text in messages)
