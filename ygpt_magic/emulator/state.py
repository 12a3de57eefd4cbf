"""What every service of one running server shares: responders, faults, records, operations."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .faults import Faults
from .prompt import ReceivedRequest
from .responders import ResponderChain


@dataclass
class EmulatorState:
    """The mutable state of one local server (its services hold a reference to it)."""

    responders: ResponderChain
    operation_delay: float = 0.3
    address: str = ""
    faults: Faults = field(default_factory=Faults)
    requests: list[ReceivedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, request: ReceivedRequest) -> None:
        with self.lock:
            self.requests.append(request)

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()
