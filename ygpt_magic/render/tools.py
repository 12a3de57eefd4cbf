"""How tool calls appear above a reply: one line per call, the full call behind ``<details>``.

``🔧 get_sales(region="north") → 1,204 rows · 0.2 s`` reads at a glance in JupyterLab, on GitHub
and in a console; the arguments (as the model sent them) and the result (as the model got it)
are one click away in the Markdown form. The seconds read ``N.N s`` like the footer's, so the
notebook sanitizer normalises them.
"""

from __future__ import annotations

import html
import json

from ..chat.tooluse import ToolCall
from .markdown import fenced

RUNNING = "🔧 {line} …"


def line(call: ToolCall, call_text: str) -> str:
    """The call's one line: call → result in a few words · seconds."""
    return f"🔧 {call_text} → {call.summary} · {call.elapsed:.1f} s"


def details(call: ToolCall, call_text: str) -> str:
    """The call's line as a ``<details>`` summary over its arguments and result."""
    arguments = json.dumps(call.arguments, ensure_ascii=False, indent=2)
    return (f"<details><summary>{html.escape(line(call, call_text), quote=False)}</summary>\n\n"
            f"{fenced(arguments, 'json')}\n\n{fenced(call.result)}\n\n</details>")
