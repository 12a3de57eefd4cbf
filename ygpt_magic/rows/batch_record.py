"""A ``--batch`` job started in this kernel (:class:`BatchRecord`) and its answers collected
onto its rows (:func:`collect`), for ``--map NAME --batch`` (rows/batch.py) and ``%ygpt batch
attach ID`` alike.

Collecting waits for the job in the cell's progress bar (polling.py: a failed read is tried
again), reads its results, and puts each answer on the row it was uploaded for, matched by its
request, so a row the service failed is a hole with its reason, never a shift. A job found by id
alone (after a kernel restart) gets its rows from its own dataset, each on its row of the cell
that started it when the layout keeps where they sat (rows/attached.py). Ctrl-C stops the
waiting, not the job: the output says how to reach it later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..chat import Answer, Message, RequestOptions
from ..client.batch import BatchOutcome
from ..client.layout import Asked
from ..errors import BatchFailed, YGptError
from ..ledger import Ledger
from .attached import CacheKeeper, placed, said_placement, twins_of
from .failures import Failure
from .items import rows_of
from .memo import RowMemo
from .polling import read, wait
from .progress import Tally
from .progress_bar import Progress
from .run import MapRun, finish
from .state import RowState

#: why attach keeps a --schema job's answers out of the reply cache (rows/attached.py)
NOT_KEPT = ("Job {task_id} was asked for a --schema, which the service does not give back, so its "
            "answers are not kept in the reply cache (a cell without that schema would replay them); "
            "run the same --map --schema --batch cell to get them typed on its rows.")


@dataclass
class BatchRecord:
    """A job started in this kernel: which rows it answers, so ``attach`` puts them back."""

    task_id: str
    name: str
    out: str | None
    state: RowState
    requests: list[list[Message]] | None   # None: a job found by id alone (its rows are read back)
    tally: Tally
    #: keeps a row's answer in the reply cache under its request (ledger.py; None: a job found
    #: by id alone)
    record: Callable[[list[Message], Answer], None] | None = None
    #: what the job was started with beside its requests (a cell run again matches all three)
    options: RequestOptions | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)
    collected: bool = False   # its answers are in the rows: a cell run again starts a new job
    model: str = ""           # the job's model, as the service says it (a job found by id)
    asked: Asked | None = None   # what its requests asked, as its layout keeps it (a job found by id)
    #: where each uploaded request's answer is in ``state.answers`` (a job found by id: its row of
    #: the cell when the layout places them, else its upload offset)
    held: list[int] = field(default_factory=list)
    #: what sending again the rows the job fails costs (costs.resent), said with the advice to
    #: (None: a job found by id, or one taken up rather than started, whose rows were not counted)
    resend: Callable[[list[int]], str] | None = None
    #: the ledger its answers are kept through: its reply cache says what a headless notebook
    #: run again sends (None: a job found by id)
    ledger: Ledger | None = None



def collect(record: BatchRecord, client: Any, memo: RowMemo, poll_interval: float,
            out: str | None = None) -> MapRun:
    """Wait for the job (Ctrl-C: stop waiting), then align its answers with the record's rows.
    A record waited for before (attach after a stop) is not ``stopped`` by that earlier wait."""
    out = out or record.out
    record.tally.stopped = False
    try:
        progress = Progress(record.tally, desc=f"--batch {record.task_id}")
    except KeyboardInterrupt:   # the first bar of a kernel takes ~0.2 s to build: the job is started
        return stopped_waiting(record, out)
    try:
        outcome = None
        if wait(client, record.task_id, progress, poll_interval, out):
            try:
                outcome = read(partial(client.batch.outcome, record.task_id, record.requests), record.task_id,
                                out, poll_interval, finished=True)
            except KeyboardInterrupt:   # while a large result is read: the job is done, and kept
                pass
        if outcome is None:
            return stopped_waiting(record, out, progress)
        if not outcome.answered and outcome.status != "COMPLETED":
            raise BatchFailed(record.task_id, outcome.status, next(iter(outcome.errors.values()), ""))
        if record.requests is None:   # attached after a restart: the rows are the job's own
            _read_back(record, outcome)
            progress.resize(record.tally.total)
        unanswered = _apply(record, outcome, memo, progress)
        record.collected = True
    except YGptError as error:   # the job failed, or could not be read: its summary ends the bar
        _ended_without_answers(record, progress, error)
        raise
    finally:
        progress.close()
    resend = record.resend(unanswered) if record.resend is not None else ""
    return finish(record.state, record.tally, out, record.task_id, progress=progress, resend=resend,
                  kept_by=record.ledger)


def _ended_without_answers(record: BatchRecord, progress: Progress, error: YGptError) -> None:
    """The bar's place, when the job failed or its answers could not be read: the summary a run
    ends with, its rows counted as failed for that (``job failed``, ``job canceled``, ``not
    collected``), above the error's paragraph. The bar stood frozen at '0/3 [00:05<?' there."""
    tally = record.tally
    reason = f"job {error.status.lower()}" if isinstance(error, BatchFailed) else "not collected"
    tally.failures[reason] += tally.left - tally.failed
    progress.close()
    progress.report(tally.summary())


def stopped_waiting(record: BatchRecord, out: str | None, progress: Progress | None = None) -> MapRun:
    """Ctrl-C once the job has started: the waiting stops, not the job. The output (the bar's
    place, else a printed line) says how to reach the job; the run is ``stopped``, so its cell
    ends as Interrupted."""
    record.tally.stopped = True
    said = _goes_on(record.task_id, out)
    if progress is None:
        print(said)
    else:
        progress.close()
        progress.report(said)
    return finish(record.state, record.tally, out, record.task_id, quiet=True)


def _goes_on(task_id: str, out: str | None) -> str:
    """What a Ctrl-C once the cell's job has started says: the job is not stopped, and how to
    see, collect or cancel it."""
    return (f"Stopped waiting; batch job {task_id} goes on in the cloud. %ygpt batch status {task_id} "
            f"shows it, %ygpt batch attach {task_id} --out {out or 'VAR'} collects its answers when it is "
            f"done, %ygpt batch cancel {task_id} stops it; running this cell again waits for it rather "
            f"than starting another.")



def _read_back(record: BatchRecord, outcome: BatchOutcome) -> None:
    """A job found by id gets its rows from the job itself: its requests, read back from its
    dataset, and each answer on its row of the cell that started it (a list in row order, None
    where a row was not in the job) when the dataset keeps where they sat, else one entry per
    uploaded row; the output says which."""
    uploaded = len(outcome.answers)
    positions = placed(outcome.layout, uploaded)
    count = outcome.layout.total if positions is not None and outcome.layout is not None else uploaded
    record.tally.total = count
    record.state = RowState(rows_of(range(count), record.task_id), [None] * count, [None] * count,
                            pending=positions if positions is not None else list(range(uploaded)),
                            secrets=record.state.secrets, origin=record.state.origin)
    record.held = list(record.state.pending)
    if positions is not None:   # twins name rows of the cell: upload offsets are not those
        record.state.twins = twins_of(outcome.layout, positions, count)
    not_held = sorted(set(range(count)) - set(record.state.pending) - set(record.state.repeats))
    for position in not_held:
        record.state.errors[position] = Failure.said(
            f"not in batch job {record.task_id}: the cell that started it did not upload this row "
            f"(answered before, not sendable, or repeating an uploaded row's prompt)")
    record.requests, record.out = [list(messages) for messages in outcome.requests], None
    record.asked = outcome.layout.asked if outcome.layout is not None else None
    said = said_placement(record.task_id, outcome.layout, uploaded,
                          len(not_held) if positions is not None else None)
    keeper = record.record if isinstance(record.record, CacheKeeper) else None
    if keeper is not None and not keeper.follow(outcome.layout):
        record.record = None   # its answers follow a --schema the job does not give back
        said = " ".join(filter(None, (said, NOT_KEPT.format(task_id=record.task_id))))
    if said:
        print(said)


def _apply(record: BatchRecord, outcome: BatchOutcome, memo: RowMemo, progress: Progress) -> list[int]:
    """The job's answers into the record's rows (each answer kept in the memo too); the upload
    offsets of the rows left without one (failed in the job, or not fitting the ``--schema``)."""
    state, tally = record.state, record.tally
    for offset, position in enumerate(state.pending):
        rows = state.rows_of(position)   # the row uploaded and its twins, answered alike
        text = outcome.answers[offset]
        if text is None:
            reason = outcome.errors.get(offset, "no answer")
            state.fail(position, Failure.said(f"batch job {record.task_id}: {reason}"))
            tally.failures["batch row failed"] += len(rows)
        elif state.answers[position] is None:
            taken = state.accept(position, Answer(text))
            if not isinstance(taken, Answer):
                for _ in rows:
                    tally.fail(taken)
            else:
                key = state.keys[position]
                if key is not None:
                    memo.put(key, taken)
                if record.record is not None and record.requests is not None:
                    record.record(record.requests[offset], taken)
                tally.add(0, 0)
                tally.repeat(len(rows) - 1)
        progress.advance(len(rows))
    unanswered = [offset for offset, position in enumerate(state.pending) if state.answers[position] is None]
    state.pending = []
    return unanswered
