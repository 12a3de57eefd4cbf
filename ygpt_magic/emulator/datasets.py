"""The datasets of one local server: drafts being uploaded, validated rows, batch results.

Datasets live in memory, so the store is bounded (a count and a byte budget): a server left
running under a notebook for days cannot grow without limit, and when it is full it says how to
make room instead of failing somewhere else. Only the server's event loop touches the store.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from yandex.cloud.ai.dataset.v1.dataset_pb2 import DatasetInfo, ValidationError

from .dataset_rows import rows_of
from .errors import RequestError
from .keyed import Keyed

MAX_DATASETS = 500
MAX_BYTES = 512 * 1024 * 1024
#: the owner the cloud records; the local server has one user
CREATED_BY = "local-user"


@dataclass
class Dataset:
    """One dataset: its description (what DescribeDataset answers) and its content."""

    info: DatasetInfo
    upload_format: str
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    draft: bytes = b""                                   # the upload, until validated
    parts: dict[int, bytes] = field(default_factory=dict)  # multipart upload, by part number
    content: bytes | None = None                         # validated rows, as jsonlines
    parquet: bytes | None = None                         # the download, written once

    @property
    def id(self) -> str:
        return self.info.dataset_id

    @property
    def held_bytes(self) -> int:
        """What the dataset costs in memory: uploads, validated rows, the download."""
        return (len(self.draft) + sum(map(len, self.parts.values())) + len(self.content or b"")
                + len(self.parquet or b""))

    def rows(self) -> Iterator[dict[str, Any]]:
        """The validated rows, parsed one at a time (none before validation)."""
        return rows_of(self.info.task_type, self.content or b"")

    def touch(self) -> None:
        self.info.updated_at.GetCurrentTime()

    def set_invalid(self, errors: Iterable[ValidationError]) -> None:
        self.info.status = DatasetInfo.Status.INVALID
        del self.info.validation_error[:]
        self.info.validation_error.extend(errors)
        self.touch()

    def set_ready(self, content: bytes, rows: int, size_bytes: int) -> None:
        self.content, self.draft, self.parts = content, b"", {}
        self.info.status = DatasetInfo.Status.READY
        self.info.rows = rows
        self.info.size_bytes = size_bytes
        del self.info.validation_error[:]
        self.touch()


class DatasetStore:
    """Datasets by id, bounded by ``max_datasets`` and ``max_bytes``."""

    def __init__(self, max_datasets: int = MAX_DATASETS, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self._datasets: Keyed[Dataset] = Keyed(
            max_datasets,
            missing=lambda key: (f"The dataset {key!r} is not on this server (it may have been deleted, or "
                                 "uploaded before a restart: the local server keeps datasets in memory). "
                                 "Upload it again."),
            full=lambda held: (f"The local server holds {held} datasets, its limit. Delete some "
                               "(sdk.datasets.list() gives them; dataset.delete()) or restart the server."),
        )

    def create(self, dataset_id: str, *, folder_id: str, task_type: str, upload_format: str, name: str = "",
               description: str = "", metadata: str = "", labels: dict[str, str] | None = None,
               allow_data_log: bool = False) -> Dataset:
        info = DatasetInfo(
            dataset_id=dataset_id, folder_id=folder_id, name=name, description=description, metadata=metadata,
            status=DatasetInfo.Status.DRAFT, task_type=task_type, labels=labels or {},
            created_by_id=CREATED_BY, created_by=CREATED_BY, allow_data_log=allow_data_log,
        )
        info.created_at.GetCurrentTime()
        info.updated_at.CopyFrom(info.created_at)
        return self._datasets.add(dataset_id, Dataset(info=info, upload_format=upload_format))

    def get(self, dataset_id: str) -> Dataset:
        return self._datasets.get(dataset_id)

    def delete(self, dataset_id: str) -> None:
        self._datasets.pop(dataset_id)

    def find(self, *, folder_id: str, name_pattern: str = "", statuses: Iterable[int] = (),
             task_types: Iterable[str] = ()) -> list[Dataset]:
        """The folder's datasets, oldest first, filtered like ListDatasets (empty filter: all)."""
        statuses, task_types = set(statuses), set(task_types)
        return [
            d for d in self._datasets
            if d.info.folder_id == folder_id
            and (not name_pattern or _matches(d.info.name, name_pattern))
            and (not statuses or d.info.status in statuses)
            and (not task_types or d.info.task_type in task_types)
        ]

    def reserve(self, size: int) -> None:
        """Refuse an upload of ``size`` bytes that would overflow the byte budget."""
        held = sum(d.held_bytes for d in self._datasets)
        if held + size > self.max_bytes:
            raise RequestError(
                "RESOURCE_EXHAUSTED",
                f"An upload of {size} bytes does not fit: the local server holds {held} bytes of "
                f"datasets and keeps at most {self.max_bytes}. Delete datasets you no longer need "
                "or restart the server.",
            )

    def __len__(self) -> int:
        return len(self._datasets)


def _matches(name: str, pattern: str) -> bool:
    """The cloud filters by a name pattern; a plain word matches names containing it."""
    if any(c in pattern for c in "*?["):
        return fnmatchcase(name, pattern)
    return pattern in name


def etag(data: bytes) -> str:
    """The ETag object storage answers an upload with (quoted MD5), checked when parts are joined."""
    return f'"{hashlib.md5(data).hexdigest()}"'
