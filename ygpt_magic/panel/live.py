"""A reply streaming into the panel: shared by every panel on its chat, stoppable from any of them.

The chat itself only changes when a reply is complete (``session.record``), so while a request is
in flight the text so far lives here, in a :class:`LiveReply` registered per session and chat.
Every panel showing that chat draws it and can stop it; when the request ends the entry goes away.

:class:`PanelRenderer` is what ``exchange.run_exchange`` drives. It hands the work of deciding
*when* to redraw to ``render.StreamRenderer`` (same throttling as a cell: ~10 updates a second,
one final render) by giving it a display that writes into the LiveReply instead of a cell output.

Threads: the request runs on a background thread, and the LiveReply tells its panels from that
thread. Panels only assign widget traits in response, and ipykernel sends the resulting comm
messages through its thread-safe IOPub channel, so no hop back to the kernel's main thread is
needed.
"""

from __future__ import annotations

import html
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..chat import ChatSession, Reply
from ..chat.observers import Observers
from ..protocols import AnswerStream
from ..render import StreamRenderer

Listener = Callable[["LiveReply"], None]

_registry: weakref.WeakKeyDictionary[ChatSession, dict[str, LiveReply]] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


class LiveReply:
    """The prompt, the latest rendered bundle and the state of one request started in a panel.

    ``state`` goes waiting → streaming → done | interrupted | failed; ``error`` is the one-line
    message when it failed.
    """

    def __init__(self, prompt: str, label: str) -> None:
        self.prompt = prompt
        self.label = label
        self.bundle: dict[str, Any] | None = None
        self.text = ""  # the reply's text so far
        self.state = "waiting"
        self.error = ""
        self._stream: AnswerStream | None = None
        self._cancelled = False
        self._lock = threading.Lock()
        self._listeners: Observers[LiveReply] = Observers()

    # -- panels ------------------------------------------------------------------------------

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(self)`` on every change; returns a function that stops it."""
        return self._listeners.add(listener)

    def _changed(self) -> None:
        self._listeners.notify(self)

    @property
    def active(self) -> bool:
        return self.state in ("waiting", "streaming")

    def stopped(self) -> bool:
        """Whether Stop was pressed (a tool function running for this reply is abandoned)."""
        return self._cancelled

    def cancel(self) -> None:
        """Stop pressed: cancel the RPC now, or as soon as the stream exists."""
        with self._lock:
            self._cancelled = True
            stream = self._stream
        if stream is not None:
            stream.cancel()

    # -- the request's side ------------------------------------------------------------------

    def attach(self, stream: AnswerStream) -> AnswerStream:
        """Remember the stream the client opened, cancelling it at once if Stop came first."""
        with self._lock:
            self._stream = stream
            cancelled = self._cancelled
        if cancelled:
            stream.cancel()
        return stream

    def show(self, bundle: Mapping[str, Any]) -> None:
        self.bundle = dict(bundle)
        self._changed()

    def end(self, state: str, error: str = "") -> None:
        self.state, self.error = state, error
        self._changed()

    def display(self, obj: Mapping[str, Any], raw: bool = True, display_id: Any = True,
                **_: Any) -> _Handle:
        """Stands in for ``IPython.display.display`` in the StreamRenderer."""
        self.show(obj)
        return _Handle(self)


class _Handle:
    """Stands in for IPython's DisplayHandle: ``update`` replaces what the LiveReply shows."""

    def __init__(self, live: LiveReply) -> None:
        self._live = live

    def update(self, obj: Mapping[str, Any], raw: bool = True, **_: Any) -> None:
        self._live.show(obj)


def live_reply(session: ChatSession, chat: str) -> LiveReply | None:
    """The reply a panel is streaming into ``chat`` right now, if any."""
    with _registry_lock:
        return _registry.get(session, {}).get(chat)


def register(session: ChatSession, chat: str, live: LiveReply) -> bool:
    """Claim ``chat`` for ``live``; False if a panel request is already in flight there."""
    with _registry_lock:
        chats = _registry.setdefault(session, {})
        if chat in chats:
            return False
        chats[chat] = live
        return True


def unregister(session: ChatSession, chat: str, live: LiveReply) -> None:
    """The request is over: free the chat, then tell the panels (they redraw without it)."""
    with _registry_lock:
        chats = _registry.get(session, {})
        if chats.get(chat) is live:
            del chats[chat]
    live._changed()


def activity(live: LiveReply | None, busy: bool, chat: str) -> str:
    """The status line's words for what is under way in chat ``chat`` (HTML): a spinner until
    the reply in flight sends its first chunk, then who is answering; a cell answering in it."""
    spinner = '<span class="ygpt-spinner"></span>'
    if live is not None and live.active and live.state == "waiting":
        return f"{spinner}waiting for {html.escape(live.label)}…"
    if live is not None and live.active:
        return f"{html.escape(live.label)} is answering…"
    if busy and live is None:
        return f"{spinner}a %%ygpt cell is answering in chat '{html.escape(chat)}'…"
    return ""


class PanelRenderer(StreamRenderer):
    """What ``run_exchange`` drives for a panel request: a StreamRenderer (same throttling, same
    final bundles as a cell) whose display is the LiveReply, plus the LiveReply's state."""

    def __init__(self, live: LiveReply, *, fmt: str, interval: float, json_reply: bool = False) -> None:
        super().__init__(fmt=fmt, interval=interval, display=live.display, label=live.label,
                         json_reply=json_reply, calls_apart=False)  # one bubble holds them all
        self._live = live

    def opened(self, stream: AnswerStream) -> None:  # type: ignore[override]
        """Keep the stream for the panel's Stop (cancelled at once if Stop came first)."""
        self._live.attach(stream)

    def update(self, text: str) -> None:
        if text and self._live.state == "waiting":
            self._live.state = "streaming"  # the spinner goes with the first chunk
        self._live.text = text or self._live.text
        super().update(text)

    def finish(self, reply: Reply) -> None:
        super().finish(reply)
        self._live.end("done")

    def interrupt(self, text: str | None = None, *, kept: bool = False) -> None:
        super().interrupt(text, kept=kept)
        self._live.end("interrupted")


def final_bundle(reply: Reply, fmt: str, *, json_reply: bool = False,
                 notes: Iterable[str] = ()) -> dict[str, Any]:
    """A recorded reply exactly as a cell's final render shows it (``StreamRenderer.finish``),
    with ``notes`` (the turn's: what was sent differently from what was written) above it."""
    captured: dict[str, Any] = {}
    renderer = StreamRenderer(fmt=fmt, display=lambda bundle, **_: captured.update(bundle),
                              json_reply=json_reply, calls_apart=False)
    renderer.start(notes)
    renderer.finish(reply)
    return captured
