"""``%%ygpt --map NAME --batch``: the same rows as one Yandex Cloud Batch Processing job, and
``%ygpt batch attach ID``; the job's start and its taking up again live here, collecting its
answers in rows/batch_record.py.

The rows are planned exactly as for a concurrent run (run.py: the cell's rule, answered rows
reused), then the rendered requests go up as a dataset and one job answers them in the cloud, at
the service's pace and price. The job is kept in this kernel (:class:`BatchRecord`) the moment
the service gives its id, on the client's loop, before the id is printed, so ``%ygpt batch status
/ attach / cancel ID`` work on it; the status is polled into the same progress bar. Ctrl-C at any
moment after stops the waiting, not the job: the output says how to collect it later (``%ygpt
batch attach ID --out VAR``, also after a kernel restart, when the rows are read back from the
job's own dataset, each answer is put on its row of the cell by the layout the dataset keeps, and
kept in the reply cache: rows/attached.py).

A job is paid for once. A read of it that fails is tried again, or ends the cell with what to
do while the job goes on (polling.py). A cell
run again while a job it started for exactly the same requests is still running (or finished
and not yet collected) waits for that job instead of starting a second one; after a kernel
restart, a job collected by ``%ygpt batch attach ID`` for the same requests and model (and
options, when its layout keeps them) gives the cell its answers (kept in the memo and the reply
cache) instead of a second job. A start Ctrl-C stopped before the service named the job is
kept too, so that the cell run again takes up its job, or its uploaded rows (rows/asked.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from ..chat import Answer, ChatSession, Message, planning
from ..client.batch import JobInfo
from ..client.credentials import Credential
from ..client.layout import Asked, RowLayout
from ..errors import BatchStatusStopped, BatchUnknown, StoppedBeforeSending, YGptError, stopping
from ..ledger import Cache
from ..modelname import model_name
from ..words import counted
from .asked import AskedStart, kept_if_stopped, resumed
from .attached import CacheKeeper
from .batch_record import BatchRecord, collect, stopped_waiting
from .costs import budget_of, estimated, resent
from .items import rows_of
from .memo import RowMemo
from .plans import Expand, RowPlanner, before_sending
from .polling import read
from .progress import Tally
from .run import MapCell, MapRun, finish, keeper, open_rows, plan_rows
from .scaled import Scaled
from .state import RowState


def run_batch(cell: MapCell, *, session: ChatSession, settings: planning.Settings,
              get_client: Callable[[], Any], namespace: Mapping[str, Any], expand: Expand,
              memo: RowMemo, endpoint: str, jobs: dict[str, BatchRecord], asked: list[AskedStart],
              poll_interval: float, secrets: Sequence[Credential], cache: Cache | None = None) -> MapRun:
    """Plan the rows, start the job for the unanswered ones, wait for it, put the answers back.
    ``cache`` (a ``cache.Front``) stands in for rows as in a concurrent run: recorded rows are not
    sent (in replay mode a row without a recording is refused before any job starts), and each
    answer the job brings back is recorded (its tokens unknown: the job reports none per row).
    ``secrets``: the kernel's credentials, masked in every row's answer (run.RowState.accept);
    ``asked``: the kernel's starts Ctrl-C stopped with no answer (rows/asked.py)."""
    plans = open_rows(cell, session=session, settings=settings, get_client=get_client,
                      namespace=namespace, expand=expand)
    tally = Tally(total=len(plans.rows), tokens_known=False, model=plans.options.model,
                  temperature=plans.options.temperature)
    ledger = plans.ledger(cache)
    state = plan_rows(plans, memo, endpoint, tally, ledger, secrets=secrets)
    if not state.pending:
        return finish(state, tally, cell.out, kept_by=ledger)
    client = get_client()
    with before_sending(f"the rows of {plans.rows.name} were being made ready for a batch job"):
        requests = _requests(plans, state)
        if _attached(jobs, requests, plans, state, tally, memo, keeper(plans, ledger)):
            if not state.pending:
                return finish(state, tally, cell.out, kept_by=ledger)
            requests = _requests(plans, state)
    record = BatchRecord("", cell.name, cell.out, state, requests, tally, keeper(plans, ledger),
                         plans.options, plans.extras, ledger=ledger)
    kept = partial(_kept, jobs, record)
    try:
        if not _unfinished(jobs, requests, plans, client, poll_interval, cell.out, kept):
            counted = _start(cell, plans, state, requests, client, kept, asked, endpoint)
            record.resend = None if counted is None else partial(resent, plans, counted)
        for position in state.pending:
            state.take(position)   # the requests hold the rows now
        return collect(record, client, memo, poll_interval)
    except KeyboardInterrupt:
        if not record.task_id or record.collected:   # no job yet: the step's message says what runs
            raise
        return stopped_waiting(record, cell.out)


def _requests(plans: RowPlanner, state: RowState) -> list[list[Message]]:
    """The messages of the rows to upload, from the prompts they were planned and keyed with."""
    return [plans.planned(state.prompt(position), checked=False).messages for position in state.pending]


def _kept(jobs: dict[str, BatchRecord], record: BatchRecord, task_id: str) -> None:
    """``record`` is job ``task_id``'s in this kernel, from the moment its id is known (called
    on the client's loop as the service answers): a Ctrl-C at any moment after leaves it kept."""
    record.task_id = task_id
    jobs[task_id] = record


def _attached(jobs: dict[str, BatchRecord], requests: list[list[Message]], plans: RowPlanner,
              state: RowState, tally: Tally, memo: RowMemo,
              keep: Callable[[list[Message], Answer], None]) -> bool:
    """Take the answers of a job collected by ``%ygpt batch attach ID`` after a kernel restart
    for exactly these requests on this model, instead of paying for a second job: after a
    restart the cell no longer knows its job, and attach gives a plain list, so the user runs
    the cell again for the rows' shape. The answers are kept like a run's (memo, reply cache);
    the rows the job did not answer stay pending. Each uploaded row's answer is read where the
    record holds it (``BatchRecord.held``), never at its upload offset: a row repeating another's
    prompt, or one not uploaded, would shift every later answer. A job whose layout keeps its options
    (client/layout.py) is taken only by a cell with the same options and schema; one without
    them by any cell, which the output says."""
    for record in reversed(jobs.values()):
        if not _found_for(record, requests, plans):
            continue
        answered = [(offset, position, answer)
                    for offset, (position, held) in enumerate(zip(state.pending, record.held))
                    if (answer := record.state.answers[held]) is not None]
        for offset, position, answer in answered:
            key = state.keys[position]
            if isinstance(taken := state.accept(position, answer), Answer) and key is not None:
                memo.put(key, taken)
                keep(requests[offset], taken)
                rows = state.rows_of(position)
                state.reused.update(rows)
                state.twins.pop(position, None)   # reused with it, not repeats of a row sent
                tally.reused += len(rows)
        state.pending = [p for p in state.pending if p not in state.reused]
        options = ("with the same options" if record.asked is not None else
                   "(the job keeps no options of its own and the service does not say them, so they "
                   "are taken to be this cell's)")
        print(f"Batch job {record.task_id}, collected by %ygpt batch attach, answered these same "
              f"{len(requests):,} rows on {model_name(plans.options.model).short} {options}: its "
              f"{counted(len(answered), 'answer')} are used rather than paid for again in a second job.")
        return True
    return False


def _found_for(record: BatchRecord, requests: list[list[Message]], plans: RowPlanner) -> bool:
    """``record`` is a job found by id for exactly these requests on this model, and asked what
    the cell asks when its layout says (a --json job's answers are not a plain cell's)."""
    return (record.options is None and record.requests == requests
            and model_name(record.model).cache_key == model_name(plans.options.model).cache_key
            and record.asked in (None, Asked.of(plans.options, plans.extras)))


def _start(cell: MapCell, plans: RowPlanner, state: RowState, requests: list[list[Message]],
           client: Any, kept: Callable[[str], None], asked: list[AskedStart], endpoint: str) -> Scaled | None:
    """A new job for ``requests``, estimated first (refused when over ``--max-cost``, said in the
    line that says it started: a job is billed at least its minimum, so a re-run for 3 failed
    rows cost ≈40 ₽, unsaid), ``kept`` as soon as the service gives its id; unless a start of
    these rows to ``endpoint`` was stopped before the service named its job (one of ``asked``),
    whose job is taken up. Returns the rows' counted tokens, which price sending again those the
    job fails (None: the tokenizer failed, and with no --max-cost the job starts unestimated)."""
    try:
        counted, cost = estimated(plans, state.pending, state.prompt, client, purpose="the batch job", batch=True)
    except YGptError as error:   # a Ctrl-C's StoppedBeforeSending stops the cell; a cap needs the estimate
        if isinstance(error, StoppedBeforeSending) or cell.max_cost is not None:
            raise
        counted, said = None, ("Its cost could not be estimated (counting its tokens failed); the cell with "
                               "--dry-run says it once the tokenizer answers.")
    else:
        budget_of(cost, cell.max_cost, f"--map {plans.rows.name} --batch")   # a job has no running budget
        said = cost.sentence()
    layout = RowLayout.of(len(plans.rows), state.pending, schema=bool(plans.extras),
                          asked=Asked.of(plans.options, plans.extras), twins=state.twins)
    this = AskedStart(endpoint, tuple(state.keys[position] for position in state.pending), layout)
    earlier = resumed(asked, this, client, kept)
    if earlier.task_id is not None:
        return counted
    with kept_if_stopped(asked, this):
        task_id: str = client.batch.start(requests, plans.options, layout=layout, on_started=kept,
                                          dataset=earlier.dataset, **plans.extras)
    print(f"Batch job {task_id} started for {len(requests):,} rows of {cell.name} on "
          f"{model_name(plans.options.model).short}. {said} It runs in the cloud: %ygpt batch status "
          f"{task_id} shows it, %ygpt batch attach {task_id} --out VAR collects it (also after a kernel restart).")
    return counted


def _unfinished(jobs: dict[str, BatchRecord], requests: list[list[Message]], plans: RowPlanner,
                client: Any, poll_interval: float, out: str | None, kept: Callable[[str], None]) -> bool:
    """Whether this kernel started a job for exactly these requests, model and options that is
    still running, or finished with its answers not collected (a failed read, Ctrl-C): a cell
    run again waits for it (``kept`` for this run) rather than paying for a second job. One that
    failed or was cancelled is not waited for, nor one the service does not know (a connection
    to another folder). Ctrl-C during a read: BatchStatusStopped, the job kept for the next run."""
    for record in reversed(jobs.values()):
        if record.collected or (record.requests, record.options, record.extras) != (
                requests, plans.options, plans.extras):
            continue
        try:
            with stopping(partial(BatchStatusStopped, record.task_id, out)):   # the record stays kept
                info = read(partial(client.batch.info, record.task_id), record.task_id, out, poll_interval)
        except BatchUnknown:
            continue
        if info.running or info.status == "COMPLETED":
            kept(record.task_id)
            _rejoined(record, info, len(requests))
            return True
    return False


def _rejoined(record: BatchRecord, info: JobInfo, rows: int) -> None:
    """Say that the cell takes up its earlier job, and how to start afresh while it runs."""
    how = (f"waiting for it rather than paying for a second job (to start afresh instead, "
           f"%ygpt batch cancel {record.task_id} first)" if info.running
           else "collecting it rather than paying for a second job")
    print(f"Batch job {record.task_id}, started earlier in this kernel for these same {rows:,} rows "
          f"of {record.name}, is {info.status} and its answers were not collected yet: {how}.")



def attach(task_id: str, *, jobs: dict[str, BatchRecord], client: Any, memo: RowMemo,
           poll_interval: float, out: str | None, session: ChatSession, settings: planning.Settings,
           secrets: Sequence[Credential], cache: Cache | None = None) -> MapRun:
    """``%ygpt batch attach ID``: a job of this kernel comes back in its rows' shape; any other
    (after a restart) as a list in the order of the cell's rows when the job keeps their layout,
    and its answers are kept in the reply ``cache`` when one is on (rows/attached.py). ``secrets``:
    the kernel's credentials, masked in the answers of a job found by id (one of this kernel
    masks those it was started with)."""
    record = jobs.get(task_id)
    keeper = None
    if record is None:
        info = client.batch.info(task_id)   # BatchUnknown now, before a progress bar
        keeper = CacheKeeper.of(cache, info.model, session, settings)
        record = BatchRecord(task_id, task_id, out, RowState(rows_of([], task_id), [], [], secrets=secrets), None,
                             Tally(total=0, tokens_known=False), record=keeper, model=info.model)
    run = collect(record, client, memo, poll_interval, out)
    if record.collected:   # a --map cell run again for these rows takes its answers (_attached)
        jobs.setdefault(task_id, record)
        if keeper is not None and record.record is keeper:
            print(keeper.said())
    return run


