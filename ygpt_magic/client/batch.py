"""Batch Processing through the async SDK: rows in, one cloud job, answers back in the rows' order.

What `%%ygpt --map --batch` and `%ygpt batch` build on: the coroutines below, and
:class:`BatchJobs`, a Client's jobs called from the kernel's thread (each call runs on the
client's loop, its errors translated like any request's). The steps are the SDK's own (its
examples/*/completions/batch.py):
``sdk.datasets.draft_from_path(..., task_type="TextToTextGenerationRequest").upload()``, then
``model.batch.run_deferred(dataset)``, the task polled with ``get_status()``, and the result
dataset (``sdk.datasets.get(info.result_dataset_id)``) read with ``dataset.read()`` (pyarrow).
A result row carries its request, so answers are matched to rows by request, not by position:
a failed row (a line error of the task) leaves a hole, never a shift. A job is found again by its
task id alone (``attach``), its rows read back from its source dataset.

A job's id is the server's text, printed in every line about the job (the ``--batch`` started
line, each redraw of its progress bar, ``%ygpt batch list``, every error naming it), so it is made
visible-safe once, where it comes in (:func:`_job_id`), and no print of it can be obeyed by a
terminal.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..chat.options import RequestOptions
from ..chat.values import Message
from ..errors import (
    BatchNotStarted,
    BatchUnknown,
    DataExtraMissing,
    DatasetRejected,
    StoppedBeforeSending,
    stopping,
)
from ..render.controls import visible
from . import rpc_errors
from .credentials import masked_in
from .layout import RowLayout, layout_of

if TYPE_CHECKING:
    from .sdk import Client

_T = TypeVar("_T")

REQUEST_TASK = "TextToTextGenerationRequest"
RUNNING = ("CREATED", "PENDING", "IN_PROGRESS")
#: seconds a Ctrl-C while the job is asked for waits for the service's answer: the call dropped
#: in flight, the service may make the job all the same, and only its answer has the id that
#: keeps it in the kernel. The cloud answers well within it; a server gone is noticed at 1 s
#: (reach.QUIET_AFTER), which ends the wait sooner.
ASK_GRACE = 2.0
Messages = Sequence[Message]


@dataclass
class BatchOutcome:
    """A finished job: one answer (or None) per row, in row order, and why each hole is there."""

    task_id: str
    status: str                                   # COMPLETED, FAILED or CANCELED
    answers: list[str | None]
    errors: dict[int, str] = field(default_factory=dict)   # row index (0-based) → one-line reason
    requests: list[Messages] = field(default_factory=list)  # the rows, read back after a restart
    #: where those rows sit in the cell that started the job (client/layout.py; None: not known)
    layout: RowLayout | None = None

    @property
    def answered(self) -> int:
        return sum(answer is not None for answer in self.answers)


def write_requests(requests: Sequence[Messages], path: Path) -> Path:
    """The rows as the jsonlines a TextToTextGenerationRequest dataset takes."""
    with open(path, "w", encoding="utf-8") as out:
        for messages in requests:
            out.write(json.dumps({"request": [{"role": m["role"], "text": m["text"]} for m in messages]},
                                 ensure_ascii=False) + "\n")
    return path


async def upload_requests(sdk: Any, requests: Sequence[Messages], *, name: str = "ygpt-magic-batch",
                          metadata: str = "") -> Any:
    """A READY dataset of the rows (raises the SDK's DatasetValidationError for bad rows);
    ``metadata``: kept with the dataset (the rows' layout, client/layout.py)."""
    with tempfile.TemporaryDirectory(prefix="ygpt-batch-") as folder:
        path = write_requests(requests, Path(folder) / "requests.jsonl")
        draft = sdk.datasets.draft_from_path(path, task_type=REQUEST_TASK, upload_format="jsonlines", name=name,
                                             metadata=metadata)
        return await draft.upload(poll_interval=1.0)


async def start(model: Any, dataset: Any) -> Any:
    """The job's operation; ``.task_id`` is what to keep (``sdk.batch.get(task_id)`` finds it again)."""
    return await model.batch.run_deferred(dataset)


async def wait(task: Any, *, poll_interval: float = 5.0,
               on_status: Callable[[str], None] | None = None) -> str:
    """Poll until the job has finished; ``on_status`` hears every status change (for a progress bar)."""
    last = None
    while True:
        status: str = (await task.get_status()).name
        if status != last and on_status is not None:
            on_status(status)
        last = status
        if status not in RUNNING:
            return status
        await asyncio.sleep(poll_interval)


async def attach(sdk: Any, task_id: str) -> Any:
    """The job of an id kept from ``start`` (after a kernel restart): ``wait`` and ``collect`` take it."""
    return await sdk.batch.get(task_id)


async def collect(sdk: Any, task: Any, requests: Sequence[Messages] | None = None) -> BatchOutcome:
    """The finished job's answers aligned with ``requests``, the rows it was started with; None
    reads them back from the job's source dataset (after a restart, when they are gone), with
    where they sit among the cell's rows when the dataset keeps it (its metadata)."""
    info = await task.get_task_info()
    status = info.status.name
    layout = None
    if requests is None:
        require_pyarrow()
        source = await sdk.datasets.get(info.source_dataset_id)
        requests = [row["request"] async for row in source.read()]
        layout = layout_of(source.metadata)
    answers: list[str | None] = [None] * len(requests)
    errors = {e.line_number - 1: e.message for e in info.errors.line_errors if 0 < e.line_number <= len(requests)}
    if status == "COMPLETED" and info.result_dataset_id:
        result = await sdk.datasets.get(info.result_dataset_id)
        require_pyarrow()
        answers = align(requests, [row async for row in result.read()], failed=errors)
    reason = "; ".join(e.message for e in info.errors.batch_errors) or f"the job is {status}"
    for index, answer in enumerate(answers):
        if answer is None and index not in errors:
            errors[index] = reason if status != "COMPLETED" else "no answer in the result dataset"
    return BatchOutcome(task_id=_job_id(task.task_id), status=status, answers=answers, errors=errors,
                        requests=list(requests), layout=layout)


def align(requests: Sequence[Messages], result_rows: Sequence[dict[str, Any]],
          failed: Iterable[int] = ()) -> list[str | None]:
    """Each request's answer: result rows matched by their request (equal requests in turn);
    the ``failed`` rows (line errors) have no result row, so they take no answer."""
    waiting: dict[str, deque[int]] = defaultdict(deque)
    failed = set(failed)
    for index, messages in enumerate(requests):
        if index not in failed:
            waiting[_key(messages)].append(index)
    answers: list[str | None] = [None] * len(requests)
    for row in result_rows:
        indexes = waiting.get(_key(row.get("request") or ()))
        if indexes:
            answers[indexes.popleft()] = row.get("response")
    return answers


def _key(messages: Messages) -> str:
    return json.dumps([[m["role"], m["text"]] for m in messages], ensure_ascii=False)


def require_pyarrow() -> None:
    """Fail before a job starts, not after it ran, when its results could not be read."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataExtraMissing("Reading a batch job's results") from None


async def run(sdk: Any, model: Any, requests: Sequence[Messages], *, poll_interval: float = 5.0,
              on_status: Callable[[str], None] | None = None, name: str = "ygpt-magic-batch") -> BatchOutcome:
    """Upload, start, wait, collect: the whole job for rows that fit in memory."""
    require_pyarrow()
    task = await start(model, await upload_requests(sdk, requests, name=name))
    await wait(task, poll_interval=poll_interval, on_status=on_status)
    return await collect(sdk, task, requests)


@dataclass(frozen=True)
class JobInfo:
    """What `%ygpt batch list` / `status` show of one job."""

    task_id: str
    status: str
    model: str
    created: str
    reason: str = ""           # the service's batch errors, for a FAILED job

    @property
    def running(self) -> bool:
        return self.status in RUNNING


class BatchJobs:
    """One Client's batch jobs, from the caller's thread: start, info, outcome, list, cancel."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def start(self, requests: Sequence[Messages], options: RequestOptions, *, name: str = "ygpt-magic-batch",
              layout: RowLayout | None = None, on_started: Callable[[str], None] | None = None,
              dataset: str | None = None, **extras: Any) -> str:
        """Upload the rows, then ask for the job: its task id (DatasetRejected if the rows are
        refused). Two calls, so a Ctrl-C while the rows upload is known to have asked for no job.
        ``on_started`` hears the id on the client's loop the moment the service gives it, before
        this returns: from then on a Ctrl-C passes through as KeyboardInterrupt to the caller,
        which keeps the job; before, it is BatchNotStarted (a press while the job is asked for
        first waits ASK_GRACE s for the service's answer). ``layout``: where the rows sit in the
        cell, kept with the dataset for an attach after a kernel restart. ``dataset``: these
        rows already uploaded (by a start Ctrl-C stopped, with this layout): not uploaded again."""
        require_pyarrow()
        self._guard(requests, extras)
        uploaded: list[str] = [] if dataset is None else [dataset]   # READY (or given): the job is asked for
        started: list[str] = []

        async def ask() -> str:
            task_id = _job_id((await start(self._client._model(options, extras), uploaded[0])).task_id)
            started.append(task_id)
            if on_started is not None:
                on_started(task_id)
            return task_id
        with stopping(lambda: None if started else BatchNotStarted(len(requests), options.model,
                                                                   next(iter(uploaded), None))):
            if not uploaded:
                uploaded.append(self._call(lambda: self._upload(requests, name, layout), options))
            return self._call(ask, options, grace=ASK_GRACE)

    def _guard(self, requests: Sequence[Messages], extras: Any) -> None:
        """Every row is uploaded, so every row passes the credential guard, against the kernel's
        secrets read once for the job (as many_requests.py reads them), not once a row (the
        environment read 20,000 times). A Ctrl-C while they are checked says that nothing was
        uploaded, as a press a moment earlier (planning) or later (the upload) says its step:
        it gave a raw KeyboardInterrupt traceback."""
        client = self._client
        secrets = client._secrets()
        with stopping(lambda: StoppedBeforeSending(f"the {len(requests):,} rows were checked for "
                                                   f"credentials before their upload")):
            for messages in requests:
                client._guard(messages, extras, secrets)

    async def _upload(self, requests: Sequence[Messages], name: str, layout: RowLayout | None) -> str:
        """The rows as a READY dataset, its id; DatasetRejected for rows the service refuses."""
        from yandex_cloud_ml_sdk.exceptions import DatasetValidationError  # loaded with the SDK

        try:
            dataset = await upload_requests(self._client._get_sdk(), requests, name=name,
                                            metadata=layout.metadata() if layout is not None else "")
        except DatasetValidationError as exc:
            raise DatasetRejected([_problem(e) for e in exc.errors]) from None
        return str(dataset.id)

    def info(self, task_id: str) -> JobInfo:
        return self._call(lambda: self._info(task_id))

    def outcome(self, task_id: str, requests: Sequence[Messages] | None = None) -> BatchOutcome:
        """The finished job's answers, aligned with ``requests`` (None: read back from the job),
        each row's error in the service's words as :meth:`_said` takes them in."""
        async def run() -> BatchOutcome:
            sdk = self._client._get_sdk()
            return await collect(sdk, await self._task(task_id), requests)
        outcome, said = self._call(run), self._said()
        return replace(outcome, errors={row: said(reason) for row, reason in outcome.errors.items()})

    def jobs(self, limit: int = 50) -> list[JobInfo]:
        """The folder's jobs, newest first."""
        return self._listed(lambda info: True)[:limit]

    def started_on(self, dataset: str) -> list[JobInfo]:
        """The folder's jobs asked for on ``dataset``, newest first: the service lists a
        folder's jobs with no filter by their source dataset, so the list is read whole."""
        return self._listed(lambda info: bool(info.source_dataset_id == dataset))

    def _listed(self, keep: Callable[[Any], bool]) -> list[JobInfo]:
        """The folder's jobs whose SDK info ``keep`` takes, newest first."""
        async def run() -> list[JobInfo]:
            found, said = [], self._said()
            async for info in self._client._get_sdk().batch.list_info():
                if keep(info):
                    found.append(_job_info(info, said))
            return sorted(found, key=lambda job: job.created, reverse=True)
        return self._call(run)

    def has_dataset(self, dataset: str) -> bool:
        """Whether the folder still holds ``dataset`` (False: deleted, or another folder's, which
        the cloud may answer PERMISSION_DENIED)."""
        async def run() -> bool:
            try:
                await self._client._get_sdk().datasets.get(dataset)
            except Exception as exc:
                if rpc_errors.status_of(exc)[0] in ("NOT_FOUND", "INVALID_ARGUMENT", "PERMISSION_DENIED"):
                    return False
                raise
            return True
        return self._call(run)

    def cancel(self, task_id: str) -> JobInfo:
        async def run() -> JobInfo:
            await (await self._task(task_id)).cancel()
            return await self._info(task_id)
        return self._call(run)

    def _call(self, make_coro: Callable[[], Awaitable[_T]], options: RequestOptions | None = None,
              grace: float = 0.0) -> _T:
        """Run a batch call once the endpoint accepts a connection: the SDK would wait out its
        60 s deadline on a dead one and report that as the server's. Asked again before every
        call (a poll of a --batch wait too: the server may have gone since), as a plain TCP
        connect costs little beside a call that takes as long; and asked once more beside the
        call when it has had no answer for ``reach.QUIET_AFTER`` seconds, as for any request: a
        server that stops while it holds a poll sends neither an answer nor an error. ``grace``:
        as LoopThread.run takes it."""
        return self._client.beside_reach(make_coro, options, connect_first=True, grace=grace)

    async def _task(self, task_id: str) -> Any:
        try:
            return await attach(self._client._get_sdk(), task_id)
        except Exception as exc:
            if rpc_errors.status_of(exc)[0] in ("NOT_FOUND", "INVALID_ARGUMENT"):
                raise BatchUnknown(task_id) from None
            raise

    async def _info(self, task_id: str) -> JobInfo:
        return _job_info(await (await self._task(task_id)).get_task_info(), self._said())

    def _said(self) -> Callable[[str], str]:
        """How the service's words about a job or its rows (its line and batch errors) are taken
        in: with the kernel's credentials masked (``AQVN…x9Qz``, credentials.masked_in), as a
        --map row's error details are (rpc_errors.translate), since a gateway may quote the key
        it was sent and these words go into ``_ygpt.errors``, a failed job's paragraph and
        ``%ygpt batch status``. The credentials are read once, for all of a job's rows."""
        return partial(masked_in, credentials=self._client._secrets())


def _job_info(info: Any, said: Callable[[str], str]) -> JobInfo:
    """``info`` as the kernel shows it; ``said`` takes in the service's reason for a failure."""
    created = info.created_at.strftime("%Y-%m-%d %H:%M") if info.created_at else ""
    reason = said("; ".join(e.message for e in info.errors.batch_errors))
    return JobInfo(task_id=_job_id(info.task_id), status=info.status.name, model=info.model_uri,
                   created=created, reason=reason)


def _job_id(task_id: Any) -> str:
    """A job's id as the service gave it, each control character shown as a picture of itself
    (controls.visible), as every line that names the job prints it. The service's ids are
    letters and digits; one holding an escape is a hostile server's, which then will not know
    it again (the job is reported unknown) rather than have a terminal obey it."""
    return visible(str(task_id))


def _problem(error: Any) -> str:
    rows = f" (rows {', '.join(str(r) for r in error.rows[:5])})" if error.rows else ""
    return f"{error.error}: {error.description}{rows}" if error.description else f"{error.error}{rows}"
