"""The notebook's cells by execution count (the N of `In [N]:`): source, output and error.

It also says which cell is asking (:attr:`NotebookCells.here`): its id (JupyterLab's, so a re-run
of the cell rewinds its chat) and, when it is numbered, its `In [N]` (:attr:`NotebookCells.running`,
a turn's label in `%ygpt history`). That is the cell whose code makes the request, not merely
the one running: a thread of the user's (a ``threading.Timer``, a worker, an agent loop) or a
widget's callback may ask while some cell runs, and taking that cell's identity filed the turn
under it, so re-running that unrelated cell rewound the thread's turns away. So the cell is held
in a context variable set by ``pre_run_cell`` in the context that runs the cell's code: a thread
starts with an empty context and asks from outside any cell, while ``asyncio.to_thread`` and the
cell's own tasks copy the context, and ask as the cell (ipykernel routes their output to it too).
A cell that another cell's code runs (``%rerun``, ``run_cell``) asks as that cell: under its id
and its `In [N]`, which is the one the page shows.

`{In[N]}`, `{Out[N]}`, `{Err[N]}` and `%ygpt fix` read them here. Sources come from IPython's
raw input history (as written, magics included; `In` holds the translated Python), outputs from
`Out`. Errors IPython does not keep, so :meth:`NotebookCells.record` (a ``post_run_cell`` hook)
formats each failed cell's exception when it happens, as text (tracebacks.py): the live traceback
would keep every frame's locals alive.

Not every exception is a failed cell: a UsageError is a magic's own message about how it was
used (every %%ygpt error is one) and has nothing to fix in the user's code, so it is not recorded
as an error (the last one's count is kept, so `%ygpt fix` can say it skipped it). A Ctrl-C (the
notebook's Stop) is recorded, marked as one (:attr:`CellError.interrupted`): the notebook shows
its KeyboardInterrupt under the cell, and where it stopped a cell that hangs is what the user
asks about next, with `{Err[N]}` or `%ygpt fix`. So is a `%%ygpt --tools` cell stopped inside
the user's tool function (errors.Interrupted.in_code: where it hung); one stopped while it waited
for the model has nothing of the user's code to fix, and is passed over.

An error stands until its cell runs clean: when the cell with the same id (JupyterLab's) runs
again without an error, its errors are forgotten, and `%ygpt fix` and `{Err[N]}` say which cell ran
clean since, rather than fix a cell that no longer fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from IPython.core.error import UsageError

from ..errors import InterpolationError, Interrupted, capital
from .tracebacks import cells_passed, format_error, lines_in
from .values import bounded_ends

if TYPE_CHECKING:
    from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult, InteractiveShell

#: failed cells remembered (the oldest are forgotten first) and the longest text kept of each
KEEP_ERRORS = 100
MAX_ERROR_CHARS = 100_000


@dataclass(frozen=True)
class CellError:
    """What one cell raised, formatted when it happened."""

    count: int
    type_name: str
    text: str  # the traceback, as tracebacks.format_error gives it
    cell_id: str | None = None  # JupyterLab's id of the cell; None in a terminal
    interrupted: bool = False  # stopped with Ctrl-C (a KeyboardInterrupt), not failed
    #: the cells whose code the traceback passes through, the one it was raised in first: a
    #: helper an earlier cell defines is where the bug is, more often than not
    through: tuple[int, ...] = ()
    #: the lines of this cell the traceback shows, innermost first (a long cell's fix sends those)
    lines: tuple[int, ...] = ()

    @property
    def summary(self) -> str:
        """What it is, for a note above the reply: an interrupt is not an error of the code, and
        its traceback says where the cell was when stopped."""
        if self.interrupted:
            return f"where Ctrl-C stopped cell {self.count} ({self.type_name})"
        return f"the {self.type_name} of cell {self.count}"


@dataclass(frozen=True)
class AskingCell:
    """The cell whose code is running in a context: its id, when the frontend sent one, and
    whether it is numbered (a silent run is not); ``within``: run by the code of another cell
    (``%rerun``, ``run_cell``), whose id and number it takes when it has none of its own."""

    cell_id: str | None
    numbered: bool
    within: bool = False


#: the cell running in the current context (module docstring); None between cells and in a thread
_HERE: ContextVar[AskingCell | None] = ContextVar("ygpt_magic_asking_cell", default=None)


class NotebookCells:
    """The cells of the shell's session, and the errors raised since the extension was loaded."""

    def __init__(self, shell: InteractiveShell | None) -> None:
        self.shell = shell
        self.errors: dict[int, CellError] = {}
        self.cleared: dict[int, int] = {}  # count of a forgotten error → the clean run's count
        self.last_usage_error: int | None = None  # a magic's own message, not a failed cell
        #: each cell running now, the outermost first (a cell's code may run another, ``%rerun``,
        #: which ends first): whether it is numbered (stored history), and the cell asking before it
        self._runs: list[tuple[bool, AskingCell | None]] = []
        self.told_unnamed = False  # the note on re-runs that add a turn was shown (request.py)
        self.unnumbered_failed = False  # a cell without a number (nbval's, a silent run) raised

    # -- the hooks -----------------------------------------------------------------------------

    def before(self, info: ExecutionInfo) -> None:
        """``pre_run_cell``: note whether this cell is numbered (a silent run is not), and that
        it is the cell asking in this context (the one that runs its code); a cell run by a
        running cell's code asks as that cell (module docstring)."""
        outer = _HERE.get() if self._runs else None
        numbered, cell_id = bool(getattr(info, "store_history", False)), getattr(info, "cell_id", None)
        self._runs.append((numbered, outer))
        _HERE.set(AskingCell(cell_id, numbered) if outer is None else
                  AskingCell(cell_id or outer.cell_id, outer.numbered, within=True))

    def record(self, result: ExecutionResult) -> None:
        """``post_run_cell``: remember the user's error of a cell that has a number. The cell is
        over: what reads the cells until the next one runs (a panel Send) comes after it, and
        may refer to it. A cell without a number (nbval runs every cell so) keeps no error:
        IPython gives it the next cell's count, whose `In [N]` holds another source, or none."""
        numbered, outer = self._runs.pop() if self._runs else (False, None)   # none: loaded by this cell
        _HERE.set(outer)   # not reset by token: ipykernel runs an awaiting cell in a task of its own
        error = result.error_in_exec or result.error_before_exec
        count = getattr(result, "execution_count", None)
        cell_id = getattr(getattr(result, "info", None), "cell_id", None)
        if count is None:
            return
        if error is None:
            self._clear(cell_id, count)
        elif isinstance(stopped := getattr(error, "error", None), Interrupted):
            if stopped.in_code is not None and numbered:   # in a tool of the user's: where it hung
                self._keep(stopped.in_code, count, cell_id)
        elif isinstance(error, UsageError):
            self.last_usage_error = count
        elif not numbered:
            self.unnumbered_failed = True
        else:
            self._keep(error, count, cell_id)

    def _keep(self, error: BaseException, count: int, cell_id: str | None) -> None:
        text = bounded_ends(format_error(error, self._cell_name), None, MAX_ERROR_CHARS).text
        self.errors[count] = CellError(count, type(error).__name__, text, cell_id,
                                       interrupted=isinstance(error, KeyboardInterrupt),
                                       through=cells_passed(error, self._cell_count),
                                       lines=lines_in(error, self._cell_count, count))
        while len(self.errors) > KEEP_ERRORS:
            del self.errors[min(self.errors)]

    def _clear(self, cell_id: str | None, count: int) -> None:
        """Forget the errors of the cell ``cell_id``, which has just run clean as ``count``."""
        if cell_id is None:
            return
        for old in [old for old, error in self.errors.items() if error.cell_id == cell_id]:
            del self.errors[old]
            self.cleared[old] = count
        while len(self.cleared) > KEEP_ERRORS:
            del self.cleared[min(self.cleared)]

    @property
    def _numbered(self) -> bool:
        """Whether a numbered cell is running now (the outermost: one it runs takes its number)."""
        return bool(self._runs) and self._runs[0][0]

    @property
    def _shell(self) -> InteractiveShell:
        assert self.shell is not None, "cells are read only in the shell that loaded the extension"
        return self.shell

    def _raw_inputs(self) -> list[str]:
        """IPython's raw input history: item N is the source of cell N, as written."""
        history = self._shell.history_manager
        assert history is not None, "an IPython shell keeps its input history"
        inputs: list[str] = history.input_hist_raw
        return inputs

    def _cell_name(self, filename: str) -> str | None:
        named = self._shell.compile.format_code_name(filename)
        return f"{named[0]} {named[1]}" if named else None

    def _cell_count(self, filename: str) -> int | None:
        """The N of the cell whose code is in ``filename`` (IPython names it ``In[N]``)."""
        named = self._shell.compile.format_code_name(filename)
        number = named[1].removeprefix("In[").removesuffix("]") if named else ""
        return int(number) if number.isdigit() else None

    # -- lookups (InterpolationError naming what exists) ----------------------------------------

    @property
    def current(self) -> int:
        """The number of the cell running now, or the next number when none is (a panel Send
        between cells, a silent run): every cell that ran, the last one included, is earlier.

        IPython stores a numbered cell's source before running it (and, from IPython 9 on, also
        advances ``execution_count`` first), so the history's length is what holds in every
        version.
        """
        stored = len(self._raw_inputs()) - 1
        return stored if self._numbered else stored + 1

    @property
    def here(self) -> AskingCell | None:
        """The cell whose code is asking; None between cells (a panel Send, a widget's callback)
        and in a thread of the user's, even while a cell runs (module docstring)."""
        return _HERE.get()

    @property
    def cell_id(self) -> str | None:
        """The id of the cell asking (:attr:`here`), when the frontend sent one."""
        here = _HERE.get()
        return here.cell_id if here is not None else None

    def unnamed(self) -> str | None:
        """Who runs the asking cell without its id, where a re-run of it could not rewind its chat
        (chat/rewind.py, :func:`~ygpt_magic.chat.rewind.unnamed_note`): ``"frontend"``, a kernel's
        frontend that draws a page and sends no cell id (the classic Notebook, some editors);
        ``"rerun"``, the code of another cell in a terminal (``%rerun``). None when the cell has an
        id, or nothing runs it again: a terminal's own cells, a headless run (each cell runs once:
        saving.headless), a thread or a panel Send (no cell asks); and once it was said."""
        here = _HERE.get()
        if here is None or here.cell_id is not None or self.told_unnamed:
            return None
        if getattr(self.shell, "kernel", None) is None:
            return "rerun" if here.within else None
        from ..saving import headless

        return None if headless() else "frontend"

    @property
    def running(self) -> int | None:
        """The `In [N]` of the numbered cell asking (:attr:`here`); None between cells (a panel
        Send), in a thread of the user's and in a silent run, which the notebook shows no
        `In [N]` for."""
        here = _HERE.get()
        return self.current if here is not None and here.numbered and self._numbered else None

    def source(self, count: int) -> str:
        self._check_ran(count, "In")
        return self._raw_inputs()[count]

    def output(self, count: int) -> object:
        """``Out[count]``; InterpolationError when it is not there, saying why: a %%ygpt cell
        (whose reply is no output), an output cleared since (IPython's history still keeps its
        text: :meth:`shown`), or a cell that had none."""
        self._check_ran(count, "Out")
        outputs = self._shell.user_ns.get("Out", {})
        if count not in outputs and self.source(count).lstrip().startswith("%%ygpt"):
            raise InterpolationError(
                f"The cell uses {{Out[{count}]}}, but cell {count} is a %%ygpt cell, whose reply "
                f"is shown, not returned as an output: refer to the last reply as {{_ygpt}} (its "
                f"text), or keep a reply with %%ygpt --out NAME and refer to {{NAME}}."
            )
        lost = self.lost_output(count, "refer to {name}")
        if lost is not None:
            raise InterpolationError(lambda origin: f"{capital(origin.text)} uses {{Out[{count}]}}, but {lost}")
        if count not in outputs:
            having = _counts(outputs)
            raise InterpolationError(lambda origin: (
                f"{capital(origin.text)} uses {{Out[{count}]}}, but cell {count} has no output: a "
                f"cell has one when its last line is an expression with a value. Cells with an "
                f"output: {having}."
            ))
        return outputs[count]

    def lost_output(self, count: int, instead: str) -> str | None:
        """Why ``Out[count]`` is not there though cell ``count`` showed an output (IPython's history
        keeps its text: :meth:`shown`), and what to do, ``instead`` saying how to use a variable in
        its place; None when it is there or the cell showed none. Either the history was cleared
        since, or IPython keeps no outputs at all (``cache_size`` 0), where running the cell again
        would not help. `{Out[N]}` and ``--image Out[N]`` both say it, so neither says "cell N
        has no output" of a cell that showed one."""
        if count in self._shell.user_ns.get("Out", {}) or self.shown(count) is None:
            return None
        if not self._shell.displayhook.cache_size:
            return (f"Out keeps no outputs in this kernel, though cell {count} showed one: IPython's "
                    f"cache_size is 0 (read when the kernel starts, from a profile's config or "
                    f"--cache-size). Keep the value in a variable and {instead}, or set "
                    f"c.InteractiveShell.cache_size = 1000 in ipython_config.py and restart the kernel.")
        return (f"the output of cell {count} is no longer in Out: IPython's output history was "
                f"cleared since it ran (%reset does that, and a full output cache drops its oldest "
                f"outputs). Run cell {count} again and use the N of its new Out[N], or keep the "
                f"value in a variable and {instead}.")

    def shown(self, count: int) -> str | None:
        """The text cell ``count`` showed as its output: IPython's history keeps the text/plain
        form of each ``Out[N]`` as it was displayed (None when it kept none)."""
        history = self._shell.history_manager
        return history.output_hist_reprs.get(count) if history is not None else None

    def shows(self, value: object) -> str:
        """``value``'s text/plain form as IPython would display it now (the form :meth:`shown`
        keeps)."""
        formatter = self._shell.display_formatter
        assert formatter is not None, "an IPython shell has a display formatter"
        return str(formatter.formatters["text/plain"](value))

    def error(self, count: int) -> CellError:
        self._check_ran(count, "Err")
        if count in self.cleared:
            raise InterpolationError(
                f"The cell uses {{Err[{count}]}}, but cell {count} has run without an error since "
                f"(it is In [{self.cleared[count]}] now), so its error no longer stands. Cells whose "
                f"error stands: {_counts(self.errors)}."
            )
        if count not in self.errors:
            having = _counts(self.errors)
            raise InterpolationError(lambda origin: (
                f"{capital(origin.text)} uses {{Err[{count}]}}, but cell {count} raised no error "
                f"(errors are recorded from the moment ygpt_magic was loaded). Cells that raised "
                f"one: {having}."
            ))
        return self.errors[count]

    def last_error(self) -> CellError | None:
        return self.errors[max(self.errors)] if self.errors else None

    def _check_ran(self, count: int, kind: str) -> None:
        current, running = self.current, self._numbered
        if running and count == current:
            raise InterpolationError(
                f"The cell uses {{{kind}[{count}]}}, which is this cell itself: refer to a cell "
                f"that ran before it (the N of In [N]:; {_earlier(current)})."
            )
        if count >= current:
            where = f"this cell is {current} ({_earlier(current)})" if running else _ran(current - 1)
            raise InterpolationError(lambda origin: (
                f"{capital(origin.text)} uses {{{kind}[{count}]}}, but no cell {count} has run "
                f"yet: {where}. {_RESTARTED}"
            ))


#: why a notebook can show a number no cell of this kernel has: it was reopened, or its kernel
#: restarted, and the In [N] / Out[N] on the page are the last kernel's
_RESTARTED = ("Cell numbers start again at 1 when the kernel restarts, so a number a reopened "
              "notebook shows is the last kernel's: run that cell again, then use the N of its "
              "new In [N]:.")


def _earlier(current: int) -> str:
    if current <= 2:
        return "no cell ran before it" if current <= 1 else "cell 1 ran before it"
    return f"the earlier cells are 1 to {current - 1}"


def _ran(last: int) -> str:
    """The cells that ran, for a reference made between cells (a panel Send)."""
    if last <= 1:
        return "no cell has run yet" if last < 1 else "only cell 1 has run"
    return f"the cells that ran are 1 to {last}"


def _counts(found: Iterable[int]) -> str:
    """Cell numbers for a message: the last ten, or "none so far"."""
    counts = sorted(found)
    if not counts:
        return "none so far"
    shown = ", ".join(str(count) for count in counts[-10:])
    return f"…, {shown}" if len(counts) > 10 else shown
