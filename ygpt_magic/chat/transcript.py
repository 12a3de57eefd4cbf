"""A chat as a Markdown transcript (``%ygpt export``): a record to read, on GitHub or anywhere,
not to load back; the chat file (chatfile.py) is the one that loads."""

from __future__ import annotations

from ..words import counted
from .tooluse import message_role, message_text
from .values import Chat, short_model


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines() or [""])


def transcript(chat: Chat) -> str:
    """A Markdown transcript that reads well on GitHub: system, each turn, and usage."""
    options = ", ".join(f"{key} {value}" for key, value in chat.options.set_fields().items())
    parts = [f"# Chat: {chat.name}"] + ([f"<sub>{options}</sub>"] if options else [])
    if chat.system:
        parts.append(f"**System**\n\n{_quote(chat.system)}")
    for number, turn in enumerate(chat.turns, 1):
        reply = turn.reply
        parts.append(f"## {number}. User\n\n{turn.prompt}")
        parts.extend(f"<sub>{info.caption()}</sub>" for info in turn.images)
        parts += [f"**{message_role(m)}**\n\n{_quote(message_text(m))}"
                  for m in turn.messages()[1:-1]]
        parts.append(f"## {number}. {short_model(reply.model)}\n\n{reply.text}")
        parts.append(f"<sub>{reply.summary()}</sub>")
    usage = chat.usage
    parts.append(
        f"---\n\n**Usage:** {counted(len(chat.turns), 'turn')} · {usage.input_tokens:,} input → "
        f"{counted(usage.completion_tokens, 'completion token')} ({usage.reasoning_tokens:,} reasoning) · "
        f"{usage.total_tokens:,} total"
    )
    return "\n\n".join(parts) + "\n"
