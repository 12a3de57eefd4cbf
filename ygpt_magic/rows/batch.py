"""``%%ygpt --map NAME --batch``: the same rows as one Yandex Cloud Batch Processing job.

The rows are planned exactly as for a concurrent run (run.py: the cell's rule, answered rows
reused), then the rendered requests go up as a dataset and one job answers them in the cloud, at
the service's pace and price. The job is kept in this kernel (:class:`BatchRecord`) the moment
the service gives its id, on the client's loop, before the id is printed, so ``%ygpt batch status
/ attach / cancel ID`` work on it; the status is polled into the same progress bar. Ctrl-C at any
moment after stops the waiting, not the job: the output says how to collect it later (``%ygpt
batch attach ID --out VAR``, also after a kernel restart, when the rows are read back from the
job's own dataset, each answer is put on its row of the cell by the layout the dataset keeps, and
kept in the reply cache: rows/attached.py). Answers are matched to rows by their request, so a
row the service failed is a hole with its reason, never a shift.

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
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..chat import Answer, ChatSession, Message, RequestOptions, planning
from ..client.batch import BatchOutcome, JobInfo
from ..client.credentials import Credential
from ..client.layout import Asked, RowLayout
from ..errors import BatchFailed, BatchUnknown, StoppedBeforeSending, YGptError
from ..ledger import Cache
from ..modelname import model_name
from ..words import counted
from .asked import AskedStart, kept_if_stopped, resumed
from .attached import CacheKeeper, placed, said_placement, twins_of
from .costs import budget_of, estimated, resent
from .items import rows_of
from .memo import RowMemo
from .plans import Expand, RowPlanner, before_sending
from .polling import read, wait
from .progress import Tally
from .progress_bar import Progress
from .run import MapCell, MapRun, finish, keeper, open_rows, plan_rows
from .scaled import Scaled
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
        return finish(state, tally, cell.out)
    client = get_client()
    with before_sending(f"the rows of {plans.rows.name} were being made ready for a batch job"):
        requests = _requests(plans, state)
        if _attached(jobs, requests, plans, state, tally, memo, keeper(plans, ledger)):
            if not state.pending:
                return finish(state, tally, cell.out)
            requests = _requests(plans, state)
    record = BatchRecord("", cell.name, cell.out, state, requests, tally, keeper(plans, ledger),
                         plans.options, plans.extras)
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
        return _stopped_waiting(record, cell.out)


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
    to another folder)."""
    for record in reversed(jobs.values()):
        if record.collected or (record.requests, record.options, record.extras) != (
                requests, plans.options, plans.extras):
            continue
        try:
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


def collect(record: BatchRecord, client: Any, memo: RowMemo, poll_interval: float,
            out: str | None = None) -> MapRun:
    """Wait for the job (Ctrl-C: stop waiting), then align its answers with the record's rows.
    A record waited for before (attach after a stop) is not ``stopped`` by that earlier wait."""
    out = out or record.out
    record.tally.stopped = False
    try:
        progress = Progress(record.tally, desc=f"--batch {record.task_id}")
    except KeyboardInterrupt:   # the first bar of a kernel takes ~0.2 s to build: the job is started
        return _stopped_waiting(record, out)
    try:
        outcome = None
        if wait(client, record.task_id, progress, poll_interval, out):
            try:
                outcome = read(partial(client.batch.outcome, record.task_id, record.requests), record.task_id,
                                out, poll_interval, finished=True)
            except KeyboardInterrupt:   # while a large result is read: the job is done, and kept
                pass
        if outcome is None:
            return _stopped_waiting(record, out, progress)
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
    return finish(record.state, record.tally, out, record.task_id, progress=progress, resend=resend)


def _ended_without_answers(record: BatchRecord, progress: Progress, error: YGptError) -> None:
    """The bar's place, when the job failed or its answers could not be read: the summary a run
    ends with, its rows counted as failed for that (``job failed``, ``job canceled``, ``not
    collected``), above the error's paragraph. The bar stood frozen at '0/3 [00:05<?' there."""
    tally = record.tally
    reason = f"job {error.status.lower()}" if isinstance(error, BatchFailed) else "not collected"
    tally.failures[reason] += tally.left - tally.failed
    progress.close()
    progress.report(tally.summary())


def _stopped_waiting(record: BatchRecord, out: str | None, progress: Progress | None = None) -> MapRun:
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
                            secrets=record.state.secrets)
    record.held = list(record.state.pending)
    if positions is not None:   # twins name rows of the cell: upload offsets are not those
        record.state.twins = twins_of(outcome.layout, positions, count)
    not_held = sorted(set(range(count)) - set(record.state.pending) - set(record.state.repeats))
    for position in not_held:
        record.state.errors[position] = (f"not in batch job {record.task_id}: the cell that started it "
                                         f"did not upload this row (answered before, not sendable, or "
                                         f"repeating an uploaded row's prompt)")
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
            state.fail(position, f"batch job {record.task_id}: {reason}")
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
