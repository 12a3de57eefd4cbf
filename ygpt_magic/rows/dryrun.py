"""``%%ygpt --map NAME --dry-run``: the first rendered prompts, the row count and the tokens the
whole job would send, with nothing sent.

The count comes from the tokenizer API (not a guess), asked for a bounded number of rows: all
of them when there are few, else an even sample, extrapolated to every row; the output says
which, so an estimate is never passed off as a count. The cost follows (rows/costs.py): the
replies' tokens are guessed, and the line says how.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from ..render import inert
from ..render.markdown import fenced
from ..words import counted
from .costs import count_rows, rows_estimate
from .plans import RowPlanner

SHOWN = 3


def dry_run(plans: RowPlanner, client: Any, *, batch: bool = False) -> dict[str, str]:
    """The bundle ``--dry-run`` shows for a ``--map`` cell (``batch``: priced as a batch job)."""
    count = len(plans.rows)
    prompt = cache(plans.prompt)  # a row's template filled in once: counted and shown alike
    counted_rows = count_rows(plans, range(count), client, prompt)
    model = plans.options.model
    if counted_rows.exact:
        tokens = f"{counted(counted_rows.total, 'token')} in all by the tokenizer API"
    else:
        average = counted_rows.average
        tokens = (f"about {counted_rows.total:,} tokens in all: estimated from "
                  f"{len(counted_rows.counts)} rows spread over the {count:,} counted by the "
                  f"tokenizer API ({average:.1f} a row on average)")
    head = (f"Dry run (--map, prompt mode, model {model}): {counted(count, 'row')}, {tokens}. "
            f"Nothing was sent. {rows_estimate(plans, counted_rows, batch=batch).sentence()}")
    shown = [plans.planned(prompt(p)).messages for p in range(min(SHOWN, count))]
    titles = [f"Row {plans.rows.labels[p]!r}:" for p in range(len(shown))]
    bodies = [json.dumps(messages, ensure_ascii=False, indent=2) for messages in shown]
    blocks = [inert.bold(head)]
    plain = [head]
    for title, body in zip(titles, bodies):
        blocks += [inert.text(title), inert.markdown(fenced(body, "json"))]
        plain += [title, body]
    if count > SHOWN:
        more = f"… and {counted(count - SHOWN, 'more row')}."
        blocks.append(inert.text(more))
        plain.append(more)
    return inert.bundle(*blocks, plain="\n".join(plain))
