"""Fault injection: make the local server slow, failing or flaky on demand.

Tests of the client and the magics need the failures a real network and a busy cloud produce
(latency, UNAVAILABLE, a stream cut halfway, a stall) and need them exactly when they ask. The
test thread sets faults; the server's event loop reads them, so every access holds a lock.
Benchmarks need the cloud's pace rather than a failure: ``CLOUD_LIKE`` is its first-chunk and
per-chunk latency, so overheads are judged against the time a user actually waits.
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass, field
from typing import TypeVar

import grpc

from .errors import status_code


@dataclass
class _Pending:
    """A fault for the next ``remaining`` calls of ``method`` (``*``: of any method), once
    ``after`` of them have gone through untouched."""

    remaining: int
    method: str
    after: int = field(default=0, kw_only=True)


@dataclass
class _Failure(_Pending):
    code: grpc.StatusCode
    message: str


@dataclass
class _Hold(_Pending):
    seconds: float
    held: threading.Event


_P = TypeVar("_P", bound=_Pending)

#: The calls a fault can target, by the name the request log shows: every RPC but discovery
#: (TextEmbedding covers gRPC, REST and /v1/embeddings alike; AsyncCompletion is the deferred
#: Completion), and BatchRow: one row of a batch job, which then becomes a line error of the
#: task. A name outside it is refused: a fault that can never fire would let a test pass for
#: the wrong reason.
METHODS = (
    "Completion", "AsyncCompletion", "GetOperation", "CancelOperation", "Tokenize", "TokenizeCompletion",
    "TextEmbedding", "Classify", "FewShotClassify",
    "CreateDataset", "DescribeDataset", "UpdateDataset", "DeleteDataset", "ListDatasets", "ValidateDataset",
    "GetUploadDraftUrl", "StartMultipartUploadDraft", "FinishMultipartUploadDraft", "GetDownloadUrls",
    "ListUploadFormats", "ListUploadSchemas",
    "BatchCompletion", "DescribeBatchInference", "ListBatchInferences", "CancelBatchInference",
    "DeleteBatchInference", "BatchRow",
)
#: where a test can make the server's own code raise (``crash_next``): BatchJob, the run of a
#: batch job outside its rows (a row's exception is that row's line error)
CRASHABLE = ("BatchJob",)


class InjectedCrash(RuntimeError):
    """An exception the server's code did not expect, raised on purpose (``Faults.crash_next``):
    what a bug of ours would raise there."""


def method_name(method: str) -> str:
    """``method`` if a fault can target it (one of METHODS, or ``*`` for all of them); else a
    ValueError that lists them, as an unknown status is refused (errors.status_code)."""
    if method == "*" or method in METHODS:
        return method
    close = [name for name in METHODS if name.lower() == method.lower()] or \
        difflib.get_close_matches(method, METHODS, n=1)
    hint = f"; did you mean {close[0]}?" if close else "."
    raise ValueError(f"Unknown RPC {method!r} for a fault{hint} Use one of: {', '.join(METHODS)}, "
                     "or '*' for all of them (spelt as the request log shows them).")


def _take_for(method: str, pending: list[_P]) -> _P | None:
    """The first of ``pending`` for this call's ``method``, one of its calls used (the caller
    holds the lock)."""
    for fault in pending:
        if fault.method in ("*", method):
            if fault.after > 0:   # this call goes through untouched by it; a later fault may take it
                fault.after -= 1
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                pending.remove(fault)
            return fault
    return None


@dataclass
class _StreamFault:
    after: int
    remaining: int
    code: grpc.StatusCode | None = None
    seconds: float = 0.0


#: the cloud's pace, as ``(first chunk, each later chunk)`` seconds: the first chunk of a
#: YandexGPT answer arrives after about 100 ms, the next ones about 20 ms apart
CLOUD_LIKE = (0.1, 0.02)


@dataclass(frozen=True)
class StreamPlan:
    """What faults apply to one Completion call, taken when the call starts."""

    latency: float = 0.0
    first_latency: float | None = None
    break_after: int | None = None
    break_code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE
    stall_after: int | None = None
    stall_seconds: float = 0.0

    def delay(self, chunk: int) -> float:
        """Seconds to wait before response number ``chunk`` (0 is the first) leaves."""
        if chunk == 0 and self.first_latency is not None:
            return self.first_latency
        return self.latency


class Faults:
    """The control API: ``server.faults.latency(0.05)``, ``fail_next(2, "UNAVAILABLE")``, ..."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latency = 0.0
        self._first_latency: float | None = None
        self._failures: list[_Failure] = []
        self._holds: list[_Hold] = []
        self._answer_holds: list[_Hold] = []
        self._breaks: list[_StreamFault] = []
        self._stalls: list[_StreamFault] = []
        self._crashes: list[_Pending] = []

    def latency(self, seconds_per_chunk: float) -> None:
        """Wait this long before every response message (each chunk of a stream), until clear()."""
        if seconds_per_chunk < 0:
            raise ValueError("Latency must be zero or more seconds.")
        with self._lock:
            self._latency = float(seconds_per_chunk)

    def first_chunk_latency(self, seconds: float) -> None:
        """Wait this long before the first response message instead of the per-chunk latency,
        until clear(): ``first_chunk_latency(0.1)`` with ``latency(0.02)`` answers at the cloud's
        pace (``CLOUD_LIKE``), where the first chunk is slower than the ones after it."""
        if seconds < 0:
            raise ValueError("Latency must be zero or more seconds.")
        with self._lock:
            self._first_latency = float(seconds)

    def fail_next(
        self,
        n: int,
        code: str | grpc.StatusCode = "UNAVAILABLE",
        message: str | None = None,
        method: str = "Completion",
        after: int = 0,
    ) -> None:
        """Fail the next ``n`` calls of ``method`` (one of METHODS, or "*": any of them) with
        ``code``, once ``after`` calls of it have been answered as usual."""
        method = method_name(method)
        grpc_code = status_code(code)
        text = message or f"Injected fault: {grpc_code.name} (set by the test through server.faults)."
        with self._lock:
            self._failures.append(_Failure(int(n), method, code=grpc_code, message=text, after=int(after)))

    def hold_next(self, n: int, method: str, seconds: float = 3600.0, after: int = 0, *,
                  answered: bool = False) -> threading.Event:
        """The next ``n`` calls of ``method`` (as fail_next names them), once ``after`` calls of it
        have been answered as usual, are taken and left unanswered for ``seconds``: a server that
        goes quiet in the middle of a call. The event is set when the first of them is held, so a
        test can act exactly then (stop the server, press Ctrl-C). ``answered``: a unary call does
        its work first (a batch job is created) and only its answer is held, as when an answer is
        slow on its way back: a client that gives up then has not stopped what the server did."""
        hold = _Hold(int(n), method_name(method), seconds=float(seconds), held=threading.Event(), after=int(after))
        with self._lock:
            (self._answer_holds if answered else self._holds).append(hold)
        return hold.held

    def take_hold(self, method: str, *, answered: bool = False) -> float:
        """Seconds this call is to be held (0: none pending) before its work, or after it when
        ``answered``; consumes one and sets its event."""
        with self._lock:
            hold = _take_for(method, self._answer_holds if answered else self._holds)
        if hold is None:
            return 0.0
        hold.held.set()
        return hold.seconds

    def break_stream_after(self, k: int, code: str | grpc.StatusCode = "UNAVAILABLE", times: int = 1) -> None:
        """The next ``times`` Completion calls send ``k`` responses, then end with ``code``."""
        with self._lock:
            self._breaks.append(_StreamFault(after=int(k), remaining=int(times), code=status_code(code)))

    def stall_after(self, k: int, seconds: float, times: int = 1) -> None:
        """The next ``times`` Completion calls pause ``seconds`` after ``k`` responses."""
        with self._lock:
            self._stalls.append(_StreamFault(after=int(k), remaining=int(times), seconds=float(seconds)))

    def clear(self) -> None:
        """Remove every fault (the pytest fixture calls this before each test)."""
        with self._lock:
            self._latency = 0.0
            self._first_latency = None
            self._failures.clear()
            self._holds.clear()
            self._answer_holds.clear()
            self._breaks.clear()
            self._stalls.clear()
            self._crashes.clear()

    def take_failure(self, method: str) -> tuple[grpc.StatusCode, str] | None:
        """The injected failure for this call, if one is pending (consumes it)."""
        with self._lock:
            failure = _take_for(method, self._failures)
        return None if failure is None else (failure.code, failure.message)

    def crash_next(self, n: int = 1, method: str = "BatchJob") -> None:
        """The next ``n`` runs of ``method`` (one of CRASHABLE) raise InjectedCrash in the
        server's own code, so a test sees what the server does with a bug of its own."""
        if method not in CRASHABLE:
            raise ValueError(f"Unknown place {method!r} for a crash; use one of: {', '.join(CRASHABLE)}.")
        with self._lock:
            self._crashes.append(_Pending(int(n), method))

    def crash_if_due(self, method: str) -> None:
        """Raise InjectedCrash when a crash of ``method`` is pending (consumes it)."""
        with self._lock:
            crash = _take_for(method, self._crashes)
        if crash is not None:
            raise InjectedCrash(f"injected in {method} by server.faults.crash_next")

    def answer_delay(self) -> float:
        """Seconds a model call that answers in one message (an embedding, a classification)
        waits before it answers: the first-chunk latency if set, else the per-chunk one, so
        ``serve --latency`` paces every model the way the cloud's would."""
        with self._lock:
            return self._first_latency if self._first_latency is not None else self._latency

    def take_stream_plan(self) -> StreamPlan:
        """The latency, break and stall one Completion call gets (consumes one-shot faults)."""
        with self._lock:
            if not (self._latency or self._first_latency is not None or self._breaks or self._stalls):
                return _NO_FAULTS
            broken = _take(self._breaks)
            stalled = _take(self._stalls)
            latency, first_latency = self._latency, self._first_latency
        return StreamPlan(
            latency=latency,
            first_latency=first_latency,
            break_after=broken.after if broken else None,
            break_code=broken.code if broken and broken.code else grpc.StatusCode.UNAVAILABLE,
            stall_after=stalled.after if stalled else None,
            stall_seconds=stalled.seconds if stalled else 0.0,
        )


_NO_FAULTS = StreamPlan()


def _take(pending: list[_StreamFault]) -> _StreamFault | None:
    if not pending:
        return None
    fault = pending[0]
    fault.remaining -= 1
    if fault.remaining <= 0:
        pending.pop(0)
    return fault
