"""What `%%ygpt` and `%ygpt fix` share: a prompt expanded with the notebook's context, then sent.

Both expand their text through context/interpolate.py with the same namespace, cells, limits and
known credentials, and both send a plan the same way: `--dry-run` shows it, otherwise one
StreamRenderer streams it through exchange.run_exchange (through the reply cache when one is
set), the reply lands in `_ygpt` and its provenance in `%ygpt provenance`, and code from the
reply may go into a new cell below (never replacing the user's cell).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from .. import render
from ..cache import Front, first_line
from ..chat import Plan, short_model
from ..client import guard
from ..context.interpolate import Expanded, interpolate
from ..context.values import Limits
from ._next_cell import put_below


def limits(magics) -> Limits:
    """The value limits the settings ask for."""
    return Limits(max_rows=magics.max_rows, max_columns=magics.max_columns,
                  max_chars=magics.max_value_chars, timeout=magics.value_timeout)


def expand(magics, text: str, *, fill: bool = True, where: str = "the cell's text",
           namespace: Mapping[str, Any] | None = None) -> Expanded:
    """``text`` with its references filled in from the user's notebook (context/interpolate.py), or
    from ``namespace`` (a ``--map`` row's names over the notebook's); ``where`` names the text itself
    in a credential error."""
    return interpolate(text, magics.shell.user_ns if namespace is None else namespace,
                       cells=magics.cells, limits=limits(magics),
                       secrets=magics.connection.known_secrets(), fill=fill, where=where)


def check(magics, where: str, text: str | None) -> None:
    """CredentialInPrompt when ``text`` (a system message) carries a known credential."""
    if text:
        guard.check(where, text, magics.connection.known_secrets())


def cell_name(magics) -> str:
    """How a user finds the running cell: ``cell In [7]``."""
    return f"cell In [{magics.shell.execution_count}]"


def reply_cache(magics, prompt: str) -> Front | None:
    """The reply cache's front for this cell's request (None when there is no cache)."""
    return magics.cache.front(magics.connection.client, target=magics.connection.target,
                              where=cell_name(magics), prompt=prompt,
                              secrets=magics.connection.known_secrets)


def client_getter(magics, cache: Front | None) -> Callable[[], Any]:
    """What planning and sending call for the client: through the cache when there is one (the
    real client is then built only for a miss)."""
    return magics.connection.client if cache is None else lambda: cache.client


def send(magics, plan: Plan, notes: tuple[str, ...] = (), *, mode: str = "stream",
         dry_run: bool = False, out: str | None = None, new_cell: bool = False,
         schema: str | None = None, cache: Front | None = None) -> None:
    """Show ``plan`` (``dry_run``) or send it; ``notes`` (what interpolation rendered or cut) go
    above the reply. The reply's code goes into a new cell below with ``new_cell`` or the code
    format. The plan's tools and ``schema`` (``--schema``) run through the tool loop; with a
    schema, ``_ygpt.parsed`` (and ``out``) is the validated value. ``cache``: replay each request
    if recorded, record it if sent (``reply_cache``), the rounds of a tool exchange included."""
    plan = dataclasses.replace(plan, context_notes=tuple(notes))
    tools = magics.tool_loop(plan, schema)
    extras = tools.extras() if tools else {}
    client = client_getter(magics, cache)()
    if dry_run:
        tokens = client.count_tokens(plan.messages, plan.options, **extras)
        render.show(render.dry_run(plan, tokens, extras))
        return
    from ..exchange import run_exchange

    renderer = render.StreamRenderer(fmt=plan.options.format, interval=magics.render_interval,
                                     label=short_model(plan.options.model),
                                     json_reply=plan.options.json or schema is not None,
                                     fills_cell=new_cell or plan.options.format == "code")
    reply = run_exchange(magics.session, client, plan, renderer, mode=mode, tools=tools,
                         cache=cache)
    if reply.status != "INTERRUPTED":
        magics.provenance.add(f"{cell_name(magics)} (“{first_line(plan.prompt)}”)", reply)
    magics.shell.user_ns["_ygpt"] = reply
    if tools is not None and tools.schema is not None and reply.status == "FINAL":
        reply = magics.shell.user_ns["_ygpt"] = tools.parsed(reply)  # ReplyNotValid keeps the raw one
    if out:
        magics.shell.user_ns[out] = reply.parsed if schema is not None else reply.text
    if (new_cell or plan.options.format == "code") and reply.status != "INTERRUPTED":
        code = render.extract_code(reply.text)
        if code:
            put_below(magics, code)


def flags(args) -> dict:
    """A cell's option flags (None = not given), as planning takes them."""
    return {"model": args.model, "temperature": args.temperature, "max_tokens": args.max_tokens,
            "format": args.format, "reasoning": args.reasoning or None, "json": args.json or None,
            "tools": args.tools, "tool_choice": args.tool_choice}
