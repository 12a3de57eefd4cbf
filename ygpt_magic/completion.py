"""Tab completion for `%%ygpt` and `%ygpt`: subcommands, flags, and the values IPython can know.

Registered at ``%load_ext`` as a matcher of IPython's public Matchers API v2 (a
``context_matcher`` in ``shell.Completer.custom_matchers``): on a line that starts with one of
the magics, what it offers suppresses every other matcher, jedi included, so a notebook's
``months`` is not offered for ``--mo`` (the legacy ``complete_command`` hook could never keep
jedi out); on any other line it offers nothing and Python completion is as it was. Everything
offered comes from the declarations themselves, so a new flag or subcommand completes with no
second list: the flags are the option strings of the magic's parser (or the subcommand's), a
flag's values are its ``choices``; only the values that live in the kernel are named here, by the
flag's destination: model names (the catalogue) and chat names (the session). A flag whose value
is anything else (a file, a variable) is left to IPython's own matchers. This module imports
nothing heavy: a subcommand's module is imported when its flags are first asked for.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from IPython.core.completer import CompletionContext, SimpleCompletion, SimpleMatcherResult, context_matcher

from .chat.catalog import NAMES as MODEL_NAMES
from .commands import COMMANDS, NAMES

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from .kernel import Kernel

#: the line magic's names as a line's first word (``ygpt`` alone is it, with automagic on)
LINE = ("%ygpt", "ygpt")
CELL = "%%ygpt"
Values = Callable[["Kernel"], Sequence[str]]


def _chats(kernel: Kernel) -> Sequence[str]:
    return list(kernel.session.chats)


def _models(kernel: Kernel) -> Sequence[str]:
    return MODEL_NAMES


def _subcommands(kernel: Kernel) -> Sequence[str]:
    return NAMES


#: the values a flag or positional takes that live in the kernel, by its destination; a
#: subcommand's own positional is keyed "subcommand dest" (`%ygpt chat NAME`)
VALUES: dict[str, Values] = {"model": _models, "chat": _chats, "delete": _chats, "rename": _chats,
                             "chat name": _chats, "help name": _subcommands}


class Completer:
    """The completer of one kernel's magics: ``cell_parser`` is `%%ygpt`'s."""

    def __init__(self, kernel: Kernel, cell_parser: argparse.ArgumentParser) -> None:
        self.kernel = kernel
        self.cell_parser = cell_parser

    @context_matcher(identifier="ygpt_magic.completion")
    def matcher(self, context: CompletionContext) -> SimpleMatcherResult:
        """IPython's matcher: what may follow on the cursor's line so far, suppressing every
        other matcher when that is anything; nothing, and no suppression, on other lines."""
        words = context.text_until_cursor.split()
        if context.text_until_cursor.endswith((" ", "\t")):
            words.append("")
        offered = self._offered(words) if len(words) > 1 else None
        word = words[-1] if offered is not None else ""
        starting = [text for text in offered or () if text.startswith(word)]
        return {"completions": [SimpleCompletion(text) for text in starting],
                "matched_fragment": word, "suppress": True, "do_not_suppress": set(), "ordered": True}

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
        action = _takes_a_value(parser, before) or _next_positional(parser, command, args[:-1])
        return self._values(action, command) if action is not None else None

    def _values(self, action: argparse.Action, command: str) -> Sequence[str] | None:
        if action.choices is not None:
            return [str(choice) for choice in action.choices]
        values = VALUES.get(f"{command} {action.dest}" if not action.option_strings else action.dest)
        return values(self.kernel) if values is not None else None


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
