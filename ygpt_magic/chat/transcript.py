"""A chat as a Markdown transcript (``%ygpt export``): a record to read, on GitHub or anywhere,
not to load back; the chat file (chatfile.py) is the one that loads.

Everything in it that this package did not write (the chat's name, the system message, prompts,
replies, tool messages, a model's version) is written through render/safe_markdown.py: the file
is opened in Markdown viewers that keep raw HTML, load pictures and typeset math, so it must be as
inert as the cell that showed the chat (a picture a link, HTML shown as text, only plain math).
"""

from __future__ import annotations

from ..modelname import model_name
from ..words import counted
from .tooluse import message_role, message_text
from .values import Chat


def _quote(text: str) -> str:
    """Untrusted Markdown, made safe, as a quote (its structure kept, line by line). Split at
    ``\n`` only: ``str.splitlines`` also splits at U+2028, ``\f`` and the like, which would cut a
    code span into lines of Markdown (a ``<div>`` line starting raw HTML)."""
    from ..render.safe_markdown import safe_markdown

    return "\n".join(f"> {line}" if line else ">" for line in safe_markdown(text, quoted=True).split("\n"))


def _sub(line: str) -> str:
    from ..render.safe_markdown import safe_line

    return f"<sub>{safe_line(line)}</sub>"


def transcript(chat: Chat) -> str:
    """A Markdown transcript that reads well on GitHub: system, each turn, and usage.

    render/ is imported here, not at the top: it sits above chat/ (it draws chat values), so the
    chat layer reaches it only when a transcript is written."""
    from ..render.safe_markdown import safe_line, safe_markdown

    options = ", ".join(f"{key} {value}" for key, value in chat.options.set_fields().items())
    parts = [f"# Chat: {safe_line(chat.name)}"] + ([_sub(options)] if options else [])
    if chat.system:
        parts.append(f"**System**\n\n{_quote(chat.system)}")
    for number, turn in enumerate(chat.turns, 1):
        reply = turn.reply
        parts.append(f"## {number}. User\n\n{safe_markdown(turn.prompt)}")
        parts.extend(_sub(info.caption()) for info in turn.images)
        parts += [f"**{message_role(m)}**\n\n{_quote(message_text(m))}"
                  for m in turn.messages()[1:-1]]
        parts.append(f"## {number}. {safe_line(model_name(reply.model).short)}\n\n{safe_markdown(reply.text)}")
        parts.append(_sub(reply.summary()))
    usage = chat.usage
    parts.append(
        f"---\n\n**Usage:** {counted(len(chat.turns), 'turn')} · {usage.input_tokens:,} input → "
        f"{counted(usage.completion_tokens, 'completion token')} ({usage.reasoning_tokens:,} reasoning) · "
        f"{usage.total_tokens:,} total"
    )
    return "\n\n".join(parts) + "\n"
