"""The request path's door side: what a `%%ygpt` cell, `%ygpt fix`, a panel Send and a `--map`
row all go through before the exchange (DESIGN.md, "The spine").

    expand   {name}, {expr}, {In[N]}/{Out[N]}/{Err[N]} → text, bounded, noted, guarded
    plan     chat/planning.plan_request: the one planning rule (options, history, rewind, budget)
    front    the reply cache in front of the client (replay, or send and record)
    tools    the tool loop over the plan's tools and --schema, checked before anything is sent
    send     --dry-run shows the plan, otherwise exchange.run_exchange sends it through a view,
             the cost cap (--max-cost, else max_cost_per_cell) asked before each request it sends
             that the cache does not replay (a replay costs nothing)
    answered the reply into the provenance log

Every function takes the :class:`~ygpt_magic.kernel.Kernel` and reads what it needs from it, so a
door is a few lines of wiring: the cell (:func:`cell`), fix (commands/fix.py), the panel
(commands/panel.py: one panel door over these) and the rows (map_cell.py). The client's guard
then checks every request these build, at the transport, so no door can skip it.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import cost_cap, render
from .cache import Front, first_line
from .chat import Plan, Reply, planning, rewind
from .chat.counting import Tokenizes
from .client import guard
from .client.credentials import Credential
from .context.interpolate import Expanded, StoppedReading, interpolate
from .errors import Interrupted, OptionError, ReplyNotValid, StoppedBeforeAsking, ToolRoundsExceeded, stopping
from .kernel import Kernel
from .modelname import model_name

if TYPE_CHECKING:
    from .chat.pictures import Picture
    from .render.waiting import CountingLine
    from .tools.loop import ToolLoop
    from .tools.schema import Schema


#: what a cell stopped while a value was turned into text can do instead
SLOW_VALUE = "put the text you want in a variable and refer to that, or run the cell again to start over"


def expand(kernel: Kernel, text: str, *, fill: bool = True, where: str = "the cell's text",
           secrets: Sequence[Credential] | None = None) -> Expanded:
    """``text`` of one request (a cell's, ``--system``, a fix's, a panel message) with its
    references filled in from the notebook (context/interpolate.py); ``where`` names the text
    itself in a credential error. ``secrets``: the known credentials when the caller has just
    read them (None: read now).

    A Ctrl-C meanwhile (a repr or an expression that takes long) is StoppedBeforeAsking, the
    paragraph every other press before the request gives, naming the reference being read,
    rather than a traceback through the package's own frames. A ``--map`` row's texts are filled
    in by map_cell.row_expander, where a press stops the whole run instead."""
    try:
        return filled(kernel, text, kernel.namespace, fill=fill, where=where, secrets=secrets)
    except KeyboardInterrupt as stop:
        during = (f"{stop.reference} was turned into text" if isinstance(stop, StoppedReading)
                  else f"the references in {where} were filled in")
        raise StoppedBeforeAsking(during, again=SLOW_VALUE) from None


def filled(kernel: Kernel, text: str, namespace: Mapping[str, Any], *, fill: bool = True,
            where: str = "the cell's text", secrets: Sequence[Credential] | None = None,
            checked: bool = False) -> Expanded:
    """``text`` filled in from ``namespace`` (the notebook's, or a ``--map`` row's names over
    it: map_cell.row_expander), a Ctrl-C passing as it came; ``checked``: ``text`` as written
    was checked by the caller."""
    return interpolate(text, namespace, cells=kernel.cells, limits=kernel.settings.limits(),
                       secrets=kernel.connection.known_secrets() if secrets is None else secrets,
                       fill=fill, where=where, checked=checked)


def check(kernel: Kernel, where: str, text: str | None, secrets: Sequence[Credential] | None = None) -> None:
    """CredentialInPrompt when ``text`` (a system message) carries a known credential
    (``secrets``, as for :func:`expand`)."""
    if text:
        guard.check(where, text, kernel.connection.known_secrets() if secrets is None else secrets)


def front(kernel: Kernel, prompt: str, where: str | None = None, *, no_cache: bool = False,
          written: str = "", framing: str = "") -> Front | None:
    """The reply cache's front for a request (None when there is no cache, or ``--no-cache``);
    ``where`` names the door in a cache error (default: the running cell): named only when there
    is a cache. ``written``, ``framing``: what ``prompt`` was made of (ReplyCache.front)."""
    if no_cache or not kernel.cache.active:
        return None
    connection = kernel.connection
    return kernel.cache.front(connection.client, target=connection.target,
                              where=where or kernel.cell_name(), prompt=prompt, written=written,
                              framing=framing, secrets=connection.known_secrets)


def tokenizer(kernel: Kernel, cache: Front | None) -> Callable[[], Tokenizes]:
    """What planning, ``--dry-run`` and the cost cap call to count tokens: the reply cache when
    there is one (replayed, or asked and recorded; the client is then built only for a miss),
    else the client."""
    return kernel.connection.client if cache is None else lambda: cache


def tool_loop(kernel: Kernel, plan: Plan) -> ToolLoop | None:
    """The tool loop for ``plan`` (its tools, the cell's or the chat's), or None; every
    function, and a ``--tool-choice`` without tools, is checked before anything is sent."""
    if not plan.options.tools and plan.options.tool_choice is None:
        return None
    from .tools.loop import loop_for

    settings = kernel.settings
    return loop_for(plan.options, kernel.namespace, max_rounds=settings.max_tool_rounds,
                    max_calls=settings.max_tool_calls, limits=settings.limits(),
                    secrets=kernel.connection.known_secrets(), chat=plan.chat,
                    configured=planning.chat_options(kernel.session, plan.chat).tools)


def typed(kernel: Kernel, schema: str | None) -> Schema | None:
    """``--schema NAME`` as a Schema (checked before anything is sent), or None."""
    if schema is None:
        return None
    from .tools.schema import schema_named  # pydantic: only for --schema

    return schema_named(schema, kernel.namespace)


def flags(args: argparse.Namespace) -> dict[str, Any]:
    """A cell's option flags (None = not given), as planning takes them."""
    return {"model": args.model, "temperature": args.temperature, "max_tokens": args.max_tokens,
            "format": args.format, "reasoning": args.reasoning or None, "json": args.json or None,
            "tools": args.tools, "tool_choice": args.tool_choice}


def cell(kernel: Kernel, args: argparse.Namespace, text: str) -> None:
    """A `%%ygpt` cell (its flags parsed): expanded, planned and sent."""
    if args.labels or args.model:  # a classification needs one of them (a plain cell has neither)
        from . import labels

        if labels.wanted(args):
            return labels.cell(kernel, args, text)
    if args.map:   # --system is filled in per row, from the row's names (rows/plans.py)
        from . import map_cell

        return map_cell.run(kernel, args, text)
    secrets = kernel.connection.known_secrets()  # the environment read once for both texts
    args, system = with_system(kernel, args, secrets)
    expanded = expand(kernel, text, fill=not args.no_interpolate, secrets=secrets)
    prompt, written = expanded.text.strip("\n"), text.strip("\n")
    if not prompt.strip():
        raise OptionError("The %%ygpt cell is empty: write the prompt on the lines below %%ygpt.")
    pictures: tuple[Picture, ...] = ()
    referred = (*system.pictures, *expanded.pictures)
    if args.image or referred:
        from .context import images

        pictures = images.pictures(args.image, kernel.namespace, kernel.cells, referred)
    notes = (*system.notes, *expanded.notes)
    if args.chat is not None and args.chat not in kernel.session.chats:   # a new chat named `$name`
        from .chat.names import flag_note

        notes += flag_note(args.chat)
    if args.docs is not None:   # --docs '' is refused as naming no file, not dropped
        from .cell_price import answer_estimate
        from .docs_cell import answer

        framing = kernel.settings.docs_instruction
        return answer(kernel, args, prompt, lambda sent, more, spent, unchosen: send_cell(
            kernel, args, sent, (*notes, *more), pictures, label=prompt, written=written,
            framing=framing, spent=spent, unchosen=unchosen),
            lambda sent, unchosen: answer_estimate(kernel, args, sent, pictures, unchosen, label=prompt))
    return send_cell(kernel, args, prompt, notes, pictures, written=written)


def with_system(kernel: Kernel, args: argparse.Namespace,
                secrets: Sequence[Credential]) -> tuple[argparse.Namespace, Expanded]:
    """``args`` with ``--system`` filled in by the cell's own rule, and what that brought in.

    IPython leaves the `%%ygpt` line as written (magics.py: ``no_var_expand``), so `{role}` in
    ``--system`` is ours to fill in: bounded, noted above the reply and checked for credentials
    like the cell's text, as written with ``--no-interpolate``. No other flag is filled in. A
    ``--map`` cell does not come here: its ``--system`` is filled in per row (rows/plans.py)."""
    if not args.system:
        return args, Expanded("")
    system = expand(kernel, args.system, fill=not args.no_interpolate, where="--system", secrets=secrets)
    return argparse.Namespace(**{**vars(args), "system": system.text}), system


def send_cell(kernel: Kernel, args: argparse.Namespace, prompt: str, notes: tuple[str, ...],
              pictures: tuple[Picture, ...], *, label: str | None = None, written: str = "",
              framing: str = "", spent: Decimal = Decimal(0), unchosen: int = 0) -> None:
    """A cell's ``prompt`` (expanded; with --docs, its sources), planned and sent; ``label``:
    what the user asked, when the prompt wraps it (--docs: the question, not the instruction),
    for the provenance log and a cache miss's message; ``written``, ``framing``: the cell before
    its {…} were filled in and the instruction --docs wraps ``label`` in, for a cache miss's
    message (ReplyCache.front); ``spent``: what choosing the sources cost, counted against the
    cell's cap; ``unchosen``: what a dry run's estimate adds for sources it did not choose."""
    cache = front(kernel, label or prompt, no_cache=args.no_cache, written=written, framing=framing)
    lines: list[CountingLine] = []  # the waiting line, made if planning counts turns at once
    try:
        plan = plan_cell(kernel, args, prompt, pictures, cache, lambda model: counting_line(kernel, args, model, lines))
        if unnamed := unnamed_note(kernel, args, plan):
            plan = dataclasses.replace(plan, turn_note=unnamed)
        send(kernel, plan, notes, mode=mode_of(args), dry_run=args.dry_run, out=args.out, schema=args.schema,
             cache=cache, max_cost=args.max_cost, label=label, spent=spent, unchosen=unchosen, waiting=lines)
        kernel.cells.told_unnamed |= bool(unnamed)   # told once the reply is shown under it
    finally:
        for line in lines:
            line.clear()


def plan_cell(kernel: Kernel, args: argparse.Namespace, prompt: str, pictures: tuple[Picture, ...],
              cache: Front | None, waiting: Callable[[str], CountingLine] | None = None) -> Plan:
    """The plan of a cell's ``prompt`` by its flags: what it sends, or what pricing it counts
    (cell_price.py); ``waiting`` makes the cell's waiting line if turns are counted at once."""
    return planning.plan_request(
        kernel.session, prompt, settings=kernel.settings, get_client=tokenizer(kernel, cache), chat=args.chat,
        cell_id=kernel.cell_id, append=args.append, once=args.once, system=args.system, flags=flags(args),
        pictures=pictures, asked_in=kernel.cells.running, waiting=waiting)


def unnamed_note(kernel: Kernel, args: argparse.Namespace, plan: Plan) -> str:
    """The note above the reply of the first chat cell asking with no id where a re-run of it
    adds a turn (chat/rewind.py); "" once told, for a cell that adds no turn (--once, --dry-run)
    or asks to add one (--append), and when the plan's note on the cell's earlier turn (a loaded
    one asked again) says more."""
    by = None if args.once or args.append or args.dry_run or plan.turn_note else kernel.cells.unnamed()
    return rewind.unnamed_note(plan.chat, by) if by else ""


def mode_of(args: argparse.Namespace) -> str:
    """How a cell's request is sent: ``deferred``, ``once`` (--no-stream) or ``stream``."""
    return "deferred" if args.deferred else "once" if args.no_stream else "stream"


def counting_line(kernel: Kernel, args: argparse.Namespace, model: str, lines: list[CountingLine]) -> CountingLine:
    """The cell's waiting line while planning counts the chat's turns for ``model`` at once
    (render/waiting.py), kept in ``lines`` for the reply to replace; made only then, so a cell
    that counts nothing at once runs none of it."""
    from .chat.rewind import chat_for
    from .client.loop import SLOW_AFTER
    from .render.waiting import CountingLine

    session = kernel.session
    chat = chat_for(session, args.chat, kernel.cell_id, append=args.append, once=args.once)
    lines.append(CountingLine(chat or session.current, model, after=SLOW_AFTER))
    return lines[-1]


#: what a tool exchange's dry run adds to its estimate: it counts only the request it shows
FIRST_ROUND = ("That is the first request only: each round that sends tool results back is a "
               "request of its own, with the results, and is not counted here.")


def send(kernel: Kernel, plan: Plan, notes: tuple[str, ...] = (), *, mode: str = "stream", dry_run: bool = False,
         out: str | None = None, new_cell: bool = False, schema: str | None = None, cache: Front | None = None,
         max_cost: Decimal | None = None, label: str | None = None, spent: Decimal = Decimal(0), unchosen: int = 0,
         waiting: Sequence[CountingLine] = (), where: str | None = None) -> None:
    """Show ``plan`` (``dry_run``) or send it; ``notes`` (what interpolation rendered or cut) go above the reply.
    The reply's code goes into a new cell below with ``new_cell`` or the code format. The plan's tools run through
    the tool loop; with a ``schema`` (``--schema``), every request asks for its shape and ``_ygpt.parsed`` (and
    ``out``) is the validated value. ``cache``: replay each request if recorded, record it if sent, the rounds of a
    tool exchange included. ``max_cost``: the cell's ``--max-cost`` (else ``max_cost_per_cell``), checked before
    each request sent against its estimate plus what the cell ``spent`` before it (a --docs cell's embeddings) and
    on the exchange's earlier rounds. ``unchosen``: tokens the dry run's estimate adds to the request shown (a
    --docs dry run's sources, not chosen: docs_dryrun.py). ``label``: what the provenance log quotes (default: the
    prompt). ``waiting``: the waiting line shown while the plan was made, which the reply's first display replaces.
    ``where``: what a cost cap's refusal is said of (default: the running cell; ``%ygpt fix`` names the cell it
    fixes). A reply Ctrl-C stopped, or whose write to the cache it stopped, ends the cell as Interrupted; one that
    ``max_tool_rounds`` stopped is in ``_ygpt`` too, as its calls ran and were billed."""
    from .exchange import request_extras, run_exchange

    if tuple(notes) != plan.context_notes:  # a plan is made without them (most cells have none)
        plan = dataclasses.replace(plan, context_notes=tuple(notes))
    tools, shape = tool_loop(kernel, plan), typed(kernel, schema)
    extras = request_extras(tools, shape)
    if dry_run:
        from . import cell_price

        with stopping(lambda: StoppedBeforeAsking("its tokens were counted for --dry-run, which sends nothing")):
            tokens, estimated = cell_price.dry_run_count(kernel, plan, cache, extras)
        estimate = cost_cap.cell_estimate(kernel, plan, tokens + unchosen, mode)
        cost = estimate.sentence() + (f" {FIRST_ROUND}" if tools else "")
        render.show(render.dry_run(plan, tokens, extras, cost=cost, estimated=estimated))
        return
    cap = capped(kernel, plan, cache, mode, max_cost, spent, where)
    code_below = new_cell or plan.options.format == "code"
    renderer = render.StreamRenderer(fmt=plan.options.format, interval=kernel.settings.render_interval,
                                     label=model_name(plan.options.model).short, fills_cell=code_below,
                                     json_reply=plan.options.json or schema is not None,
                                     display=waiting[0].handover() if waiting else None)
    try:
        reply = run_exchange(kernel.session, kernel.connection.client, plan, renderer, mode=mode, tools=tools,
                             schema=shape, cache=cache, cap=cap, secrets=kernel.connection.known_secrets())
    except ToolRoundsExceeded as stop:   # this cell's calls, not the cell's before
        kernel.namespace["_ygpt"] = stop.reply
        raise
    answered(kernel, kernel.cell_name(), label or plan.prompt, reply)
    kernel.namespace["_ygpt"] = reply
    if reply.status == "INTERRUPTED":   # shown marked; no answer for --out or a cell below
        raise Interrupted(tools.stopped if tools is not None else None)
    if shape is not None and reply.status != "FINAL":   # --out keeps its value
        unfinished = ReplyNotValid.unfinished(shape.name, reply.status)
        raise unfinished.not_in_chat() if plan.once else unfinished
    if shape is not None:  # ReplyNotValid keeps the raw one
        reply = kernel.namespace["_ygpt"] = dataclasses.replace(reply, parsed=parsed(shape, reply.text, plan))
    if out:
        kernel.namespace[out] = reply.parsed if schema is not None else reply.text
    if code_below:
        from .commands._next_cell import code_below_reply

        code_below_reply(kernel, reply.text, corrected_cell=new_cell)
    if cache is not None and cache.write_stopped:   # the answer is whole; Ctrl-C meant to stop the run
        raise Interrupted()


def capped(kernel: Kernel, plan: Plan, cache: Front | None, mode: str, max_cost: Decimal | None,
           spent: Decimal, where: str | None = None) -> cost_cap.RequestCap | None:
    """The cap the exchange asks before each request it sends (``max_cost``, else
    ``max_cost_per_cell``); without either there is no cap: nothing to count, and a cell without
    one never reaches cost_cap.py."""
    if max_cost is None and kernel.settings.max_cost_per_cell is None:
        return None
    return cost_cap.request_cap(kernel, plan, tokenizer(kernel, cache), mode, max_cost, spent, where)


def parsed(shape: Schema, text: str, plan: Plan) -> Any:
    """The reply's validated value; a ReplyNotValid that says the turn is in the chat only when
    it is (``--once`` records none)."""
    try:
        return shape.parse(text)
    except ReplyNotValid as invalid:
        if plan.once:
            raise invalid.not_in_chat() from None
        raise


def answered(kernel: Kernel, who: str, label: str, reply: Reply) -> None:
    """``reply`` into the provenance log (``%ygpt provenance``) as ``who`` (“``label``”'s first
    line); an interrupted reply is not an answer, and is left out."""
    if reply.status != "INTERRUPTED":
        kernel.provenance.add(f"{who} (“{first_line(label)}”)", reply)
