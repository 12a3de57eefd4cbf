"""`%ygpt chats [--delete NAME | --rename OLD NEW]`: every chat with its size, model, tools and
system message; or delete or rename one.

Delete and rename live here, beside the list they change, rather than on `%ygpt chat NAME`,
whose NAME creates a chat: a mistyped name there must not be one flag away from deleting.
"""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ..chat import planning
from ..chat.names import as_written, literal
from ..chat.session import Deleted
from ..errors import OptionError
from ..kernel import Kernel
from ..modelname import model_name
from ..words import counted
from ._common import secrets_masked, show, show_table
from .args import parse, subcommand

#: the tokens column: those of the turns a chat still holds, not every request (%ygpt usage)
KEPT_TOKENS = "kept tokens"


@subcommand
@argument("--delete", metavar="NAME", default=None,
          help="Delete chat NAME with its turns ('default' is emptied instead: it always exists).")
@argument("--rename", nargs=2, metavar=("OLD", "NEW"), default=None,
          help="Give chat OLD the name NEW; its turns, system message and options go with it.")
def run(kernel: Kernel, line: str) -> None:
    """List the chats (the current one is marked *), or delete or rename one.

    `%%ygpt --chat NAME` starts or continues one. "kept tokens" are those of the turns a chat
    still holds; `%ygpt usage` counts every request, those of re-run cells and deleted chats too.
    A credential of this kernel in a name or a system message (a chat loaded from a file) shows
    masked, before a long system message is cut, so no part of it shows either."""
    args = parse(run, line)
    if args.delete is not None and args.rename is not None:
        raise OptionError("%ygpt chats: use either --delete NAME or --rename OLD NEW, not both.")
    if args.delete is not None:
        show(deleted_words(kernel.session.delete(args.delete)))
    elif args.rename is not None:
        old, new = args.rename
        chat = kernel.session.rename(old, new)
        taken = as_written(new, lambda field: f'get_ipython().run_line_magic("ygpt", f"chats --rename '
                                              f'{literal(new)} {field}")')
        show(f"Renamed chat '{old}' to '{new}' ({counted(len(chat.turns), 'turn')}). "
             f"%ygpt usage lists its earlier requests under '{old}'."
             + (" 'default' starts over, empty." if old == "default" else "") + (f" {taken}" if taken else ""))
    else:
        _listed(kernel)


def deleted_words(deleted: Deleted) -> str:
    """What a deletion lost, what became current, and that a chat file holding the chat stays."""
    chat = deleted.chat
    lost = f"{counted(len(chat.turns), 'turn')} ({counted(chat.kept_tokens, 'token')}) gone"
    words = [f"Emptied chat 'default': {lost}, with its system message and options; 'default' "
             "itself stays, as cells without --chat fall back to it." if chat.name == "default"
             else f"Deleted chat '{chat.name}': {lost}."]
    if deleted.current:
        words.append(f"It was the current chat: cells without --chat now continue '{deleted.current}'.")
    words.append("%ygpt usage still counts the tokens its requests used.")
    if deleted.file is not None:
        words.append(f"The chat file {deleted.file} it was saved to or loaded from is kept, "
                     "with the chat as it was then.")
    return " ".join(words)


def _listed(kernel: Kernel) -> None:
    """The table; a "tools" column only when a chat offers the model notebook functions, which
    every later cell and panel Send of that chat lets the model call (``%ygpt config --tools``)."""
    session, hide = kernel.session, secrets_masked(kernel)
    rows, offered = [], []
    for name, chat in session.chats.items():
        system = hide(chat.system or "")
        options = planning.effective_options(session, name, kernel.settings)
        rows.append([
            ("* " if name == session.current else "") + hide(name),
            str(len(chat.turns)),
            model_name(options.model).short,
            f"{chat.kept_tokens:,}",
            system if len(system) <= 40 else system[:39] + "…",
        ])
        offered.append(_tools(options.tools, options.tool_choice))
    headers = ["chat", "turns", "model", KEPT_TOKENS, "system"]
    if any(offered):
        headers.insert(3, "tools")
        for row, tools in zip(rows, offered):
            row.insert(3, tools or "-")
    show_table(headers, rows)


def _tools(tools: tuple[str, ...], choice: str | None) -> str:
    """``get_sales, get_weather (required)``: the tools offered, and a choice that is not the
    service's default."""
    named = ", ".join(tools)
    return f"{named} ({choice})" if choice not in (None, "auto") else named
