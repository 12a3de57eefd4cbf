"""A deterministic, plausible reply for prompts no script knows.

It depends on the whole message list (a hash of every role and text picks the sentences, and the
reply mentions how many earlier messages it took into account), so a test can tell whether the
history was sent, and the same conversation always gets the same answer. A request whose system
message or last user message asks for a text's sentiment (the commonest prompt over a column of
reviews) gets the way the last user message's words lean instead (sentiment.py): "Negative." for
"Broke after a week, refund".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TypedDict, TypeVar

from ..prompt import Prompt
from . import Generation, sentiment
from .json_reply import json_reply
from .values import implied_schema

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
T = TypeVar("T")


class _Phrases(TypedDict):
    """One language's sentences: a reply is an opening, a body, two points and a closing."""

    open: tuple[str, ...]
    body: tuple[str, ...]
    points: tuple[tuple[str, str], ...]
    close: tuple[str, ...]

_ASKS_SENTIMENT = re.compile(r"sentiment|тональност", re.IGNORECASE)

_EN: _Phrases = {
    "open": (
        "Here is a short answer about “{topic}”.",
        "Good question about “{topic}”.",
        "Let me answer briefly about “{topic}”.",
        "You asked about “{topic}”; here is an overview.",
    ),
    "body": (
        "The key is to separate what is known for certain from what depends on the details of your situation.",
        "It helps to start from the main idea and then look at the practical consequences.",
        "Most of the answer comes down to a few well-established facts and one or two trade-offs.",
        "A good way to approach it is step by step, checking each assumption along the way.",
    ),
    "points": (
        ("**Context** matters: the same question can have different answers in different settings.",
         "**Evidence** first: rely on sources you can check."),
        ("**Start simple**: the basic explanation covers most cases.",
         "**Then refine**: add detail only where it changes the conclusion."),
        ("**Definitions**: agree on what the terms mean.",
         "**Examples**: a concrete case makes the idea clear."),
    ),
    "close": (
        "Let me know if you would like more detail on any part.",
        "I can expand on any of these points if you wish.",
        "Ask a follow-up question if something is unclear.",
    ),
}

_RU: _Phrases = {
    "open": (
        "Вот краткий ответ на тему «{topic}».",
        "Хороший вопрос: «{topic}».",
        "Отвечу коротко на вопрос «{topic}».",
        "Вы спросили: «{topic}». Вот обзор.",
    ),
    "body": (
        "Важно отделить то, что известно точно, от того, что зависит от деталей вашей ситуации.",
        "Удобно начать с главной идеи, а затем перейти к практическим следствиям.",
        "Ответ сводится к нескольким проверенным фактам и одному-двум компромиссам.",
        "Лучше идти шаг за шагом и проверять каждое допущение.",
    ),
    "points": (
        ("**Контекст** важен: в разных условиях ответ может быть разным.",
         "**Факты** прежде всего: опирайтесь на проверяемые источники."),
        ("**Начните с простого**: базовое объяснение покрывает большинство случаев.",
         "**Затем уточняйте**: добавляйте детали только там, где они меняют вывод."),
    ),
    "close": (
        "Если нужно, я могу рассказать подробнее.",
        "Задайте уточняющий вопрос, если что-то осталось неясным.",
    ),
}

#: keyed by "the last user message is Russian"
_HISTORY = {False: "I have taken into account {n} of our conversation.", True: "Я учёл {n} нашего разговора."}
_SENTIMENT = {
    False: {"positive": "Positive.", "negative": "Negative.", "neutral": "Neutral."},
    True: {"positive": "Положительная.", "negative": "Отрицательная.", "neutral": "Нейтральная."},
}


def _topic(text: str, words: int = 8, limit: int = 80) -> str:
    """The start of ``text`` as the reply quotes it: its first ``words`` words as the user wrote
    them, operators and punctuation kept ("what is 2+2?", not "what is 2 2": a user reading the
    quote would think their "+" was lost), on one line and at most ``limit`` characters; an
    ellipsis marks a cut. Only the start of ``text`` is read, so a long prompt costs nothing more."""
    head = text[:2 * limit]
    pieces = head.split()
    topic = " ".join(pieces[:words])
    cut = len(text) > len(head) or len(pieces) > words or len(topic) > limit
    topic = topic[:limit].rstrip()
    return topic + ("…" if cut else "") if topic else "your message"


def _earlier(n: int, russian: bool) -> str:
    """"1 earlier message", "3 earlier messages"; in Russian by its three plural forms."""
    if not russian:
        return f"the {n} earlier message{'' if n == 1 else 's'}"
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} предыдущее сообщение"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} предыдущих сообщения"
    return f"{n} предыдущих сообщений"


def fallback_reply(messages: Sequence[tuple[str, str]]) -> str:
    """A reply that is a pure function of the whole message list."""
    digest = hashlib.sha256(repr(tuple(messages)).encode()).digest()
    last_user = next((text for role, text in reversed(messages) if role == "user"), messages[-1][1])
    russian = bool(_CYRILLIC.search(last_user))
    lang = _RU if russian else _EN
    if any(_ASKS_SENTIMENT.search(text) for role, text in messages if role == "system" or text is last_user):
        return _SENTIMENT[russian][sentiment.word(last_user)]

    def pick(options: Sequence[T], byte: int) -> T:
        return options[digest[byte] % len(options)]

    parts = [pick(lang["open"], 0).format(topic=_topic(last_user))]
    earlier = len(messages) - 1
    if earlier:
        parts.append(_HISTORY[russian].format(n=_earlier(earlier, russian)))
    parts.append(pick(lang["body"], 1))
    first, second = pick(lang["points"], 2)
    return f"{' '.join(parts)}\n\n- {first}\n- {second}\n\n{pick(lang['close'], 3)}"


class FallbackResponder:
    """The last responder: always answers, with ``fallback_reply`` (as JSON when asked for)."""

    def respond(self, prompt: Prompt) -> Generation:
        text = fallback_reply(prompt.messages)
        if not prompt.wants_json:
            return Generation(text=text)
        instructions = " ".join(t for role, t in prompt.messages if role == "system") or prompt.question
        schema = prompt.json_schema or implied_schema(instructions)
        return Generation(text=json_reply(text, schema, prompt.question))
