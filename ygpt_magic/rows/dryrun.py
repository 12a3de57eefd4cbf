"""``%%ygpt --map NAME --dry-run``: the first rendered prompts, the row count and the tokens the
whole job would send, with nothing sent.

The rows are planned by the run's own step (run.plan_rows), so the dry run prices what the run
would send: a row already answered for its current prompt (this kernel's memo, the reply cache)
is counted as reused, not priced, and so is a row whose request repeats an earlier row's (sent
once, its answer that row's); the prompts shown are of rows to send. Every row's template
is filled in, as the run fills it in: a row the run would fail before
sending it (an empty or too long prompt) is counted apart and named, as the run would name it in
``_ygpt.errors``, never a refusal of the whole cell; a name that does not exist refuses the cell,
as the run does. The count comes from the tokenizer API (not a guess), asked for a bounded number
of the rows to send: all of them when there are few, else a sample chosen over their lengths, the
others scaled by their own length (rows/scaled.py); the output says which, so an estimate is never
passed off as a count. The cost follows (rows/costs.py): the replies' tokens are guessed, and
the line says how.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..chat.accounts import Accounts
from ..client.credentials import Credential
from ..ledger import Cache, Ledger
from ..modelname import model_name
from ..render import inert
from ..render.markdown import fenced
from ..words import counted, some_of
from .costs import count_rows, rows_estimate
from .memo import RowMemo
from .plans import CUT_SHOWN, RowPlanner
from .progress import Tally, shared_draw
from .run import plan_rows
from .state import RowState

SHOWN = 3


def dry_run(plans: RowPlanner, client: Any, *, batch: bool = False, memo: RowMemo | None = None,
            endpoint: str = "", cache: Cache | None = None, secrets: Sequence[Credential]) -> dict[str, str]:
    """The bundle ``--dry-run`` shows for a ``--map`` cell (``batch``: priced as a batch job);
    ``memo``, ``endpoint``, ``cache`` and ``secrets`` as the run takes them, to leave out what it
    would reuse (``cache``: ``Front.peeking``, to which a row with no recording is a row to send)."""
    count = len(plans.rows)
    state = _planned(plans, memo or RowMemo(), endpoint, cache, secrets)
    prompts, failing = {p: state.prompt(p) for p in state.pending}, {p: f.text for p, f in state.errors.items()}
    sending = list(prompts)
    counted_rows = count_rows(plans, sending, client, prompts.__getitem__)
    model, tokens = model_name(plans.options.model).short, counted_rows.said("row")
    rows = counted(count, "row")
    parts = [f"{len(state.reused):,} already answered, reused"] if state.reused else []
    repeats = len(state.repeats)
    if state.reused or failing or repeats:
        parts.append(f"{len(sending):,} to send" + (f", {len(failing):,} that would fail" if failing else ""))
        if repeats:
            parts.append(f"{repeats:,} repeating an earlier row's prompt, answered with it")
        rows += f" ({'; '.join(parts)})"
    cost = f" {rows_estimate(plans, counted_rows, batch=batch).sentence()}" if sending else ""
    head = f"Dry run (--map, prompt mode, model {model}): {rows}, {tokens}. Nothing was sent.{cost}"
    blocks = [inert.bold(head)]
    plain = [head]
    if draw := shared_draw(plans.options.temperature, repeats, plans.reads_row):
        blocks.append(inert.text(draw))
        plain.append(draw)
    if failing:
        said = said_failing(failing, plans.rows.labels)
        blocks.append(inert.text(said))
        plain.append(said)
    shown = sending[:SHOWN]
    for position in shown:
        title = f"Row {plans.rows.labels[position]!r}:"
        messages = plans.planned(prompts[position], checked=False).messages   # checked as it was planned
        body = json.dumps(messages, ensure_ascii=False, indent=2)
        blocks += [inert.text(title), inert.markdown(fenced(body, "json"))]
        plain += [title, body]
    if len(sending) > len(shown):
        more = f"… and {counted(len(sending) - len(shown), 'more row')}."
        blocks.append(inert.text(more))
        plain.append(more)
    return inert.bundle(*blocks, plain="\n".join(plain))


def _planned(plans: RowPlanner, memo: RowMemo, endpoint: str, cache: Cache | None,
             secrets: Sequence[Credential]) -> RowState:
    """Every row planned and keyed as the run plans it: reused, failing or pending. Its replays
    are entered in scratch accounts, as nothing is used yet."""
    ledger = Ledger(Accounts(plans.session.accounts.prices), plans.source, plans.mode, cache)
    return plan_rows(plans, memo, endpoint, Tally(total=len(plans.rows)), ledger, secrets=secrets)


def said_failing(failing: Mapping[int, str], labels: Sequence[Any], *, unsent: bool = True) -> str:
    """The rows the run would fail (their one-line reasons, by position), named as its
    ``_ygpt.errors`` would name them: the first few, and the first one's reason, which names
    its row itself (so not again before it). ``unsent``: all of them before sending them (else
    some are sent, and refused by the server)."""
    first = next(iter(failing))
    reason = failing[first]
    how = " without being sent" if unsent else ""
    if len(failing) == 1:
        return f"One row would fail{how}, as in the run: {reason}"
    shown = some_of([repr(labels[p]) for p in list(failing)[:CUT_SHOWN]], len(failing))
    return (f"{len(failing):,} rows would fail{how}, as in the run: rows {shown} "
            f"(the first: {reason})")
