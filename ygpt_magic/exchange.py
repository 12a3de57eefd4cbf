"""run_exchange: one request from plan to recorded turn, shared by the magic and the panel.

The order of things is the promise users rely on: the chat is held for this request (one in
flight per chat), the renderer shows progress, and only a complete reply is recorded. A Ctrl-C
(``KeyboardInterrupt`` in the chunk loop, on the main thread), a Stop (``stream.cancel()`` from the
panel's thread) or an error leaves the chat exactly as it was, with whatever text had arrived
still on screen.

The client and the renderer are protocols (protocols.py: ``Transport``, client/sdk.py;
``Renderer``, render/stream.py), so the panel can bring its own renderer and tests a tiny client.

With ``tools`` (a ``tools.loop.ToolLoop``: ``--tools``), one exchange is several requests: the
loop asks, runs the calls the answer holds, and asks again with their results, through the same
request function as a plain exchange, under the same hold and the same rules. A ``schema``
(``--schema``) rides on every request of it (:func:`request_extras`); reading the reply against
it is the caller's.

A reply cache (``cache/``), when given, stands in front of every request (each round of a tool
exchange is one): a recorded answer comes back at once (no streaming), a sent one is recorded
once complete. A reply whose every request was replayed is ``cached`` and recorded in the chat
like a sent one; the tools of a replayed round still run, and their results decide whether the
next round is recorded.

A cost cap (``cap``: cost_cap.RequestCap), when given, is asked before each request that is sent,
after the cache was looked up, since a replayed request costs nothing: the first before anything
is shown, each later round of a tool exchange with what the rounds before it were billed. A
round it refuses ends the exchange as an error does, which leaves the chat as Ctrl-C leaves it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from .chat import Answer, ChatSession, Extras, Message, Plan, Reply, RequestOptions, Usage
from .chat.accounts import PROMPT_MODE
from .chat.session import EMPTY_REPLY
from .chat.tooluse import ToolCall
from .client import rpc_errors
from .client.credentials import Credential, masked_in
from .errors import StreamBroken, ToolRoundsExceeded, YGptError
from .errors.usage import Asker
from .ledger import Cache, Ledger, unkept_note
from .protocols import Cap, Renderer, ToolRounds, ToolView, Transport

if TYPE_CHECKING:
    from .tools.schema import Schema

MODES = ("stream", "once", "deferred")


def request_extras(tools: ToolRounds | None, schema: Schema | None) -> Extras:
    """What each request of an exchange carries beside its messages and options: the tools'
    declarations and the schema's response format."""
    extras = tools.extras() if tools is not None else {}
    if schema is not None:
        extras["response_format"] = schema.response_format()
    return extras


def taken_in(answer: Answer, secrets: Sequence[Credential]) -> Answer:
    """``answer`` as the kernel takes it in, whichever door asked (a cell's round, a panel Send,
    a ``--map``, ``--labels`` or ``--batch`` row: rows/run.py ``RowState.accept``): its text and
    model version with the kernel's own credentials (``secrets``) masked (``AQVN…x9Qz``), since
    a server may echo the key it was sent (a gateway in debug mode) and a cache file may hold one
    recorded before; a stream's unfinished text without an ending that begins one. The same
    answer when there is nothing to mask."""
    text = masked_in(answer.text, secrets, unfinished=answer.status == "PARTIAL")
    version = masked_in(answer.model_version, secrets)
    if text == answer.text and version == answer.model_version:
        return answer
    return Answer(text, answer.status, answer.usage, version, answer.tool_calls, answer.recorded)


class _Interrupted(Exception):
    """Internal: the request was stopped by the user; carries the last chunk that arrived."""

    def __init__(self, last: Answer | None = None) -> None:
        self.last = last


def _streamed(client: Transport, messages: list[Message], options: RequestOptions, renderer: Renderer,
              extras: Extras, taken: Callable[[Answer], Answer]) -> Answer:
    """The last chunk of a streamed reply, each chunk ``taken`` in as it comes (its secrets
    masked: :meth:`_Requests.taken`) before it is drawn; ``_Interrupted`` on Ctrl-C or Stop.

    A silent server is the client's to bound (``stream_timeout``, raising StreamStalled); a
    stream that ends on a PARTIAL chunk without being cancelled was cut off: StreamBroken, with
    the chunks the stream received (this loop reads only the newest when it falls behind).
    The wait for the next chunk lasts at most until the text the renderer held back is due
    (``renderer.due``); the stream then yields None and that text is drawn, so a server that
    pauses never leaves older text on screen than the kernel has received. While the SDK waits
    to retry a stream that broke off, the renderer says so (``renderer.retrying``).
    """
    stream = client.stream(messages, options, slow=renderer.show_waiting, due=renderer.due, **extras)
    last: Answer | None = None
    try:   # the request is on its way: a Ctrl-C from here on cancels it
        stream.on_retry = renderer.retrying
        renderer.opened(stream)
        for chunk in stream:
            if chunk is not None:
                last = taken(chunk)
            if last is not None:
                renderer.update(last.text)
    except KeyboardInterrupt:
        stream.cancel()
        raise _Interrupted(last) from None
    if last is None or last.status == "PARTIAL":  # unfinished: stopped, or cut off
        if stream.cancelled:
            raise _Interrupted(last)
        raise StreamBroken(stream.received, attempt=stream.attempt)
    return last


def _requested(client: Transport, messages: list[Message], options: RequestOptions, renderer: Renderer,
               extras: Extras, mode: str) -> Answer:
    """The one chunk of a non-streamed or deferred reply (the client cancels on Ctrl-C)."""
    if mode == "deferred":
        renderer.show_waiting()
        return client.deferred(messages, options, on_wait=renderer.waiting, **extras)
    return client.complete(messages, options, slow=renderer.show_waiting, **extras)


class _Requests:
    """The requests of one exchange (one, or one per round of a tool exchange), each taking the
    same straight path (:meth:`ask`): the ledger's replayed answer, else the answer sent
    (streamed, once or deferred) and entered in the ledger (ledger.py: kept in the cache, paid).

    ``replayed``: every request so far came from the cache (the reply is then ``cached``);
    ``recorded``: when the last replayed one was recorded. The client is asked for only when a
    request is sent, so a replayed notebook needs no server and no credentials. ``cap`` is asked
    before each request sent (``paid``: the usage of those sent so far); ``tools``: the
    exchange's tool loop, whose calls it is told of. Every answer, replayed or sent (each chunk
    of a stream as it arrives), is :meth:`taken` in before anything draws, keeps or records it.
    """

    def __init__(self, ledger: Ledger, get_client: Callable[[], Transport], plan: Plan,
                 renderer: Renderer, mode: str, cap: Cap | None = None,
                 tools: ToolRounds | None = None, secrets: Sequence[Credential] = ()) -> None:
        self._ledger, self._get_client, self._plan = ledger, get_client, plan
        self._renderer, self._mode, self._cap, self._tools = renderer, mode, cap, tools
        self._secrets = secrets
        self.client: Transport | None = None
        self.replayed, self.recorded = ledger.cache is not None, ""
        self._ahead: tuple[list[Message], Extras, Answer | None] | None = None
        self._asked, self._admitted, self.paid = 0, False, Usage()

    def look_ahead(self, messages: list[Message], extras: Extras) -> None:
        """Look the first request up now, and put one to send to the cap, before anything is
        shown (a replay-mode miss or a refusal then comes with nothing on screen); :meth:`ask`
        takes the answer found."""
        found = None
        if self._ledger.cache is not None:
            found = self._ledger.replayed(messages, self._plan.options, extras)
            self._ahead = (list(messages), dict(extras), found)
        if found is None:
            self._admit(1, messages, *self._round(extras))
            self._admitted = True

    def ask(self, messages: list[Message], extras: Extras) -> Answer:
        """One request: replayed, or admitted by the cap, sent and entered in the ledger (a
        stream stopped part-way with the tokens it had reported)."""
        found = self._replayed(messages, extras)
        self._asked += 1
        if found is not None:
            self.recorded = found.recorded
            return self.taken(found)
        options, extras = self._round(extras)
        if not self._admitted:
            self._admit(self._asked, messages, options, extras)
        self._admitted = False
        self.replayed = False
        client = self.client = self.client or self._get_client()
        try:
            answer = (_streamed(client, messages, options, self._renderer, extras, self.taken) if self._mode == "stream"
                      else self.taken(_requested(client, messages, options, self._renderer, extras, self._mode)))
        except _Interrupted as stop:   # what the server generated before the stop is billed
            self._ledger.stopped(options.model, stop.last)
            raise
        try:
            self._ledger.sent(messages, options, extras, answer)
        except KeyboardInterrupt:   # in the cache's write: the answer is whole, and counted
            if not self._ledger.write_stopped or answer.status == "TOOL_CALLS":   # no more rounds
                raise _Interrupted(answer) from None
        self.paid = self.paid + answer.usage
        return answer

    @property
    def write_stopped(self) -> bool:
        """Ctrl-C stopped the cache's write of an answer: it is whole, shown and counted, not cached."""
        return self._ledger.write_stopped

    def taken(self, answer: Answer) -> Answer:
        """``answer`` as the kernel takes it in (:func:`taken_in`, the exchange's secrets)."""
        return taken_in(answer, self._secrets)

    def _admit(self, number: int, messages: list[Message], options: RequestOptions, extras: Extras) -> None:
        """The cap's word on request ``number`` of the exchange, about to be sent."""
        if self._cap is not None:
            calls = tuple(self._tools.calls) if self._tools is not None else ()
            self._cap(messages, options, extras, number=number,
                      paid=self.cost(self.paid) or Decimal(0), calls=calls)

    def cost(self, usage: Usage) -> Decimal | None:
        """The estimated roubles of ``usage`` (a whole exchange's, for its footer)."""
        return self._ledger.cost(usage, self._plan.options.model)

    def _replayed(self, messages: list[Message], extras: Extras) -> Answer | None:
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == messages and ahead[1] == extras:
            return ahead[2]
        return self._ledger.replayed(messages, *self._round(extras))

    def _round(self, extras: Extras) -> tuple[RequestOptions, Extras]:
        """This request's options and extras: a tool loop's round may set its own
        ``tool_choice`` in ``extras`` (tools/loop.py: a forced choice binds the first round only)."""
        if "tool_choice" not in extras:
            return self._plan.options, extras
        rest = {key: value for key, value in extras.items() if key != "tool_choice"}
        return replace(self._plan.options, tool_choice=extras["tool_choice"]), rest


class _ReplayedRounds:
    """The renderer a tool loop sees behind the reply cache: while every request so far was
    replayed, a call's running line is not drawn, so each call's output appears once, final.
    A notebook replayed in CI is checked by plain nbval, which compares first displays and
    ignores their updates; from the first request sent on, calls show as usual."""

    def __init__(self, renderer: Renderer, requests: _Requests) -> None:
        self._renderer, self._requests = renderer, requests

    def tool_running(self, line: str) -> None:
        if not self._requests.replayed:
            self._renderer.tool_running(line)

    def tool_done(self, call: ToolCall) -> None:
        self._renderer.tool_done(call)

    def note(self, line: str) -> None:
        self._renderer.note(line)


def run_exchange(
    session: ChatSession,
    get_client: Callable[[], Transport],
    plan: Plan,
    renderer: Renderer,
    *,
    mode: str = "stream",
    keep_partial: bool = False,
    tools: ToolRounds | None = None,
    schema: Schema | None = None,
    cache: Cache | None = None,
    cap: Cap | None = None,
    asker: Asker | None = None,
    secrets: Sequence[Credential] = (),
) -> Reply:
    """Send ``plan``, show the reply as it comes, and record it in the chat when complete.

    ``get_client()`` gives the client, called only when a request is sent (a miss of the cache).

    ``mode``: ``"stream"`` (chunks as they are generated), ``"once"`` (one request, no streaming:
    ``--no-stream``) or ``"deferred"`` (an operation polled until done). A silent stream is the
    client's to stop (its ``stream_timeout`` setting, StreamStalled).
    ``keep_partial``: record an interrupted reply's partial text instead of dropping it.
    ``tools``: run the tool loop (the reply records its calls), else one request.
    ``schema``: every request asks for an answer in its shape (reading the reply is the caller's).
    ``cache``: replay each recorded request instead of sending it, and record each sent one (the
    first request is looked up before anything is shown, so its errors, such as a replay-mode
    miss, come with nothing on screen and nothing sent).
    ``cap``: the cost cap, asked before each request sent (module docstring).
    ``asker``: where the request is asked, when not a cell or a thread of the user's (the panel
    says "panel"), so a request refused while it streams is told what ends it (ChatBusy).
    ``secrets``: the kernel's own credentials, masked in every answer before it is shown, kept
    or recorded (``_Requests.taken``).

    Returns the reply; an interrupted one has status ``"INTERRUPTED"`` and is not recorded
    (unless ``keep_partial``). A YGptError is shown by ``renderer.fail`` and re-raised, with the
    chat unchanged; any other exception is a bug of ours and becomes InternalError, shown and
    raised the same way. ChatBusy (another request holds the chat) and
    ChatChanged (the chat's turns changed since ``plan`` was made) are raised before anything
    is shown or sent.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    holding = session.busy(plan.chat, asker) if not plan.once else nullcontext()
    with holding:
        session.check(plan)
        source = PROMPT_MODE if plan.once else plan.chat
        ledger = Ledger(session.accounts, source, "async" if mode == "deferred" else "sync", cache)
        requests = _Requests(ledger, get_client, plan, renderer, mode, cap, tools, secrets)
        extras = request_extras(tools, schema)
        requests.look_ahead(plan.messages, extras)
        renderer.start(plan.notes())
        try:
            return _answered(session, plan, renderer, requests, extras, tools=tools,
                             keep_partial=keep_partial)
        except YGptError as error:
            renderer.fail(str(error))
            raise
        except Exception as error:
            # Not an error of the service (the client translated those): a bug of ours, said
            # as such with its one-line summary (secrets masked), never as the server's.
            in_use = getattr(requests.client, "credential", None)
            bug = rpc_errors.internal_error(error, getattr(in_use, "secret", None))
            renderer.fail(str(bug))
            raise bug from None


def _answered(session: ChatSession, plan: Plan, renderer: Renderer, requests: _Requests,
              extras: Extras, *, tools: ToolRounds | None, keep_partial: bool) -> Reply:
    """The exchange once shown: its requests (through the tool loop, if any), then the
    complete reply recorded with its estimated cost; a stop records nothing (or the partial
    text, with ``keep_partial``)."""
    started = time.monotonic()
    try:
        if tools is None:
            last = requests.ask(plan.messages, extras)
        else:
            shown: ToolView = _ReplayedRounds(renderer, requests) if requests.replayed else renderer
            last = tools.answer(requests.ask, plan.messages, extras, shown)
    except (_Interrupted, KeyboardInterrupt) as stop:
        reply = _reply(plan, getattr(stop, "last", None), started, tools, status="INTERRUPTED")
        kept = keep_partial and session.record(plan, reply) is not None
        renderer.interrupt(reply.text, kept=kept)
        return reply
    except ToolRoundsExceeded as stop:   # the calls ran and were billed: the cell's _ygpt says so
        asked = stop.last if isinstance(stop.last, Answer) else None
        stop.reply = _reply(plan, asked, started, tools, priced=requests.cost, cached=requests.replayed)
        raise
    reply = _reply(plan, last, started, tools, priced=requests.cost, cached=requests.replayed)
    if session.record(plan, reply) is None and not plan.once:
        renderer.note(EMPTY_REPLY)
    if requests.write_stopped:
        renderer.note(unkept_note("is kept in _ygpt" if plan.once else "was added to the chat"))
    renderer.finish(reply)
    return reply


def _reply(plan: Plan, last: Answer | None, started: float, tools: ToolRounds | None,
           status: str | None = None, *, priced: Callable[[Usage], Decimal | None] | None = None,
           cached: bool = False) -> Reply:
    """The Reply for the last chunk received (None when nothing arrived before a stop), with
    the tool calls made on the way and the tokens of every round; ``priced`` and ``cached`` (every
    request replayed) as Reply.of takes them, so it is built once, complete."""
    return Reply.of(last or Answer("", "INTERRUPTED"), model=plan.options.model,
                    elapsed=time.monotonic() - started, messages=plan.messages, options=plan.options,
                    calls=tuple(tools.calls) if tools is not None else (),
                    spent=tools.spent if tools is not None else None, status=status,
                    priced=priced, cached=cached)
