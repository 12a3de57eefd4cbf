"""The object storage behind dataset uploads and downloads: the presigned URLs DatasetService hands out.

In the cloud these are S3 URLs signed for one dataset (``batch_test_simple_run.yaml``: a PUT of the
jsonlines body, answered 200 with an ``ETag``; ``datasets_test_simple_read.yaml``: a GET of the
parquet file). Here they point at this server's HTTP side, and the token in the query string plays
the signature: the SDK sends these requests without credentials, as it does to S3.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
from aiohttp import web

from ..datasets import Dataset, etag
from ..errors import RequestError
from ..logs import logger
from ..services.datasets import STORAGE_PATH, parquet_of
from ..state import EmulatorState

_CHUNK = 1024 * 1024


def add_routes(app: web.Application, state: EmulatorState) -> None:
    files = _Files(state)
    app.router.add_put(STORAGE_PATH + "/{dataset_id}/draft", files.put_draft)
    app.router.add_put(STORAGE_PATH + "/{dataset_id}/parts/{part:[0-9]+}", files.put_part)
    app.router.add_get(STORAGE_PATH + "/{dataset_id}/{key}", files.get)


class _Files:
    def __init__(self, state: EmulatorState):
        self.state = state

    def _dataset(self, request: web.Request) -> Dataset:
        dataset = self.state.datasets.get(request.match_info["dataset_id"])
        if request.query.get("token") != dataset.token:
            raise RequestError(grpc.StatusCode.PERMISSION_DENIED,
                               "The URL's token does not match the dataset; ask DatasetService for a new URL.")
        return dataset

    async def _body(self, request: web.Request) -> bytes:
        """The upload, refused early when it cannot fit in the server's dataset budget."""
        store = self.state.datasets
        if request.content_length:
            store.reserve(request.content_length)
        chunks, size = [], 0
        async for chunk in request.content.iter_chunked(_CHUNK):
            size += len(chunk)
            store.reserve(size)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _answer(self, request: web.Request,
                      action: Callable[[Dataset], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        """Run ``action(dataset)``, logging one line with the path only (never the URL's token);
        a refusal (RequestError) goes on to the app's middleware, which writes the error JSON."""
        status = "INTERNAL"
        try:
            response = await action(self._dataset(request))
            status = str(response.status)
            return response
        except RequestError as error:
            status = error.code.name
            raise
        finally:
            logger.info("storage %s %s status=%s", request.method, request.path, status)

    async def put_draft(self, request: web.Request) -> web.StreamResponse:
        async def store(dataset: Dataset) -> web.Response:
            dataset.draft = await self._body(request)
            return web.Response(headers={"ETag": etag(dataset.draft)})
        return await self._answer(request, store)

    async def put_part(self, request: web.Request) -> web.StreamResponse:
        async def store(dataset: Dataset) -> web.Response:
            data = dataset.parts[int(request.match_info["part"])] = await self._body(request)
            return web.Response(headers={"ETag": etag(data)})
        return await self._answer(request, store)

    async def get(self, request: web.Request) -> web.StreamResponse:
        async def send(dataset: Dataset) -> web.Response:
            if dataset.content is None:
                raise RequestError(grpc.StatusCode.NOT_FOUND, f"The dataset {dataset.id} has no rows yet.")
            body = parquet_of(dataset)
            return web.Response(body=body, content_type="application/octet-stream", headers={"ETag": etag(body)})
        return await self._answer(request, send)
