"""A ``--batch`` start that Ctrl-C stopped before the service's answer: never paid for twice.

A press while the job is asked for waits a little for the service's answer (client/batch.py,
ASK_GRACE), which names the job; when none comes, the cell ends with BatchNotStarted, and the
service may have made the job all the same, billed as it runs, with no id in the kernel. The
stop still knows the dataset the rows were uploaded as, and the cell knows its rows. So both
are kept (:class:`AskedStart`, in the kernel's ``batch_asked``), and the same cell run again,
before it uploads or starts anything, looks for that dataset's job: the service lists a folder's
jobs with each one's source dataset but cannot filter by it, so the client reads the list and
filters it itself (``BatchJobs.started_on``). A job found running or done is waited for, as a
job this kernel started is; none found (the ask never reached the service, or its job was
cancelled) starts one on the dataset kept, without uploading the rows again, unless the folder
no longer holds it (deleted: the rows go up anew). The output says which, in one line.

A start matches only the same rows: the same connection, the same keys of the rows it sends
(the reply cache's: model, options, schema and messages), where they sit among the cell's rows
(the dataset's layout, which an attach after a restart reads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from ..client.layout import RowLayout
from ..errors import BatchNotStarted
from ..words import counted
from .plans import before_sending


@dataclass(frozen=True)
class AskedStart:
    """The rows a stopped start asked a job for (``keys``, in upload order, and their
    ``layout``), over the connection to ``endpoint``; ``dataset``: where they were uploaded
    ("": this cell's start, not asked for yet)."""

    endpoint: str
    keys: tuple[str | None, ...]
    layout: RowLayout
    dataset: str = ""


@dataclass
class Resumed:
    """What an earlier stopped start leaves this cell's start: the job it made (``task_id``),
    or the dataset its rows are in, to start on; neither when there was no such start."""

    task_id: str | None = None
    dataset: str | None = None


def resumed(asked: list[AskedStart], start: AskedStart, client: Any, kept: Callable[[str], None]) -> Resumed:
    """Take up the stopped start of these same rows, if the kernel keeps one: its job (``kept``
    for this run, and said) or its dataset. Forgotten once looked for: a start stopped again
    is kept again (:func:`kept_if_stopped`)."""
    earlier = next((one for one in reversed(asked) if _same(one, start)), None)
    if earlier is None:
        return Resumed()
    with before_sending(f"the folder's batch jobs were searched for one on dataset {earlier.dataset}"):
        found = _found(client.batch.started_on(earlier.dataset))
        usable = found is None and client.batch.has_dataset(earlier.dataset)
    asked.remove(earlier)
    rows = counted(len(start.keys), "row")
    if found is not None:
        kept(found)
        print(f"Batch job {found}, asked for on dataset {earlier.dataset} when this cell was stopped, was "
              f"found: waiting for it rather than paying for a second job for these {rows}.")
        return Resumed(task_id=found)
    if usable:
        print(f"No job on dataset {earlier.dataset}, asked for when this cell was stopped, runs or has "
              f"finished (the ask never reached the service, or its job was cancelled or failed): starting "
              f"one on that dataset, without uploading the {rows} again.")
        return Resumed(dataset=earlier.dataset)
    print(f"Dataset {earlier.dataset}, uploaded when this cell was stopped, is no longer in the folder "
          f"and no job runs on it: uploading the {rows} again.")
    return Resumed()


def _same(earlier: AskedStart, start: AskedStart) -> bool:
    return (earlier.endpoint, earlier.keys, earlier.layout) == (start.endpoint, start.keys, start.layout)


def _found(jobs: Sequence[Any]) -> str | None:
    """The newest of a dataset's jobs that runs or has finished well (a failed or cancelled
    one is not waited for, as rows/batch.py does not wait for one of its own)."""
    return next((job.task_id for job in jobs if job.running or job.status == "COMPLETED"), None)


@contextmanager
def kept_if_stopped(asked: list[AskedStart], start: AskedStart) -> Iterator[None]:
    """A BatchNotStarted in the block that names its dataset keeps ``start`` on it in ``asked``:
    a job may run there, which the cell run again looks for."""
    try:
        yield
    except BatchNotStarted as stop:
        if stop.dataset is not None:
            asked.append(replace(start, dataset=stop.dataset))
        raise
