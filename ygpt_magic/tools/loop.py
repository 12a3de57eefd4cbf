"""The tool loop: while the model answers with tool calls, run them and send the results back.

It runs inside ``exchange.run_exchange`` (``tools=ToolLoop(...)``), which keeps its promises for
the whole loop: the chat is held, only a complete answer is recorded (with every call and result),
and an error or Ctrl-C, in a request or in a tool, leaves the chat as it was while the calls
shown so far stay on screen. This module only decides what each round sends.

Only the declared tools can run: a call to any other name, or with arguments that do not
validate, is answered with an error result (shown, and counted as a round like any call), so a
confused model can correct itself but can never reach a function the cell did not name. A tool
that raises is answered with ``error: ValueError: …`` the same way, and so is one that calls
``sys.exit`` (a wrapped script's ``main()``): ``error: SystemExit: 2``, the call's line closed and
the loop going on, since the user asked the model a question, not to end the kernel. A result
whose text cannot be made (its repr raises) is answered with an error too, and a note tells the
user what to return instead: the function ran and the round was paid for. A result that holds a known
credential is never sent: the loop stops with the prompts' own check (client/guard.py,
CredentialInPrompt).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..chat.options import RequestOptions
from ..chat.tooluse import ToolCall, tool_messages
from ..chat.values import Answer, Ask, Extras, Message, ToolCallItem, Usage
from ..client import guard
from ..context.limits import Limits
from ..errors import CredentialInToolResult, InterpolationError, ToolError, ToolRoundsExceeded
from ..render.tools import call_line
from ..words import short
from . import background, results
from .declare import Tool, declare_tools
from .schema import validation_problems

if TYPE_CHECKING:
    from ..client.credentials import Credential
    from ..protocols import ToolView

#: rounds of calls a cell may take before the loop stops (``YGptMagics.max_tool_rounds``)
MAX_ROUNDS = 5
#: calls that run from one answer; the rest are answered with an error (``YGptMagics.max_tool_calls``)
MAX_CALLS = 32

#: one request: (messages, extras) → the answer's last chunk (exchange supplies it)


@dataclass
class ToolLoop:
    """One cell's tools, and the calls made so far (``calls``, in order)."""

    tools: tuple[Tool, ...] = ()
    max_rounds: int = MAX_ROUNDS
    max_calls: int = MAX_CALLS
    limits: Limits = Limits()  # the bounds of interpolated values, for results
    secrets: tuple[Credential, ...] = ()  # credentials no result may carry
    choice: str | None = None  # the cell's or chat's --tool-choice
    calls: list[ToolCall] = field(default_factory=list)
    #: tokens of the answers that were tool calls (the exchange adds the final answer's)
    spent: Usage = Usage()
    #: Ctrl-C inside a tool's function (where the user's code hung), kept for the cell's record
    stopped: KeyboardInterrupt | None = None

    def extras(self) -> Extras:
        """What every request of the loop adds: the declarations."""
        return {"tools": [tool.declaration() for tool in self.tools]}

    def answer(self, ask: Ask, messages: Sequence[Message], extras: Extras, renderer: ToolView) -> Answer:
        """The last chunk of the model's answer once it stops calling tools; every round carries
        ``extras`` (the declarations, and a ``--schema``'s response format)."""
        history = list(messages)
        for number in range(1, self.max_rounds + 2):
            last = ask(history, self._round_extras(extras, number))
            if last.status != "TOOL_CALLS":
                return last
            if number > self.max_rounds:
                raise ToolRoundsExceeded(self.max_rounds, last)
            self.spent = self.spent + last.usage
            asked = last.tool_calls
            done = tuple(self._run(call, number, renderer) for call in asked[:self.max_calls])
            history += tool_messages(done + self._refused(asked[self.max_calls:], number, renderer))
        raise AssertionError("unreachable: the last round either answers or raises")

    def _round_extras(self, extras: Extras, number: int) -> Extras:
        """A forced choice (``required`` or a tool's name) binds the first round only: from the
        second on the choice is ``auto``, so the model, which has what it asked for, can answer
        (forced on every round it could only call again until ``max_tool_rounds``)."""
        if number == 1 or self.choice in (None, "auto", "none"):
            return extras
        return {**extras, "tool_choice": "auto"}

    def _refused(self, calls: Sequence[ToolCallItem], number: int, renderer: ToolView) -> tuple[ToolCall, ...]:
        """The calls past ``max_calls`` in one answer: none runs, each gets an error result the
        model can act on, and one note says so (they are neither drawn nor kept in the chat, so
        an answer of thousands of calls costs the notebook nothing)."""
        if not calls:
            return ()
        asked = self.max_calls + len(calls)
        text = (f"error: not run: the answer asked for {asked} calls and at most {self.max_calls} "
                f"run from one answer; ask again for the ones still needed")
        renderer.note(f"⚠ The model asked for {asked} tool calls in one answer: the first "
                      f"{self.max_calls} ran, the other {len(calls)} were answered with an error "
                      f"(YGptMagics.max_tool_calls = {self.max_calls}).")
        return tuple(ToolCall(name=call["name"], arguments=call["arguments"], result=text, round=number,
                              summary="not run", error=True) for call in calls)

    def _run(self, call: ToolCallItem, number: int, renderer: ToolView) -> ToolCall:
        """Run one call (or refuse it) and show it; its result is what the model gets back."""
        name = call["name"]
        tool = next((tool for tool in self.tools if tool.name == name), None)
        arguments = _in_order(call["arguments"], tool)
        renderer.tool_running(call_line(name, arguments))
        started = time.monotonic()
        failed = True
        if tool is None:
            known = ", ".join(tool.name for tool in self.tools) or "none"
            text = f"error: there is no tool named {name!r}; the tools are: {known}"
            brief = short(text, results.ERROR_SHORT)
        else:
            try:
                text, brief, failed = self._call(tool, arguments, renderer)
            except background.Abandoned:  # the panel's Stop: the exchange ends, the call is left
                abandoned = ToolCall(name=name, arguments=arguments, result="", round=number,
                                     summary=background.ABANDONED, error=True,
                                     elapsed=time.monotonic() - started)
                self.calls.append(abandoned)
                renderer.tool_done(abandoned)
                raise
            except KeyboardInterrupt as stop:   # a cell's Ctrl-C in the user's function
                self.stopped = stop
                raise
        guard.check(f"the result of {name}", text, self.secrets, refusal=CredentialInToolResult)
        done = ToolCall(name=name, arguments=arguments, result=text, round=number, summary=brief,
                        error=failed, elapsed=time.monotonic() - started)
        self.calls.append(done)
        renderer.tool_done(done)
        return done

    def _call(self, tool: Tool, arguments: dict[str, Any], renderer: ToolView) -> tuple[str, str, bool]:
        """(text for the model, summary, failed) of calling ``tool``; KeyboardInterrupt passes."""
        import pydantic

        try:
            value = tool.call(arguments)
        except pydantic.ValidationError as error:
            text = results.bounded(f"error: invalid arguments for {tool.name}: "
                                   f"{validation_problems(error)}", self.limits.max_chars)
            return text, short(text, results.ERROR_SHORT), True
        except (Exception, SystemExit) as error:  # sys.exit in a wrapped script: its failure, not the kernel's
            text = results.error_content(error, self.limits.max_chars)
            return text, short(text, results.ERROR_SHORT), True
        try:
            text, brief = results.shown(value, self.limits, f"the result of {tool.name}")
        except InterpolationError as error:
            if error.unreadable is None:
                raise
            text, note = results.unreadable(tool.name, error.unreadable, self.limits.max_chars)
            renderer.note(note)
            return text, short(text, results.ERROR_SHORT), True
        if (noted := results.address_note(tool.name, text)) is not None:
            renderer.note(noted)
        return text, brief, False


def _in_order(arguments: dict[str, Any], tool: Tool | None) -> dict[str, Any]:
    """The arguments in the order the function declares them (the wire's order varies from run
    to run), the rest sorted, so the same call always reads the same."""
    declared = list(tool.parameters.get("properties", {})) if tool is not None else []
    rank = {name: index for index, name in enumerate(declared)}
    return dict(sorted(arguments.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


def loop_for(options: RequestOptions, namespace: Mapping[str, Any], *, max_rounds: int = MAX_ROUNDS,
             max_calls: int = MAX_CALLS, limits: Limits = Limits(),
             secrets: Sequence[Any] = (), chat: str = "", configured: Sequence[str] = ()) -> ToolLoop:
    """The loop for a request with ``options`` (their ``tools`` and ``tool_choice``, the
    cell's or the chat's: asked only when there is either, request.tool_loop). Every name is
    looked up now, so a bad one fails before anything is sent. ``configured``: the tools chat
    ``chat`` keeps (``%ygpt config --tools``); when they are the ones declared, a refusal says so."""
    try:
        tools = declare_tools(options.tools, namespace)
    except ToolError as error:
        if not options.tools or tuple(options.tools) != tuple(configured):
            raise
        raise ToolError(f"{error} These tools are the chat's (chat '{chat}', set with %ygpt config "
                        f"--tools): %ygpt config --chat {chat} --tools f,g changes them, "
                        f"%ygpt config --chat {chat} --tools default removes them.") from None
    check_choice(options.tool_choice, tuple(t.name for t in tools))
    return ToolLoop(tools=tools, max_rounds=max_rounds, max_calls=max_calls, limits=limits,
                    secrets=tuple(secrets), choice=options.tool_choice)


def check_choice(choice: str | None, tools: Sequence[str]) -> None:
    """ToolError for a ``--tool-choice`` the ``tools`` (their names) cannot follow: a choice
    without tools, or the name of none of them. A cell and ``%ygpt config`` check it alike, so
    a chat is never left with a choice every later cell would be refused for."""
    if choice is not None and not tools:
        raise ToolError(f"--tool-choice {choice} needs tools: name them with --tools f,g (or "
                        f"%ygpt config --tools f,g for the chat), or leave the choice out "
                        f"(%ygpt config --tool-choice default for the chat's).")
    if choice not in (None, "auto", "none", "required") and choice not in tools:
        raise ToolError(f"--tool-choice {choice}: there is no tool of that name; the tools are "
                        f"{', '.join(tools)} (or use auto, none, required).")
