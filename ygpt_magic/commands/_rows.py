"""`%%ygpt --map NAME [--batch]`: the magic's flags wired to rows/ (the work is done there).

Kept out of magics.py, which only parses: the row template is filled in by the cell's own rule
(``_request.expand``), the reply cache fronts each row as one entry, and the run lands in `_ygpt`
and ``--out``.
"""

from __future__ import annotations

import argparse

from .. import render, rows
from . import _request


def run(magics, args: argparse.Namespace, cell: str) -> None:
    """The cell as a template, sent once per row of ``args.map`` (or as one batch job)."""
    request = rows.MapCell(name=args.map, template=cell, out=args.out, chat=args.chat,
                           system=args.system, flags=_request.flags(args), schema=args.schema,
                           concurrency=args.concurrency or magics.map_concurrency)
    _request.check(magics, "--system", args.system)
    where = {"session": magics.session, "settings": magics, "get_client": magics.connection.client,
             "namespace": magics.shell.user_ns,
             "expand": lambda text, names: _request.expand(magics, text, namespace=names)}
    if args.dry_run:
        plans = rows.open_rows(request, **where)
        return render.show(rows.dry_run(plans, magics.connection.client()))
    cache = None if args.no_cache else _request.reply_cache(magics, cell)
    where.update(memo=magics.row_memo, endpoint=magics.connection.target, cache=cache)
    if args.batch:
        from ..rows.batch import run_batch  # asyncio and the SDK's batch side: only when used

        done = run_batch(request, jobs=magics.batch_jobs, poll_interval=magics.batch_poll_interval,
                         **where)
    else:
        done = rows.run_map(request, **where)
    magics.shell.user_ns["_ygpt"] = done
    if args.out:
        magics.shell.user_ns[args.out] = done.results
    return None
