"""Planning one request: the single rule a ``%%ygpt`` cell and the panel's Send both follow.

What a request sends depends on the chat (session.py: history, rewind, ``--once``), on the
notebook's defaults (``%config YGptMagics.model = ...`` fills what a chat leaves unset) and on the
context budget (``YGptMagics.context_budget``, else the model's context size minus ``max_tokens``).
Both views call :func:`plan_request`, so a panel request is trimmed, defaulted and budgeted exactly
like a cell, and each request is planned once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .commands.models import context_size
from .session import ChatSession, Options, Plan


class Settings(Protocol):
    """The notebook-wide settings a plan reads (YGptMagics has them as traitlets)."""

    model: str
    temperature: float | None
    max_tokens: int | None
    default_format: str
    context_budget: int | None


@dataclass(frozen=True)
class DefaultSettings:
    """The settings when there is no YGptMagics (a panel built in code, tests): the built-ins."""

    model: str = "yandexgpt"
    temperature: float | None = None
    max_tokens: int | None = None
    default_format: str = "markdown"
    context_budget: int | None = None


def defaults_for(options: Options, settings: Settings | None) -> dict[str, Any]:
    """The option changes the notebook's defaults make to ``options``: a setting applies where
    the chat keeps the built-in value."""
    settings = settings or DefaultSettings()
    builtin = Options()
    defaults = {"model": settings.model, "temperature": settings.temperature,
                "max_tokens": settings.max_tokens, "format": settings.default_format}
    return {name: value for name, value in defaults.items()
            if getattr(options, name) == getattr(builtin, name) and value != getattr(builtin, name)}


def effective_options(session: ChatSession, chat: str | None, settings: Settings | None) -> Options:
    """A chat's options with the notebook's defaults filling what the chat leaves unset: what
    its next request uses (``%ygpt config`` shows these)."""
    existing = session.chats.get(session.current if chat is None else chat)
    options = existing.options if existing is not None else Options()
    return options.with_changes(**defaults_for(options, settings))


def context_budget(options: Options, settings: Settings | None) -> int | None:
    """Tokens a request with ``options`` may use: the setting, else the model's context size
    minus the reply's ``max_tokens``; None (no trimming) for a model of unknown size."""
    budget = (settings or DefaultSettings()).context_budget
    if budget is not None:
        return budget
    size = context_size(options.model)
    return None if size is None else max(size - (options.max_tokens or 0), 1)


def plan_request(
    session: ChatSession,
    prompt: str,
    *,
    settings: Settings | None,
    get_client: Callable[[], Any],
    chat: str | None = None,
    cell_id: str | None = None,
    append: bool = False,
    once: bool = False,
    system: str | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Plan:
    """The plan for ``prompt``: ``flags`` (per-request options, None = not given) over the
    notebook's defaults over the chat's options, trimmed to the context budget.

    ``get_client`` is called only if the tokenizer must be asked, which happens only when the
    request's UTF-8 size might exceed the budget (see ``ChatSession.plan``).
    """
    name = session.current if chat is None else chat
    existing = session.chats.get(name)
    base = existing.options if existing is not None else Options()
    overrides = defaults_for(base, settings)
    overrides.update({key: value for key, value in (flags or {}).items() if value is not None})
    options = base.with_changes(**overrides)

    def count_tokens(messages: list[dict[str, str]]) -> int:
        return get_client().count_tokens(messages, options)

    return session.plan(prompt, chat=chat, cell_id=cell_id, append=append, once=once,
                        system=system, overrides=overrides,
                        budget=context_budget(options, settings), count_tokens=count_tokens)
