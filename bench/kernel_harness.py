"""A real ipykernel run under jupyter_client, its IOPub traffic counted, and a local server that
notes when each completion starts streaming.

Streaming cost and time to first text are about what a notebook frontend receives, so the
benchmarks run cells in a kernel (``KernelManager``) and read IOPub's raw frames: message types,
bytes on the wire, and the kernel's own header timestamps. The server runs on a thread of this
process (``ygpt_magic.emulator.server.serve`` with the stock responders) behind a thin responder
wrapper that stamps the wall-clock time of every answered completion; the first chunk leaves
after the injected per-chunk latency, so it leaves at ``stamp + latency``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchlib import LOCAL_ENV
from jupyter_client.manager import start_new_kernel

from ygpt_magic.emulator.server import LocalServer, build_responders, serve
from ygpt_magic.emulator.state import EmulatorState

DISPLAY_TYPES = ("display_data", "update_display_data")


class _Stamped:
    """A responder chain that notes when each completion is answered (its first chunk follows)."""

    def __init__(self, chain) -> None:
        self.chain = chain
        self.stamps: list[float] = []

    def respond(self, prompt):
        self.stamps.append(time.time())
        return self.chain.respond(prompt)

    def __getattr__(self, name: str):
        """The rest is the chain's: the server asks it for more than completions (``tokens`` for
        the TokenizeCompletion a chat-mode cell sends; forwarding only ``respond`` failed those)."""
        return getattr(self.chain, name)


class StampedServer(LocalServer):
    """A LocalServer whose ``stamps`` hold the wall-clock time each completion began answering."""

    stamps: list[float]


def start_stamped_server(scripts: Sequence[str | Path] = ()) -> StampedServer:
    """Start a local server on its own thread, like ``start_local_server``, with stamps."""
    responders = _Stamped(build_responders(scripts))
    state = EmulatorState(responders=responders)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    started: dict = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        started["server"] = loop.run_until_complete(serve(state, "127.0.0.1", 0))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="bench-local-server", daemon=True)
    thread.start()
    ready.wait(30)
    server = StampedServer(state, loop, thread, started["server"])
    server.stamps = responders.stamps
    return server


@contextmanager
def scripted_server(prompt: str, reply: str) -> Iterator[StampedServer]:
    """A stamped local server whose scripted answer to ``prompt`` is ``reply``, stopped after."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder, "bench.json")
        script.write_text(json.dumps({"replies": [{"user": prompt, "reply": reply}]}), encoding="utf-8")
        server = start_stamped_server([script])
        try:
            yield server
        finally:
            server.stop()


@dataclass(frozen=True)
class IOPubMessage:
    """One IOPub message of a cell: its type, bytes on the wire, kernel timestamp, content."""

    msg_type: str
    size: int
    sent: float  # the kernel's header date, as a time.time() value
    content: dict

    @property
    def is_display(self) -> bool:
        return self.msg_type in DISPLAY_TYPES

    def shows(self, text: str) -> bool:
        return any(text in str(value) for value in self.content.get("data", {}).values())


class Kernel:
    """A python3 ipykernel (this virtualenv's) with ygpt_magic loaded and connected to a server."""

    def __init__(self, address: str) -> None:
        env = {**os.environ, **LOCAL_ENV}
        self.manager, self.client = start_new_kernel(kernel_name="python3", env=env, stderr=subprocess.DEVNULL)
        self.execute(f"%load_ext ygpt_magic\n%ygpt connect {address} --insecure")

    def execute(self, code: str, timeout: float = 120) -> list[IOPubMessage]:
        """Run a cell; its IOPub messages until the kernel is idle. Raises if the cell failed."""
        msg_id = self.client.execute(code)
        messages = self._collect(msg_id, timeout)
        errors = [m.content for m in messages if m.msg_type == "error"]
        if errors:
            raise RuntimeError(f"The benchmark cell failed: {errors[0].get('ename')}: {errors[0].get('evalue')}")
        return messages

    def _collect(self, msg_id: str, timeout: float) -> list[IOPubMessage]:
        socket, session = self.client.iopub_channel.socket, self.client.session
        deadline = time.monotonic() + timeout
        messages: list[IOPubMessage] = []
        while True:
            if not socket.poll(max(0.0, deadline - time.monotonic()) * 1000):
                raise TimeoutError(f"no IOPub message for {timeout} s")
            frames = socket.recv_multipart()
            _, parts = session.feed_identities(frames)
            msg = session.deserialize(parts)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            messages.append(IOPubMessage(msg["msg_type"], sum(len(frame) for frame in frames),
                                         msg["header"]["date"].timestamp(), msg["content"]))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return messages

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()


def naive_cell(prompt: str) -> str:
    """The same request through the same client and exchange, re-rendered on every chunk (no
    time or byte throttle): the approach the throttled renderer is measured against."""
    return (
        "from ygpt_magic.chat import planning as _planning\n"
        "from ygpt_magic.exchange import run_exchange as _run\n"
        "from ygpt_magic.render import StreamRenderer as _Renderer\n"
        "_m = get_ipython().magics_manager.registry['YGptMagics']\n"
        "_k = _m.kernel\n"
        f"_plan = _planning.plan(_k.session, {prompt!r}, once=True)\n"
        "_ygpt = _run(_k.session, _k.connection.client, _plan, _Renderer(interval=0, cost_ratio=None))\n"
    )
