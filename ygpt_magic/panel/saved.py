"""The panel as a notebook stores it: the chat's transcript as inert HTML, with how to reopen it.

The widget dies with its kernel (see saving.py), so beside it the panel displays this view and
keeps it up to date as turns are recorded (:class:`SavedViews`). While the widget is alive, the
panel's CSS hides this view in the same output area; reopened without a kernel, it is what the
reader sees. It is built from the bundles the bubbles show (render/inert.py), not drawn again.
Turns asked in the panel that the kernel's chat does not hold, kept from an earlier kernel's
view (panel/carried.py), follow the chat's, under a line that says so; the turns themselves go
with the view as data too, in its metadata (carried.record), for the next kernel to read back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..render import inert
from ..words import counted
from .carried import kept_line

#: the class the panel's CSS hides while a live panel is in the same output area
CSS_CLASS = "ygpt-saved"
Bundle = Mapping[str, str]
Exchange = tuple[Bundle, Bundle]


def reopen_line(chat: str, turns: int, command: str) -> str:
    return (f"Saved view of chat '{chat}' ({counted(turns, 'turn')}); the live panel needs a "
            f"running kernel. Run {command} to open it again.")


def saved_bundle(chat: str, system: str, exchanges: Sequence[Exchange], command: str,
                 kept: Sequence[tuple[str, Sequence[Exchange]]] = ()) -> dict[str, str]:
    """The stored view: the reopen line, the system message, then each exchange as prompt and
    reply; then, for each chat in ``kept``, the line about its kept turns and those turns."""
    line = reopen_line(chat, len(exchanges), command)
    blocks = [inert.quiet(line)]
    plain = [line]
    if system:
        blocks.append(inert.text(f"system · {system}"))
        plain.append(f"system · {system}")
    _add(blocks, plain, exchanges)
    for name, turns in kept:
        blocks.append(inert.quiet(kept_line(name, len(turns))))
        plain.append(kept_line(name, len(turns)))
        _add(blocks, plain, turns)
    return {"text/html": inert.marked(CSS_CLASS, inert.page(*blocks)), "text/plain": "\n\n".join(plain)}


def _add(blocks: list[str], plain: list[str], exchanges: Sequence[Exchange]) -> None:
    """Each exchange as "You", the prompt, "YandexGPT", the reply."""
    for prompt, reply in exchanges:
        blocks += [inert.bold("You"), prompt.get("text/html", ""), inert.bold("YandexGPT"),
                   reply.get("text/html", "")]
        plain += [f"You: {prompt.get('text/plain', '')}", reply.get("text/plain", "")]


class SavedViews:
    """The saved views a panel displayed beside its widget, one per display, kept up to date."""

    def __init__(self) -> None:
        self._handles: list[Any] = []
        self.shown: tuple[dict[str, str], dict[str, Any]] = ({}, {})  # the bundle and metadata

    def display(self, bundle: dict[str, str], metadata: dict[str, Any]) -> None:
        """Display one more (in the panel's cell: the output a saved notebook keeps)."""
        from IPython.display import display

        self.shown = (bundle, metadata)
        self._handles.append(display(bundle, raw=True, display_id=True, metadata=metadata))

    @property
    def displayed(self) -> bool:
        return bool(self._handles)

    def update(self, bundle: dict[str, str], metadata: Callable[[], dict[str, Any]]) -> None:
        """Show ``bundle`` in every view displayed, with ``metadata()``, if they show another."""
        if self._handles and bundle != self.shown[0]:
            self.shown = (bundle, metadata())
            for handle in self._handles:
                handle.update(bundle, raw=True, metadata=self.shown[1])
