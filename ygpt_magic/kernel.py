"""The kernel's state in one object: what every door and subcommand receives.

Before this object, 35 functions took the magics object and reached into it for the chats, the
connection, the cache and the settings; now they take a :class:`Kernel` and read what they need
from it, and ``YGptMagics`` only holds the traitlets and turns flags into requests.

The settings are one frozen value (:class:`Settings`) with every default defined here, once: the
traitlets take their defaults from it and, on any change, give the kernel a new value. Code that
runs later (a panel's Send, a ``--map`` row) reads ``kernel.settings`` when it runs, so it sees the
settings of that moment; the panel, which shows inherited values, follows changes through
:meth:`Kernel.on_settings`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .cache import ReplyCache
from .cache.provenance import Log as ProvenanceLog
from .chat import BUILTIN, ChatSession
from .chat import prices as pricing
from .client import guard
from .client.connection import Connection
from .client.settings import DEFAULTS as CLIENT
from .client.settings import ClientSettings
from .context.cells import NotebookCells
from .context.limits import Limits
from .errors import CredentialInName
from .render.stream import RENDER_INTERVAL

LIMITS = Limits()

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from .rows import RowMemo
    from .rows.asked import AskedStart
    from .rows.batch_record import BatchRecord
    from .rows.embed import VectorMemo
    from .sources import Index as SourcesIndex


@dataclass(frozen=True)
class Settings:
    """Every notebook-wide setting and its default (``%config YGptMagics.<name>`` sets them)."""

    model: str = BUILTIN.model
    temperature: float | None = None
    max_tokens: int | None = None
    context_budget: int | None = None
    render_interval: float = RENDER_INTERVAL
    default_format: str = BUILTIN.format
    timeout: float = CLIENT.timeout
    connect_timeout: float = CLIENT.connect_timeout
    stream_timeout: float = CLIENT.stream_timeout or 0.0
    retries: int = CLIENT.retries
    retry_backoff: float = CLIENT.retry_backoff
    poll_interval: float = CLIENT.poll_interval
    map_concurrency: int = 8
    batch_poll_interval: float = 5.0
    max_rows: int = LIMITS.max_rows
    max_columns: int = LIMITS.max_columns
    max_value_chars: int = LIMITS.max_chars
    value_timeout: float = LIMITS.timeout
    fix_instruction: str = (
        "You fix Python code in a Jupyter notebook. Explain in one or two sentences why the "
        "cell fails, then give the whole corrected cell in one ```python code block.")
    docs_instruction: str = (
        "Answer the question below from the numbered sources. Cite each source you use as [n]; "
        "if the sources do not hold the answer, say so.")
    max_tool_rounds: int = 5
    max_tool_calls: int = 32
    cache_path: str | None = None
    cache_mode: str = "auto"
    #: the price table's overrides, by model short name (chat/prices.py)
    prices: Mapping[str, Any] = field(default_factory=dict)
    #: roubles a cell may cost at most (None: no cap); --max-cost sets it for one cell
    max_cost_per_cell: float | None = None

    @classmethod
    def of(cls, source: Any) -> Settings:
        """The settings ``source`` (the magics' traitlets) holds right now."""
        return cls(**{field.name: getattr(source, field.name) for field in fields(cls)})

    def names(self) -> list[str]:
        """Every setting's name, sorted (as ``%ygpt config`` lists them)."""
        return sorted(field.name for field in fields(self))

    def limits(self) -> Limits:
        """How much of a value one ``{reference}`` may send."""
        return Limits(max_rows=self.max_rows, max_columns=self.max_columns,
                      max_chars=self.max_value_chars, timeout=self.value_timeout)

    def client(self) -> ClientSettings:
        """What a Client is built with (a change of these builds a new one)."""
        return ClientSettings(timeout=self.timeout, connect_timeout=self.connect_timeout,
                              stream_timeout=self.stream_timeout or None, retries=self.retries,
                              retry_backoff=self.retry_backoff, poll_interval=self.poll_interval)


DEFAULT = Settings()

#: The settings that rebuild the client when they change, and those that reopen the cache.
CLIENT_SETTINGS = ("timeout", "connect_timeout", "stream_timeout", "retries", "retry_backoff", "poll_interval")
CACHE_SETTINGS = ("cache_path", "cache_mode")


class Kernel:
    """The chats, the connection, the reply cache, the notebook's cells, the provenance log, the
    batch jobs started here and the settings: the state one IPython kernel keeps for ygpt_magic."""

    def __init__(self, shell: InteractiveShell | None, settings: Settings = DEFAULT,
                 change: Callable[[str, Any], None] | None = None) -> None:
        self.shell = shell
        self._settings = settings
        self._change = change
        self._watchers: list[Callable[[Settings], None]] = []
        self.session = ChatSession(refuse_name=self._refuse_name)
        self.session.accounts.prices = pricing.builtin().overridden(settings.prices)
        self.connection = Connection(lambda: self.settings.client())
        self.cells = NotebookCells(shell)
        self.cache = ReplyCache(settings.cache_path, settings.cache_mode)
        self.provenance = ProvenanceLog()
        self.batch_jobs: dict[str, BatchRecord] = {}   # by task id
        self.batch_asked: list[AskedStart] = []   # --batch starts Ctrl-C stopped with no answer
        #: by asking cell's id: the code its reply last put below it, and when it was inserted
        #: (None: found there already); commands/_next_cell.py
        self.code_below: dict[str, tuple[str, float | None]] = {}

    def __repr__(self) -> str:
        return f"<Kernel {self.connection!r} chats={list(self.session.chats)}>"

    def _refuse_name(self, name: str) -> None:
        """The session's name rule: CredentialInName for a chat name that carries a known
        credential (the guard the system box and --system use), wherever the name was given."""
        guard.check("the chat name", name, self.connection.known_secrets(), CredentialInName)

    @property
    def settings(self) -> Settings:
        return self._settings

    @settings.setter
    def settings(self, new: Settings) -> None:
        old, self._settings = self._settings, new
        if any(getattr(old, name) != getattr(new, name) for name in CLIENT_SETTINGS):
            self.connection.drop_client()
        if old.prices != new.prices:
            self.session.accounts.prices = pricing.builtin().overridden(new.prices)
            odd = pricing.unknown_names(new.prices)
            if odd:
                print(odd, file=sys.stderr)
        if any(getattr(old, name) != getattr(new, name) for name in CACHE_SETTINGS):
            self.cache.configure(new.cache_path, new.cache_mode)
        if old.cache_path != new.cache_path:
            self.close_sources()
        if old != new:
            for watcher in list(self._watchers):
                watcher(new)

    def change(self, **values: Any) -> None:
        """Set settings as ``%config YGptMagics.<name> = value`` would: through the traitlets
        that mirror them (``change``), so they are validated and ``%config`` shows them."""
        for name, value in values.items():
            if self._change is not None:
                self._change(name, value)
            else:
                self.settings = replace(self.settings, **{name: value})

    def on_settings(self, callback: Callable[[Settings], None]) -> Callable[[], None]:
        """``callback(settings)`` after each change; returns the way to stop (safe to call twice)."""
        self._watchers.append(callback)

        def stop() -> None:
            if callback in self._watchers:
                self._watchers.remove(callback)

        return stop

    @property
    def namespace(self) -> dict[str, Any]:
        """The notebook's variables: a cell runs only in the shell that loaded the extension."""
        assert self.shell is not None, "the magics run in the shell they were registered with"
        names: dict[str, Any] = self.shell.user_ns  # IPython's shell is untyped
        return names

    @property
    def cell_id(self) -> str | None:
        """The id of the cell asking, when the frontend sent one; None between cells and in a
        thread of the user's, even while a cell runs (context/cells.py)."""
        return self.cells.cell_id

    def cell_name(self) -> str:
        """How a user finds the running cell: ``cell In [7]``, its number as the notebook shows
        it (``execution_count`` is already the next one's while a cell runs, from IPython 9 on:
        the notebook's cells know which holds)."""
        return f"cell In [{self.cells.current if self.shell is not None else '?'}]"

    @cached_property
    def row_memo(self) -> RowMemo:
        """The answered ``--map`` rows (rows/memo.py), made with the first ``--map`` cell."""
        from .rows import RowMemo

        return RowMemo()

    @cached_property
    def vector_memo(self) -> VectorMemo:
        """The texts ``%ygpt embed`` / ``similar`` embedded (rows/embed.py), made with the first."""
        from .rows.embed import VectorMemo

        return VectorMemo()

    @cached_property
    def sources(self) -> dict[str, SourcesIndex]:
        """The indexes of ``--docs`` files (sources/index.py) by the server that embeds them
        (docs_cell.index_of opens one with the first ``--docs`` cell for it): beside the reply
        cache, or in memory without one; opened again after ``cache_path`` changes."""
        return {}

    def close_sources(self) -> None:
        """Close the ``--docs`` indexes, so the next ``--docs`` cell opens one beside the reply
        cache of that moment (a cache set after the first ``--docs`` cell, or moved), or anew
        after ``%ygpt cache clear`` emptied its file."""
        for index in self.__dict__.pop("sources", {}).values():
            index.close()

    def close(self) -> None:
        """Close the client, stop a local server, close the cache and the index (on unload)."""
        self.connection.close()
        self.cache.close()
        self.close_sources()
