"""TextGenerationBatchService.Completion and BatchInferenceService (Describe, List, Cancel, Delete).

Completion starts a job (``batch.py``) and answers an Operation whose metadata carries the task
id, as in the recording; the SDK then follows the task through BatchInferenceService.Describe,
and reads the result dataset through DatasetService. The operation itself is done when the job is;
its response is a BatchCompletionResponse (task id, final status, result dataset id). Each call
but Describe is in the request log with its fields, so a test can tell that no job was asked for;
Describe is the SDK's poll, left out as GetOperation is.
"""

from __future__ import annotations

import asyncio

from yandex.cloud.ai.batch_inference.v1 import batch_inference_service_pb2 as pb
from yandex.cloud.ai.batch_inference.v1 import batch_inference_service_pb2_grpc as pb_grpc
from yandex.cloud.ai.dataset.v1.dataset_pb2 import DatasetInfo
from yandex.cloud.ai.foundation_models.v1.text_generation import text_generation_service_pb2_grpc as tg_grpc
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import (
    BatchCompletionMetadata,
    BatchCompletionRequest,
)
from yandex.cloud.operation.operation_pb2 import Operation

from ..batch import BatchJob, new_task, run_job
from ..errors import RequestError
from ..ids import new_id
from ..models import resolve_model
from ..state import EmulatorState
from .call import CallContext, unary
from .datasets import paginate
from .operations import OperationStore

_BATCHABLE = ("TextToTextGenerationRequest", "TextToTextGeneration")


class TextGenerationBatchService(tg_grpc.TextGenerationBatchServiceServicer):
    def __init__(self, state: EmulatorState, operations: OperationStore):
        self.state = state
        self.operations = operations

    async def Completion(self, request: BatchCompletionRequest, context: CallContext) -> Operation:
        return await unary(self.state, context, "BatchCompletion", lambda: self._start(request), request)

    def _start(self, request: BatchCompletionRequest) -> Operation:
        model = resolve_model(request.model_uri)
        source = self.state.datasets.get(request.source_dataset_id)
        if source.info.status != DatasetInfo.Status.READY or source.info.task_type not in _BATCHABLE:
            raise RequestError(
                "FAILED_PRECONDITION",
                f"The dataset {source.id} is {DatasetInfo.Status.Name(source.info.status)} with task type "
                f"{source.info.task_type!r}; a batch run needs a READY dataset of type "
                "TextToTextGenerationRequest (validated rows of {\"request\": [...]}).",
            )
        task_id, operation_id = new_id("fbi"), new_id("fbi")
        job = BatchJob(task=new_task(task_id, operation_id, model_folder(request.model_uri), request))
        self.state.batches.add(job)
        job.runner = asyncio.ensure_future(run_job(self.state, job, source, request))
        return self.operations.start(   # cancelling the operation cancels the job, as Cancel does
            job.runner, description=f"Batch completion with {model.label}",
            metadata=BatchCompletionMetadata(task_id=task_id), operation_id=operation_id, delay=0.0,
        )


def model_folder(model_uri: str) -> str:
    """The folder of ``gpt://<folder>/<model>/<version>``: the task's folder, as in the recording."""
    return model_uri.partition("://")[2].split("/", 1)[0]


class BatchInferenceService(pb_grpc.BatchInferenceServiceServicer):
    def __init__(self, state: EmulatorState):
        self.state = state
        self.jobs = state.batches

    async def Describe(self, request: pb.DescribeBatchInferenceRequest,
                       context: CallContext) -> pb.DescribeBatchInferenceResponse:
        return await unary(self.state, context, "DescribeBatchInference",
                           lambda: pb.DescribeBatchInferenceResponse(task=self.jobs.get(request.task_id).task))

    async def List(self, request: pb.ListBatchInferencesRequest,
                   context: CallContext) -> pb.ListBatchInferencesResponse:
        def answer() -> pb.ListBatchInferencesResponse:
            found = [job.task for job in self.jobs.find(request.folder_id, request.status)]
            page, token = paginate(found, request.page_size, request.page_token)
            return pb.ListBatchInferencesResponse(tasks=page, next_page_token=token)
        return await unary(self.state, context, "ListBatchInferences", answer, request)

    async def Cancel(self, request: pb.CancelBatchInferenceRequest,
                     context: CallContext) -> pb.CancelBatchInferenceResponse:
        def answer() -> pb.CancelBatchInferenceResponse:
            job = self.jobs.get(request.task_id)
            if not job.running:
                raise RequestError(
                    "FAILED_PRECONDITION",
                    f"The batch task {request.task_id} is already "
                    f"{job.task.Status.Name(job.task.status)}; only a running task can be cancelled.",
                )
            if job.runner is not None:
                job.runner.cancel()
            return pb.CancelBatchInferenceResponse(task_id=request.task_id)
        return await unary(self.state, context, "CancelBatchInference", answer, request)

    async def Delete(self, request: pb.DeleteBatchInferenceRequest,
                     context: CallContext) -> pb.DeleteBatchInferenceResponse:
        def answer() -> pb.DeleteBatchInferenceResponse:
            self.jobs.delete(request.task_id)
            return pb.DeleteBatchInferenceResponse(task_id=request.task_id)
        return await unary(self.state, context, "DeleteBatchInference", answer, request)
