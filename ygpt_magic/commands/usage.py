"""`%ygpt usage`: tokens per chat and in total."""

from __future__ import annotations

from ..chat import Usage
from ._common import show_table
from .args import parse, subcommand


@subcommand
def run(magics, line: str) -> None:
    """Show tokens per chat and in total.

    Input, completion, reasoning and total tokens of the turns kept in each chat; turns replayed
    from the reply cache cost nothing and are counted apart (a "replayed" column, shown once
    there are any)."""
    parse(run, line)
    chats = magics.session.chats
    replayed = {name: chat.replayed.total_tokens for name, chat in chats.items()}
    extra = any(replayed.values())
    rows, total = [], Usage()
    for name, chat in chats.items():
        usage = chat.usage
        total = total + usage
        rows.append([name, *_numbers(usage), *([str(replayed[name])] if extra else [])])
    rows.append(["total", *_numbers(total), *([str(sum(replayed.values()))] if extra else [])])
    show_table(["chat", "input", "completion", "reasoning", "total", *(["replayed"] if extra else [])],
               rows)


def _numbers(usage: Usage) -> list[str]:
    return [str(usage.input_tokens), str(usage.completion_tokens),
            str(usage.reasoning_tokens), str(usage.total_tokens)]
