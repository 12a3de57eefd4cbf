"""`%ygpt fix [N] [instructions] [--dry-run]`: why a cell failed, and a corrected cell below it.

It takes the last cell whose error still stands (or cell N): an error is forgotten when its cell
runs again without one (context/cells.py). A later cell that stopped with a magic's own message
(a `%%ygpt` cell's UsageError: a name it does not know, a bad flag) is no error in the user's code
and is skipped, with a note above the reply naming it. A cell stopped with Ctrl-C is taken: a
user who stopped a cell that hung and asks for a fix means that cell, so the prompt says it did
not finish and where it was stopped, and a note says so and names the latest error of another
cell that stands (the user may have meant that one). It sends its source and its error
(`{In[N]}` and `{Err[N]}`, so the same bounds and credential check apply as in a cell; of a
cell over ``max_value_chars``, the lines around where it failed, asked for corrected instead of
the whole cell: _fix_part.py) in prompt mode, with `YGptMagics.fix_instruction` as the system
message; the chat is untouched. The reply streams like any cell's, and its code goes into a
new cell below: the user's cell is never replaced, and a second run does not add a second copy
when the saved notebook's next cell already holds it (_next_cell.py).

A notebook keeps its helpers in an earlier cell: when the traceback passes through code of other
cells, their sources go too (the cell it was raised in first, at most CALLED_CELLS), and the
model is told where it was raised and asked for the cell the fix belongs in, that one or the
failed cell, saying which: a bug in the helper cannot be fixed by patching around it in the
calling cell, and a helper's ``raise ValueError`` is a safeguard the calling cell tripped. A
helper cell holding a credential is left out, said in a note (the user wrote no reference to
it). A frontend puts a kernel's new cell under the running cell only (``set_next_input``), so
the new cell still goes below the `%ygpt fix` cell, and a note above the reply says it replaces
the cell the reply names.

The line is split at spaces, not like a shell command, so instructions such as
`%ygpt fix don't rename anything` need no quoting: a first word that is a number is the cell,
`--dry-run` may stand anywhere, and the other words are added to the prompt. A word that starts
with `#` ends them, as a comment does in Python (args.uncommented): `%ygpt fix  # the last
failure` sends no words; `%ygpt fix issue "#3"` sends `issue "#3"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from IPython.core.magic_arguments import argument

from ..chat import planning
from ..client import guard
from ..context.cells import CellError, NotebookCells
from ..errors import FIX, CostOverCap, CredentialInFailedCell, Found, InterpolationError, NothingToFix, OptionError
from ..kernel import Kernel
from ..request import check, expand, front, send, tokenizer
from ..rows.progress import RunCounts
from ..words import counted, some_of
from ._fix_part import Part, part_sent
from .args import parse, subcommand

#: failed rows a refusal names (``_ygpt.errors`` has them all)
SHOWN_ROWS = 3
PROMPT = "Cell {count} fails.\n\n{source}\n\nThe error:\n{{Err[{count}]}}"
#: the other cells whose source a fix sends at most (those its traceback passes through)
CALLED_CELLS = 3
#: the prompt for a cell stopped with Ctrl-C, which raised no error of its own
STOPPED_PROMPT = ("Cell {count} did not finish: it was stopped with Ctrl-C, so it hangs or runs too "
                  "long.\n\n{source}\n\nWhere it was stopped:\n{{Err[{count}]}}")


@subcommand
@argument("words", nargs="*", metavar="[N] INSTRUCTIONS",
          help="The failed cell's number (default: the last cell that raised), then words added "
               "to the prompt as written.")
@argument("--dry-run", action="store_true", help="Show the exact messages; send nothing.")
def run(kernel: Kernel, line: str) -> None:
    """Why the last failed cell (or cell N) fails, and a corrected cell below it.

    Sends the cell's source and its error ({In[N]} and {Err[N]}) in prompt mode with
    YGptMagics.fix_instruction as the system message; the chat is untouched. The corrected code
    goes into a new cell below; the failed cell is never replaced. A cell stopped with Ctrl-C is
    taken as one that hangs: where it was stopped is sent."""
    args = parse(run, line, as_written=True)
    words = args.words
    if words and words[0].startswith("-") and words[0][1:].isdigit():  # not an instruction either
        raise OptionError(f"%ygpt fix {words[0]}: N is a cell's number as In [N] shows it; %ygpt fix "
                          f"alone takes the last cell that raised.")
    count = int(words.pop(0)) if words and words[0].isdigit() else None
    failed = numbered(kernel.cells, count) if count is not None else last_error(kernel.cells, kernel.namespace)
    notes = interrupted(kernel.cells, failed) + (() if count is not None else skipped(kernel.cells, failed.count))
    held = guard_failed(kernel, failed)
    part = part_sent(kernel.cells.source(failed.count), failed, kernel.settings.max_value_chars)
    source = part.prompt() if part is not None else f"Its source:\n{{In[{failed.count}]}}"
    prompt = (STOPPED_PROMPT if failed.interrupted else PROMPT).format(count=failed.count, source=source)
    prompt += called(failed, held, part)
    notes += replaced(failed, held) + left_out(held) + ((part.note(failed.interrupted),) if part is not None else ())
    if words:
        prompt += "\n\n" + " ".join(words)
    system = kernel.settings.fix_instruction
    check(kernel, "YGptMagics.fix_instruction", system)
    expanded = expand(kernel, prompt, where="%ygpt fix's instructions")
    cache = front(kernel, expanded.text)
    plan = planning.plan_request(kernel.session, expanded.text, settings=kernel.settings,
                                 get_client=tokenizer(kernel, cache), once=True, system=system)
    try:
        send(kernel, plan, (*notes, *expanded.notes), dry_run=args.dry_run, new_cell=True, cache=cache,
             where=f"%ygpt fix of cell {failed.count}")
    except CostOverCap as refused:  # fix takes no --max-cost: the refusal names the setting
        raise refused.said_for(FIX) from None


def helpers(failed: CellError) -> list[int]:
    """The other cells ``failed``'s traceback passes through (a helper an earlier cell defines,
    which the failed cell calls), whose sources a fix sends: at most CALLED_CELLS, the one it was
    raised in first."""
    return [count for count in failed.through if count != failed.count][:CALLED_CELLS]


def called(failed: CellError, held: Mapping[int, Found], part: Part | None = None) -> str:
    """The prompt's part for the cells of :func:`helpers`: their sources (but those ``held``
    holds a credential, said to be left out), and which cell to give corrected. When the error
    was raised in a helper, the model is told so and asked for the cell the fix belongs in: a
    helper that raises on purpose (``raise ValueError("n must be >= 0")``) is a safeguard, and
    the bug is the calling cell's argument. A long failed cell sent in ``part`` is asked for
    as those lines corrected: the model did not see it whole."""
    others = helpers(failed)
    if not others:
        return f"\n\n{part.ask()}" if part is not None else ""
    whole = part.asked() if part is not None else f"the whole corrected cell {failed.count}"
    how, fixing = _how(failed), fixed_cell(failed, held)
    sources = "".join(f"\n\nCell {count}'s source is left out: it holds a credential." if count in held else
                      f"\n\nCell {count}'s source{f' (where it was {how})' if count == failed.through[0] else ''}:"
                      f"\n{{In[{count}]}}" for count in others)
    ask = (f"If the fix belongs in cell {fixing}, where it was {how}, give the whole corrected cell "
           f"{fixing}; if it belongs in cell {failed.count} (it calls cell {fixing}'s code wrongly), "
           f"give {whole}. Say first which cell you correct."
           if fixing != failed.count else f"Give {whole}.")
    named = ", ".join(map(str, others))
    return (f"\n\nThe traceback passes through code of cell{'s' if len(others) > 1 else ''} {named}, "
            f"which cell {failed.count} calls.{sources}\n\n{ask}")


def fixed_cell(failed: CellError, held: Mapping[int, Found]) -> int:
    """The cell a fix may be asked for besides the failed one: the one whose code raised (or was
    stopped), when the failed cell called into an earlier cell's function and that cell's source
    is sent (none ``held`` holds a credential); else the failed cell."""
    raised = failed.through[0] if failed.through else failed.count
    return failed.count if raised in held else raised


def replaced(failed: CellError, held: Mapping[int, Found]) -> tuple[str, ...]:
    """The note saying the new cell may replace another cell than the failed one: a frontend
    puts a kernel's new cell under the running cell only, and the model says which it corrects."""
    fixing = fixed_cell(failed, held)
    if fixing == failed.count:
        return ()
    return (f"cell {failed.count} {'was stopped' if failed.interrupted else 'failed'} in code of cell "
            f"{fixing}, which it calls: both were sent, and the model was asked to correct the one the "
            f"fix belongs in and to say which; the new cell below replaces that cell (if it is cell "
            f"{fixing}, run it, then cell {failed.count} again)",)


def _how(failed: CellError) -> str:
    return "stopped" if failed.interrupted else "raised"


def guard_failed(kernel: Kernel, failed: CellError) -> dict[int, Found]:
    """CredentialInFailedCell when the failed cell's source or error carries a known credential:
    the same check expand makes, with advice about that cell rather than about references. The
    cells of :func:`helpers` holding one are returned, to be left out: the user wrote no
    reference to them, and the fix goes on without their code."""
    secrets = kernel.connection.known_secrets()
    for text in (kernel.cells.source(failed.count), failed.text):
        guard.check(f"cell {failed.count}", text, secrets,
                    refusal=lambda _where, credential: CredentialInFailedCell(failed.count, credential))
    return {count: found for count in helpers(failed)
            if (found := guard.credential_in(kernel.cells.source(count), secrets)) is not None}


def left_out(held: Mapping[int, Found]) -> tuple[str, ...]:
    """The notes for the helper cells whose source was not sent, as they hold a credential."""
    return tuple(f"cell {count} holds {found.named()}, so its source was not sent (only the lines of it "
                 f"the traceback shows): read the credential from the environment there (e.g. "
                 f"os.environ['YC_API_KEY']) and run cell {count} again for a fix that sees its code."
                 f"{found.rotation()}" for count, found in held.items())


def numbered(cells: NotebookCells, count: int) -> CellError:
    """Cell ``count``'s error; else why there is none, said of ``%ygpt fix N`` (cells.error's
    words are about an {Err[N]} the user did not write), with the cells it can fix."""
    if count == cells.last_usage_error and count not in cells.errors:
        raise NothingToFix(f"%ygpt fix {count}: {_stopped(count)}. %ygpt fix fixes errors in your "
                           f"code; {_fixable(cells)}.")
    if count >= cells.current:
        this = f"this is cell {cells.running}" if cells.running else f"the last cell to run is {cells.current - 1}"
        raise InterpolationError(
            f"%ygpt fix {count}: no cell {count} has run yet ({this}); {_fixable(cells)}. Cell "
            f"numbers start again at 1 when the kernel restarts, so a number a reopened notebook "
            f"shows is the last kernel's: run that cell again, then %ygpt fix with its new N.")
    if count in cells.cleared:
        raise InterpolationError(
            f"%ygpt fix {count}: cell {count} has run without an error since (it is "
            f"In [{cells.cleared[count]}] now), so its error no longer stands; {_fixable(cells)}.")
    if count not in cells.errors:
        raise InterpolationError(f"%ygpt fix {count}: cell {count} raised no error since ygpt_magic "
                                 f"was loaded; {_fixable(cells)}.")
    return cells.error(count)


def _fixable(cells: NotebookCells) -> str:
    """The cells whose error stands (the last ten), and how ``%ygpt fix`` takes them."""
    counts = sorted(cells.errors)
    if not counts:
        return "no cell has raised one since ygpt_magic was loaded: run the failing cell, then %ygpt fix"
    if len(counts) == 1:
        return f"cells that raised one: {counts[0]} (%ygpt fix {counts[0]}, or %ygpt fix alone)"
    shown = ("…, " if len(counts) > 10 else "") + ", ".join(map(str, counts[-10:]))
    return f"cells that raised one: {shown} (%ygpt fix N for one, %ygpt fix alone for the last)"


def _stopped(count: int) -> str:
    return (f"cell {count} stopped with a magic's own message (a %%ygpt cell's, not an error in "
            f"your code: its message says what to change)")


def last_error(cells: NotebookCells, namespace: Mapping[str, Any]) -> CellError:
    """The latest error that still stands, or NothingToFix saying why there is none: when a
    %%ygpt cell stopped with its own message, or the last run over rows (``_ygpt``) left rows
    without an answer, that is said, since the user came for it (fix repairs neither)."""
    failed = cells.last_error()
    if failed is not None:
        return failed
    if cells.unnumbered_failed:
        raise NothingToFix(
            "%ygpt fix found no numbered cells: the cell that failed ran without a number (no "
            "In [N]), as nbval runs cells, so there is no source or error of cell N to send. "
            "Under nbval, put the conftest.py from docs/guide/reproducible.md (\"Your own "
            "notebooks in CI\") next to the notebooks: it numbers cells as Jupyter does, and the "
            "recorded fix then replays."
        )
    seen = [_stopped(cells.last_usage_error)] if cells.last_usage_error is not None else []
    seen += filter(None, [_rows_failed(namespace.get("_ygpt"))])
    if seen:
        raise NothingToFix(f"%ygpt fix: no error in your code stands, so there is nothing for it to "
                           f"fix: {'; and '.join(seen)}.")
    if cells.cleared:
        old, now = max(cells.cleared.items())
        raise NothingToFix(
            f"%ygpt fix: nothing to fix: cell {old}, the last that raised an error, has run "
            f"without one since (it is In [{now}] now), and no other error stands. Run a failing "
            f"cell, then %ygpt fix."
        )
    raise NothingToFix(
        "%ygpt fix: no cell has raised an error since ygpt_magic was loaded, so there is "
        "nothing to fix. Run the failing cell again, then %ygpt fix (or %ygpt fix N for "
        "cell N)."
    )


def _rows_failed(run: Any) -> str:
    """What the last run over rows left unanswered (``_ygpt`` of a --map or embed run), said
    for fix: it repairs code, not rows; "" when no row failed."""
    if not isinstance(run, RunCounts) or not run.errors:
        return ""
    first, reason = next(iter(run.errors.items()))
    reason = reason.rstrip(".")
    if len(run.errors) == 1:
        left = f"row {first!r} without an answer ({reason})"
    else:
        rows = some_of([repr(label) for label in list(run.errors)[:SHOWN_ROWS]], len(run.errors))
        left = f"{counted(len(run.errors), 'row')} without an answer: rows {rows} (row {first!r}: {reason})"
    return (f"the last run over rows (_ygpt) left {left}. %ygpt fix repairs a cell's code, not rows: "
            f"_ygpt.errors has each row's reason and the run's summary said what to do; once that is "
            f"done, run the cell again, and only the rows without an answer are sent")


def skipped(cells: NotebookCells, fixing: int) -> tuple[str, ...]:
    """The note for a later cell that stopped with a magic's own message (skipped: no error in
    the user's code), or none."""
    later = cells.last_usage_error
    if later is None or later < fixing:
        return ()
    return (f"cell {later} failed later, with a magic's own message (a %%ygpt cell's, not an error "
            f"in your code: its message says what to change), so this fixes cell {fixing}",)


def interrupted(cells: NotebookCells, fixing: CellError) -> tuple[str, ...]:
    """The note for a cell stopped with Ctrl-C (fixed as one that hangs), naming the latest error
    of another cell that stands, for a user who meant that one; none for a failed cell."""
    if not fixing.interrupted:
        return ()
    other = max((error for error in cells.errors.values() if not error.interrupted and error.count != fixing.count),
                key=lambda error: error.count, default=None)
    also = f"; for {other.summary}, %ygpt fix {other.count}" if other is not None else ""
    return (f"cell {fixing.count} was stopped with Ctrl-C, not failed with an error: this asks why it "
            f"hangs or runs too long{also}",)
