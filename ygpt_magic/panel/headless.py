"""``%ygpt panel`` in a run no page draws (saving.headless): the saved view alone, no widget.

There (``jupyter execute``, ``jupyter nbconvert --execute``, papermill) the panel shows only its
saved view, as one output (panel/saved.py), and nothing draws a widget. Yet building the panel
opened a comm per widget, and nbclient stores the state of every widget a run opened in the
notebook's metadata, which no reader of the file can use (it has no kernel), in every run a user
commits: the tutorial panel's notebook came to 169 KB, 13 KB without. So there show_panel builds a
:class:`SavedPanel` instead: the same view, made by the same functions (panel/shown.py), kept up
to date as cells record turns in its chat, carrying an earlier kernel's turns as the panel does
(panel/carried.py), and no ipywidgets object at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from ..chat import Chat, ChatEvent, ChatSession, Turn
from ..chat.planning import DefaultSettings, Settings
from .carried import Carrying, Stored
from .saved import SavedViews, View, reopen_line, view_of, whole
from .shown import Exchange, exchange, followed


class SavedPanel:
    """The saved view of chat ``chat`` (None: of the session's current chat, following it), as a
    panel displays it in a run no page draws, kept up to date from its first display on.

    ``settings()``, ``secrets()`` and ``earlier`` are what :func:`~ygpt_magic.panel.show_panel`
    takes: the notebook's settings (the format a reply is shown in), the credentials its data
    masks, what the cell's saved view carries (``brought_back`` says which turns came back)."""

    def __init__(self, session: ChatSession, *, chat: str | None = None,
                 settings: Callable[[], Settings | None] = DefaultSettings,
                 secrets: Callable[[], Sequence[Any]] = tuple, earlier: Stored | None = None) -> None:
        self._session = session
        self._follows = chat is None
        self._name = session.current if chat is None else session.chat(chat).name   # started as a cell starts it
        self._settings = settings
        self._secrets = secrets
        self._carrying = Carrying(session, earlier)
        self.brought_back = self._carrying.brought_back   # said by %ygpt panel
        self._views = SavedViews(whole)
        self._shown: dict[int, tuple[Turn, Exchange]] = {}   # id(turn) → (turn kept alive, as shown)
        self._lock = threading.RLock()
        self._following = False   # from the first display on, for the kernel's life (a run's)

    @property
    def chat_name(self) -> str:
        """The chat this view shows."""
        return self._name

    def __repr__(self) -> str:
        """What ``_`` shows as text: the view's first line (what it shows, how to reopen it live)."""
        with self._lock:
            view = self._view()
        return reopen_line(view.chat, len(view.turns), view.command)

    def _ipython_display_(self) -> None:
        """The saved view, as one output, followed by every later change of the session."""
        with self._lock:
            if not self._following:
                self._session.subscribe(self._on_event)
                self._following = True
            self._views.display(self._view())

    def _on_event(self, event: ChatEvent) -> None:
        with self._lock:
            self._carrying.follow(event)
            self._name = followed(self._name, self._follows, event)
            if self._name not in self._session.chats:   # gone after `reset --all`, a load or a delete
                self._name = self._session.current
            self._views.update(self._view())   # a recorded turn, a reset: the parts that changed

    def _view(self) -> View:
        return view_of(self._session, self._name, self._follows, self._exchanges(self._session.chats[self._name]),
                       self._carrying.kept(), self._exchange, self._secrets)

    def _exchanges(self, chat: Chat) -> list[Exchange]:
        """Each of the chat's turns as shown; a turn shown before is not made again (a recorded
        turn does not change, and a long chat would be rendered whole after each turn)."""
        shown = {id(turn): self._shown.get(id(turn)) or (turn, self._exchange(turn, chat)) for turn in chat.turns}
        self._shown = shown
        return [exchange for _, exchange in shown.values()]

    def _exchange(self, turn: Turn, chat: Chat) -> Exchange:
        return exchange(turn, chat, self._settings())
