"""The modules a plain chat cell runs code in: the spine a reader follows, held to a list.

A plain cell (``%%ygpt`` and a prompt, no flags) is traced with ``sys.setprofile`` on the main
thread and ``threading.setprofile`` on the client's loop thread. Every module of the package that
has a function called is listed below, by layer, with what it does there. A module that joins
the path (a feature reached by every cell, a new hop) fails this test until it is added here on
purpose; one that leaves it should leave the list too.
"""

from __future__ import annotations

import sys
import threading
from types import FrameType
from typing import Any

from conftest import cell

#: the plain path, by layer (DESIGN.md, "The spine")
PLAIN_PATH = {
    # the magic: flags parsed and checked, the kernel's state read; the cell recorded (every cell);
    # IPython's input transformation asks whether a line is `%ygpt …?` (every cell's input)
    "ygpt_magic.context.cells", "ygpt_magic.magics", "ygpt_magic.commands.args", "ygpt_magic.kernel",
    "ygpt_magic.help_syntax",
    # the door: the text expanded, the cache in front, handed to the exchange (no cap set: none
    # checked); the answer entered by the rule every door follows (replayed, or sent, kept and paid)
    "ygpt_magic.request", "ygpt_magic.context.interpolate", "ygpt_magic.context.limits",
    "ygpt_magic.exchange", "ygpt_magic.ledger",
    # planning and the chat's record: options, history and budget, the turn, its accounts
    "ygpt_magic.chat.planning", "ygpt_magic.chat.rewind", "ygpt_magic.chat.options", "ygpt_magic.chat.catalog",
    "ygpt_magic.chat.session", "ygpt_magic.chat.observers", "ygpt_magic.chat.values", "ygpt_magic.chat.accounts",
    "ygpt_magic.chat.prices", "ygpt_magic.words",
    # the one rule for a model's name, read for its context size, its price, its footer and its
    # provenance (which read it through cache.key before: with the cache off, no key is made)
    "ygpt_magic.modelname",
    # the reply cache (off or missed) and the reply's provenance in the output
    "ygpt_magic.cache.replies", "ygpt_magic.cache.provenance",
    # the transport: the guard (the kernel's secrets, then the published key shapes), the proxy
    # variables read before each request (one gRPC cannot parse would put its password in gRPC's
    # own errors and logs), the SDK (built afresh after the server was found gone) on the loop
    # thread, the stream of answers
    "ygpt_magic.client.connection", "ygpt_magic.client.channels", "ygpt_magic.client.credentials",
    "ygpt_magic.client.guard", "ygpt_magic.keyshapes", "ygpt_magic.client.proxies",
    "ygpt_magic.client.message_size", "ygpt_magic.client.preload", "ygpt_magic.client.sdk",
    "ygpt_magic.client.models", "ygpt_magic.client.tools",
    "ygpt_magic.client.chat_api", "ygpt_magic.client.stream", "ygpt_magic.client.chunks",
    "ygpt_magic.client.loop", "ygpt_magic.client.reach", "ygpt_magic.client.retries",
    # the view: the streamed reply as inert HTML, its footer; when to update it (the throttle)
    "ygpt_magic.render.stream", "ygpt_magic.render.forms", "ygpt_magic.render.prose",
    "ygpt_magic.render.inert", "ygpt_magic.render.terminal", "ygpt_magic.render.pacing",
    # every final text/plain form shows control characters as pictures (render/forms.plain)
    "ygpt_magic.render.controls",
}


#: the deepest a plain cell's main thread goes through the package's functions (comprehensions
#: aside): magics.ygpt → request.cell, send_cell, send → exchange.run_exchange, _answered,
#: _Requests.ask, _streamed → client.sdk.stream → client.stream.Stream → client.sdk._route →
#: client.message_size.check, _size, _bytes; no proxy on the way
DEEPEST = 14


class Trace:
    """The package's modules (the local server's aside) with a function called, and the deepest
    stack of the package's frames on the main thread."""

    def __init__(self) -> None:
        self.modules: set[str] = set()
        self.deepest: list[str] = []
        self.recording = False

    def __call__(self, frame: FrameType, event: str, _arg: Any) -> None:
        if not self.recording or event != "call" or _from_harness(frame):
            return
        self.modules.add(frame.f_globals.get("__name__", ""))
        if threading.current_thread() is threading.main_thread():
            stack = list(_ours(frame))
            if len(stack) > len(self.deepest):
                self.deepest = stack[::-1]

    def ours(self) -> set[str]:
        return {name for name in self.modules if name.startswith("ygpt_magic.") and ".emulator" not in name}


def _from_harness(frame: FrameType) -> bool:
    """A call the tests' harness makes (cellrun reading what the cell showed), not the cell."""
    return frame.f_back is not None and frame.f_back.f_globals.get("__name__") == "cellrun"


def _ours(frame: FrameType | None) -> Any:
    while frame is not None:
        name, function = frame.f_globals.get("__name__", ""), frame.f_code.co_name
        if name.startswith("ygpt_magic.") and not function.startswith("<"):
            yield f"{name}.{function}"
        frame = frame.f_back


def traced(shell: Any, source: str) -> Trace:
    """What ``source`` runs the second time: the first cell also starts the client and its loop
    thread (``threading.setprofile`` reaches threads started after it)."""
    trace = Trace()
    threading.setprofile(trace)
    sys.setprofile(trace)
    try:
        assert cell(shell, source).ok
        trace.recording = True
        assert cell(shell, source).ok
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    return trace


def test_a_plain_chat_cell_stays_on_its_path(shell):
    trace = traced(shell, "%%ygpt\nHi! What fields of science did Albert Einstein study?")
    touched = trace.ours()
    assert touched - PLAIN_PATH == set(), "a module joined the plain path: add it on purpose"
    assert PLAIN_PATH - touched == set(), "a module left the plain path: drop it from the list"
    assert len(trace.deepest) <= DEEPEST, "\n".join(trace.deepest)
