"""A flag's value that the shell-like split of a ``%%ygpt`` / ``%ygpt`` line cut at its spaces.

A comma-separated list written with a space after each comma (``--docs a.md, b.md, c.md``,
``--labels positive, negative, neutral``) is read as the list the user meant: only a flag
declared with the :class:`~.args.CommaList` action takes it, and only the words that follow a
word ending in a comma, so no other flag's value and no stray word is glued onto one. Any other
value with spaces (``--system Be brief, friendly``) is told how to quote it, and words on the
`%%ygpt` line that follow no flag are told to go below it. Imported only by a line that has a
word ending in a comma, or words argparse found no place for.
"""

from __future__ import annotations

import argparse
import shlex

from .args import UNRECOGNIZED, CommaList, did_you_mean, is_flag
from .cell_form import TwoForms, prompt_on_the_line


def lists_whole(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``argv`` with each comma-separated list written with a space after a comma (``--docs
    a.md, b.md, c.md``) whole again, as the user meant it: the shell-like split cut the list at
    its spaces, so a word after a list's word that ends in a comma is the list's next item. It
    is joined back with its space, as quotes would have kept it (every list's items are
    stripped); a word that looks like a flag is never taken."""
    words: list[str] = []
    for word in argv:
        valued = _valued(parser, words)
        if valued and isinstance(valued[2], CommaList) and valued[1].endswith(",") and not is_flag(word):
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    return words


def _valued(parser: argparse.ArgumentParser, words: list[str]) -> tuple[str, str, argparse.Action] | None:
    """The flag, its value and its action when the last of ``words`` is the value of a flag that
    takes one (``--docs a.md`` or ``--docs=a.md``); None otherwise."""
    if not words:
        return None
    if words[-1].startswith("--") and "=" in words[-1]:
        flag, _, value = words[-1].partition("=")
    elif len(words) > 1 and not is_flag(words[-1]):
        flag, value = words[-2], words[-1]
    else:
        return None
    action = parser._option_string_actions.get(flag)   # argparse lists flags nowhere public
    return (flag, value, action) if action is not None and action.nargs is None else None


def unplaced(parser: argparse.ArgumentParser, argv: list[str], strays: list[str], *,
             quoted: bool) -> str:
    """What to say of the words of ``argv`` that argparse found no place for (``strays``): the
    closest flags, how to quote a value with spaces (``quoted``: the line is split like a
    shell's), or, for the cell's parser (the one whose help shows the prompt below the flags),
    where its prompt goes when no word of them is a flag or a value's rest."""
    hint = quoting(parser, argv, strays) if quoted else ""
    message = did_you_mean(parser, UNRECOGNIZED + " ".join(strays))
    if parser.formatter_class is TwoForms and not hint and not any(map(is_flag, strays)):
        marked = _marked(argv, strays)
        return prompt_on_the_line([word for word, stray in zip(argv, marked) if not stray], strays)
    return message + hint


def quoting(parser: argparse.ArgumentParser, argv: list[str], strays: list[str]) -> str:
    """The hint for words argparse found no place for right after a flag's value (``--system Be
    brief, friendly``, or a list item holding a space): the value and those words, quoted as the
    shell-like split keeps them whole; "" when the stray words follow no value."""
    marked = _marked(argv, strays)
    for at in range(1, len(argv)):
        valued = _valued(parser, argv[:at])
        if marked[at] and not marked[at - 1] and valued and not is_flag(argv[at]):
            end = at
            while end < len(argv) and marked[end] and not is_flag(argv[end]):
                end += 1
            flag, value, _ = valued
            return (f"; to give {flag} a value with spaces, quote it: "
                    f"{flag} {shlex.quote(' '.join([value, *argv[at:end]]))}")
    return ""


def _marked(argv: list[str], strays: list[str]) -> list[bool]:
    """Which words of ``argv`` are the ``strays`` argparse left over (in order; matched from the
    end, where they stand after the values argparse did take)."""
    marks, left = [False] * len(argv), list(strays)
    for index in reversed(range(len(argv))):
        if left and argv[index] == left[-1]:
            marks[index] = True
            left.pop()
    return marks
