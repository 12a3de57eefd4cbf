"""The panel's option bar, system-message editor and chat selector, bound to the session.

A control edits the chat through ``session.configure``, and is redrawn from the chat when the
session says its options changed (or, via the panel, when a ``YGptMagics`` setting changes); it
never holds a setting of its own. It shows what the next request uses (``planning.resolve``): an
option the chat does not set shows the inherited value, muted, and choosing a value sets it for
the chat. Every option can go back to "not set": the "… (default)" entry of the model and format
lists, the **default** toggle beside the temperature slider, an empty (or 0) max tokens box.
While the controls are being redrawn from the chat, their change handlers stand down for
the redrawing thread only (a redraw may run on a request's thread while the user moves a slider,
and that move must still reach the chat), so a redraw never writes back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets

from ..chat import FORMATS, UNSET, Chat, ChatSession, Options, counted, planning
from ..chat.catalog import NAMES as MODELS  # a chat set to another model (a gpt:// URI) is added
from ..client.guard import check
from ..errors import PANEL, YGptError
from ..modelname import model_name
from .keys import SUBMIT_MARK
from .style import NEW_CHAT_CLASS, styled

# Where the temperature slider rests while neither the chat nor a setting gives one (dimmed).
UNSET_TEMPERATURE = 0.3
# The value of the "… (default)" entry of the model and format lists: not set for this chat.
DEFAULT = ""


def _width(value: str) -> widgets.Layout:
    return widgets.Layout(width=value)


_INITIAL = {"description_width": "initial"}


class Controls:
    """All controls of one panel; ``head``, ``options`` and ``system_edit`` are laid out by it."""

    def __init__(
        self,
        session: ChatSession,
        chat_name: Callable[[], str],
        on_switch: Callable[[str], None],
        on_error: Callable[[str], None],
        settings: Callable[[], Any] = planning.DefaultSettings,
        secrets: Callable[[], Sequence[Any]] = tuple,
    ) -> None:
        self._session = session
        self._settings = settings  # the notebook's settings now: what an unset option inherits
        self._secrets = secrets  # the credentials a system message may not carry
        self._chat_name = chat_name
        self._on_switch = on_switch
        self._on_error = on_error
        self._drawing: int | None = None  # the thread redrawing the controls, if any

        self.chat = widgets.Dropdown(description="chat", style=_INITIAL, layout=_width("170px"),
                                     tooltip="Switch this panel to another chat")
        self.new_chat = styled(widgets.Text, NEW_CHAT_CLASS, placeholder="new chat…", layout=_width("110px"),
                               continuous_update=False, tooltip="Name a new chat and press Enter")
        self.totals = styled(widgets.HTML, "ygpt-totals", tooltip="Tokens of the turns this chat keeps; "
                             "%ygpt usage counts every request, re-run cells included")
        self.model = widgets.Dropdown(description="model", style=_INITIAL, layout=_width("240px"))
        self.temperature = widgets.FloatSlider(
            min=0, max=1, step=0.05, description="temp", style=_INITIAL, readout_format=".2f",
            layout=_width("195px"), continuous_update=False,
            tooltip="Temperature: 0 is focused, 1 is creative",
        )
        self.temperature_default = widgets.ToggleButton(
            description="default", layout=_width("66px"),
            tooltip="Temperature not set for this chat (the notebook's or the model's default)",
        )
        self.max_tokens = widgets.Text(
            placeholder="default", description="max tokens", style=_INITIAL, layout=_width("140px"),
            continuous_update=False,
            tooltip="Longest reply in tokens; empty or 0: the notebook's or the model's default",
        )
        self.reasoning = widgets.ToggleButton(description="reasoning", icon="lightbulb-o",
                                              layout=_width("98px"),
                                              tooltip="Let the model reason before answering")
        self.format = widgets.Dropdown(description="format", style=_INITIAL,
                                       layout=_width("200px"))
        self.system_toggle = widgets.ToggleButton(description="system", icon="pencil",
                                                  layout=_width("88px"),
                                                  tooltip="Edit the system message")
        self.system = widgets.Textarea(placeholder="System message, e.g. Translate the text into English.",
                                       continuous_update=False, rows=2, layout=_width("100%"))
        self.reset = widgets.Button(icon="trash", layout=_width("34px"),
                                    tooltip="Reset: forget this chat's turns (keeps its system message and options)")
        self.export = widgets.Button(icon="download", layout=_width("34px"),
                                     tooltip="Export this chat to a Markdown file")

        title = styled(widgets.HTML, "ygpt-title", '<span class="ygpt-dot">●</span>YandexGPT')
        self.head = styled(widgets.HBox, "ygpt-bar ygpt-head",
                           [title, self.chat, self.new_chat, self.totals, self.reset, self.export])
        # The slider and its default toggle wrap as one; "… (default)" labels need the room
        # that puts the sampling controls on a second line in a narrow panel.
        sampling = styled(widgets.HBox, "ygpt-group", [self.temperature, self.temperature_default])
        self.options = styled(widgets.HBox, "ygpt-bar ygpt-options",
                              [self.model, self.format, self.reasoning, self.system_toggle, sampling,
                               self.max_tokens])
        self.system_edit = styled(widgets.Box, "ygpt-system-edit", [self.system],
                                  layout=widgets.Layout(display="none"))

        self.chat.observe(self._switch, "value")
        self.new_chat.observe(self._create, "value")
        self.system_toggle.observe(self._toggle_system, "value")
        for name in ("model", "temperature", "max_tokens", "reasoning", "format"):
            getattr(self, name).observe(self._option_changed(name), "value")
        self.temperature_default.observe(self._temperature_default, "value")
        self.system.observe(self._system_changed, "value")

    # -- session → widgets -------------------------------------------------------------------

    @contextmanager
    def _redraw(self) -> Iterator[None]:
        self._drawing = threading.get_ident()
        try:
            yield
        finally:
            self._drawing = None

    @property
    def _redrawing(self) -> bool:
        return self._drawing == threading.get_ident()

    def show(self, chat: Chat, busy: bool) -> None:
        """Set every control from ``chat`` (the options its next request uses, and which of them
        it sets; its name among the session's chats)."""
        options = chat.options
        effective = planning.resolve(options, self._settings())
        inherited = planning.resolve(Options(), self._settings())  # what an unset option takes
        sources = planning.sources(options, self._settings())
        names = tuple(self._session.chats)
        with self._redraw():
            if self.chat.options != names:
                self.chat.options = names
            self.chat.value = chat.name
            for name, listed in (("model", MODELS), ("format", FORMATS)):
                dropdown, chosen = getattr(self, name), getattr(options, name)
                choices = _choices(listed, chosen, getattr(inherited, name))
                if dropdown.options != choices:
                    dropdown.options = choices
                dropdown.value = DEFAULT if chosen is None else chosen
                _mark_inherited(dropdown, chosen is None, f"{name.capitalize()}: " + (
                    _tip(sources[name]) if chosen is None
                    else "set for this chat; the first entry goes back to the default"))
            temperature = effective.temperature
            unset = options.temperature is None
            self.temperature.value = UNSET_TEMPERATURE if temperature is None else temperature
            tip = _tip(sources["temperature"], "the model's default")
            _mark_inherited(self.temperature, unset,
                            f"Temperature: {tip}; move to set it" if unset
                            else "Temperature: 0 is focused, 1 is creative")
            self.temperature_default.value = unset
            self.max_tokens.value = "" if options.max_tokens is None else str(options.max_tokens)
            self.max_tokens.placeholder = ("default" if effective.max_tokens is None
                                           else f"{effective.max_tokens} (default)")
            self.reasoning.value = options.reasoning
            self.system.value = chat.system or ""
            self.reset.disabled = busy or not chat.turns
            self.export.disabled = not chat.turns
        # no-break spaces: where the totals wrap (panel/style.py), "last 0.4 s" stays one piece
        latency = f" · last\u00a0{chat.turns[-1].reply.elapsed:.1f}\u00a0s" if chat.turns else ""
        self.totals.value = f"{counted(len(chat.turns), 'turn')} · {counted(chat.kept_tokens, 'token')} kept{latency}"

    # -- widgets → session -------------------------------------------------------------------

    def _option_changed(self, name: str) -> Callable[[dict[str, Any]], None]:
        def changed(change: dict[str, Any]) -> None:
            if self._redrawing:
                return
            value: Any = change["new"]
            if name == "max_tokens":  # text: empty or 0 is "not set"; Options checks the rest
                value = value.strip()
                value = UNSET if value in ("", "0") else value
            elif value == DEFAULT:  # the "… (default)" entry of the model or format list
                value = UNSET
            self._configure(**{name: value})

        return changed

    def _temperature_default(self, change: dict[str, Any]) -> None:
        if not self._redrawing:
            self._configure(temperature=UNSET if change["new"] else self.temperature.value)

    def _system_changed(self, change: dict[str, Any]) -> None:
        if not self._redrawing:
            self._configure(system=change["new"].strip() or None)

    def _configure(self, **changes: Any) -> None:
        """Set options of the chat; a refused one leaves the chat as it was, and the controls
        show it again (a system message that carries a credential never reaches the chat, so
        neither a request nor a saved chat file can carry it)."""
        try:
            if changes.get("system"):
                check("the system message", changes["system"], self._secrets())
            self._session.configure(self._chat_name(), **changes)
        except YGptError as error:
            self._on_error(error.words(PANEL))
            self.show(self._session.chat(self._chat_name()), self._session.is_busy(self._chat_name()))

    def _switch(self, change: dict[str, Any]) -> None:
        if not self._redrawing and change["new"]:
            self._on_switch(change["new"])

    def _create(self, change: dict[str, Any]) -> None:
        """A chat named in the "new chat…" box with Enter: only Enter marks the name (panel/keys.py),
        so a half-typed name the box syncs as the user clicks elsewhere makes no chat."""
        if SUBMIT_MARK not in change["new"]:
            return
        name = change["new"].replace(SUBMIT_MARK, "").strip()
        self.new_chat.value = ""
        if not name:
            return
        try:
            self._session.chat(name)
        except YGptError as error:
            self._on_error(error.words(PANEL))
            return
        self._on_switch(name)

    def _toggle_system(self, change: dict[str, Any]) -> None:
        self.system_edit.layout.display = "flex" if change["new"] else "none"


def _choices(
    listed: tuple[str, ...], chosen: str | None, inherited: str
) -> tuple[tuple[str, str], ...]:
    """A dropdown's entries: "<inherited value> (default)" first (not set for this chat), then
    the usual values, plus the chat's own if it is not among them (a gpt:// URI, a version).
    Each is labelled as modelname's ``short`` reads it: a URI without its folder id, which the
    saved widget state would keep (a format's value is its own label)."""
    values = listed if chosen is None or chosen in listed else (*listed, chosen)
    return ((f"{model_name(inherited).short} (default)", DEFAULT),
            *((model_name(value).short, value) for value in values))


def _tip(source: str, builtin: str = "the built-in default") -> str:
    """Where an inherited value comes from (``planning.sources``), as a tooltip says it."""
    return f"not set for this chat: {builtin if source == 'built-in' else source} applies"


def _mark_inherited(widget: widgets.DOMWidget, inherited: bool, tooltip: str) -> None:
    """Mute a control whose value the chat inherits, and say where the value comes from."""
    (widget.add_class if inherited else widget.remove_class)("ygpt-unset")
    widget.tooltip = tooltip
