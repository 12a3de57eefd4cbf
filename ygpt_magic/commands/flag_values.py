"""The argparse types of the flags' values, each shared by every flag that takes such a value:
a chat option (``option_value``), roubles (``roubles_cap``), a variable's name, a count.

A chat option's value is checked by the same rule that checks it everywhere else (``Options``,
so a flag, ``%ygpt config``, the panel and a chat file refuse a bad temperature with the same
words); argparse turns the refusal into its usual ``argument --temperature/-t: …`` line. A type
shared by flags of several commands refuses with ``Wanted``: the rule and a good value, written
by the parse (args.py) with the flag the value was given to. args.py declares the flags and reads
a line; this module says what each value must be.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..chat.options import UNSET, Options
from ..errors import OptionError


def option_value(name: str, *, unset: bool = False) -> Callable[[str], Any]:
    """The argparse type of option ``name``: its value as ``Options`` validates it; with
    ``unset``, the word ``default`` too (the option goes back to "not set": UNSET)."""

    def convert(text: str) -> Any:
        if unset and text.strip().lower() == str(UNSET):
            return UNSET
        try:
            given: dict[str, Any] = {name: text}  # Options checks and converts the text
            return getattr(Options(**given), name)
        except OptionError as error:
            raise argparse.ArgumentTypeError(str(error).rstrip(".")) from None

    convert.__name__ = name  # argparse names the type in its "invalid value" message
    return convert


def roubles_cap(text: str) -> Decimal:
    """The argparse type of ``--max-cost``: roubles, a finite number > 0."""
    from ..chat.estimate import CAP_RULE, cap_of  # the cost arithmetic: only when a cap is given

    try:
        cap = cap_of(text, "--max-cost")
    except OptionError:
        cap = None
    if cap is None:
        raise argparse.ArgumentTypeError(f"{CAP_RULE}, e.g. --max-cost 50 (got {text!r})")
    return cap


class Wanted(argparse.ArgumentTypeError):
    """A value a type shared by several flags refuses: the rule and a good value. A type is not
    told which flag it converts, so the parse (args._explained) writes the example with the flag
    the value was given to: ``argument --top: must be a whole number ≥ 1, e.g. --top 5``."""

    def __init__(self, rule: str, example: str, given: str):
        super().__init__(f"{rule}, e.g. {example} (got {given!r})")
        self.rule, self.example, self.given = rule, example, given


def variable_name(text: str) -> str:
    """The argparse type of ``--out NAME``, ``--schema NAME``, ``--map NAME``."""
    if not text.isidentifier():
        raise Wanted("must be a Python variable name", "answer", text)
    return text


def whole_number(text: str) -> int:
    """The argparse type of a count such as ``--concurrency N``: a whole number ≥ 1."""
    if not text.isdigit() or int(text) < 1:
        raise Wanted("must be a whole number ≥ 1", "5", text)
    return int(text)
