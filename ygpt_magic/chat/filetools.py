"""The tools a chat file names: left out as it loads, and the line that says so.

A chat's ``tools`` option names notebook functions that every later cell of the chat offers the
model, which then runs them with arguments of its choosing (DESIGN.md: the model only calls what
the cell names). A chat file may come from anyone, and its chat history, sent with every cell,
may hold a prompt injection; so a file that lists ``"tools": ["drop_table"]`` would let whoever
wrote it pick which of the user's functions run, once the user happens to define one of that
name (a dotted name reaches attributes too: ``helpers.delete_all``). The rule for what a file
brings in is the one chat/filetext.py applies to a reply's key: what could do harm is made
inert as the file loads (here: left out), and the load says so in one line, with the command the
user types to have it back. So a user reopening their own chat gets its tools back in one line
they typed themselves, and a stranger's file offers nothing.

The tool choice goes with the tools: it only steers which of them is called, and a choice
without tools refuses every cell of the chat (tools/loop.check_choice).
"""

from __future__ import annotations

import shlex
from dataclasses import replace

from ..words import short, some_of
from .options import Options

#: the most of a file's tool names a load's line lists
LISTED = 10
#: the longest ``--tools`` list the line writes out as a command to run (longer: say how)
COMMAND_CHARS = 200
_WHY = "a chat file cannot let the model run your code"


def left_out(options: Options, chat: str) -> tuple[Options, str | None]:
    """``options`` without the tools and tool choice a chat file set for chat ``chat``, and the
    line that says what was left out and how to offer it (None when the file set neither)."""
    if not options.tools and options.tool_choice is None:
        return options, None
    return replace(options, tools=(), tool_choice=None), _line(options, chat)


def _line(options: Options, chat: str) -> str:
    """What a load says of chat ``chat``'s tools and tool choice, left out."""
    tools, choice = options.tools, options.tool_choice
    if not tools:
        return (f"Chat '{chat}' of the file set the tool choice {short(choice or '')} without tools: "
                f"{_WHY}, so it was left out.")
    one = len(tools) == 1
    names = some_of([short(name) for name in tools[:LISTED]], len(tools))
    chose = f" (tool choice {short(choice)})" if choice else ""
    they, them = ("it", "it") if one else ("they", "them")
    listed = ",".join(tools)
    if len(listed) > COMMAND_CHARS:
        offer = "%ygpt config --chat NAME --tools F,G offers the ones you mean to a chat"
    else:
        flags = f" --tools {listed}" + (f" --tool-choice {choice}" if choice else "")
        offer = f"%ygpt config --chat {shlex.quote(chat)}{flags} offers {them} to this chat"
    return (f"Chat '{chat}' of the file offered the model the notebook function{'' if one else 's'} "
            f"{names}{chose}: {_WHY}, so {they} {'was' if one else 'were'} left out. {offer}.")
