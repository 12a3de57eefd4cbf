"""Tab completion for `%%ygpt` and `%ygpt`: subcommands, flags, and the values IPython can know.

Registered at ``%load_ext`` as a matcher of IPython's public Matchers API v2 (a
``context_matcher`` in ``shell.Completer.custom_matchers``): on a line that starts with one of
the magics, what it offers suppresses every other matcher, jedi included, so a notebook's
``months`` is not offered for ``--mo`` (the legacy ``complete_command`` hook could never keep
jedi out); on any other line it offers nothing and Python completion is as it was. Everything
offered comes from the declarations themselves, so a new flag or subcommand completes with no
second list: the flags are the option strings of the magic's parser (or the subcommand's), a
flag's values are its ``choices``; only the values that live in the kernel are named here, by the
flag's destination: model names (the catalogue), chat names (the session), the named targets of
`%ygpt connect` (HOST:PORT is the user's), files and folders for a PATH, the notebook's variables
that hold rows for ``--map`` and its functions for ``--tools`` (after the list's last comma): on a
magic line IPython's own matchers offer keywords and every magic there. A value of any other kind
is left to them, except a value that is free text of the user's own (``--rename OLD NEW``'s
NEW, ``--out NAME``), where every match IPython could offer (keywords, magics, files) would be noise. The line
is split as the parser splits it (shlex), so a value is completed inside an open quote too, and
one the parser would split in two (a chat named ``my notes``) is offered quoted. This module
imports nothing heavy: a subcommand's module is imported when its flags are first asked for.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython.core.completer import CompletionContext, SimpleCompletion, SimpleMatcherResult, context_matcher

from .chat.catalog import NAMES as MODEL_NAMES
from .client.endpoints import NAMED_TARGETS
from .commands import COMMANDS, NAMES
from .commands.args import CommaList
from .imported import imported

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from .kernel import Kernel

#: the line magic's names as a line's first word (``ygpt`` alone is it, with automagic on)
LINE = ("%ygpt", "ygpt")
CELL = "%%ygpt"
#: what a value may be, from the kernel and the word being written (a PATH's folder)
Values = Callable[["Kernel", str], Sequence[str]]


def _chats(kernel: Kernel, word: str) -> Sequence[str]:
    return list(kernel.session.chats)


def _models(kernel: Kernel, word: str) -> Sequence[str]:
    return MODEL_NAMES


def _subcommands(kernel: Kernel, word: str) -> Sequence[str]:
    return NAMES


def _targets(kernel: Kernel, word: str) -> Sequence[str]:
    return NAMED_TARGETS


def _paths(kernel: Kernel, word: str) -> Sequence[str]:
    """The files and folders in the folder ``word`` names (a folder's with a ``/``, to go on
    into it); hidden ones when the name starts with a dot."""
    folder, slash, name = word.rpartition("/")
    try:
        entries = list(Path(os.path.expanduser(folder + slash or ".")).iterdir())
    except OSError:
        return []
    return sorted(f"{folder}{slash}{entry.name}" + ("/" if entry.is_dir() else "") for entry in entries
                  if name.startswith(".") or not entry.name.startswith("."))


def _variables(kernel: Kernel, holds: Callable[[Any], bool]) -> list[str]:
    """The notebook's own variables whose value ``holds``: not IPython's (``In``, ``exit``), nor
    a name starting with ``_`` (``_``, ``_ygpt``)."""
    hidden = getattr(kernel.shell, "user_ns_hidden", {})
    return sorted(name for name, value in kernel.namespace.items()
                  if not name.startswith("_") and name not in hidden and holds(value))


def _rows(kernel: Kernel, word: str) -> Sequence[str]:
    """The variables ``--map`` goes over: lists, tuples, pandas DataFrames and Series."""
    pandas = imported("pandas")
    kinds = (list, tuple, pandas.DataFrame, pandas.Series) if pandas is not None else (list, tuple)
    return _variables(kernel, lambda value: isinstance(value, kinds))


def _functions(kernel: Kernel, word: str) -> Sequence[str]:
    """What ``--tools`` may offer the model: the notebook's callables (not its classes)."""
    return _variables(kernel, lambda value: callable(value) and not isinstance(value, type))


#: the values a flag or positional takes that are not a fixed set (those are its ``choices``), by
#: its destination; a subcommand's own positional is keyed "subcommand dest" (`%ygpt chat NAME`)
VALUES: dict[str, Values] = {"model": _models, "chat": _chats, "delete": _chats, "rename": _chats,
                             "chat name": _chats, "help name": _subcommands, "connect target": _targets,
                             "export path": _paths, "save path": _paths, "load path": _paths,
                             "map": _rows, "tools": _functions}
#: what shlex.split (the parser, commands/args.py) splits words at, and what it reads specially
SPACES = " \t\r\n"
SPECIAL = SPACES + "'\"\\"
#: a line's pieces as shlex reads them: a quoted run (maybe still open), an escape, spaces, or
#: plain text; so spaces that end a word are told from spaces inside quotes
_PIECES = re.compile(r"""'[^']*'?|"(?:[^"\\]|\\.)*"?|\\.?|[ \t\r\n]+|[^ \t\r\n'"\\]+""", re.S)


class Completer:
    """The completer of one kernel's magics: ``cell_parser`` is `%%ygpt`'s."""

    def __init__(self, kernel: Kernel, cell_parser: argparse.ArgumentParser) -> None:
        self.kernel = kernel
        self.cell_parser = cell_parser

    @context_matcher(identifier="ygpt_magic.completion")
    def matcher(self, context: CompletionContext) -> SimpleMatcherResult:
        """IPython's matcher: what may follow on the cursor's line so far, suppressing every
        other matcher when that is anything; nothing, and no suppression, on other lines."""
        split = _split(context.text_until_cursor)
        words, written, quote = split if split is not None else ([], "", "")
        offered = self._offered(words) if len(words) > 1 else None
        if isinstance(offered, FreeText):   # one completion that changes nothing: IPython's list stays out
            return {"completions": [SimpleCompletion(written)], "matched_fragment": written,
                    "suppress": True, "do_not_suppress": set(), "ordered": True}
        word = words[-1] if offered is not None else ""
        starting = [_as_written(text, quote) for text in offered or () if text.startswith(word)]
        return {"completions": [SimpleCompletion(text) for text in starting],
                "matched_fragment": written if offered is not None else "", "suppress": True,
                "do_not_suppress": set(), "ordered": True}

    def _offered(self, words: list[str]) -> Sequence[str] | None:
        """What may take the place of the last of ``words`` (the first is the magic's name)."""
        magic, *args = words
        if magic in LINE:
            return self._line(args)
        return self._flags(self.cell_parser, "", args) if magic == CELL else None

    def _line(self, args: list[str]) -> Sequence[str] | None:
        if len(args) <= 1:
            return NAMES
        name = args[0]
        if name not in NAMES:
            return None
        return self._flags(COMMANDS[name].run.parser, name, args[1:])

    def _flags(self, parser: argparse.ArgumentParser, command: str, args: list[str]) -> Sequence[str] | None:
        """The flags of ``parser`` for a word starting with ``-``, else the values the word
        before (a flag) or the position (a positional) takes."""
        word, before = args[-1], args[-2] if len(args) > 1 else ""
        if word.startswith("-"):
            return [flag for action in parser._actions for flag in action.option_strings]
        if _is_free_text(parser, args[:-1]):
            return FREE_TEXT
        action = _takes_a_value(parser, before) or _next_positional(parser, command, args[:-1])
        return self._values(action, command, word) if action is not None else None

    def _values(self, action: argparse.Action, command: str, word: str) -> Sequence[str] | None:
        """What ``action`` takes; for a comma-separated list, what its item after the last
        comma of ``word`` may be (not one it already has), the items before it kept."""
        if action.choices is not None:
            return [str(choice) for choice in action.choices]
        if action.dest == "out":   # a name the user makes up (--out answer): IPython's keywords,
            return FREE_TEXT       # magics and files were all it had to offer there
        values = VALUES.get(f"{command} {action.dest}" if not action.option_strings else action.dest)
        if values is None:
            return None
        head, comma, item = word.rpartition(",") if isinstance(action, CommaList) else ("", "", word)
        return [f"{head}{comma}{value}" for value in values(self.kernel, item) if value not in head.split(",")]


class FreeText(tuple[str, ...]):
    """What ``_offered`` answers for a word that is the user's own text (a new name): nothing to
    offer, and nothing of IPython's either."""


FREE_TEXT = FreeText()


def _split(text: str) -> tuple[list[str], str, str] | None:
    """``text``'s words as the parser reads them (shlex.split), the last one the word at the cursor
    ("" after a space), with that word as written and the quote it leaves open ("" if none);
    None for a line shlex cannot read (a lone backslash at the end)."""
    start = 0
    for piece in _PIECES.finditer(text):
        if piece.group()[0] in SPACES:
            start = piece.end()
    written = text[:start], text[start:]
    for quote in ("", "'", '"'):
        try:
            word = shlex.split(written[1] + quote)
        except ValueError:
            continue
        return [*shlex.split(written[0]), word[0] if word else ""], written[1], quote
    return None


def _as_written(value: str, quote: str) -> str:
    """``value`` as a word the parser reads back whole: inside the quote the user opened, else
    quoted as shlex.quote does when it holds a space, a quote or a backslash or would start a
    comment (a Cyrillic or Thai name needs no quotes)."""
    if quote == '"':
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if quote or not value or value.startswith("#") or any(char in SPECIAL for char in value):
        return "'" + value.replace("'", "'\"'\"'") + "'"
    return value


def _is_free_text(parser: argparse.ArgumentParser, done: list[str]) -> bool:
    """Whether the word after ``done`` is the last value of a flag that takes several and whose
    last is the user's own text (``--rename OLD NEW``: only OLD names a chat)."""
    action = parser._option_string_actions.get(done[-2]) if len(done) > 1 else None
    return action is not None and action.dest == "rename" and action.nargs == 2


def _takes_a_value(parser: argparse.ArgumentParser, flag: str) -> argparse.Action | None:
    action = parser._option_string_actions.get(flag) if flag.startswith("-") else None
    return action if action is not None and action.nargs != 0 else None


def _next_positional(parser: argparse.ArgumentParser, command: str,
                     done: list[str]) -> argparse.Action | None:
    """The first positional, when no word has been given yet (``%ygpt chat <Tab>``)."""
    positionals = [action for action in parser._actions if not action.option_strings]
    return positionals[0] if positionals and command and not done else None


def register(shell: InteractiveShell, completer: Completer) -> None:
    """Ask ``completer`` on every Tab; it answers on a line starting with a ygpt magic."""
    shell.Completer.custom_matchers.append(completer.matcher)


def unregister(shell: InteractiveShell) -> None:
    """Take every :class:`Completer` out of the shell's matchers (``%unload_ext``: IPython has no
    call for it), so Tab no longer asks a closed kernel."""
    matchers = shell.Completer.custom_matchers
    matchers[:] = [matcher for matcher in matchers
                   if not isinstance(getattr(matcher, "__self__", None), Completer)]
