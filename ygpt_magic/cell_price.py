"""What a cell's request would cost without sending it: ``--dry-run``'s token count, and the
estimate a ``--docs`` cell's cap checks for its answer before the files are indexed.

Why one count for both: a ``--docs`` cell under a cap is refused before anything is embedded
when indexing and the answer together are over it (cost_cap.check_sources), and the answer's
part must be the one its ``--dry-run`` shows, or following one's advice could be refused by the
other. The request is planned as the cell would send it (request.plan_cell: its chat, system
message, options and pictures), counted here, and priced by cost_cap.cell_estimate.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import cost_cap
from .cache import Front
from .chat import Plan, planning
from .chat.estimate import Estimate
from .exchange import request_extras
from .kernel import Kernel
from .request import front, mode_of, plan_cell, tokenizer, tool_loop, typed

if TYPE_CHECKING:
    from .chat.pictures import Picture

#: how --dry-run says a count that replay mode could neither replay nor ask
ESTIMATED = ("at most (estimated from the messages' size: the reply cache holds no tokenizer "
             "count for this request, and replay mode sends nothing to ask for one)")


def answer_estimate(kernel: Kernel, args: argparse.Namespace, prompt: str, pictures: tuple[Picture, ...],
                    unchosen: int, *, label: str) -> Estimate:
    """What sending ``prompt`` as the cell ``args`` describes is estimated to cost, with
    ``unchosen`` tokens more for sources not yet chosen (a ``--docs`` cell's longest chunks in
    place of its stand-in), counted as its ``--dry-run`` counts it; ``label``: the question."""
    cache = front(kernel, label, no_cache=args.no_cache)
    plan = plan_cell(kernel, args, prompt, pictures, cache)
    tokens, _ = dry_run_count(kernel, plan, cache, request_extras(tool_loop(kernel, plan), typed(kernel, args.schema)))
    return cost_cap.cell_estimate(kernel, plan, tokens + unchosen, mode_of(args))


def dry_run_count(kernel: Kernel, plan: Plan, cache: Front | None, extras: Mapping[str, Any]) -> tuple[int, str]:
    """``--dry-run``'s token count, and how it was estimated ("": the tokenizer's, replayed, or
    asked and recorded in auto mode). In replay mode (CI's) a count not recorded is never asked: nothing
    is sent there, and the client (which may want credentials CI has not) is never built; the
    byte bound planning trusts stands in for it, said to be one."""
    peeking = None if cache is None else cache.peeking()
    if peeking is not None and peeking.replaying:
        found = peeking.replayed_tokens(plan.messages, plan.options, **extras)
        return (found, "") if found is not None else (_byte_bound(plan, extras), ESTIMATED)
    return tokenizer(kernel, peeking)().count_tokens(plan.messages, plan.options, **extras), ""


def _byte_bound(plan: Plan, extras: Mapping[str, Any]) -> int:
    """A count no tokenizer exceeds (planning.upper_bound_tokens' rule: a token per UTF-8 byte at
    most, plus each message's overhead), over the messages as sent and the tools and format
    they carry; pictures apart, as the tokenizer's count leaves them."""
    def size(value: Any) -> int:
        return len(json.dumps(value, ensure_ascii=False, default=str).encode())

    texts = sum(size({k: v for k, v in message.items() if k != "images"}) for message in plan.messages)
    overhead = planning.MESSAGE_OVERHEAD * (len(plan.messages) + 1)
    return texts + overhead + (size(dict(extras)) if extras else 0)


