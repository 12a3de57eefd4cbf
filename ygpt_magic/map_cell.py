"""The `%%ygpt --map NAME [--batch]` cell's door: the cell's text as a template, each row of NAME
filled in by the cell's own rule (request.py) and sent down the one path (DESIGN.md, "The
spine"). rows/ runs the rows; this module wires a cell's flags and the kernel into that run.
A plain cell never comes here: request.cell hands a ``--map`` cell over, and a ``--labels
--map`` cell (rows/labels.py) fills its rows in by :func:`row_expander` too.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from . import cost_cap, render, rows
from .client import guard
from .context.interpolate import Expanded
from .errors import Interrupted
from .kernel import Kernel
from .request import check, filled, flags, front, tokenizer
from .rows.plans import Expand
from .rows.run import MapRun


def row_expander(kernel: Kernel, template: str, system: str | None = None) -> Expand:
    """How each ``--map`` row's ``template`` and ``system`` (``--system``) are filled in from its
    names: as request.expand fills a cell's, with the known credentials read once for the cell,
    not once a row, and a Ctrl-C left a KeyboardInterrupt: the run over rows says what it stopped
    (as an error it would fail that row alone, and the others would be sent). The two texts as
    written are checked here, once: one that carries a credential refuses the cell, as it
    refuses a ``--once`` cell, instead of failing every row alike; each row's values and
    filled-in texts are still checked, and its request at the transport."""
    secrets = kernel.connection.known_secrets()
    guard.check("the cell's text", template, secrets)
    check(kernel, "--system", system, secrets)

    def row(text: str, names: Mapping[str, Any], *, where: str = "the cell's text") -> Expanded:
        return filled(kernel, text, names, secrets=secrets, where=where, checked=text in (template, system))
    return row


def run(kernel: Kernel, args: argparse.Namespace, template: str) -> None:
    """`%%ygpt --map NAME [--batch]`: the cell as a template, sent once per row of NAME (or as one
    batch job); each row is filled in by the cell's own rule and fronted by the reply cache as
    one entry; the run lands in ``_ygpt`` and ``--out``, also when Ctrl-C stopped it (the
    cell then ends as Interrupted)."""
    settings = kernel.settings
    request = rows.MapCell(name=args.map, template=template, out=args.out, chat=args.chat,
                            system=args.system, flags=flags(args), schema=args.schema,
                            concurrency=args.concurrency or settings.map_concurrency,
                            max_cost=cost_cap.cap(kernel, args.max_cost))
    expand = row_expander(kernel, template, args.system)
    kernel.session.check_name(args.chat)
    where: dict[str, Any] = {
        "session": kernel.session, "settings": settings, "get_client": kernel.connection.client,
        "namespace": kernel.namespace, "expand": expand}
    cache = front(kernel, template, no_cache=args.no_cache)
    reuse: dict[str, Any] = {"memo": kernel.row_memo, "endpoint": kernel.connection.target, "cache": cache,
                             "secrets": kernel.connection.known_secrets()}
    if args.dry_run:  # the tokenizer's counts replayed or recorded, as a cell's dry run
        plans = rows.open_rows(request, **where)
        peeking = {**reuse, "cache": None if cache is None else cache.peeking()}
        return render.show(rows.dry_run(plans, tokenizer(kernel, cache)(), batch=args.batch, **peeking))
    where.update(reuse)
    if args.batch:
        from .rows.batch import run_batch  # asyncio and the SDK's batch side: only when used

        done = run_batch(request, jobs=kernel.batch_jobs, asked=kernel.batch_asked,
                         poll_interval=settings.batch_poll_interval, **where)
    else:
        done = rows.run_map(request, **where)
    kept(kernel, f"--map {args.map}", done, args.out)
    return None


def kept(kernel: Kernel, flags: str, done: MapRun, out: str | None) -> None:
    """A finished run over rows (``--map``, ``--labels``) into the notebook: its provenance under
    the cell and ``flags``, the run in ``_ygpt``, its results in ``out``; then Interrupted when
    Ctrl-C stopped it (its summary said what is kept and what is left)."""
    kernel.provenance.add_run(f"{kernel.cell_name()} ({flags})", done.provenance)
    kernel.namespace["_ygpt"] = done
    if out:
        kernel.namespace[out] = done.results
    if done.stopped:
        raise Interrupted()
