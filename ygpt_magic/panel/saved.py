"""The panel as a notebook stores it: the chat's transcript as inert HTML, with how to reopen it.

The widget dies with its kernel (see saving.py), so beside it the panel displays this view and
keeps it up to date as turns are recorded. While the widget is alive, the panel's CSS hides this
view in the same output area; reopened without a kernel, it is what the reader sees. It is built
from the bundles the bubbles show (render/inert.py), not drawn again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..render import inert
from ..words import counted

#: the class the panel's CSS hides while a live panel is in the same output area
CSS_CLASS = "ygpt-saved"
Bundle = Mapping[str, str]


def reopen_line(chat: str, turns: int, command: str) -> str:
    return (f"Saved view of chat '{chat}' ({counted(turns, 'turn')}); the live panel needs a "
            f"running kernel. Run {command} to open it again.")


def saved_bundle(chat: str, system: str, exchanges: Sequence[tuple[Bundle, Bundle]],
                 command: str) -> dict[str, str]:
    """The stored view: the reopen line, the system message, then each exchange as prompt and reply."""
    line = reopen_line(chat, len(exchanges), command)
    blocks = [inert.quiet(line)]
    plain = [line]
    if system:
        blocks.append(inert.text(f"system · {system}"))
        plain.append(f"system · {system}")
    for prompt, reply in exchanges:
        blocks += [inert.bold("You"), prompt.get("text/html", ""), inert.bold("YandexGPT"),
                   reply.get("text/html", "")]
        plain += [f"You: {prompt.get('text/plain', '')}", reply.get("text/plain", "")]
    return {"text/html": inert.marked(CSS_CLASS, inert.page(*blocks)), "text/plain": "\n\n".join(plain)}
