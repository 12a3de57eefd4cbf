"""Planning one request: the single rule a ``%%ygpt`` cell and the panel's Send both follow.

What a request sends depends on the chat (session.py: history, rewind, ``--once``), on its
options, on the notebook's settings and on the context budget (``YGptMagics.context_budget``, else
the model's context size minus ``max_tokens``). Both views call :func:`plan_request`, so a panel
request is trimmed, defaulted and budgeted exactly like a cell, and each request is planned once.

Which value an option takes is decided by :func:`resolve` alone, for cells, the panel and
``%ygpt config`` alike: a cell's flag (that cell only), else the chat's option if it is set, else
the ``YGptMagics`` setting, else the built-in default (``chat.BUILTIN``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .commands.models import context_size
from .session import BUILTIN, ChatSession, Options, Plan


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

    model: str = BUILTIN.model
    temperature: float | None = None
    max_tokens: int | None = None
    default_format: str = BUILTIN.format
    context_budget: int | None = None


#: The option each notebook-wide setting gives a default for (reasoning and json have none).
SETTING_FOR = {"model": "model", "temperature": "temperature", "max_tokens": "max_tokens",
               "format": "default_format"}


def setting_defaults(settings: Settings | None) -> Options:
    """The notebook's settings as options: what a chat's unset options take."""
    settings = settings or DefaultSettings()
    return Options(**{option: getattr(settings, name) for option, name in SETTING_FOR.items()})


def resolve(options: Options, settings: Settings | None) -> Options:
    """The options a request uses: ``options`` where set (a chat's, or a chat's with a cell's
    flags applied), else the setting, else the built-in default; model and format always set."""
    return options.with_defaults(setting_defaults(settings)).with_defaults(BUILTIN)


def sources(options: Options, settings: Settings | None) -> dict[str, str]:
    """Where each of :func:`resolve`'s values comes from, for ``%ygpt config`` and the panel:
    ``chat``, ``YGptMagics.<name>`` (a setting that differs from the built-in), or ``built-in``."""
    unset, defaults = Options(), setting_defaults(settings)
    found = {}
    for name, value in options.to_dict().items():
        setting = getattr(defaults, name)
        if value != getattr(unset, name):
            found[name] = "chat"
        elif setting is not None and setting != getattr(BUILTIN, name):
            found[name] = f"YGptMagics.{SETTING_FOR[name]}"
        else:
            found[name] = "built-in"
    return found


def chat_options(session: ChatSession, chat: str | None) -> Options:
    """The options set for a chat (none for a chat that does not exist yet)."""
    existing = session.chats.get(session.current if chat is None else chat)
    return existing.options if existing is not None else Options()


def effective_options(session: ChatSession, chat: str | None, settings: Settings | None) -> Options:
    """What the chat's next request uses, without per-cell flags (``%ygpt config`` shows these)."""
    return resolve(chat_options(session, chat), settings)


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
    """The plan for ``prompt``: ``flags`` (this request's options, None = not given) over the
    chat's options, resolved (:func:`resolve`), trimmed to the context budget.

    ``get_client`` is called only if the tokenizer must be asked, which happens only when the
    request's UTF-8 size might exceed the budget (see ``ChatSession.plan``).
    """
    options = resolve(chat_options(session, chat).with_changes(**(flags or {})), settings)

    def count_tokens(messages: list[dict[str, str]]) -> int:
        return get_client().count_tokens(messages, options)

    return session.plan(prompt, chat=chat, cell_id=cell_id, append=append, once=once,
                        system=system, options=options,
                        budget=context_budget(options, settings), count_tokens=count_tokens)
