"""DatasetService: datasets created, uploaded through presigned URLs, validated, listed, read back.

The life the SDK expects (recording ``batch_test_simple_run``): Create (DRAFT), GetUploadDraftUrl
or StartMultipartUploadDraft/FinishMultipartUploadDraft, an HTTP PUT to those URLs (served by
``http/files.py`` on this server's ``http_url``), Validate (an Operation the OperationService
answers; READY or INVALID with the bad rows), Describe, List, GetDownloadUrls (parquet), Delete.
Validation is done by the first poll, so ``draft.upload()`` (which polls every 60 s) returns at once.
Every call is in the request log with its fields (``ReceivedRequest.fields``), so a test can tell
that nothing was uploaded; the rows go to the upload URL, never into the log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from yandex.cloud.ai.dataset.v1 import dataset_service_pb2 as pb
from yandex.cloud.ai.dataset.v1 import dataset_service_pb2_grpc as pb_grpc
from yandex.cloud.ai.dataset.v1.dataset_pb2 import DatasetFileDownloadUrl, DatasetInfo, DatasetUploadSchema
from yandex.cloud.operation.operation_pb2 import Operation

from .. import dataset_rows
from ..addresses import handed_out_url, toward
from ..datasets import Dataset, etag
from ..errors import RequestError
from ..ids import new_id
from ..state import EmulatorState
from .call import CallContext, unary
from .operations import OperationStore

#: the key of a dataset's one download file (the recording's)
DOWNLOAD_KEY = "main"
#: where the HTTP side serves uploads and downloads (``http/files.py``)
STORAGE_PATH = "/storage/datasets"
_DRAFTS = (DatasetInfo.Status.DRAFT, DatasetInfo.Status.INVALID)
T = TypeVar("T")


def upload_url(state: EmulatorState, context: CallContext, dataset: Dataset, part: int | None = None) -> str:
    """A presigned URL on this server's HTTP side: the whole draft, or one part of it."""
    where = "draft" if part is None else f"parts/{part}"
    return f"{storage(state, context)}/{dataset.id}/{where}?token={dataset.token}"


def download_url(state: EmulatorState, context: CallContext, dataset: Dataset) -> str:
    return f"{storage(state, context)}/{dataset.id}/{DOWNLOAD_KEY}?token={dataset.token}"


def storage(state: EmulatorState, context: CallContext) -> str:
    """Where the HTTP side keeps datasets, as the calling client reaches it: for a server on
    every interface, at this machine's address on the route to the client (as discovery hands
    out), not its loopback, which on another machine is that machine's own."""
    return handed_out_url(state.listening, state.http_url, toward(context.peer())) + STORAGE_PATH


def parquet_of(dataset: Dataset) -> bytes:
    """The dataset's download, written on first use (READY datasets only)."""
    if dataset.parquet is None:
        with_response = dataset.info.task_type == dataset_rows.GENERATION_TASK
        try:
            dataset.parquet = dataset_rows.to_parquet(dataset.rows(), with_response=with_response)
        except dataset_rows.MissingPyarrow as error:
            raise RequestError("FAILED_PRECONDITION", str(error)) from None
    return dataset.parquet


async def _done(value: T) -> T:
    return value


class DatasetService(pb_grpc.DatasetServiceServicer):
    def __init__(self, state: EmulatorState, operations: OperationStore):
        self.state = state
        self.store = state.datasets
        self.operations = operations

    async def _answer(self, context: CallContext, method: str, answer: Callable[[], T], request: Any) -> T:
        """The call answered, and recorded in the request log with its fields (never rows)."""
        return await unary(self.state, context, method, answer, request)

    def _draft(self, dataset_id: str) -> Dataset:
        dataset = self.store.get(dataset_id)
        if dataset.info.status not in _DRAFTS:
            raise RequestError(
                "FAILED_PRECONDITION",
                f"The dataset {dataset_id} is {DatasetInfo.Status.Name(dataset.info.status)}: only a "
                "draft takes an upload. Create a new dataset for new rows.",
            )
        return dataset

    async def Create(self, request: pb.CreateDatasetRequest, context: CallContext) -> pb.CreateDatasetResponse:
        def answer() -> pb.CreateDatasetResponse:
            dataset_rows.check_task_type(request.task_type, request.upload_format)
            dataset_rows.warm_up()
            dataset = self.store.create(
                new_id("fds"), folder_id=request.folder_id, task_type=request.task_type,
                upload_format=request.upload_format, name=request.name, description=request.description,
                metadata=request.metadata, labels=dict(request.labels), allow_data_log=request.allow_data_log,
            )
            return pb.CreateDatasetResponse(dataset_id=dataset.id, dataset=dataset.info)
        return await self._answer(context, "CreateDataset", answer, request)

    async def Describe(self, request: pb.DescribeDatasetRequest, context: CallContext) -> pb.DescribeDatasetResponse:
        return await self._answer(context, "DescribeDataset",
                                  lambda: pb.DescribeDatasetResponse(dataset=self.store.get(request.dataset_id).info),
                                  request)

    async def Update(self, request: pb.UpdateDatasetRequest, context: CallContext) -> pb.UpdateDatasetResponse:
        def answer() -> pb.UpdateDatasetResponse:
            info = self.store.get(request.dataset_id).info
            for path in request.update_mask.paths:
                if path == "labels":
                    info.labels.clear()
                    info.labels.update(request.labels)
                elif path in ("name", "description"):
                    setattr(info, path, getattr(request, path))
            info.updated_at.GetCurrentTime()
            return pb.UpdateDatasetResponse(dataset=info)
        return await self._answer(context, "UpdateDataset", answer, request)

    async def Delete(self, request: pb.DeleteDatasetRequest, context: CallContext) -> pb.DeleteDatasetResponse:
        def answer() -> pb.DeleteDatasetResponse:
            self.store.delete(request.dataset_id)
            return pb.DeleteDatasetResponse()
        return await self._answer(context, "DeleteDataset", answer, request)

    async def List(self, request: pb.ListDatasetsRequest, context: CallContext) -> pb.ListDatasetsResponse:
        def answer() -> pb.ListDatasetsResponse:
            found = self.store.find(folder_id=request.folder_id, name_pattern=request.dataset_name_pattern,
                                    statuses=request.status, task_types=request.task_type_filter)
            page, token = paginate(found, request.page_size, request.page_token)
            return pb.ListDatasetsResponse(datasets=[d.info for d in page], next_page_token=token)
        return await self._answer(context, "ListDatasets", answer, request)

    async def GetUploadDraftUrl(self, request: pb.GetUploadDraftUrlRequest,
                                context: CallContext) -> pb.GetUploadDraftUrlResponse:
        def answer() -> pb.GetUploadDraftUrlResponse:
            dataset = self._draft(request.dataset_id)
            self.store.reserve(request.size_bytes)
            url = upload_url(self.state, context, dataset)
            return pb.GetUploadDraftUrlResponse(dataset_id=dataset.id, upload_url=url)
        return await self._answer(context, "GetUploadDraftUrl", answer, request)

    async def StartMultipartUploadDraft(self, request: pb.StartMultipartUploadDraftRequest,
                                        context: CallContext) -> pb.StartMultipartUploadDraftResponse:
        def answer() -> pb.StartMultipartUploadDraftResponse:
            dataset = self._draft(request.dataset_id)
            if request.parts < 1:
                raise RequestError("INVALID_ARGUMENT", "A multipart upload needs at least one part.")
            self.store.reserve(request.size_bytes)
            dataset.parts.clear()
            urls = [upload_url(self.state, context, dataset, part) for part in range(1, request.parts + 1)]
            return pb.StartMultipartUploadDraftResponse(dataset_id=dataset.id, multipart_upload_urls=urls)
        return await self._answer(context, "StartMultipartUploadDraft", answer, request)

    async def FinishMultipartUploadDraft(self, request: pb.FinishMultipartUploadDraftRequest,
                                         context: CallContext) -> pb.FinishMultipartUploadDraftResponse:
        def answer() -> pb.FinishMultipartUploadDraftResponse:
            dataset = self._draft(request.dataset_id)
            numbers = [part.part_num for part in request.uploaded_parts]
            missing = [n for n in numbers if n not in dataset.parts]
            wrong = [p.part_num for p in request.uploaded_parts
                     if p.part_num in dataset.parts and p.etag != etag(dataset.parts[p.part_num])]
            if missing or wrong or not numbers:
                raise RequestError(
                    "FAILED_PRECONDITION",
                    f"The multipart upload of {dataset.id} does not match what was uploaded "
                    f"(parts not uploaded: {missing or 'none'}; wrong ETag: {wrong or 'none'}). "
                    "Upload the dataset again.",
                )
            dataset.draft = b"".join(dataset.parts[n] for n in sorted(numbers))
            dataset.parts.clear()
            return pb.FinishMultipartUploadDraftResponse(dataset_id=dataset.id)
        return await self._answer(context, "FinishMultipartUploadDraft", answer, request)

    async def Validate(self, request: pb.ValidateDatasetRequest, context: CallContext) -> Operation:
        def answer() -> Operation:
            dataset = self._draft(request.dataset_id)
            result = dataset_rows.validate(dataset.info.task_type, dataset.draft)
            if result.is_valid:
                dataset.set_ready(dataset.draft, result.valid, len(dataset.draft))
            else:
                dataset.set_invalid(result.errors)
            metadata = pb.ValidateDatasetMetadata(dataset_id=dataset.id, valid_rows=result.valid,
                                                  processed_rows=result.total, total_rows=result.total)
            response = pb.ValidateDatasetResponse(dataset_id=dataset.id, is_valid=result.is_valid,
                                                  errors=result.errors)
            return self.operations.start(_done(response), description="Validate dataset",
                                         metadata=metadata, operation_id=new_id("fds"), delay=0.0)
        return await self._answer(context, "ValidateDataset", answer, request)

    async def GetDownloadUrls(self, request: pb.GetDownloadUrlsRequest,
                              context: CallContext) -> pb.GetDownloadUrlsResponse:
        def answer() -> pb.GetDownloadUrlsResponse:
            dataset = self.store.get(request.dataset_id)
            if dataset.info.status != DatasetInfo.Status.READY:
                raise RequestError(
                    "FAILED_PRECONDITION",
                    f"The dataset {dataset.id} is {DatasetInfo.Status.Name(dataset.info.status)}; only "
                    "READY datasets can be downloaded.",
                )
            parquet_of(dataset)
            urls = [DatasetFileDownloadUrl(key=DOWNLOAD_KEY, url=download_url(self.state, context, dataset))]
            return pb.GetDownloadUrlsResponse(dataset_id=dataset.id, download_urls=urls)
        return await self._answer(context, "GetDownloadUrls", answer, request)

    async def ListUploadFormats(self, request: pb.ListUploadFormatsRequest,
                                context: CallContext) -> pb.ListUploadFormatsResponse:
        def answer() -> pb.ListUploadFormatsResponse:
            dataset_rows.check_kept(request.task_type)
            return pb.ListUploadFormatsResponse(formats=dataset_rows.UPLOAD_FORMATS)
        return await self._answer(context, "ListUploadFormats", answer, request)

    async def ListUploadSchemas(self, request: pb.ListUploadSchemasRequest,
                                context: CallContext) -> pb.ListUploadSchemasResponse:
        def answer() -> pb.ListUploadSchemasResponse:
            dataset_rows.check_kept(request.task_type)
            schemas = [
                DatasetUploadSchema(task_type=request.task_type, upload_format=upload_format,
                                    schema=dataset_rows.schema_text(request.task_type))
                for upload_format in dataset_rows.UPLOAD_FORMATS
            ]
            return pb.ListUploadSchemasResponse(schemas=schemas)
        return await self._answer(context, "ListUploadSchemas", answer, request)


def paginate(items: list[T], page_size: int, page_token: str) -> tuple[list[T], str]:
    """One page and the token of the next ('' at the end); page_size 0 means all."""
    start = int(page_token) if page_token.isdigit() else 0
    if page_size <= 0:
        return items[start:], ""
    end = start + page_size
    return items[start:end], str(end) if end < len(items) else ""
