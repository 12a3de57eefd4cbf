"""How tool calls appear above a reply: one line per call, the full call behind ``<details>``.

``🔧 get_sales(region="north") → 1,204 rows · 0.2 s`` reads at a glance in JupyterLab, on GitHub
and in a console; the arguments (as the model sent them) and the result (as the model got it)
are one click away in the rich form. The seconds read ``N.N s`` like the footer's, so the
notebook sanitizer normalises them.

The model chose the name and the arguments (it may call a tool no cell declared) and the result
may quote anything (a web page, a log), so every form made here shows their control characters
as pictures (controls.visible): a terminal, ``jupyter console`` and ``papermill --log-output``
print the plain form as it is.
"""

from __future__ import annotations

import json
from typing import Any

from ..chat.tooluse import ToolCall
from ..words import short
from . import inert
from . import plain as plain_forms
from .controls import visible
from .markdown import fenced


def call_line(name: str, arguments: dict[str, Any]) -> str:
    """``get_sales(region="north", limit=5)``: each argument as JSON, long ones shortened."""
    shown = ", ".join(f"{key}={short(json.dumps(value, ensure_ascii=False))}"
                      for key, value in arguments.items())
    return visible(f"{name}({shown})")


def line(call: ToolCall) -> str:
    """The call's one line: call → result in a few words · seconds."""
    return visible(f"🔧 {call_line(call.name, call.arguments)} → {call.summary} · {call.elapsed:.1f} s")


def details(call: ToolCall, summary: str) -> str:
    """The call's ``summary`` (its :func:`line`) over its labelled arguments and result, folded
    (HTML: the model chose the arguments and the function's result may quote anything)."""
    arguments = json.dumps(call.arguments, ensure_ascii=False, indent=2)
    return inert.details(summary, inert.markdown(
        f"arguments:\n\n{fenced(arguments, 'json')}\n\nresult:\n\n{fenced(call.result)}"))


def plain(call: ToolCall, summary: str) -> str:
    """The call's ``summary`` over its labelled arguments and result, as real lines (a terminal's
    form of :func:`details`: it folds nothing away)."""
    return visible(plain_forms.tool_call(summary, call.arguments, call.result))
