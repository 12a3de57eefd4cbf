"""Batch Processing jobs of the local server: their store and the life of one job.

A job goes through the statuses the cloud's did in the recording ``batch_test_simple_run``:
CREATED, PENDING (the result dataset exists), IN_PROGRESS (``started_at``), then COMPLETED with
the result dataset READY; or FAILED, or CANCELED. Each row is answered by the server's responders
(replay, scripts, fallback), one after another, ``batch_row_delay`` seconds apart, so tests run
fast and a demo can look like the cloud. A model without batch support is accepted and then
FAILED, as yandexgpt/latest was in the recording ``batch_test_batch_list``. An exception the
job did not expect (a bug of ours) ends it FAILED too, as the cloud ends a job it could not run,
with batch errors that say the local server failed it, and one line in the server's log: left
IN_PROGRESS, the SDK's ``task.wait()`` polled it forever and the user's cell never ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from google.protobuf.json_format import MessageToDict, ParseDict
from google.rpc.status_pb2 import Status
from yandex.cloud.ai.batch_inference.v1.batch_inference_task_pb2 import BatchInferenceTask
from yandex.cloud.ai.batch_inference.v1.inference_options_pb2 import BatchCompletionRequest as TaskRequest
from yandex.cloud.ai.foundation_models.v1.text_common_pb2 import Message
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import (
    BatchCompletionRequest,
    BatchCompletionResponse,
    CompletionRequest,
)

from . import prompt as prompts
from .dataset_rows import GENERATION_TASK, MissingPyarrow, to_jsonlines, to_parquet
from .datasets import Dataset, DatasetStore
from .errors import RequestError
from .ids import new_id
from .keyed import Keyed
from .logs import logger
from .models import BATCH_MODELS, resolve_model
from .stream import final_response

if TYPE_CHECKING:
    from .state import EmulatorState

MAX_JOBS = 1000
TaskStatus = BatchInferenceTask.Status
RUNNING = (TaskStatus.CREATED, TaskStatus.PENDING, TaskStatus.IN_PROGRESS)
_INTERNAL = 13


@dataclass
class BatchJob:
    """One job: the task the services describe, and the coroutine that runs it."""

    task: BatchInferenceTask
    runner: asyncio.Task[BatchCompletionResponse] | None = None

    @property
    def running(self) -> bool:
        return self.task.status in RUNNING


class BatchStore:
    """Jobs by task id, oldest first, at most ``max_jobs``."""

    def __init__(self, max_jobs: int = MAX_JOBS):
        self._jobs: Keyed[BatchJob] = Keyed(
            max_jobs,
            missing=lambda key: (f"The batch task {key!r} is not on this server (deleted, or started before a "
                                 "restart: the local server keeps tasks in memory)."),
            full=lambda held: (f"The local server holds {held} batch tasks, its limit. Delete finished "
                               "ones (sdk.batch.list_operations(), task.delete()) or restart the server."),
        )

    def add(self, job: BatchJob) -> None:
        self._jobs.add(job.task.task_id, job)

    def get(self, task_id: str) -> BatchJob:
        return self._jobs.get(task_id)

    def delete(self, task_id: str) -> None:
        job = self.get(task_id)
        if job.running:
            raise RequestError(
                "FAILED_PRECONDITION",
                f"The batch task {task_id} is {TaskStatus.Name(job.task.status)}; cancel it first "
                "(task.cancel()), then delete it.",
            )
        self._jobs.pop(task_id)

    def find(self, folder_id: str, status: int = 0) -> list[BatchJob]:
        return [j for j in self._jobs if j.task.folder_id == folder_id and (not status or j.task.status == status)]


def new_task(task_id: str, operation_id: str, folder_id: str, request: BatchCompletionRequest) -> BatchInferenceTask:
    """The task of a TextGenerationBatchService.Completion request, CREATED."""
    task = BatchInferenceTask(
        task_id=task_id, operation_id=operation_id, folder_id=folder_id, model_uri=request.model_uri,
        source_dataset_id=request.source_dataset_id, status=TaskStatus.CREATED, created_by="local-user",
    )
    task.completion_request.CopyFrom(
        ParseDict(MessageToDict(request), TaskRequest(), ignore_unknown_fields=True))
    task.created_at.GetCurrentTime()
    return task


class _Failed(Exception):
    """The job ends FAILED, with this message as its batch error."""


async def run_job(state: EmulatorState, job: BatchJob, source: Dataset,
                  request: BatchCompletionRequest) -> BatchCompletionResponse:
    """The life of one job; its result is what the job's operation answers."""
    task, rows = job.task, source.info.rows
    try:
        await _run(state, task, source.rows(), request)
        task.status = TaskStatus.COMPLETED
        task.errors.status.CopyFrom(Status())
    except asyncio.CancelledError:
        task.status = TaskStatus.CANCELED
        _drop_result(state.datasets, task)
    except (_Failed, MissingPyarrow, RequestError) as error:   # RequestError: no room for the result
        _drop_result(state.datasets, task)
        _fail(task, getattr(error, "message", str(error)), rows)
    except Exception as error:   # a bug of ours: the job ends, and says whose fault it was
        logger.error("Batch task %s FAILED on an error of the local server: %s: %s",
                     task.task_id, type(error).__name__, error)
        _drop_result(state.datasets, task)
        _fail(task, _ours(error), rows)
    task.finished_at.GetCurrentTime()
    return _response(task)


async def _run(state: EmulatorState, task: BatchInferenceTask, rows: Iterable[dict[str, Any]],
               request: BatchCompletionRequest) -> None:
    """CREATED → PENDING → IN_PROGRESS → the result dataset READY (or _Failed)."""
    await asyncio.sleep(state.batch_row_delay)
    model = resolve_model(task.model_uri)
    if model.name not in BATCH_MODELS:
        raise _Failed(f"The model {model.label} does not support Batch Processing. Models that do: "
                      f"{', '.join(sorted(BATCH_MODELS))}.")
    result = _result_dataset(state.datasets, task, task.source_dataset_id)
    task.status = TaskStatus.PENDING
    await asyncio.sleep(state.batch_row_delay)
    task.status = TaskStatus.IN_PROGRESS
    task.started_at.GetCurrentTime()
    state.faults.crash_if_due("BatchJob")
    answered = await _answer_rows(state, task, rows, request)
    if not answered:
        raise _Failed("No row of the dataset could be answered; see the line errors.")
    result.parquet = to_parquet(answered, with_response=True)
    result.set_ready(to_jsonlines(answered), len(answered), len(result.parquet))


async def _answer_rows(state: EmulatorState, task: BatchInferenceTask, rows: Iterable[dict[str, Any]],
                       request: BatchCompletionRequest) -> list[dict[str, Any]]:
    """Each row's request and its answer; a row that cannot be answered (or that an injected
    ``faults.fail_next(n, method="BatchRow")`` fails) is a line error, not a result row."""
    answered = []
    loop = asyncio.get_running_loop()
    due = loop.time()
    for number, row in enumerate(rows, start=1):
        completion = CompletionRequest(
            model_uri=task.model_uri, completion_options=request.completion_options,
            messages=[Message(role=m["role"], text=m["text"]) for m in row["request"]],
            json_object=request.json_object,
        )
        if request.HasField("json_schema"):
            completion.json_schema.CopyFrom(request.json_schema)
        state.record(prompts.received("BatchRow", completion))
        try:
            failure = state.faults.take_failure("BatchRow")
            if failure is not None:
                raise RequestError(*failure)
            prompt = prompts.parse(completion)
            final = await final_response(prompt, state.responders.respond(prompt))
            answered.append({"request": row["request"], "response": final.alternatives[0].message.text})
        except Exception as error:  # a responder (a local model) failed: that row only
            task.errors.line_errors.add(line_number=number, message=getattr(error, "message", str(error)))
        due += state.batch_row_delay   # a steady pace: the time a row takes is part of its delay
        await asyncio.sleep(max(0.0, due - loop.time()))
    return answered


def _result_dataset(datasets: DatasetStore, task: BatchInferenceTask, source_id: str) -> Dataset:
    result = datasets.create(
        new_id("fds"), folder_id=task.folder_id, task_type=GENERATION_TASK, upload_format="jsonlines",
        name=f"Batch inference {task.task_id} result",
        labels={"foundation_models_batch_task_id": task.task_id, "foundation_models_source_dataset": source_id},
    )
    task.result_dataset_id = result.id
    return result


def _drop_result(datasets: DatasetStore, task: BatchInferenceTask) -> None:
    if task.result_dataset_id:
        try:
            datasets.delete(task.result_dataset_id)
        except RequestError:   # the user deleted it already
            pass
        task.result_dataset_id = ""


def _ours(error: Exception) -> str:
    """A job's batch error for an exception the server did not expect: whose fault it is."""
    return (f"The local server failed it on an error of its own, not of the rows or the model "
            f"({type(error).__name__}: {error}); its log has the line.")


def _fail(task: BatchInferenceTask, message: str, rows: int) -> None:
    task.status = TaskStatus.FAILED
    task.errors.status.CopyFrom(Status(code=_INTERNAL, message=message))
    task.errors.batch_errors.add(batch_number=0, first_line=1, last_line=max(rows, 1), message=message)


def _response(task: BatchInferenceTask) -> BatchCompletionResponse:
    # the two services number a task's status alike under two enum types of their own
    return BatchCompletionResponse(task_id=task.task_id, task_status=task.status,  # type: ignore[arg-type]
                                   result_dataset_id=task.result_dataset_id)
