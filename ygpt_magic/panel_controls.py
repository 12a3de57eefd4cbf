"""The panel's option bar, system-message editor and chat selector, bound to the session.

A control edits the chat through ``session.configure`` (the same call ``%ygpt config`` makes), and
is redrawn from the chat when the session says its options changed; it never holds a setting of
its own. Temperature and max tokens can go back to "not set" (the notebook's default, else the
model's): the **default** toggle beside the slider, an empty (or 0) max tokens box. While the controls are being redrawn from the chat, their change handlers stand down for
the redrawing thread only (a redraw may run on a request's thread while the user moves a slider,
and that move must still reach the chat), so a redraw never writes back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets

from .errors import YGptError
from .session import FORMATS, UNSET, Chat, ChatSession, counted

# Offered in the model dropdown; a chat set to another model (a gpt:// URI, a version) is added.
MODELS = ("yandexgpt", "yandexgpt-lite", "yandexgpt/rc", "yandexgpt-lite/rc", "llama", "llama-lite")
# Where the temperature slider rests while the chat leaves it to the server (shown dimmed).
UNSET_TEMPERATURE = 0.3
_UNSET_TIP = "not set for this chat: YGptMagics.temperature, else the model's default, applies"


def _css(widget: widgets.DOMWidget, *names: str) -> widgets.DOMWidget:
    for name in names:
        widget.add_class(name)
    return widget


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
    ) -> None:
        self._session = session
        self._chat_name = chat_name
        self._on_switch = on_switch
        self._on_error = on_error
        self._drawing: int | None = None  # the thread redrawing the controls, if any

        self.chat = widgets.Dropdown(description="chat", style=_INITIAL, layout=_width("170px"),
                                     tooltip="Switch this panel to another chat")
        self.new_chat = widgets.Text(placeholder="new chat…", layout=_width("110px"),
                                     continuous_update=False, tooltip="Name a new chat and press Enter")
        self.totals = _css(widgets.HTML(), "ygpt-totals")
        self.model = widgets.Dropdown(options=MODELS, description="model", style=_INITIAL,
                                      layout=_width("150px"))
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
        self.format = widgets.Dropdown(options=FORMATS, description="format", style=_INITIAL,
                                       layout=_width("142px"))
        self.system_toggle = widgets.ToggleButton(description="system", icon="pencil",
                                                  layout=_width("88px"),
                                                  tooltip="Edit the system message")
        self.system = widgets.Textarea(placeholder="System message, e.g. Translate the text into English.",
                                       continuous_update=False, rows=2, layout=_width("100%"))
        self.reset = widgets.Button(icon="trash", layout=_width("34px"),
                                    tooltip="Reset: forget this chat's turns (keeps its system message and options)")
        self.export = widgets.Button(icon="download", layout=_width("34px"),
                                     tooltip="Export this chat to a Markdown file")

        title = _css(widgets.HTML('<span class="ygpt-dot">●</span>YandexGPT'), "ygpt-title")
        self.head = _css(widgets.HBox([title, self.chat, self.new_chat, self.totals, self.reset, self.export]),
                         "ygpt-bar", "ygpt-head")
        self.options = _css(
            widgets.HBox([self.model, self.temperature, self.temperature_default, self.max_tokens,
                          self.reasoning, self.format, self.system_toggle]),
            "ygpt-bar", "ygpt-options",
        )
        self.system_edit = _css(widgets.Box([self.system], layout=widgets.Layout(display="none")),
                                "ygpt-system-edit")

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
        """Set every control from ``chat`` (its options, its name among the session's chats)."""
        options = chat.options
        names = tuple(self._session.chats)
        models = MODELS if options.model in MODELS else (*MODELS, options.model)
        with self._redraw():
            if self.chat.options != names:
                self.chat.options = names
            self.chat.value = chat.name
            if self.model.options != models:
                self.model.options = models
            self.model.value = options.model
            unset = options.temperature is None
            self.temperature.value = UNSET_TEMPERATURE if unset else options.temperature
            (self.temperature.add_class if unset else self.temperature.remove_class)("ygpt-unset")
            self.temperature.tooltip = (
                f"Temperature: {_UNSET_TIP}; move to set it" if unset
                else "Temperature: 0 is focused, 1 is creative"
            )
            self.temperature_default.value = unset
            self.max_tokens.value = "" if options.max_tokens is None else str(options.max_tokens)
            self.reasoning.value = options.reasoning
            self.format.value = options.format
            self.system.value = chat.system or ""
            self.reset.disabled = busy or not chat.turns
            self.export.disabled = not chat.turns
        usage = chat.usage
        latency = f" · last {chat.turns[-1].reply.elapsed:.1f} s" if chat.turns else ""
        self.totals.value = (
            f"{counted(len(chat.turns), 'turn')} · {usage.input_tokens} → "
            f"{counted(usage.completion_tokens, 'token')}{latency}"
        )

    # -- widgets → session -------------------------------------------------------------------

    def _option_changed(self, name: str) -> Callable[[dict], None]:
        def changed(change: dict) -> None:
            if self._redrawing:
                return
            value: Any = change["new"]
            if name == "max_tokens":  # text: empty or 0 is "not set"; Options checks the rest
                value = value.strip()
                value = UNSET if value in ("", "0") else value
            self._configure(**{name: value})

        return changed

    def _temperature_default(self, change: dict) -> None:
        if not self._redrawing:
            self._configure(temperature=UNSET if change["new"] else self.temperature.value)

    def _system_changed(self, change: dict) -> None:
        if not self._redrawing:
            self._configure(system=change["new"].strip() or None)

    def _configure(self, **changes: Any) -> None:
        try:
            self._session.configure(self._chat_name(), **changes)
        except YGptError as error:
            self._on_error(str(error))
            self.show(self._session.chat(self._chat_name()), self._session.is_busy(self._chat_name()))

    def _switch(self, change: dict) -> None:
        if not self._redrawing and change["new"]:
            self._on_switch(change["new"])

    def _create(self, change: dict) -> None:
        name = change["new"].strip()
        if not name:
            return
        self.new_chat.value = ""
        try:
            self._session.chat(name)
        except YGptError as error:
            self._on_error(str(error))
            return
        self._on_switch(name)

    def _toggle_system(self, change: dict) -> None:
        self.system_edit.layout.display = "flex" if change["new"] else "none"
