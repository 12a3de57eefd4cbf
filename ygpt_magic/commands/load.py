"""`%ygpt load PATH`: replace the chats with a file written by `%ygpt save`, keeping a copy of
the chats it replaces (as `%reload_ext` does) so loading a colleague's file loses no work."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from IPython.core.magic_arguments import argument

from ..chat import Chat
from ..errors import ChatFileError, YGptError
from ..kernel import Kernel
from ..words import counted
from ._common import secrets_masked, show
from .args import parse, subcommand
from .save import holds_work, includes, keep_copy, kept_words


@subcommand
@argument("path", metavar="PATH", help="A file written by %%ygpt save.")
def run(kernel: Kernel, line: str) -> None:
    """Replace the chats with a saved file (a bad file changes nothing).

    Reads what `%ygpt save` wrote. The file is checked completely first: a malformed one is
    refused with a message and the current chats stay as they are. A turn with an empty reply
    (files saved before such replies stopped being recorded) is left out with its prompt, and
    a line says so. A chat's tools (and tool choice) are left out too, with a line that names
    them and the `%ygpt config --tools` that offers them: a file never lets the model run your
    notebook's functions. Chats that would be lost (with turns, a system message or options, and
    not in the file as they are) are first written to a file in .ipynb_checkpoints beside the
    notebook, named by what they hold, and the output names it with the `%ygpt load` that
    brings them back (the same cells run again show the same output on every machine, as
    nbval wants in CI): a load replaces, it does not merge, so two chats of one
    name never have to be reconciled. A credential of this kernel in a chat's name is masked
    (AQVN…x9Qz) as the chat is loaded: the name is shown by every view and taken by --chat."""
    args = parse(run, line)
    path = Path(args.path).expanduser()
    session, hide = kernel.session, secrets_masked(kernel)
    kept: list[str] = []
    notes = session.load(path, lambda chats: kept.append(_replaced(kernel, path, chats)), named=hide)
    turns = sum(len(chat.turns) for chat in session.chats.values())
    lines = [f"Loaded {counted(len(session.chats), 'chat')} with {counted(turns, 'turn')} from {args.path}; "
             f"current chat: '{hide(session.current)}'.{''.join(kept)}", *map(hide, notes)]
    show("\n\n".join(lines), "\n".join(lines))


def _replaced(kernel: Kernel, source: Path, incoming: Mapping[str, Chat]) -> str:
    """The chats about to be replaced by ``incoming`` (the file's), kept in a file
    (:func:`keep_copy`), in one sentence for the load's message; "" when none would be lost
    (none held work, or the file holds each of them, turn for turn: a notebook that saves its
    chats and loads them back keeps nothing, and says nothing more). ChatFileError, loading
    nothing, when they cannot be kept."""
    if all(_holds(incoming.get(name), chat) for name, chat in kernel.session.chats.items()):
        return ""
    words = kept_words(kernel)   # every chat is kept, so every chat is named: the count is theirs
    names = ", ".join(f"'{name}'" for name in kernel.session.chats)
    try:
        copy = keep_copy(kernel)
    except (OSError, YGptError) as error:
        raise ChatFileError(source, f"the chats it would replace could not be kept in a file "
                                    f"first ({error}); %ygpt save PATH keeps them where you "
                                    f"choose, then load again") from None
    if copy is None:
        return ""
    verb = "was" if len(kernel.session.chats) == 1 else "were"
    return (f" The {words} it replaced ({secrets_masked(kernel)(names)}) {verb} written to {copy}; "
            f"%ygpt load {copy} brings them back.")


def _holds(incoming: Chat | None, chat: Chat) -> bool:
    """Whether loading ``incoming`` (the file's chat of ``chat``'s name) loses nothing of
    ``chat``: it holds no work, or the file's holds its every turn, its system message and its
    options."""
    if not holds_work(chat):
        return True
    return (incoming is not None and includes(incoming, chat) and incoming.system == chat.system
            and incoming.options == chat.options)
