"""``%%ygpt --map NAME --dry-run``: the first rendered prompts, the row count and the tokens the
whole job would send, with nothing sent.

The count comes from the tokenizer API (not a guess), asked for a bounded number of rows: all
of them when there are few, else an even sample, extrapolated to every row; the output says
which, so an estimate is never passed off as a count.
"""

from __future__ import annotations

import json
from typing import Any

from ..render import inert
from ..render.markdown import fenced
from ..words import counted
from .plans import RowPlanner

SHOWN = 3
#: rows counted at most; more rows are estimated from an even sample of this many
SAMPLE = 20


def sample_positions(count: int, size: int = SAMPLE) -> list[int]:
    """Every row when there are at most ``size``, else ``size`` spread evenly over them."""
    if count <= size:
        return list(range(count))
    return sorted({round(i * (count - 1) / (size - 1)) for i in range(size)})


def dry_run(plans: RowPlanner, client: Any) -> dict[str, str]:
    """The bundle ``--dry-run`` shows for a ``--map`` cell."""
    count = len(plans.rows)
    positions = sample_positions(count)
    counts = [client.count_tokens(plans.plan(p).messages, plans.options, **plans.extras)
              for p in positions]
    model = plans.options.model
    if len(positions) == count:
        tokens = f"{counted(sum(counts), 'token')} in all by the tokenizer API"
    else:
        average = sum(counts) / len(counts)
        tokens = (f"about {round(average * count):,} tokens in all: estimated from {len(counts)} "
                  f"rows spread over the {count:,} counted by the tokenizer API "
                  f"({average:.1f} a row on average)")
    head = (f"Dry run (--map, prompt mode, model {model}): {counted(count, 'row')}, {tokens}. "
            f"Nothing was sent.")
    shown = [plans.plan(p).messages for p in range(min(SHOWN, count))]
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
