"""What every service of one running server shares: responders, faults, records, operations,
datasets and batch jobs."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from .batch import BatchStore
from .datasets import DatasetStore
from .faults import Faults
from .prompt import ReceivedRequest
from .responders import ResponderChain

if TYPE_CHECKING:
    from .services.operations import OperationStore

#: requests a server remembers: enough for any one test (the fixture clears the log per test),
#: bounded because each holds its whole message list, and a chat sends its whole history every
#: time: unbounded, a long chat in a kernel under `%ygpt connect local` grew with its square.
REQUEST_LOG_SIZE = 1000
#: the billed counts (``EmulatorState.billed``) and the fields of a response's usage they add up
BILLED = {"input_tokens": "input_text_tokens", "completion_tokens": "completion_tokens",
          "total_tokens": "total_tokens"}


class RequestLog(Sequence[ReceivedRequest]):
    """The last `size` requests, oldest first; a list to tests (`[-1]`, slices, `len`, `==`).

    Thread-safe: the server appends on its own thread while a test reads; readers get a
    snapshot, so iterating never races an append.
    """

    def __init__(self, size: int = REQUEST_LOG_SIZE) -> None:
        self._items: deque[ReceivedRequest] = deque(maxlen=size)
        self._lock = threading.Lock()

    def append(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._items.append(request)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def _snapshot(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._items)

    @overload
    def __getitem__(self, index: int) -> ReceivedRequest: ...
    @overload
    def __getitem__(self, index: slice) -> list[ReceivedRequest]: ...
    def __getitem__(self, index: int | slice) -> ReceivedRequest | list[ReceivedRequest]:
        return self._snapshot()[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[ReceivedRequest]:
        return iter(self._snapshot())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self._snapshot() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"RequestLog({self._snapshot()!r})"


@dataclass
class EmulatorState:
    """The mutable state of one local server (its services hold a reference to it)."""

    responders: ResponderChain
    operation_delay: float = 0.3
    address: str = ""
    listening: str = ""   # the host it listens on, as given (0.0.0.0, ::: every interface)
    http_url: str = ""   # "http://HOST:PORT" of the HTTP side, once it listens
    proxy_url: str = ""  # "http://HOST:PORT" of the HTTPS proxy (serve --tls), if it runs
    faults: Faults = field(default_factory=Faults)
    requests: RequestLog = field(default_factory=RequestLog)
    operations: OperationStore | None = None   # set by serve(); gRPC and HTTP share it
    batch_row_delay: float = 0.01   # seconds per row (and per status step) of a batch job
    datasets: DatasetStore = field(default_factory=DatasetStore)
    batches: BatchStore = field(default_factory=BatchStore)
    api_key: str | None = None   # the only key taken (services/call.py); None: any key
    #: the tokens of every completion answered in full, as the cloud would bill them: what a
    #: client's own accounts must add up to (tests compare them)
    billed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BILLED, 0))

    def record(self, request: ReceivedRequest) -> None:
        self.requests.append(request)

    def bill(self, usage: Any) -> None:
        """Count a completion's final usage (a CompletionResponse's ``usage``)."""
        for name, field_name in BILLED.items():
            self.billed[name] += getattr(usage, field_name)
