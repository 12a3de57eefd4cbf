"""A ``--map`` cell from rows to results: plan every row, reuse the answered ones, send the rest
concurrently, and put the answers back in the rows' shape.

The order of things is the promise users rely on:
1. Every row is planned first (on the kernel's thread): a template that names an unknown
   variable fails the cell before anything is sent; a row that cannot be sent (an empty or too
   long prompt) is a failed row with its reason, and the others go on. Ctrl-C here (or while a
   cost cap estimates the rows, step 4) says in one line that nothing was sent.
2. Rows that already have an answer for their current prompt and options (this kernel's memo,
   the reply cache when one is on) are reused, not sent. A row whose request (its key: messages,
   model, options) repeats an earlier row's in this run is that row's twin: the request is sent
   once, and its answer (or its failure, with the same reason) is every twin's. At a
   ``--temperature`` above 0 too: the reply cache already gives one key one answer, and a
   column's repeats ("N/A", a category) are not asked for samples; a row that wants its own
   draw says so in its prompt (its ``{index}``).
3. The rest go through ``Client.complete_many`` (the async SDK on the client's loop, bounded and
   adaptive concurrency, no streaming); each answer is kept the moment it arrives, so a failed
   row, a dead server or Ctrl-C never loses one. A row is sent the prompt it was keyed by: its
   template is filled in once (an ``{expression}`` runs once a row), and the prompt is kept
   until the row is sent; its request (the messages) is built just before, so only the rows in
   flight hold one, never 100,000. The bar is made before the job starts, and the job inside
   the block that stops it (stoppable.py): a Ctrl-C at any moment after it starts stops it.
4. With a cost cap (``--max-cost``), the rows to send are estimated first and refused over it;
   while they run, a budget stops launching rows before the cap would be passed (rows/costs.py,
   chat/budget.py), each row settled with it on the client's loop as it ends (``Budget.settler``), so
   the cap holds however fast the server answers; what was answered is kept as on Ctrl-C.
5. The summary says what happened and, when rows are left, how to send only those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..cache.key import endpoint_kind, request_key
from ..chat import Answer, ChatSession, Message, RequestOptions, planning
from ..chat.budget import Budget
from ..client.credentials import Credential
from ..errors import CacheMiss, InterpolationError, MissingValue, RowExpressionFailed, YGptError
from ..errors.stops import kept_presses
from ..ledger import Cache, Ledger
from . import unattended
from .costs import capped
from .failures import failure, run_origin
from .items import Rows, rows_of
from .memo import RowMemo
from .plans import Expand, RowPlanner, before_sending, planner, said_cut
from .progress import RunCounts, Tally
from .progress_bar import Progress, tell
from .state import RowState
from .stoppable import bar, run_job
from .tables import tables_skip_mathjax

#: a row's tag in the concurrent job: its position and the messages sent for it (the reply cache
#: keeps its answer under them, so the row is not planned a third time to record it)
Sent = tuple[int, list[Message]]


@dataclass
class MapCell:
    """What a ``%%ygpt --map`` cell asks, as the magic parsed it."""

    name: str
    template: str
    concurrency: int
    out: str | None = None
    chat: str | None = None
    system: str | None = None
    flags: Mapping[str, Any] = field(default_factory=dict)
    schema: str | None = None     # --schema NAME: results are a DataFrame of the parsed fields
    max_cost: Decimal | None = None   # --max-cost RUB (or max_cost_per_cell): chat/budget.py


@dataclass
class MapRun(RunCounts):
    """What ``_ygpt`` holds after a ``--map`` cell: ``results`` in the rows' shape (None where
    a row has no answer), ``errors`` (row → its one-line reason), the counts, ``raw`` (row
    → the text of an answer that did not fit the ``--schema``: paid for, so kept to be read) and
    ``cut`` (row → the notes of its values sent in part, rows/plans.py)."""

    results: Any = None
    task_id: str | None = None
    raw: dict[Any, str] = field(default_factory=dict)
    cut: dict[Any, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<MapRun {self.summary}>"


def open_rows(cell: MapCell, *, session: ChatSession, settings: planning.Settings,
              get_client: Callable[[], Any], namespace: Mapping[str, Any],
              expand: Expand) -> RowPlanner:
    """The rows of ``cell.name`` and how each is planned (OptionError for a missing name)."""
    rows = rows_named(cell.name, namespace)
    plans = planner(session, rows, cell.template, namespace, expand, settings=settings,
                    get_client=get_client, chat=cell.chat, system=cell.system, flags=cell.flags,
                    schema=cell.schema)
    note = rows.row_reads_out(plans.reads, cell.out)   # why answered rows are sent again
    if note:
        print(note)
    return plans


def rows_named(name: str, namespace: Mapping[str, Any]) -> Rows:
    """The notebook variable ``name`` as rows (InterpolationError when there is none)."""
    if name not in namespace:
        raise InterpolationError(
            f"--map {name}: there is no variable named '{name}'. Define it in a code cell "
            f"first (a list, or a pandas DataFrame or Series), then run this cell again.")
    return rows_of(namespace[name], name)


def plan_rows(plans: RowPlanner, memo: RowMemo, endpoint: str, tally: Tally, ledger: Ledger, *,
              secrets: Sequence[Credential]) -> RowState:
    """Every row planned and keyed; answered ones taken from the memo (or the reply cache
    through the ``ledger``: each row is one entry, kept in the memo as taken in), the rest
    ``pending``; ``secrets``: the kernel's credentials, masked in every answer (RowState). A row
    whose request repeats one the reply cache answered earlier in this run is counted as the
    cache's, as %ygpt embed counts a repeated text: the memo holds it only since then. A row
    whose request repeats a pending row's is its twin (``RowState.twins``), not pending: the
    request is sent once (module docstring, step 2)."""
    count = len(plans.rows)
    state = RowState(plans.rows, [None] * count, [None] * count, schema=plans.schema, prompts=[None] * count,
                     cut=plans.cut, secrets=secrets, origin=run_origin())
    failures: list[YGptError] = []
    replayed: set[str] = set()   # the keys the reply cache answered in this run
    first: dict[str, int] = {}     # a pending row's key → its position: a later row with it is a twin
    with before_sending(f"the rows of {plans.rows.name} were being planned ({count:,} in all)"), \
            kept_presses() as presses:
        for position in range(count):
            presses.check()
            plan = plans.plan_or_failure(position)
            if isinstance(plan, YGptError):
                failures.append(plan)
                state.errors[position] = failure(plan, state.origin)
                continue
            key = state.keys[position] = request_key(kind="reply", endpoint=endpoint_kind(endpoint),
                                                     options=plan.options, messages=plan.messages,
                                                     extra=plans.extras)
            if key in first:
                state.twins.setdefault(first[key], []).append(position)
                continue
            remembered = memo.get(key)
            try:
                answer = remembered or ledger.replayed(plan.messages, plan.options, plans.extras)
            except CacheMiss as miss:  # say which row: the cell alone does not tell
                raise miss.at_row(plans.rows.labels[position]) from None
            taken = None if answer is None else state.accept(position, answer)
            if not isinstance(taken, Answer):
                first[key] = position
                state.pending.append(position)
                state.prompts[position] = plans.kept(plan)
            else:
                memo.put(key, taken)
                state.reused.add(position)
                tally.reused += 1
                tally.reused_usage += taken.usage
                if remembered is None:
                    replayed.add(key)
                    tally.replay(taken)
                elif key in replayed:   # a repeat: the cache's answer, paid and saved once (embed.py)
                    tally.cached += 1
    _refuse_alike(failures, count)
    tally.reads_row = plans.reads_row
    for unsent in failures:
        tally.fail(unsent, sent=False)
    return state


def _refuse_alike(failures: list[YGptError], count: int) -> None:
    """The cell's error when an ``{expression}`` raised on every row that held its values (the
    others held none: real frames nearly always have a NaN somewhere): a mistake in the
    expression (a typo, a method the values lack), not in the rows' data, so it is said once,
    nothing is sent and ``--out`` keeps its value, as for the same cell with --once, rather than
    as each row's failure. A row planned means the expression works, so the failures stay rows'."""
    if len(failures) < count or not all(isinstance(f, (RowExpressionFailed, MissingValue)) for f in failures):
        return
    raised = next((f for f in failures if isinstance(f, RowExpressionFailed)), None)
    if raised is not None:
        raise raised.cell


def keeper(plans: RowPlanner, ledger: Ledger) -> Callable[[list[Message], Answer], None]:
    """What keeps a row's answer in the reply cache, when one is on, under the messages sent for
    it (a batch job is collected later, maybe after the notebook's values changed)."""
    return lambda messages, answer: ledger.kept(messages, plans.options, plans.extras, answer)


def send_rows(plans: RowPlanner, state: RowState, memo: RowMemo, client: Any, tally: Tally,
              concurrency: int, ledger: Ledger, budget: Budget | None = None) -> Progress:
    """Send the pending rows and keep each answer as it arrives (in the memo, and through the
    ``ledger``: paid for, and kept in the reply cache when there is one); Ctrl-C stops sending,
    and so does the ``budget`` (a cost cap) before the next row would pass it. Returns the
    closed bar, for the summary to take its place."""
    handed: list[int] = []   # the rows the job took to send

    def requests() -> Iterator[tuple[Sent, list[Message], RequestOptions]]:
        let_through = state.pending if budget is None else budget.gate(state.pending)
        for position in let_through:   # pulled by the job only when a slot is free
            handed.append(position)
            plan = plans.planned(state.take(position), checked=False)
            yield (position, plan.messages), plan.messages, plan.options

    model = plans.options.model

    def priced(answer: Answer) -> Decimal | None:
        return ledger.cost(answer.usage, model)

    settled = None if budget is None else budget.settler(priced)
    progress = bar(tally, f"--map {plans.rows.count:,} rows")   # before the job: it may be slow to build
    tally.budget = budget

    def spent(answer: Answer) -> None:  # every answer the server gave cost its tokens
        ledger.paid(plans.options.model, answer.usage)

    keep = keeper(plans, ledger)
    try:
        tally.stopped = run_job(
            lambda rows: client.complete_many(rows, concurrency=concurrency, on_result=settled, **plans.extras),
            requests(), lambda results: _collect(results, state, memo, tally, progress, keep, spent))
        if tally.stopped:
            tally.cancelled = sum(len(state.rows_of(p)) for p in handed   # its twins wait on it too
                                  if state.answers[p] is None and p not in state.errors)
    finally:
        progress.close()
    return progress


def _collect(results: Iterator[Any], state: RowState, memo: RowMemo, tally: Tally, progress: Progress,
             keep: Callable[[list[Message], Answer], None], spent: Callable[[Answer], None]) -> None:
    for item in results:
        if item is None:
            progress.tick()
            continue
        sent, answer, error = item
        if sent is None:  # the job failed as a whole (no server): nothing was answered
            raise error
        position, messages = sent
        rows = state.rows_of(position)   # the row sent and its twins: one answer, or one reason, for all
        if error is not None:
            for _ in state.fail(position, failure(error, state.origin)):
                tally.fail(error)
        else:
            spent(answer)
            taken = state.accept(position, answer)
            if isinstance(taken, Answer):
                memo.put(state.keys[position], taken)
                keep(messages, taken)
                usage = taken.usage
                tally.add(usage.input_tokens, usage.completion_tokens)
                tally.repeat(len(rows) - 1)
            else:   # paid for all the same: the summary's tokens and roubles count it
                tally.unfitting(answer.usage)
                for _ in rows:
                    tally.fail(taken)
        progress.advance(len(rows))


def finish(state: RowState, tally: Tally, out: str | None, task_id: str | None = None,
           quiet: bool = False, progress: Progress | None = None, table: bool = False,
           ledger: Ledger | None = None, resend: str = "", kept_by: Ledger | None = None) -> MapRun:
    """The run's results in the rows' shape, its summary shown (unless ``quiet``) where the
    ``progress`` bar was, or printed when there was none; ``table``: the results are a
    DataFrame of fields (``--schema``, ``--labels``), not a Series of answers; ``ledger``: the
    one the rows were sent through, which prices the summary's tokens (None: a batch job's
    results carry no tokens to price); ``resend``: what sending the rows left again costs, said
    after the advice to (a batch job's: rows/costs.py ``resent``); ``kept_by``: a batch job's
    ledger, which kept its answers (its reply cache says what a headless notebook run again
    sends: rows/unattended.py)."""
    rows = state.rows
    repeats = set(state.repeats)
    tally.settle((a for p, a in enumerate(state.answers) if p not in state.reused and p not in repeats),
                 repeated=sum(state.answers[p] is not None for p in repeats))
    summary = priced_summary(tally, ledger)
    failed = sorted(state.errors.items())
    errors = {rows.labels[p]: said.text for p, said in failed}
    reasons = {rows.labels[p]: said.reason for p, said in failed}
    advice = unattended.left(tally, reasons, ledger or kept_by, resend)
    by_position = (f"_ygpt.errors is keyed by row position, as {rows.name}.iloc reads them: the index of "
                   f"{rows.name} repeats labels." if advice and state.errors and rows.by_position else "")
    counts = tally.counts(errors, summary)
    tables = tables_skip_mathjax()
    if not quiet:
        joined = repeated_labels(rows, out, table or state.schema is not None)
        notes = (advice, by_position, tally.draws(), said_cut(state.cut, rows.labels), joined, tables)
        tell(summary, "\n".join(filter(None, notes)),
             progress, counts["provenance"])
    raw = {rows.labels[p]: text for p, text in sorted(state.raw.items())}
    cut = {rows.labels[p]: notes for p, notes in sorted(state.cut.items())}
    return MapRun(**counts, results=state.results(out), task_id=task_id, raw=raw, cut=cut)


def priced_summary(tally: Tally, ledger: Ledger | None) -> str:
    """The run's summary with the roubles of the rows sent in it, replies that did not fit the
    ``--schema`` included (replayed ones cost nothing,
    and a run replayed whole says what they saved),
    priced by the ``ledger`` as ``%ygpt usage`` and a reply's footer price them, so the three
    never disagree; "no price" when the table has none for the model."""
    if ledger is None:
        return tally.summary()
    cost = ledger.cost(tally.paid, tally.model)
    return tally.summary(cost=cost, unpriced=cost is None, saved_cost=ledger.cost(tally.replayed, tally.model))


def repeated_labels(rows: Rows, out: str | None, table: bool) -> str:
    """The summary's line ('' when none) for a frame whose index repeats labels (``pd.concat``
    of frames, a frame read in parts): the results keep that index, and ``df.join(results)``
    pairs every row with every answer of its label (pandas joins many-to-many), so 40 rows
    become 80 with the answers crossed, unsaid; an assignment lines up row by row."""
    if rows.kind != "frame" or not rows.by_position:
        return ""
    name, results = rows.name, out or "_ygpt.results"
    assign = f"{name}[{results}.columns] = {results}" if table else f"{name}['{out or 'answer'}'] = {results}"
    return (f"The index of {name} repeats labels, so {name}.join({results}) would pair each row with "
            f"every answer of its label (pandas joins many-to-many): put the answers in with "
            f"{assign}, which lines up row by row, or map over {name}.reset_index().")


def run_map(cell: MapCell, *, session: ChatSession, settings: planning.Settings,
            get_client: Callable[[], Any], namespace: Mapping[str, Any], expand: Expand,
            memo: RowMemo, endpoint: str, secrets: Sequence[Credential], cache: Cache | None = None) -> MapRun:
    """The whole ``--map`` cell (see the module docstring); ``cache``: the reply cache's front
    for this cell (``cache.Front``), or None; ``secrets``: the kernel's credentials, masked in
    every row's answer (RowState.accept)."""
    plans = open_rows(cell, session=session, settings=settings, get_client=get_client,
                      namespace=namespace, expand=expand)
    tally = Tally(total=len(plans.rows), model=plans.options.model, temperature=plans.options.temperature)
    ledger = plans.ledger(cache)
    state = plan_rows(plans, memo, endpoint, tally, ledger, secrets=secrets)
    progress = None
    if state.pending:
        budget = capped(plans, state.pending, state.prompt, get_client(), cell.max_cost)
        progress = send_rows(plans, state, memo, get_client(), tally, cell.concurrency, ledger, budget)
    return finish(state, tally, cell.out, progress=progress, ledger=ledger)
