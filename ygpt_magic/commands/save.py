"""`%ygpt save PATH`: write every chat to a JSON file (with a version field)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from IPython.core.magic_arguments import argument

from ..chat import Chat, Options, chatfile, files, fileversions
from ..errors import ChatFileError, FileNotWritten, YGptError
from ..kernel import Kernel
from ..words import counted
from ._common import output_path, secrets_masked, show
from .args import parse, subcommand

#: where chats about to be replaced are kept: Jupyter's own folder of safety copies, in the
#: notebook's folder (the kernel's working folder), which a reboot leaves and git ignores
KEPT_IN = Path(".ipynb_checkpoints")


@subcommand
@argument("path", metavar="PATH", help="Where to write, e.g. chats.json.")
def run(kernel: Kernel, line: str) -> None:
    """Write all chats to a JSON file.

    System messages, options and turns, with a version; `%ygpt load` reads it.

    A save replaces the file, as a load replaces the chats. When the file holds chats this save
    does not include (another notebook's, or this one's before a restart), the file as it was
    is first copied to .ipynb_checkpoints beside the notebook, and the output names them and the
    `%ygpt load` that brings them back. A chat file this ygpt_magic cannot read (a newer one's)
    is copied there too. A file that is not a chat file (notes, a CSV) is not replaced: pick another
    name, or delete it first.

    A credential of this kernel in a chat (one loaded from a file, where a prompt held it) is
    written masked, as `%ygpt whoami` shows it, and the output says so. Masked rather than
    refused: a refusal would leave no way to save those chats (a turn cannot be edited here,
    only reset), and the masked copy loses nothing usable, since a chat holding the key cannot
    be sent anyway (the credential guard refuses it)."""
    args = parse(run, line)
    path = output_path(args.path)
    kept = _keep_replaced(kernel, path)
    note = (" A credential of this kernel found in them was written masked, as %ygpt whoami "
            "shows it." if _written(kernel, path) else "")
    show(f"Saved {counted(len(kernel.session.chats), 'chat')} to {path}.{note}{kept}")


def _keep_replaced(kernel: Kernel, path: Path) -> str:
    """A save replaces the file, as a load replaces the chats (two chats of one name are never
    merged), so chats of the file at ``path`` that this save does not include (another
    notebook's, or this one's before a restart) are first kept in a copy of the file, which the
    sentence returned names with the `%ygpt load` that brings them back ("" when none would be
    lost). A chat file this version cannot read is kept in a copy too, whatever it holds: one
    written by a newer ygpt_magic (a colleague's, in a shared folder) is kept rather than
    refused, since refusing would leave this kernel's chats unsaved there while the copy loses
    nothing, and the sentence says that a newer ygpt_magic loads it. FileNotWritten, saving
    nothing, when the file is not a chat file (:func:`_chat_data`) or the copy cannot be made."""
    data = _chat_data(path)
    if data is None:
        return ""
    hide = secrets_masked(kernel)
    try:
        held = chatfile.parse(data, path, hide)[0]
    except ChatFileError:
        return _unread_kept(path, data.get("version"))
    ours = {hide(name): chat for name, chat in kernel.session.chats.items()}
    lost = [chat for name, chat in held.items() if holds_work(chat) and not includes(ours.get(name), chat)]
    if not lost:
        return ""
    copy = _kept_copy(path, f"it holds {_chats_words(lost)} this save does not include, and they")
    return (f" It replaced a file holding {_chats_words(lost)} this save does not include; the "
            f"file as it was is kept in {copy}, and %ygpt load {copy} brings them back.")


def _chat_data(path: Path) -> Any:
    """The JSON of the file at ``path``, which looks like a chat file (an object with a
    ``version`` and ``chats``); None when there is nothing to keep (no file, or an empty one, as
    ``touch`` leaves it). FileNotWritten when the file is something else: the user's notes or
    data, named by mistake, are not replaced."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    data = files.read_json(path, chatfile.MAX_BYTES, lambda problem: FileNotWritten.not_a_chat_file(path, problem))
    if not (isinstance(data, dict) and {"version", "chats"} <= data.keys()):
        raise FileNotWritten.not_a_chat_file(path, "it is JSON without the 'version' and 'chats' of one")
    return data


def _unread_kept(path: Path, version: Any) -> str:
    """The sentence for a chat file this version cannot read, kept in a copy first."""
    newer = fileversions.newer(version)
    what = f"written by a newer ygpt_magic (version {version})" if newer else "this ygpt_magic cannot read"
    copy = _kept_copy(path, f"it is a chat file {what}, and it")
    then = "a newer ygpt_magic loads it" if newer else f"%ygpt load {copy} says why it cannot be read"
    return f" It replaced a chat file {what}; the file as it was is kept in {copy}, and {then}."


def _kept_copy(path: Path, held: str) -> Path:
    """The file at ``path`` copied to KEPT_IN before a save replaces it;
    FileNotWritten when it cannot be (``held``: what it holds, for the message)."""
    try:
        return _copy(path)
    except OSError as error:
        raise FileNotWritten(path, f"{held} could not be kept in a copy first "
                                   f"({error.strerror or type(error).__name__})",
                             "save to another path, or make room on the disk") from None


def includes(ours: Chat | None, theirs: Chat) -> bool:
    """Whether our chat of the same name holds every turn of ``theirs`` (its own file, saved
    earlier, then continued): nothing of ``theirs`` is lost when ours replaces it."""
    return ours is not None and len(ours.turns) >= len(theirs.turns) and all(
        (mine.prompt, mine.reply.text) == (held.prompt, held.reply.text)
        for mine, held in zip(ours.turns, theirs.turns))


def _chats_words(chats: list[Chat]) -> str:
    """"2 chats ('default', 'other'; 3 turns)", for the save's message."""
    names = ", ".join(f"'{chat.name}'" for chat in chats)
    return f"{counted(len(chats), 'chat')} ({names}; {counted(sum(len(c.turns) for c in chats), 'turn')})"


def _copy(path: Path) -> Path:
    """The file at ``path`` copied to KEPT_IN, named by its bytes (:func:`_kept`)."""
    data = path.read_bytes()
    return _kept(lambda copy: copy.write_bytes(data), hashlib.sha256(data).hexdigest())


def _kept(write: Callable[[Path], object], digest: str) -> Path:
    """A file in KEPT_IN that ``write`` fills, for chats kept before something replaces them,
    named by what they hold (``digest``), not by a clock and a random suffix: a notebook that
    loads a chat file over its own chats then shows the same path at every run, so its stored
    output still matches (nbval compares them in CI). The folder is the notebook's and the path
    is shown relative to it, so it is the same on every machine, and the copy outlives a reboot:
    in the temporary folder, which a reboot empties and whose path differs between machines,
    the stored line "%ygpt load … brings them back" named nothing the next day and failed nbval
    in CI. Two different sets of chats never share a name; the same set kept twice is the same
    file, so replacing it loses nothing. Written under a name of its own first (mkstemp: no
    other user's file or link is ever written through), then renamed; where that rename is
    refused, the file keeps its own name."""
    written, folder = _new_file()
    named = folder / f"ygpt-chats-{digest[:16]}.json"
    write(written)
    try:
        os.replace(written, named)
    except OSError:
        return written
    return named


def _new_file() -> tuple[Path, Path]:
    """A new empty file of our own in KEPT_IN (made if missing), and its folder; in the
    temporary folder where KEPT_IN cannot be written (a read-only checkout). OSError when
    neither can."""
    try:
        KEPT_IN.mkdir(exist_ok=True)
        handle, name = tempfile.mkstemp(prefix="ygpt-chats-", suffix=".json", dir=KEPT_IN)
        folder = KEPT_IN   # relative, as it is shown (mkstemp names it absolute)
    except OSError:
        handle, name = tempfile.mkstemp(prefix="ygpt-chats-", suffix=".json")
        folder = Path(name).parent
    os.close(handle)
    return folder / Path(name).name, folder


def _work_digest(kernel: Kernel) -> str:
    """A digest of what a user would miss of every chat (its name, system message, options and
    each turn's prompt and reply text), leaving out what differs between two runs of the same
    cells (elapsed seconds, usage, whether a reply was replayed): the same notebook run again,
    or replayed in CI, keeps its chats under the same name."""
    work = [[name, chat.system, repr(chat.options), [[turn.prompt, turn.reply.text] for turn in chat.turns]]
            for name, chat in kernel.session.chats.items()]
    return hashlib.sha256(json.dumps(work, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()


def _written(kernel: Kernel, path: Path) -> bool:
    """Every chat written to ``path``, a credential of this kernel masked; whether one was."""
    return kernel.session.save(path, secrets_masked(kernel))


def holds_work(chat: Chat) -> bool:
    """Whether a user would miss ``chat`` if it were gone: it has turns, a system message or an
    option set (a chat set up with ``%ygpt config`` before its first cell is work too)."""
    return bool(chat.turns or chat.system or chat.options != Options())


def keep_copy(kernel: Kernel) -> Path | None:
    """Every chat written to a new file in KEPT_IN, before something replaces them
    (``%reload_ext``, ``%ygpt load``), when one of them :func:`holds_work`; None when none does.
    OSError or YGptError when the file cannot be written (a full disk, a read-only folder)."""
    if not any(holds_work(chat) for chat in kernel.session.chats.values()):
        return None
    return _kept(lambda path: _written(kernel, path), _work_digest(kernel))


def kept_words(kernel: Kernel) -> str:
    """The chats :func:`keep_copy` keeps, for its message: "2 chats (3 turns)"."""
    chats = kernel.session.chats.values()
    turns = sum(len(chat.turns) for chat in chats)
    return f"{counted(len(chats), 'chat')} ({counted(turns, 'turn')})"


def on_unload(kernel: Kernel) -> None:
    """Keep the chats of a kernel whose extension is unloaded (``%reload_ext`` does it too, and
    IPython suggests that command): a new load starts with none, so they are written to a file
    in KEPT_IN (:func:`keep_copy`) and one line says where and how to load them
    back. The new load's accounts start empty, so the line says `%ygpt usage` starts at zero."""
    words = kept_words(kernel)
    try:
        path = keep_copy(kernel)
    except (OSError, YGptError) as error:
        print(f"ygpt_magic unloaded: its chats could not be kept ({error}).")
        return
    if path is None:
        return
    verb = "was" if len(kernel.session.chats) == 1 else "were"
    print(f"ygpt_magic unloaded: its {words} {verb} written to {path}; %ygpt load {path} brings them "
          f"back. %ygpt connect and %ygpt cache start from their defaults again, and %ygpt usage "
          f"from zero.")
