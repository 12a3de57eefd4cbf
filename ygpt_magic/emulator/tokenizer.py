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
_JSON_RE = re.compile(r"\s*(?:\w{1,7}|[^\w\s]+)|\s+")   # a run of marks ('":"', '"}},') is one piece
# Qwen's byte-level BPE splits text first as GPT-style tokenizers do (a word with the space or
# mark before it, each digit, a run of marks, a run of newlines), and its 151k-piece vocabulary
# holds most English words whole: 10 letters a piece fits the recorded Qwen3 requests (7 came to
# 34 over on the tool request's prose, whole words to 3 under).
_BPE_RE = re.compile(r"[^\r\n\w]?[^\W\d_]{1,10}|[^\W\d_]{1,10}|\d| ?(?:[^\s\w]|_)+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
# Gemma 3's SentencePiece (262k pieces) holds a run of newlines, of spaces or of tabs as a piece
# of its own, each digit apart, most English words whole and marks in ones and twos ('":',
# '="', ' "'). Against the real vocabulary (read from a Gemma 3 GGUF, for measurement only), 11
# letters a piece counts the recorded answers (Gemma's and Qwen's) 4.5% under, the docs' 258
# longest paragraphs 2% under (2.9% off each, the YandexGPT splitter 7.4%) and the recorded tool
# prompt (the tools' JSON indented by 4) 1 of 295 over; the YandexGPT splitter glues indentation
# to the next mark. At 10 letters the tool prompt came 3 over ("description" in two).
_GEMMA_RE = re.compile(r"\n+| {2,}|\t+| ?[^\W\d_]{1,11}|\d| ?(?:[^\s\w]|_){1,2}|\s")
_VOCAB = 128000
_SPECIAL_IDS = {"<s>": 1, "[NL]": 3, "[SEP]": 4}
# The cloud's prompt template, so a prompt counts what the cloud counts, recorded or not. From the
# recordings: TokenizeCompletion of "ping" (``cassettes/test_tokenize.gprc.json``) shows the tokens
# around a user's text; the chat of ``test_chat.gprc.json`` (28, 63, 95 input tokens as it grows)
# fits a system text with no label and a 3-piece "Ассистент" label after the [NL]s.
# A tool's declaration is a message of its own, with a 3-piece label (the label's text is not
# recorded; the recorded counts fit 3 pieces: one tool 100 tokens, two 169 to 171, see prompt.py).
_LABELS = {"system": (), "user": ("Пользователь", ":"), "assistant": ("А", "сси", "стент", ":"),
           "tool": ("Фун", "кция", ":")}
_MESSAGE_END = (("[NL]", True), ("[NL]", True))
_ANSWER_HEADER = (*((piece, False) for piece in (*_LABELS["assistant"], "▁[", "EDIT", "ORS", "]")), ("[SEP]", True))
_FIXED = 1 + len(_ANSWER_HEADER)   # <s> and the header awaiting the answer: 10 tokens a request


class Json(str):
    """Text the cloud reads as JSON: tool declarations, calls and results. Its SentencePiece holds
    a run of punctuation such as '":"', '","' or '"}},' as one piece, so a run counts one token
    here too; counted a mark a token, the recorded two-tool request came to 265 against 169."""

    __slots__ = ()


def split(text: str) -> list[str]:
    """Split text into token strings whose concatenation is the text."""
    return (_JSON_RE if isinstance(text, Json) else _TOKEN_RE).findall(text)


def bpe_split(text: str) -> list[str]:
    """Split text as a byte-level BPE tokenizer (Qwen's) would, loss-lessly."""
    return _BPE_RE.findall(text)


def gemma_split(text: str) -> list[str]:
    """Split text as Gemma 3's SentencePiece would, loss-lessly."""
    return _GEMMA_RE.findall(text)


def count(text: str) -> int:
    """Number of tokens in a text (what usage.completion_tokens reports)."""
    return len(split(text))


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

    The layout is the real TokenizeCompletion's, token for token around the text, so a prompt
    counts what the cloud would count whether or not it was recorded: ``<s>``, each message as
    its label, its text and two ``[NL]``, then the 9-token header awaiting the answer.
    """
    tokens: list[tuple[str, bool]] = [("<s>", True)]
    for index, (role, text) in enumerate(messages):
        tokens.extend((piece, False) for piece in (*_label(role, first=index == 0), *_text_pieces(text)))
        tokens.extend(_MESSAGE_END)
    tokens.extend(_ANSWER_HEADER)
    return tokens


def _label(role: str, first: bool) -> tuple[str, ...]:
    """A message's label; the prompt's first word is marked "▁" like SentencePiece marks it."""
    label = _LABELS[role]
    return ("▁" + label[0], *label[1:]) if first and label else label


def _text_pieces(text: str) -> list[str]:
    """A message's text as shown after its label: its first word marked like SentencePiece does."""
    pieces = [display(piece) for piece in split(text)]
    if pieces and pieces[0][0] not in "▁[":
        pieces[0] = "▁" + pieces[0]
    return pieces


def prompt_count(messages: Sequence[tuple[str, str]]) -> int:
    """len(prompt_tokens(messages)) without building the list (usage.input_text_tokens)."""
    return _FIXED + sum(len(_LABELS[role]) + len(_MESSAGE_END) + count(text) for role, text in messages)
