"""``%ygpt panel``: a chat window (ipywidgets) over the same ChatSession the ``%%ygpt`` cells use.

The panel is a view, not a copy: it subscribes to the session's events and redraws from the chat,
and every control edits the chat through the session. So a cell run elsewhere appears in the panel
at once, the temperature slider changes what the next cell sends, ``%ygpt reset`` empties it, and
two panels on one chat agree.

Send runs ``exchange.run_exchange`` on a background thread (the kernel stays free for cells) with a
:class:`~ygpt_magic.panel.live.PanelRenderer`, through the cell's door rules the kernel gives it
(``door``); Stop cancels the stream, or abandons a tool function still running
(tools/background.py); errors become one line in the panel, their advice worded for it
(``error.words(PANEL)``, errors/origin.py). The look is in ``style``, its keys in the page in
``keys``, the transcript in ``transcript``, the option bar in ``controls``, the message box in
``compose``, the reply in flight in ``live``, what a saved notebook keeps of the panel in
``saved``, and the turns an earlier kernel's saved view carries to it in ``carried``.

``ChatPanel`` *is* the widget (an ``ipywidgets.VBox``): display it, or return it from a cell.
"""

from __future__ import annotations

import dataclasses
import html
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from ..chat import Chat, ChatEvent, ChatSession, Turn, files, planning
from ..chat.planning import DefaultSettings
from ..errors import PANEL, YGptError
from ..exchange import run_exchange
from ..modelname import model_name
from ..render import RENDER_INTERVAL
from ..saving import LIVE_ONLY, headless
from ..tools.background import abandonable
from ..words import counted
from . import keys as panel_keys
from . import live as panel_live
from . import style as panel_style
from .carried import Carrying, Stored
from .compose import compose
from .controls import Controls
from .door import Door, Plain
from .export_path import export_path
from .headless import SavedPanel
from .saved import Part, SavedViews, View, sources, view_of
from .shown import followed
from .style import close_tree, styled
from .transcript import Bubbles, KeptBlock, Transcript

#: ``watch(callback)``: call back after each change of the settings; returns the way to stop
Watch = Callable[[Callable[[Any], None]], Callable[[], None]]


def show_panel(
    session: ChatSession,
    get_client: Callable[[], Any],
    *,
    chat: str | None = None,
    settings: Callable[[], Any] = DefaultSettings,
    watch: Watch | None = None,
    door: Door | None = None,
    secrets: Callable[[], Sequence[Any]] = tuple,
    earlier: Stored | None = None,
) -> ChatPanel | SavedPanel:
    """Build the panel for ``chat`` (default: follow the session's current chat) and return it;
    in a run no page draws (saving.headless), its saved view alone, with no widget at all
    (panel/headless.py: nbclient would store every widget's state in the file).

    ``get_client`` is called for each request, so a ``%ygpt connect`` after the panel opened is
    honoured; ``settings()`` gives the notebook's settings at each use (the kernel's, or the
    built-ins): its defaults and ``context_budget`` (see chat/planning.py: a Send is planned exactly
    like a cell) and ``render_interval`` (the client has the timeouts); ``watch(callback)`` calls
    back when they change (the controls show inherited values), returning the way to stop.
    ``door`` applies the cell's rules to each Send (panel/door.py: references filled in, the
    reply cache, the chat's tools, the cost cap, the provenance log); None sends the text as
    typed with none of them. ``secrets()`` are the credentials the system box refuses (a Send is
    refused by the client's guard) and every reply shows masked.
    ``chat`` is started as a cell would start it, and a name no chat may have is refused before
    any widget exists. ``earlier``: what the saved view of the panel's cell carries, when a
    kernel drew it (panel/carried.py: turns brought back, ``brought_back`` says which, or kept).
    """
    if headless():
        return SavedPanel(session, chat=chat, settings=settings, secrets=secrets, earlier=earlier)
    if chat is not None:   # here, so a refused name raises before the widget object exists
        session.chat(chat)
    return ChatPanel(session, get_client, chat=chat, settings=settings, watch=watch, door=door,
                     secrets=secrets, earlier=earlier)


class ChatPanel(widgets.VBox):
    """The panel widget. ``send(text)``, ``stop()``, ``switch(name)``, ``export()`` are what its
    controls call; ``wait()`` blocks until a reply sent from it ends; ``close()`` detaches it.
    Built by :func:`show_panel`, which starts ``chat``."""

    def __init__(
        self,
        session: ChatSession,
        get_client: Callable[[], Any],
        *,
        chat: str | None = None,
        settings: Callable[[], Any] = DefaultSettings,
        watch: Watch | None = None,
        door: Door | None = None,
        secrets: Callable[[], Sequence[Any]] = tuple,
        earlier: Stored | None = None,
    ) -> None:
        self._session = session
        self._door = Plain() if door is None else door
        self._get_client = get_client
        self._settings = settings
        self._follow_current = chat is None  # until the user picks a chat in the panel
        self._name = session.current if chat is None else chat   # show_panel started it
        self._lock = threading.RLock()
        self._message = ""  # the status line's sticky text: an error, or where an export went
        self._live: tuple[panel_live.LiveReply, Callable[[], None]] | None = None
        self._thread: threading.Thread | None = None
        # the saved views displayed beside this panel; alone, as one output, in a run no page draws
        self._views = SavedViews(sources)
        self._secrets = secrets   # refused in the system box, masked in every reply
        self._carrying = Carrying(session, earlier)
        self.brought_back = self._carrying.brought_back  # said by %ygpt panel
        self._kept = KeptBlock(self.bring_back, self.forget_kept)
        self.transcript = Transcript(settings)
        self.controls = Controls(session, lambda: self._name, self.switch, self._error, settings,
                                 secrets)
        self.status = styled(widgets.HTML, "ygpt-status")
        box = compose()
        self.input, self.send_button, self.stop_button = box.input, box.send, box.stop
        super().__init__(
            [panel_style.css_widget(), panel_keys.key_hook(), self.controls.head, self.controls.options,
             self.controls.system_edit, self.transcript.widget, self.status, *box.rows],
            layout=widgets.Layout(width="100%", max_width="900px"), _dom_classes=(panel_style.ROOT_CLASS,),
        )

        self.input.observe(self._typed, "value")
        self.send_button.on_click(lambda _: self.send(self.input.value))
        self.stop_button.on_click(lambda _: self.stop())
        self.controls.reset.on_click(lambda _: self._reset())
        self.controls.export.on_click(lambda _: self.export())
        self._unsubscribe = session.subscribe(self._on_event)
        self._unwatch = watch(self._settings_changed) if watch is not None else (lambda: None)
        self._redraw()

    # -- what the user does ------------------------------------------------------------------

    def __repr__(self) -> str:
        """The text/plain fallback shown where the widget is not drawn: a notebook saved where
        no pre-save hook drops it (a server without the extension enabled), its export, GitHub,
        a terminal. Nothing is live there, so it says what this is and how to get it, not that
        it is live. ipywidgets cuts it at 110 characters, so those come first and the chat's
        name last."""
        turns = counted(len(self._session.chat(self._name).turns), "turn")
        return f"ygpt chat panel, drawn only live in Jupyter (run %ygpt panel there) · chat '{self._name}' · {turns}"

    def _ipython_display_(self) -> None:
        """In a kernel: the saved view (kept up to date), then the widget marked live-only, so a
        notebook saved and reopened later shows the transcript (saving.py, panel/saved.py).
        Elsewhere (a terminal) only the widget's text line."""
        from IPython import get_ipython
        from IPython.display import display

        view = self._repr_mimebundle_()
        if getattr(get_ipython(), "kernel", None) is None:
            display(view, raw=True)
            return
        with self._lock:
            self._views.display(self._saved_view())
        display(view, raw=True, metadata=LIVE_ONLY)

    @property
    def chat_name(self) -> str:
        """The chat this panel shows and sends to."""
        return self._name

    def switch(self, name: str) -> None:
        """Show chat ``name`` from now on (the session's current chat is left as it is)."""
        with self._lock:
            self._follow_current = False
            if name != self._name:
                self._name = self._session.chat(name).name
                self._message = ""
                self.transcript.clear_notes()
        self._redraw()

    def send(self, text: str) -> None:
        """Ask the model in this panel's chat; the reply streams in on a background thread."""
        prompt = text.replace(panel_keys.SUBMIT_MARK, "").strip()
        if not prompt:
            return
        name = self._name
        model = planning.effective_options(self._session, name, self._settings()).model
        live = panel_live.LiveReply(prompt, model_name(model).short)
        if self._session.is_busy(name) or not panel_live.register(self._session, name, live):
            self.input.value = prompt
            self._error(f"Chat '{name}' is still answering; wait for the reply or press Stop, then send again.")
            return
        self.input.value = ""
        self._message = ""
        self._thread = threading.Thread(target=self._ask, args=(name, live), name="ygpt-panel", daemon=True)
        self._thread.start()
        self._redraw()

    def stop(self) -> None:
        """Cancel the reply streaming into this chat; its text so far stays, out of the history."""
        live = panel_live.live_reply(self._session, self._name)
        if live is not None:
            live.cancel()

    def bring_back(self) -> None:
        """Add the turns kept from an earlier kernel's saved view at the end of their chats."""
        try:
            self._carrying.bring_back()
        except YGptError as error:
            self._error(error.words(PANEL))

    def forget_kept(self) -> None:
        """Leave the turns kept from an earlier kernel's saved view out of the panel and its view."""
        with self._lock:
            self._carrying.forget()
        self._redraw()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the last request sent from this panel ends; False on timeout."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def export(self) -> Path | None:
        """Write the chat as Markdown in the working folder; the status line says where (None
        when it could not be written: the status line says why)."""
        try:
            text = self._session.export_markdown(self._name)
            path = export_path(Path.cwd(), self._name, text)
            files.write_text(path, text)
        except YGptError as error:
            self._error(error.words(PANEL))
            return None
        self._message = f"Exported chat '{html.escape(self._name)}' to <code>{html.escape(str(path))}</code>"
        self._redraw()
        return path

    def close(self) -> None:
        """Stop following the session and release every widget of the panel."""
        self._unsubscribe()
        self._unwatch()
        with self._lock:
            self._forget_live()
            self.transcript.end_live(keep=False)
            self.transcript.clear_notes()
        for child in (*self.children, *self.transcript.spare(), self._kept.widget):   # shown or not
            close_tree(child)
        self.layout.close()
        super().close()

    # -- the request, on its own thread ------------------------------------------------------

    def _ask(self, name: str, live: panel_live.LiveReply) -> None:
        door = self._door
        try:
            prompt, notes, pictures = door.prepare(live.prompt)
            cache = door.front(prompt)
            settings = self._settings()
            plan = planning.plan_request(self._session, prompt, settings=settings,
                                         get_client=self._get_client if cache is None else lambda: cache,
                                         chat=name, pictures=pictures)
            plan = dataclasses.replace(plan, context_notes=tuple(notes))
            # the chat's own tools (%ygpt config --tools), looked up in the notebook like a cell's
            tools = door.tools(plan)
            if tools is not None:  # Stop must not wait for a function that may never return
                tools.tools = abandonable(tools.tools, live.stopped)
            interval = getattr(settings, "render_interval", None) or RENDER_INTERVAL
            renderer = panel_live.PanelRenderer(live, fmt=plan.options.format, interval=interval,
                                                json_reply=plan.options.json)
            door.answered(plan, run_exchange(self._session, self._get_client, plan, renderer,
                                             tools=tools, cache=cache, cap=door.cap(plan, cache),
                                             asker="panel", secrets=self._secrets()))
        except YGptError as error:  # worded for the panel: no cell flags, "send it again"
            live.end("failed", error.words(PANEL))
        except Exception as error:  # a bug must still end as one line, not a dead panel
            live.end("failed", f"Unexpected error ({type(error).__name__}). The chat is unchanged; "
                               f"please report it with the steps that led to it.")
        finally:
            if live.state == "failed":
                with self._lock:  # said even when it failed before this panel drew it in flight
                    self._message = panel_style.error_line(live.error)
                if not self.input.value:
                    self.input.value = live.prompt  # ready to send again
            panel_live.unregister(self._session, name, live)  # every panel on the chat redraws

    # -- drawing -----------------------------------------------------------------------------

    def _on_event(self, event: ChatEvent) -> None:
        with self._lock:
            self._carrying.follow(event)
            was, self._name = self._name, followed(self._name, self._follow_current, event)
            if (event.kind == "current" and self._name != was) or event.kind == "loaded" or (
                    event.kind in ("reset", "deleted") and event.chat == self._name):
                self.transcript.clear_notes()
        self._redraw()

    def _redraw(self) -> None:
        """Draw everything from the session and the reply in flight; safe from any thread."""
        with self._lock:
            if self._name not in self._session.chats:  # gone after `reset --all`, a load or a delete
                gone, self._name = self._name, self._session.current
                self._message = f"Chat '{html.escape(gone)}' was deleted; showing '{html.escape(self._name)}'."
            chat = self._session.chats[self._name]
            live = panel_live.live_reply(self._session, self._name)
            self._follow(live)
            self.transcript.show(chat, after=self._kept.show(self._carrying.kept(), self._kept_exchange))
            self._views.update(self._saved_view())  # a recorded turn, a reset: the parts that changed
            busy = self._session.is_busy(self._name) or live is not None
            self.controls.show(chat, busy)
            self._show_state(chat, live, busy)

    def _follow(self, live: panel_live.LiveReply | None) -> None:
        """Start drawing a reply in flight; when one ends unrecorded, pin its bubbles in place
        if they hold something worth keeping (an interrupted or partly received reply)."""
        if self._live is not None and self._live[0] is not live:
            ended = self._live[0]
            self._forget_live()
            failed = ended.state == "failed"
            self.transcript.end_live(keep=ended.state == "interrupted" or (failed and bool(ended.text)))
            self._message = panel_style.error_line(ended.error) if failed else ""
        if live is not None and self._live is None:
            self.transcript.set_live(Bubbles(live.prompt, live.bundle))
            self._live = (live, live.listen(self._live_changed))

    def _forget_live(self) -> None:
        if self._live is not None:
            self._live[1]()
            self._live = None

    def _live_changed(self, live: panel_live.LiveReply) -> None:
        with self._lock:
            if self._live is None or self._live[0] is not live:
                return
            if panel_live.live_reply(self._session, self._name) is not live:
                self._redraw()  # the request is over
                return
            if self.transcript.live is not None:  # None once the turn was recorded
                self.transcript.live.show_reply(live.bundle)
            chat = self._session.chats.get(self._name)
            if chat is not None:
                self._show_state(chat, live, True)

    def _show_state(self, chat: Chat, live: panel_live.LiveReply | None, busy: bool) -> None:
        """Buttons and the status line: spinner until the first chunk, then errors or notes."""
        self.send_button.disabled = busy
        self.stop_button.disabled = not (live is not None and live.active)
        message = panel_style.error_line(live.error) if live is not None and live.state == "failed" else self._message
        status = " · ".join(part for part in (panel_live.activity(live, busy, chat.name), message) if part)
        self.status.value = status

    def _saved_view(self) -> View:
        """What the saved view shows now (panel/saved.py): the chat's turns as the transcript
        shows them, then those kept; credentials masked in its data as %ygpt save masks them."""
        return view_of(self._session, self._name, self._follow_current, self.transcript.exchanges(),
                       self._carrying.kept(), self.transcript.exchange, self._secrets)

    def _saved_now(self) -> list[Part]:
        """The outputs of the saved view, as a saved notebook keeps them."""
        return self._views.parts(self._saved_view())

    def _kept_exchange(self, turn: Turn, name: str) -> tuple[Any, Any]:
        return self.transcript.exchange(turn, self._session.chats.get(name) or Chat(name))

    def _settings_changed(self, _change: Any) -> None:
        self._redraw()

    def _error(self, text: str) -> None:
        self._message = panel_style.error_line(text)
        self._redraw()

    def _typed(self, change: dict[str, Any]) -> None:
        if panel_keys.SUBMIT_MARK in change["new"]:
            self.send(change["new"])

    def _reset(self) -> None:
        try:
            self._session.reset(self._name)
        except YGptError as error:
            self._error(error.words(PANEL))
