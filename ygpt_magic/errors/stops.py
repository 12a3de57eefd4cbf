"""Ctrl-C in a cell: never a KeyboardInterrupt traceback, and always a cell that ends stopped;
and Ctrl-C or Ctrl-D at a `%ygpt auth` prompt.

In a step of a cell other than its streamed reply and its rows: one paragraph in the words of
StoppedBeforeSending ("Stopped before … was sent: Ctrl-C came while …"), saying what was done and
what was not. Why one converter (:func:`stopping`) and a type per kind of step: where Ctrl-C
lands decides what is true afterwards (nothing sent; files' vectors bought and kept; a request in
flight; a dataset or a job in the cloud), and only the step knows which; the conversion itself is
written once.

A streamed reply, a run over rows and a wait for a batch job say in their own output what Ctrl-C
left (the partial text marked ⏹, the run's ``Stopped:`` summary, the job that goes on), then end
with :class:`Interrupted`'s one line.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from ..modelname import model_name
from .base import YGptError

#: what a stopped cell leaves as it was
_UNCHANGED = "the chat, _ygpt and the --out variable are as they were"


@contextmanager
def stopping(said: Callable[[], YGptError | None]) -> Iterator[None]:
    """Ctrl-C in the block raised as ``said()``: the one paragraph for that step; None: the
    KeyboardInterrupt goes on as it is, to a caller that says more (a batch job started)."""
    try:
        yield
    except KeyboardInterrupt:
        error = said()
        if error is None:
            raise
        raise error from None


class Presses:
    """The presses :func:`kept_presses` saw; :meth:`check` raises one Python dropped."""

    def __init__(self) -> None:
        self.pressed = False

    def check(self) -> None:
        if self.pressed:
            raise KeyboardInterrupt


@contextmanager
def kept_presses() -> Iterator[Presses]:
    """Ctrl-C in a long loop of the main thread, kept even where Python drops it.

    Python raises a press where it lands; in a weakref callback or a finalizer, which the garbage
    collector runs in the middle of any line, the KeyboardInterrupt is printed as "Exception
    ignored" and dropped, and a --map over 200,000 rows went on to the end, 7 minutes of requests
    after the press. Here each press is remembered as it is raised, and the loop's
    :meth:`Presses.check` (a flag read per row) raises it again. Off the main thread, or where
    presses are ignored (no Python handler), nothing changes."""
    presses = Presses()
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield presses
        return

    def remembered(signum: int, frame: FrameType | None) -> Any:
        presses.pressed = True
        return previous(signum, frame)
    signal.signal(signal.SIGINT, remembered)
    try:
        yield presses
    finally:
        signal.signal(signal.SIGINT, previous)


class StoppedBeforeAsking(YGptError):
    """Ctrl-C while a cell's request was being prepared (its tokens counted for the cost cap or
    --dry-run, its files embedded for --docs): the request itself was not sent. ``kept``: what
    the steps before bought and kept (a sentence), and ``again``: what a re-run does."""

    def __init__(self, during: str, kept: str = "", again: str = "run the cell again to start over") -> None:
        nothing = f"{kept} Nothing else was sent" if kept else "Nothing was sent"
        super().__init__(f"Stopped before the request was sent: Ctrl-C came while {during}. "
                         f"{nothing}, and {_UNCHANGED}; {again}.")


class StoppedInFlight(YGptError):
    """Ctrl-C while a request that is not streamed (a classification) was in flight: it may
    have reached the service, and be billed, but its answer was not kept."""

    def __init__(self, during: str, again: str) -> None:
        super().__init__(f"Stopped: Ctrl-C came while {during}. The request may have reached the "
                         f"service (and be billed), but no answer was kept: {_UNCHANGED}; {again}.")


class BatchNotStarted(YGptError):
    """Ctrl-C while a --batch cell uploaded its rows as a dataset, or asked for the job and had
    no answer in the seconds it still waited for one (an answer names the job, which the kernel
    then keeps: rows/batch.py): what may now exist in the cloud, so that nothing is billed
    unknowingly. ``dataset``: its id once uploaded (the job was being asked for then), else
    None (the upload was under way); the kernel keeps it, so that the cell run again takes up
    the job asked for on it, or starts one on it (rows/asked.py)."""

    def __init__(self, rows: int, model: str, dataset: str | None) -> None:
        self.dataset = dataset
        again = "uploads the rows and starts a job anew"
        if dataset is None:
            during = f"the {rows:,} rows were uploaded as a dataset and validated"
            cloud = ("A dataset of the rows may be left in the folder (named 'ygpt-magic-batch'; "
                     "delete it in the Yandex Cloud console if you keep none), but no job was started, "
                     "so nothing is billed for the rows")
        else:
            during = (f"the job was asked for, dataset {dataset} uploaded, and no answer came in the "
                      f"seconds the cell still waited for it")
            cloud = (f"A batch job on {model_name(model).short} may have started, and would be billed as it runs: "
                     f"%ygpt batch list shows the folder's jobs, %ygpt batch cancel ID stops one, "
                     f"%ygpt batch attach ID --out VAR collects one; dataset {dataset} stays in the folder")
            again = (f"looks for that job first (the folder's job on dataset {dataset}) and waits for it, "
                     f"or, if none started, starts one on that dataset without uploading the rows again")
        super().__init__(f"Stopped before the batch job was known to start: Ctrl-C came while {during}. "
                         f"{cloud}. _ygpt and the --out variable are as they were; running the cell "
                         f"again {again}.")


class BatchStatusStopped(YGptError):
    """Ctrl-C while a --batch cell run again read the status of the job it started earlier in
    this kernel for the same rows (to wait for it rather than pay for a second one): the job
    goes on in the cloud whatever happened to the read, and the kernel still knows it, so the
    cell run again reads its status again (rows/batch.py, ``_unfinished``)."""

    def __init__(self, task_id: str, out: str | None) -> None:
        super().__init__(f"Stopped: Ctrl-C came while the status of batch job {task_id}, started earlier in this "
                         f"kernel for these same rows, was read; its status was read only, so the job is still in "
                         f"the cloud, not cancelled. %ygpt batch status {task_id} shows it, %ygpt batch attach "
                         f"{task_id} --out {out or 'VAR'} collects it, %ygpt batch cancel {task_id} stops it. "
                         f"Nothing was sent, and _ygpt and the --out variable are as they were; running the cell "
                         f"again reads its status again and waits for the job (or collects its answers) rather "
                         f"than starting another.")


class Interrupted(YGptError):
    """Ctrl-C (Jupyter's Stop: Kernel → Interrupt) ended a cell whose own output already says what
    it kept, raised once ``_ygpt`` and ``--out`` hold it. A cell that returned instead ended as if
    it had succeeded, so Run All went on: every queued cell ran, a chat cell sending its request
    without the stopped turn, a ``--map`` cell all its rows. Ending in an error, as an interrupted
    Python cell does, makes the kernel abort the queue (ipykernel's reply is "error"); the magic
    boundary shows it as one line (commands/boundary.py), never a traceback.

    ``in_code``: the KeyboardInterrupt raised inside the user's own code (a ``--tools`` function
    that hung), whose traceback says where: the cell is then recorded as a stopped cell, for
    `%ygpt fix` and `{Err[N]}` (context/cells.py), as a plain cell Ctrl-C stopped is."""

    def __init__(self, in_code: KeyboardInterrupt | None = None, said: str = "") -> None:
        super().__init__(said or "Ctrl-C stopped this cell; cells queued after it (Run All) are not run.")
        self.in_code = in_code

    def unattended(self) -> Interrupted:
        """The same stop in a run no page draws (papermill, ``jupyter execute``), where nobody
        pressed Ctrl-C: the runner interrupts a cell that outruns its time limit."""
        return Interrupted(self.in_code, "The run interrupted this cell, as Ctrl-C does (a cell that outruns "
                                         "the runner's time limit is interrupted: papermill's "
                                         "--execution-timeout, nbclient's timeout); the cells after it are not run.")


class AuthStopped(YGptError):
    """Ctrl-C at a `%ygpt auth` prompt (``interrupted``), or Ctrl-D there, which ends the input
    (a terminal's getpass, or jupyter console passing it on): the user changed their mind, and
    nothing is kept until both answers are in. ``prompt``: the one it came at (key, folder id)."""

    def __init__(self, prompt: str, *, interrupted: bool) -> None:
        how = "stopped at the {} prompt (Ctrl-C)" if interrupted else "ended at the {} prompt (Ctrl-D)"
        again = "" if interrupted else " Run %ygpt auth again to enter them."
        super().__init__(f"%ygpt auth {how.format(prompt)}: nothing was changed, and the key and folder "
                         f"in use are as they were.{again}")
