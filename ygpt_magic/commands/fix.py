"""`%ygpt fix [N] [instructions] [--dry-run]`: why a cell failed, and a corrected cell below it.

It takes the last cell that raised (or cell N), sends its source and its error (`{In[N]}` and
`{Err[N]}`, so the same bounds and credential check apply as in a cell) in prompt mode, with
`YGptMagics.fix_instruction` as the system message; the chat is untouched. The reply streams like
any cell's, and its code goes into a new cell below: the user's cell is never replaced.

The line is read as written, not like a shell command, so instructions such as
`%ygpt fix don't rename anything` need no quoting: a first word that is a number is the cell,
a word `--dry-run` anywhere asks for the dry run, and the rest is added to the prompt.
"""

from __future__ import annotations

from .. import planning
from ..errors import NothingToFix
from ._request import check, expand, send

SUMMARY = ("fix [N] [instructions] [--dry-run]: why the last failed cell (or cell N) fails, and "
           "a corrected cell below it")

PROMPT = "Cell {count} fails.\n\nIts source:\n{{In[{count}]}}\n\nThe error:\n{{Err[{count}]}}"
DRY_RUN = "--dry-run"


def run(magics, line: str) -> None:
    """Explain the failure of the last failed cell (or cell N) and propose a corrected cell."""
    words = line.split()
    dry_run = DRY_RUN in words
    words = [word for word in words if word != DRY_RUN]
    count = int(words.pop(0)) if words and words[0].isdigit() else None
    failed = magics.cells.error(count) if count is not None else magics.cells.last_error()
    if failed is None:
        raise NothingToFix(
            "%ygpt fix: no cell has raised an error since ygpt_magic was loaded, so there is "
            "nothing to fix. Run the failing cell again, then %ygpt fix (or %ygpt fix N for "
            "cell N)."
        )
    prompt = PROMPT.format(count=failed.count)
    if words:
        prompt += "\n\n" + " ".join(words)
    system = magics.fix_instruction
    check(magics, "YGptMagics.fix_instruction", system)
    expanded = expand(magics, prompt)
    plan = planning.plan_request(magics.session, expanded.text, settings=magics,
                                 get_client=magics.connection.client, once=True, system=system)
    send(magics, plan, expanded.notes, dry_run=dry_run, new_cell=True)
