"""Every subcommand's help names commands a user can type: a cell flag is written after
``%%ygpt`` (the cell magic), never after ``%ygpt``, which has no such flags and refuses them as
"no subcommand". argparse %-formats each argument's help, so a ``%%ygpt`` in the source prints as
``%ygpt`` unless it is written ``%%%%ygpt``."""

from __future__ import annotations

import re

import pytest
from conftest import cell

from ygpt_magic.commands import NAMES

#: `%ygpt` (not `%%ygpt`) followed by a flag other than its own -h / --help: a cell flag
LINE_MAGIC_WITH_A_FLAG = re.compile(r"(?<!%)%ygpt\s+(?!-h\b|--help\b)--?[A-Za-z][\w-]*")


@pytest.mark.parametrize("name", ("", *NAMES))   # "": the list of subcommands
def test_a_subcommands_help_puts_no_flag_right_after_the_line_magic(shell, name):
    shown = cell(shell, f"%ygpt help {name}".strip()).plain_page
    assert shown.strip(), f"%ygpt help {name} showed nothing"
    wrong = LINE_MAGIC_WITH_A_FLAG.findall(shown)
    assert not wrong, f"%ygpt help {name} says {wrong}: a cell flag goes after %%ygpt"


def test_connect_help_names_the_cell_magic_for_pictures(shell):
    assert "(%%ygpt --image)" in cell(shell, "%ygpt help connect").plain_page
