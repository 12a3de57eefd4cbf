"""`%ygpt usage`: the tokens and estimated roubles of every request this kernel made, by chat and
by model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ..chat.accounts import Spent
from ..chat.prices import BATCH_MINIMUM_TOKENS
from ..kernel import Kernel
from ..words import counted
from ._common import show, show_table
from .args import parse, subcommand

if TYPE_CHECKING:
    from ..rows.batch_record import BatchRecord

HEADERS = ["requests", "input", "completion", "reasoning", "total", "roubles"]


@subcommand
def run(kernel: Kernel, line: str) -> None:
    """Show the tokens and estimated roubles of every request this kernel made.

    By chat and by model, and in total.

    Every answered request counts once, whatever sent it: chat cells (a re-run cell's earlier
    turn included), prompt-mode cells and %ygpt fix, each --map row, each round of a tool
    exchange, the panel. A reply stopped while it streamed (Ctrl-C, the panel's Stop) counts
    with the tokens the server had reported by then, and a line says how many were. Roubles are
    the tokens × the price table (YGptMagics.prices) for the model and mode (a --deferred
    request is async); a model without a price shows "no price".
    Answers replayed from the reply cache cost nothing and are counted apart ("replayed" and
    "saved" columns, shown once there are any). --batch rows are not counted: a job's results
    carry no token counts, so a line after the tables says how many jobs and rows this kernel
    started, whose cost is the estimate made before the start."""
    parse(run, line)
    accounts = kernel.session.accounts
    total = accounts.total()
    batch = _batch_note(kernel.batch_jobs.values())
    if not total.requests and not total.replayed.total_tokens:
        show(f"No request is counted in this kernel yet. {batch}" if batch
             else "No request has been answered in this kernel yet.")
        return
    replayed = bool(total.replayed.total_tokens)
    _table("chat", accounts.by_source, total, replayed)
    _table("model", accounts.by_model, total, replayed)
    prices = accounts.prices
    show(f"Roubles are estimates, VAT included, from Yandex Cloud's prices as of {prices.as_of} "
         f"({prices.source.split()[0]}) with YGptMagics.prices over them; against the local "
         f"server, what Yandex Cloud would bill.")
    if accounts.stopped.requests:
        show(_stopped_note(accounts.stopped))
    if batch:
        show(batch)


def _stopped_note(stopped: Spent) -> str:
    """That the tables include replies stopped part-way, and with which tokens."""
    usage, one = stopped.usage, stopped.requests == 1
    return (f"Included above: {counted(stopped.requests, 'reply', 'replies')} stopped while "
            f"{'it' if one else 'they'} streamed (Ctrl-C or the panel's Stop), counted with the "
            f"tokens the server had reported by then ({usage.input_tokens:,} → "
            f"{counted(usage.completion_tokens, 'token')}, {stopped.cost}): the cloud bills the "
            f"prompt it read and the text it generated.")


def _batch_note(jobs: Iterable[BatchRecord]) -> str:
    """The --batch jobs this kernel started, which the tables leave
    out, and where their cost is to be found; "" when there are none."""
    started = list(jobs)
    if not started:
        return ""
    rows = sum(len(job.requests or ()) for job in started)
    one = len(started) == 1
    return (f"--batch jobs are not counted here: {counted(len(started), 'job')} ({counted(rows, 'row')}) "
            f"{'was' if one else 'were'} started in this kernel, and a job's results carry no token "
            f"counts, so what {'it' if one else 'they'} cost is the estimate made before the start "
            f"(the line that started the job says it, as the cell with --dry-run does; a job bills at least "
            f"{BATCH_MINIMUM_TOKENS:,} tokens). The folder's "
            f"bill in the cloud console has the charge.")


def _table(by: str, groups: Mapping[str, Spent], total: Spent, replayed: bool) -> None:
    rows = [[name, *_numbers(spent, replayed)] for name, spent in groups.items()]
    rows.append(["total", *_numbers(total, replayed)])
    show_table([by, *HEADERS, *(["replayed", "saved"] if replayed else [])], rows,
               title=f"Tokens by {by}")


def _numbers(spent: Spent, replayed: bool) -> list[str]:
    usage = spent.usage
    numbers = [spent.requests, usage.input_tokens, usage.completion_tokens, usage.reasoning_tokens,
               usage.total_tokens]
    cells = [f"{n:,}" for n in numbers] + [str(spent.cost)]
    return cells + ([f"{spent.replayed.total_tokens:,}", str(spent.saved)] if replayed else [])


