"""`%ygpt usage`: tokens per chat and in total."""

from __future__ import annotations

from ..chat import Usage
from ._common import show_table
from .args import parse, subcommand


@subcommand
def run(magics, line: str) -> None:
    """Show tokens per chat and in total.

    Input, completion, reasoning and total tokens of the turns kept in each chat."""
    parse(run, line)
    rows, total = [], Usage()
    for name, chat in magics.session.chats.items():
        usage = chat.usage
        total = total + usage
        rows.append([name, *_numbers(usage)])
    rows.append(["total", *_numbers(total)])
    show_table(["chat", "input", "completion", "reasoning", "total"], rows)


def _numbers(usage: Usage) -> list[str]:
    return [str(usage.input_tokens), str(usage.completion_tokens),
            str(usage.reasoning_tokens), str(usage.total_tokens)]
