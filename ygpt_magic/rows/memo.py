"""Rows already answered, so running a ``--map`` cell again sends only the rows still missing.

A row's answer is kept under the key of its request: the endpoint kind, the model, the options
and the exact messages (the cell's template filled in for that row, its ``--system``), plus the
schema when there is one. Change the template, a row's value or an option and that row has no
answer for its current prompt, so it is sent; everything else is reused. The memo lives as long
as the kernel (bounded: the oldest answers go first); the reply cache, when one is configured,
keeps every row as an entry of its own across kernel restarts (``Rows.cached``, see run.py).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..chat import RequestOptions

#: answers the memo keeps (the oldest are forgotten first)
LIMIT = 500_000


@dataclass(frozen=True, slots=True)
class Answer:
    """One row's answer: what the results hold, and its tokens for the summary."""

    text: str
    input_tokens: int = 0
    completion_tokens: int = 0
    model_version: str = ""


def row_key(endpoint: str, options: RequestOptions, messages: Sequence[Mapping[str, str]],
            extra: Mapping[str, Any] | None = None) -> str:
    """What decides a row's answer, as a short digest (the prompt text is not kept)."""
    document = [endpoint, options.model, options.temperature, options.max_tokens, options.reasoning,
                options.json, [[m["role"], m["text"]] for m in messages], dict(extra or {})]
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


class RowMemo:
    """The kernel's answered rows, by :func:`row_key`."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._limit = limit

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: str) -> Answer | None:
        return self._answers.get(key)

    def put(self, key: str, answer: Answer) -> None:
        self._answers[key] = answer
        if len(self._answers) > self._limit:
            self._answers.popitem(last=False)

    def clear(self) -> None:
        self._answers.clear()
