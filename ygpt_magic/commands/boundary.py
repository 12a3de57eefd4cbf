"""Where an error of ours meets IPython: how a YGptError is shown under a cell.

The errors package knows nothing of IPython (the panel shows the same errors itself), so the
magic turns each one into the UsageError IPython shows as one paragraph, here.
"""

from __future__ import annotations

import traceback
from types import TracebackType
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from IPython.core.error import UsageError

from ..errors import (
    BatchNotStarted,
    BatchStatusStopped,
    CacheMiss,
    CacheUnusable,
    Interrupted,
    StoppedBeforeAsking,
    StoppedBeforeSending,
    StoppedInFlight,
    YGptError,
)
from ..render.controls import visible
from ..saving import headless

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell


#: a cell's Ctrl-C, said in one paragraph: after its output (Interrupted), or by the step it
#: stopped (before the request was sent, in flight, around a batch job's start, reading the
#: status of an earlier job). Each ends the cell as an interrupted cell ends, in one line named
#: as the error, never a UsageError on stderr
_CTRL_C = (Interrupted, StoppedBeforeAsking, StoppedBeforeSending, StoppedInFlight, BatchNotStarted,
           BatchStatusStopped)
#: our errors shown as the cell's error (:class:`_RunStopper`), not as a UsageError on stderr
_STOPPING_THE_RUN = (CacheMiss, CacheUnusable, *_CTRL_C)


def as_usage_error(error: YGptError) -> UsageError:
    """A plain UsageError carrying `error` (as `.error`) for IPython to show.

    IPython prints the message alone only for UsageError itself (`etype is UsageError` in
    InteractiveShell.showtraceback), so our subclasses would come with a full traceback; this is
    the workaround jupysql uses too (ipython/ipython#14024).

    IPython keeps the last error (``sys.last_value``, the last execution result): the frames in
    the tracebacks of `error` and of the exceptions it arose from are cleared of their variables,
    which hold the request's SDK objects, so the SDK dropped after a failure closes its channels
    (client/channels.py) and the next cell connects afresh. The chain, with its files and
    lines, stays for whoever looks at ``sys.last_value.error``.

    The message may quote a server or a value: its control characters are shown, never obeyed
    by the terminal that prints it (render/controls.py).

    In a run no page draws (saving.headless: ``jupyter execute``, nbconvert, papermill) every
    error is shown as the cell's error (:class:`_RunStopper`): papermill builds its exception, the
    whole of what a CI log says, from the cell's error output alone, and a UsageError has none
    (it goes to stderr), so the log said ``Exception encountered at "In [2]":`` and nothing else.
    """
    _clear_frames(error)
    unattended = headless()
    if unattended and isinstance(error, Interrupted):
        error = error.unattended()
    stops_the_run = isinstance(error, _STOPPING_THE_RUN) or unattended
    usage = (_run_stopper(type(error)) if stops_the_run else UsageError)(visible(str(error)))
    usage.error = error  # type: ignore[attr-defined]  # on the instance: the class must stay UsageError itself
    return usage


def _clear_frames(error: BaseException | None) -> None:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        error = error.__cause__ or error.__context__


class _RunStopper(UsageError):
    """An error that must show as the cell's error, in one line: IPython shows it as an error
    (``_render_traceback_``), which nbval and nbconvert report with the cell, papermill and a
    terminal print, and JupyterLab draws where an interrupted cell's traceback would be; a
    plain UsageError only goes to stderr, where nbval does not look. A replay-mode cache error
    (CI) fails the run the way a test fails; a cell Ctrl-C stopped (Interrupted, or a step's
    paragraph such as StoppedBeforeAsking) ends as an interrupted cell, after its own tidy
    output. Either way ipykernel's reply is an error and the cells queued after it are aborted."""

    error: YGptError

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self.error).__name__}: {self}"]


#: the :class:`_RunStopper` of each error type, named as it is
_NAMED: dict[type[YGptError], type[_RunStopper]] = {}


def _run_stopper(kind: type[YGptError]) -> type[_RunStopper]:
    """The :class:`_RunStopper` named as ``kind``: Jupyter reports the cell's error by its type's
    name (the reply's ``ename``: nbclient's CellExecutionError, papermill, ``ygpt-magic demo``),
    which is then ``Interrupted`` or ``CacheMiss``, not a private class of ours."""
    if kind not in _NAMED:
        _NAMED[kind] = type(kind.__name__, (_RunStopper,), {"__module__": __name__})
    return _NAMED[kind]


#: per shell, the custom exceptions and handler show_run_stoppers found, to put back at unload,
#: and the handler it installed (``shell.CustomTB`` as ``set_custom_exc`` made it), to know it by
_KEPT: WeakKeyDictionary[InteractiveShell, tuple[tuple[type[BaseException], ...], Any, Any]] = WeakKeyDictionary()


def show_run_stoppers(shell: InteractiveShell) -> None:
    """Have IPython show a :class:`_RunStopper` as it shows a UsageError: its line, no debugger.

    ``InteractiveShell.showtraceback`` skips ``%pdb on``'s debugger only when the type *is*
    UsageError; any subclass is shown and then debugged (ipdb inside magics.py, with nothing of
    the user's to look at). IPython's one door for an exception shown its own way is
    ``set_custom_exc``: ``run_code`` hands those to the handler and never to the debugger. The
    handler shows the line through ``_showtraceback``, which ipykernel sends as an ``error``
    message (what nbval looks for), as before. A handler set earlier (the user's, another
    extension's) keeps its exceptions; :func:`stop_showing_run_stoppers` puts it back. Once
    unloaded, ours hands everything to the one it found, for a handler set since that still
    calls it.
    """
    if shell in _KEPT:
        return
    kept_types, kept_handler = shell.custom_exceptions, shell.CustomTB

    def handler(shell: InteractiveShell, etype: type[BaseException], value: BaseException,
                tb: TracebackType | None, tb_offset: int | None = None) -> Any:
        if not isinstance(value, _RunStopper) or _KEPT.get(shell) is not kept:
            return kept_handler(etype, value, tb, tb_offset=tb_offset)
        shell._showtraceback(etype, value, value._render_traceback_())
        return []

    shell.set_custom_exc((*kept_types, _RunStopper), handler)
    kept = _KEPT[shell] = (kept_types, kept_handler, shell.CustomTB)


def stop_showing_run_stoppers(shell: InteractiveShell) -> None:
    """Put back the handler :func:`show_run_stoppers` found (``%unload_ext``), if ours is still
    the one installed. If another extension set its own since, theirs stays (putting ours' back
    would drop it without a word): only our exception type leaves the shell's list, and ours, if
    theirs still calls it, passes everything on."""
    kept = _KEPT.pop(shell, None)
    if kept is None:
        return
    kept_types, kept_handler, ours = kept
    if shell.CustomTB is ours:
        shell.custom_exceptions, shell.CustomTB = kept_types, kept_handler
    else:
        shell.custom_exceptions = tuple(etype for etype in shell.custom_exceptions if etype is not _RunStopper)
