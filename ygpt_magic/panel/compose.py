"""The panel's message box, its Send and Stop buttons, and the hint under them (the keys that
send are the page's, panel/keys.py)."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets

from .style import INPUT_CLASS, styled


@dataclass(frozen=True)
class Compose:
    """The widgets the panel wires (``input``, ``send``, ``stop``) and the rows it lays out."""

    input: widgets.Textarea
    send: widgets.Button
    stop: widgets.Button
    rows: tuple[widgets.Widget, ...]


def compose() -> Compose:
    """A new message box with its buttons: Send enabled, Stop not (nothing is streaming)."""
    box = styled(widgets.Textarea, INPUT_CLASS, placeholder="Message YandexGPT…", rows=2,
                 layout=widgets.Layout(flex="1 1 auto", width="auto"))
    send = widgets.Button(description="Send", icon="paper-plane", button_style="primary",
                          layout=widgets.Layout(width="84px"), tooltip="Send (Enter)")
    stop = widgets.Button(description="Stop", icon="stop", layout=widgets.Layout(width="84px"), disabled=True,
                          tooltip="Stop the reply; its text so far stays here, out of the chat")
    buttons = styled(widgets.VBox, "ygpt-buttons", [send, stop])
    hint = styled(widgets.HTML, "ygpt-hint", "Enter sends · Shift+Enter adds a line")
    return Compose(box, send, stop, (styled(widgets.HBox, "ygpt-compose", [box, buttons]), hint))
