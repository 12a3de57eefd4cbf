"""``%%ygpt --map NAME --batch``: the same rows as one Yandex Cloud Batch Processing job.

The rows are planned exactly as for a concurrent run (run.py: the cell's rule, answered rows
reused), then the rendered requests go up as a dataset and one job answers them in the cloud, at
the service's pace and price. The job's id is printed at once and kept in this kernel
(:class:`BatchRecord`), so ``%ygpt batch status / attach / cancel ID`` work on it; the status is
polled into the same progress bar. Ctrl-C stops the waiting, not the job: the output says how to
collect it later (``%ygpt batch attach ID --out VAR``, also after a kernel restart, when the rows
are read back from the job's own dataset). Answers are matched to rows by their request, so a
row the service failed is a hole with its reason, never a shift.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..chat import Answer, ChatSession, Message, planning
from ..client.batch import BatchOutcome
from ..errors import BatchFailed
from ..ledger import Cache
from .costs import capped
from .items import rows_of
from .memo import RowMemo
from .plans import Expand
from .progress import Progress, Tally
from .run import MapCell, MapRun, RowState, finish, keeper, open_rows, plan_rows


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


def run_batch(cell: MapCell, *, session: ChatSession, settings: planning.Settings,
              get_client: Callable[[], Any], namespace: Mapping[str, Any], expand: Expand,
              memo: RowMemo, endpoint: str, jobs: dict[str, BatchRecord], poll_interval: float,
              cache: Cache | None = None) -> MapRun:
    """Plan the rows, start the job for the unanswered ones, wait for it, put the answers back.
    ``cache`` (a ``cache.Front``) stands in for rows as in a concurrent run: recorded rows are not
    sent (in replay mode a row without a recording is refused before any job starts), and each
    answer the job brings back is recorded (its tokens unknown: the job reports none per row)."""
    plans = open_rows(cell, session=session, settings=settings, get_client=get_client,
                      namespace=namespace, expand=expand)
    tally = Tally(total=len(plans.rows), tokens_known=False)
    ledger = plans.ledger(cache)
    state = plan_rows(plans, memo, endpoint, tally, ledger)
    if not state.pending:
        return finish(state, tally, cell.out)
    client = get_client()
    capped(plans, state.pending, state.prompt, client, cell.max_cost, batch=True)   # a job has no running budget
    requests = [plans.planned(state.take(position), checked=False).messages for position in state.pending]
    task_id = client.batch.start(requests, plans.options, **plans.extras)
    jobs[task_id] = BatchRecord(task_id, cell.name, cell.out, state, requests, tally,
                                keeper(plans, ledger))
    print(f"Batch job {task_id} started for {len(requests):,} rows of {cell.name} on "
          f"{plans.options.model}. It runs in the cloud: %ygpt batch status {task_id} shows it, "
          f"%ygpt batch attach {task_id} --out VAR collects it (also after a kernel restart).")
    return collect(jobs[task_id], client, memo, poll_interval)


def collect(record: BatchRecord, client: Any, memo: RowMemo, poll_interval: float,
            out: str | None = None) -> MapRun:
    """Wait for the job (Ctrl-C: stop waiting), then align its answers with the record's rows."""
    out = out or record.out
    progress = Progress(record.tally, desc=f"--batch {record.task_id}")
    try:
        if not wait(client, record.task_id, progress, poll_interval):
            progress.close()
            progress.report(f"Stopped waiting; batch job {record.task_id} goes on in the cloud. "
                            f"%ygpt batch attach {record.task_id} --out {out or 'VAR'} collects its "
                            f"answers when it is done, %ygpt batch cancel {record.task_id} stops it.")
            return finish(record.state, record.tally, out, record.task_id, quiet=True)
        outcome = client.batch.outcome(record.task_id, record.requests)
        if not outcome.answered and outcome.status != "COMPLETED":
            raise BatchFailed(record.task_id, outcome.status, next(iter(outcome.errors.values()), ""))
        if record.requests is None:   # attached after a restart: the rows are the job's own
            record = _record_of(record.task_id, outcome, record.tally)
            progress.resize(record.tally.total)
        _apply(record, outcome, memo, progress)
    finally:
        progress.close()
    return finish(record.state, record.tally, out, record.task_id, progress=progress)


def attach(task_id: str, *, jobs: dict[str, BatchRecord], client: Any, memo: RowMemo,
           poll_interval: float, out: str | None) -> MapRun:
    """``%ygpt batch attach ID``: a job of this kernel comes back in its rows' shape; any other
    (after a restart) as a list in the order of its rows."""
    record = jobs.get(task_id)
    if record is None:
        client.batch.info(task_id)   # BatchUnknown now, before a progress bar
        record = BatchRecord(task_id, task_id, out, RowState(rows_of([], task_id), [], []), None,
                             Tally(total=0, tokens_known=False))
    return collect(record, client, memo, poll_interval, out)


def _record_of(task_id: str, outcome: BatchOutcome, tally: Tally) -> BatchRecord:
    count = tally.total = len(outcome.answers)
    state = RowState(rows_of(range(count), task_id), [None] * count, [None] * count,
                     pending=list(range(count)))
    return BatchRecord(task_id, task_id, None, state, None, tally)


def _apply(record: BatchRecord, outcome: BatchOutcome, memo: RowMemo, progress: Progress) -> None:
    """The job's answers into the record's rows (each answer kept in the memo too)."""
    state, tally = record.state, record.tally
    for offset, position in enumerate(state.pending):
        text = outcome.answers[offset]
        if text is None:
            reason = outcome.errors.get(offset, "no answer")
            state.errors[position] = f"batch job {record.task_id}: {reason}"
            tally.failures["batch row failed"] += 1
        elif state.answers[position] is None:
            answer = Answer(text)
            invalid = state.accept(position, answer)
            if invalid is not None:
                tally.fail(invalid)
            else:
                key = state.keys[position]
                if key is not None:
                    memo.put(key, answer)
                if record.record is not None and record.requests is not None:
                    record.record(record.requests[offset], answer)
                tally.add(0, 0)
        progress.advance()
    state.pending = []


def wait(client: Any, task_id: str, progress: Progress, poll_interval: float) -> bool:
    """Poll the job's status into the progress bar; False when Ctrl-C stopped the waiting."""
    try:
        while True:
            info = client.batch.info(task_id)
            progress.status(info.status)
            if not info.running:
                return True
            time.sleep(poll_interval)
    except KeyboardInterrupt:
        progress.tally.stopped = True
        return False
