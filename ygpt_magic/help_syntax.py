"""A `%ygpt` line that ends in a question mark goes to `%ygpt`, not to IPython's help syntax.

IPython reads a line ending in ``?`` as ``obj?``, help on its last name: ``%ygpt fix why is it
zero?`` ran ``pinfo zero`` and said "Object `zero` not found." (nothing was fixed), and so did
``%ygpt similar which laptop is cheap?`` and ``%ygpt What is pandas?``, in a notebook as in the
terminal. Questions are what these lines hold, so a ``%ygpt`` line with words after the
magic's name is the magic's, question mark included: registered at ``%load_ext`` as a token
transformer that IPython tries before its help syntax (a lower ``priority`` at the same place).
``%ygpt?`` and ``%ygpt??`` stay IPython's help on the magic; ``%ygpt fix?`` is the subcommand's
help (commands.dispatch), as ``obj?`` is an object's.
"""

from __future__ import annotations

import tokenize
from typing import TYPE_CHECKING

from IPython.core.inputtransformer2 import EscapedCommand, HelpEnd

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

_SKIPPED = {tokenize.INDENT, tokenize.DEDENT}


class YgptLine(EscapedCommand):
    """``%ygpt WORDS?``: transformed as any escaped command is (EscapedCommand), ahead of HelpEnd."""

    priority = HelpEnd.priority - 1

    @classmethod
    def find(cls, tokens_by_line: list[list[tokenize.TokenInfo]]) -> YgptLine | None:
        """Every cell's input passes here (IPython asks each transformer), so a line is looked at
        no further than its first tokens unless it is a ``%ygpt`` line ending in ``?``."""
        for line in tokens_by_line:
            start = next((index for index, token in enumerate(line) if token.type not in _SKIPPED), len(line))
            words = line[start:-1]   # the last token is the NEWLINE
            if len(words) > 3 and _is_ygpt(words) and words[-1].string == "?" \
                    and any(token.string != "?" for token in words[2:]):
                return cls(words[0].start)
        return None


def _is_ygpt(words: list[tokenize.TokenInfo]) -> bool:
    """The logical line starts with the line magic ``%ygpt`` (``%`` and the name, touching)."""
    return words[0].string == "%" and words[1].string == "ygpt" and words[1].start == words[0].end


def register(shell: InteractiveShell) -> None:
    transformers = shell.input_transformer_manager.token_transformers
    if YgptLine not in transformers:
        transformers.insert(0, YgptLine)


def unregister(shell: InteractiveShell) -> None:
    transformers = shell.input_transformer_manager.token_transformers
    transformers[:] = [transformer for transformer in transformers if transformer is not YgptLine]
