"""`%ygpt usage`: the tokens of every request this kernel made, by chat and by model."""

from __future__ import annotations

from collections.abc import Mapping

from ..chat.accounts import Spent
from ..kernel import Kernel
from ._common import show, show_table
from .args import parse, subcommand

HEADERS = ["requests", "input", "completion", "reasoning", "total"]


@subcommand
def run(kernel: Kernel, line: str) -> None:
    """Show the tokens of every request this kernel made: by chat and by model, and in total.

    Every answered request counts once, whatever sent it: chat cells (a re-run cell's earlier
    turn included), prompt-mode cells and %ygpt fix, each --map row, each round of a tool
    exchange, the panel. Answers replayed from the reply cache cost nothing and are counted
    apart (a "replayed" column, shown once there are any). --batch rows are not counted: a
    job's results carry no token counts."""
    parse(run, line)
    accounts = kernel.session.accounts
    total = accounts.total()
    if not total.requests and not total.replayed.total_tokens:
        show("No request has been answered in this kernel yet.")
        return
    replayed = bool(total.replayed.total_tokens)
    _table("chat", accounts.by_source, total, replayed)
    _table("model", accounts.by_model, total, replayed)


def _table(by: str, groups: Mapping[str, Spent], total: Spent, replayed: bool) -> None:
    rows = [[name, *_numbers(spent, replayed)] for name, spent in groups.items()]
    rows.append(["total", *_numbers(total, replayed)])
    show_table([by, *HEADERS, *(["replayed"] if replayed else [])], rows, title=f"Tokens by {by}")


def _numbers(spent: Spent, replayed: bool) -> list[str]:
    usage = spent.usage
    numbers = [spent.requests, usage.input_tokens, usage.completion_tokens, usage.reasoning_tokens,
               usage.total_tokens]
    return [f"{n:,}" for n in numbers] + ([f"{spent.replayed.total_tokens:,}"] if replayed else [])
