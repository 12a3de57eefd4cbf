"""A real ipykernel under jupyter_client, for the stories a plain shell cannot tell: a Ctrl-C that
Jupyter's "Interrupt kernel" sends (SIGINT to the kernel process, at whatever it is doing), a
widget's click handled between cells (a comm message), and what an ``execute_reply`` carries.

Every IOPub message is kept with the msg_id of the request it answers, so a test reads what one
cell, or one click, showed. Adapted from the exploratory harness of findings/concurrency.md.
"""

from __future__ import annotations

import os
import queue
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from conftest import CREDENTIAL_ENV, TEST_FOLDER, TEST_KEY
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[1]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _started(env: dict[str, str]) -> tuple[KernelManager, Any]:
    """A kernel and its ready client (as jupyter_client's start_new_kernel). A kernel that does not
    answer in time fails with the end of what it wrote to stderr: now and then one died or did not
    answer its first request in 60 s in a fresh make test, and nothing said why. (Over IPC instead
    of TCP, tried against a port race, it failed to answer in 2 of 2 runs of four kernel modules
    together, and in 0 of 3 over TCP.)"""
    manager = KernelManager(kernel_name="python3")
    log = tempfile.TemporaryFile()
    manager.start_kernel(env=env, stderr=log)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
    except RuntimeError as error:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        log.seek(0)
        said = log.read().decode(errors="replace")[-3000:]
        raise RuntimeError(f"{error}; the kernel's stderr ended:\n{said}") from None
    return manager, client


class Kernel:
    """One kernel with ygpt_magic loaded and connected to ``address``; close it (or use ``with``)."""

    def __init__(self, address: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_ENV}
        env.update(YC_API_KEY=TEST_KEY, YC_FOLDER_ID=TEST_FOLDER, GRPC_VERBOSITY="NONE",
                   PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH")))))
        self.manager, self.client = _started(env)
        self.messages: list[tuple[str | None, str, dict[str, Any]]] = []   # (parent msg_id, type, content)
        self._lock = threading.Lock()
        self._stop = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.run(f"%load_ext ygpt_magic\n%ygpt connect {address} --insecure")

    def _read(self) -> None:
        socket, session = self.client.iopub_channel.socket, self.client.session
        while not self._stop:
            if not socket.poll(100):
                continue
            _, parts = session.feed_identities(socket.recv_multipart())
            message = session.deserialize(parts)
            with self._lock:
                self.messages.append((message["parent_header"].get("msg_id"), message["msg_type"],
                                      message["content"]))

    def of(self, parent: str) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return [(kind, content) for msg_id, kind, content in self.messages if msg_id == parent]

    def idle(self, parent: str) -> bool:
        return any(kind == "status" and content.get("execution_state") == "idle"
                   for kind, content in self.of(parent))

    def wait_idle(self, parent: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not self.idle(parent):
            if time.monotonic() > end:
                raise TimeoutError(f"{parent} not idle after {timeout} s")
            time.sleep(0.02)

    def answering(self, code: str, answers: list[str], timeout: float = 60) -> tuple[str, list[dict[str, Any]]]:
        """Run ``code`` as JupyterLab runs a cell that may ask for input, typing ``answers`` at its
        prompts in turn; the msg_id and each prompt's ``input_request`` (``prompt``, ``password``:
        whether the frontend hides what is typed, and keeps dots in the notebook in its place)."""
        parent = self.client.execute(code, allow_stdin=True)
        asked: list[dict[str, Any]] = []
        end = time.monotonic() + timeout
        while not self.idle(parent):
            if time.monotonic() > end:
                raise TimeoutError(f"{parent} not idle after {timeout} s")
            try:
                request = self.client.get_stdin_msg(timeout=0.05)
            except queue.Empty:
                continue
            asked.append(request["content"])
            self.client.input(answers[len(asked) - 1])
        return parent, asked

    def send(self, code: str, cell_id: str | None = None) -> str:
        """Start a cell as JupyterLab does (its ``cellId``; ``allow_stdin`` true: a page takes
        input, and the panel tells a page from a headless run by it, saving.headless) and return
        its msg_id."""
        message = self.client.session.msg("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": True, "stop_on_error": True})
        if cell_id:
            message["metadata"]["cellId"] = cell_id
        self.client.shell_channel.send(message)
        return str(message["header"]["msg_id"])

    def run(self, code: str, cell_id: str | None = None, timeout: float = 60) -> str:
        parent = self.send(code, cell_id)
        self.wait_idle(parent, timeout)
        return parent

    def reply(self, code: str, timeout: float = 20, cell_id: str | None = None) -> dict[str, Any]:
        """Run ``code`` (as cell ``cell_id``, as JupyterLab names it) and return its
        ``execute_reply``'s content (its payloads: set_next_input)."""
        parent = self.send(code, cell_id)
        while True:
            reply = self.client.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == parent:
                return dict(reply["content"])

    def statuses(self, parents: list[str], timeout: float = 60) -> list[str]:
        """The status of each cell's ``execute_reply`` (ok, error, aborted), in the order given;
        the replies of other requests are passed over."""
        found: dict[str, str] = {}
        while len(found) < len(set(parents)):
            reply = self.client.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") in parents:
                found[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
        return [found[parent] for parent in parents]

    def click(self, model_id: str) -> str:
        """A click on the Button widget ``model_id``, as the frontend sends it."""
        message = self.client.session.msg("comm_msg", {
            "comm_id": model_id, "data": {"method": "custom", "content": {"event": "click"}}})
        self.client.shell_channel.send(message)
        return str(message["header"]["msg_id"])

    def shown(self, parent: str) -> str:
        """Everything shown for ``parent`` (a cell or a click), as plain text, tracebacks included."""
        out = []
        for kind, content in self.of(parent):
            if kind == "stream":
                out.append(content["text"])
            elif kind in ("display_data", "update_display_data", "execute_result"):
                out.append(content.get("data", {}).get("text/plain", ""))
            elif kind == "error":
                out.append(f"{content['ename']}: {content['evalue']}\n" + "\n".join(content["traceback"]))
        return _ANSI.sub("", "\n".join(out))

    def value(self, expression: str) -> str:
        """``repr(expression)`` as the kernel prints it."""
        parent = self.run(f"print(repr({expression}))")
        return "".join(c["text"] for kind, c in self.of(parent) if kind == "stream").strip()

    def interrupt(self) -> None:
        """Jupyter's "Interrupt kernel": SIGINT to the kernel, whatever it is doing."""
        self.manager.interrupt_kernel()

    def close(self) -> None:
        self._stop = True
        self._reader.join()
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
