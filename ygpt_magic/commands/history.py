"""`%ygpt history [--chat NAME]`: exactly the messages the next cell of a chat will send.

What is sent is decided by the one planning rule (``planning.plan_request``, as a cell and its
``--dry-run`` use it), so a long chat trimmed to the context budget shows only the turns the next
cell sends, with a line naming those it leaves out. Checking that budget may need the tokenizer
API; when it cannot be asked (the server down, no credentials, a cache that only replays) or the
budget cannot hold even the system message, every turn is listed and one line says the budget
was not checked: the command a user reaches for when something went wrong must not fail for it.
"""

from __future__ import annotations

from ..chat import Message, Turn, planning
from ..chat.planning import Plan
from ..chat.tooluse import message_role, message_text
from ..errors import YGptError
from ..kernel import Kernel
from ..words import counted, numbered, short
from ._common import secrets_masked, show
from .args import chat_arg, parse, subcommand

#: the next cell's prompt is not known here, so the shortest the server takes stands in for it:
#: the turns left out are then the fewest any next cell leaves out
SHORTEST_PROMPT = "?"


@subcommand
@chat_arg()
def run(kernel: Kernel, line: str) -> None:
    """Show the messages the chat sends with its next cell.

    The system message and the turns, in the order they are sent, each turn labelled with the
    `In [N]` of the cell run that asked, when this session ran it (a cell id means nothing to a
    reader; a later run of that cell, into another chat or with --once, does not change it).
    Turns beyond the context budget are not listed: a line says which the next cell leaves out.
    A credential of this kernel in a chat (loaded from a file) shows masked."""
    args = parse(run, line)
    chat = kernel.session.chat(args.chat, create=False)
    plan, unchecked = _planned(kernel, chat.name)
    turns = chat.turns[plan.trimmed:plan.keep]
    messages = plan.messages[:-1]   # without the next cell's prompt, unknown here
    hide = secrets_masked(kernel)
    head = hide(f"Chat '{chat.name}': {counted(len(chat.turns), 'turn')}, {counted(len(messages), 'message')}"
                + (" sent" if plan.trimmed else ""))
    if not messages and not plan.trimmed:   # every turn beyond the budget is not "nothing sent"
        show(f"**{head}**. Nothing sent yet.", f"{head}. Nothing sent yet.")
        return
    md, plain = [f"**{head}**", ""], [head]
    if plan.trimmed:
        md += [_left_out(chat.turns[:plan.trimmed], len(chat.turns), plan.budget), ""]
        plain.append(md[-2])
    if unchecked is not None:
        md += [_unchecked(unchecked), ""]
        plain.append(md[-2])
    sent: list[tuple[int | None, Message]] = (
        [(None, {"role": "system", "text": plan.system})] if plan.system else [])
    sent += [(turn.asked_in, message) for turn in turns for message in turn.messages()]
    for count, message in sent:
        where = f" (In [{count}])" if count is not None else ""
        role, text = message_role(message), message_text(message)
        md.append(f"**{role}**{where}:\n\n{_quote(text)}\n")
        plain.append(f"[{role}]{where} {text}")
    show(hide("\n".join(md)), hide("\n".join(plain)))


def _planned(kernel: Kernel, chat: str) -> tuple[Plan, YGptError | None]:
    """The next cell's plan for ``chat``, trimmed to the context budget; when the budget cannot
    be checked, the untrimmed plan and the error that stopped the check."""
    try:
        return planning.plan_request(kernel.session, SHORTEST_PROMPT, settings=kernel.settings,
                                     get_client=kernel.connection.client, chat=chat), None
    except YGptError as error:
        return planning.plan(kernel.session, SHORTEST_PROMPT, chat=chat), error


def _unchecked(error: YGptError) -> str:
    """The line saying every turn is listed because the budget could not be checked, and why (the
    error's first sentence: its advice is for a request, and history sent none)."""
    why = str(error).split(". ", 1)[0].rstrip(".")
    return (f"⚠ Every turn is listed: the context budget could not be checked ({short(why, 160)}), "
            f"so the next cell may leave out the oldest.")


def _left_out(turns: list[Turn], total: int, budget: int | None) -> str:
    """The line naming the oldest ``turns``, which the next cell leaves out to fit ``budget``."""
    first, last = turns[0].asked_in, turns[-1].asked_in
    cells = f" (In [{first}]–In [{last}])" if first is not None and last is not None else ""
    which = f"{numbered('Turn', range(1, len(turns) + 1))} of {total}{cells} {'is' if len(turns) == 1 else 'are'}"
    return (f"✂ {which} beyond the context budget of {budget:,} tokens: the next "
            f"cell leaves them out (a long prompt may leave out more). They stay in the chat; "
            f"%ygpt export shows every turn.")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])
