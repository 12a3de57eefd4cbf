"""Reading a Batch Processing job that goes on in the cloud: its status polled into the bar,
its status or answers read, and a read that fails in passing tried again.

A job is paid for once, whatever happens to a read of it: a status poll or the read of the
answers that fails in passing (the service's INTERNAL, its rate limit, its deadline) is tried
again after 1, 2 and 4 poll intervals; if it still fails, or fails otherwise, the read ends with
:class:`~ygpt_magic.errors.BatchNotCollected`, which says how to collect the job later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from ..errors import BatchNotCollected, BatchUnknown, QuotaExceeded, ServerFailed, ServerTimeout, YGptError
from .progress_bar import Progress

_T = TypeVar("_T")

#: what a moment's wait may cure: the service's own failure (INTERNAL and the like), its rate
#: limit, a deadline it gave up on. Not UNAVAILABLE: the SDK has retried that already, and a
#: server that refuses connections is said at once (client/batch.py, BatchJobs._call).
PASSING = (ServerFailed, QuotaExceeded, ServerTimeout)
#: how many times a read that failed in passing is tried again (after 1, 2, 4 poll intervals)
RETRIES = 3


def wait(client: Any, task_id: str, progress: Progress, poll_interval: float, out: str | None = None) -> bool:
    """Poll the job's status into the progress bar; False when Ctrl-C stopped the waiting
    (BatchNotCollected when the status cannot be read: ``out`` is named in what to do)."""
    try:
        while True:
            info = read(partial(client.batch.info, task_id), task_id, out, poll_interval)
            progress.status(info.status)
            if not info.running:
                return True
            time.sleep(poll_interval)
    except KeyboardInterrupt:
        return False


def read(call: Callable[[], _T], task_id: str, out: str | None, poll_interval: float, *,
          finished: bool = False) -> _T:
    """``call()``, a read of job ``task_id`` (its status, or its answers once ``finished``);
    BatchNotCollected when it fails for good, as the job goes on whatever happened to the read
    (BatchUnknown as it is: there is no job to collect)."""
    try:
        return _patiently(call, poll_interval)
    except BatchUnknown:
        raise
    except YGptError as exc:
        raise BatchNotCollected(task_id, out, exc, finished=finished) from exc


def _patiently(call: Callable[[], _T], poll_interval: float) -> _T:
    """``call()``, tried again up to RETRIES times when it fails in passing (PASSING), after 1,
    2 and 4 poll intervals."""
    for attempt in range(RETRIES):
        try:
            return call()
        except PASSING:
            time.sleep(poll_interval * 2 ** attempt)
    return call()
