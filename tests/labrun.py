"""JupyterLab's Run All and Save on a notebook file, driven by nbclient in a new kernel.

JupyterLab sends each cell's id with its execute request, starts the kernel with the notebook's
path (``JPY_SESSION_NAME``, which ipykernel gives the notebook as ``__session__``) and turns a
reply's ``set_next_input`` payload into a new cell under the cell that ran, which that Run All
does not run. nbclient does none of that, so a notebook executed by it never shows what a user's
Run All does to the cells; :func:`run_all` adds those three frontend behaviours.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from ygpt_magic.demo import local_environment


class LabKernelClient(AsyncKernelClient):
    """A kernel client that sends the running cell's id, as JupyterLab does (``cellId``)."""

    cell_id: str | None = None

    def execute(self, code: str, silent: bool = False, store_history: bool = True,
                user_expressions: dict | None = None, allow_stdin: bool | None = None,
                stop_on_error: bool = True) -> str:
        content = {"code": code, "silent": silent, "store_history": store_history,
                   "user_expressions": user_expressions or {},
                   "allow_stdin": self.allow_stdin if allow_stdin is None else allow_stdin,
                   "stop_on_error": stop_on_error}
        msg = self.session.msg("execute_request", content, metadata={"cellId": self.cell_id})
        self.shell_channel.send(msg)
        return msg["header"]["msg_id"]


def run_all(path: Path) -> None:
    """JupyterLab's Run All on the notebook at ``path``, then Save: every code cell run in a new
    kernel, each code a reply asks for put into a new cell under the cell that asked."""
    notebook = nbformat.read(path, as_version=4)
    inserted: list[tuple[int, str]] = []
    manager = AsyncKernelManager(kernel_name="python3")
    manager.client_factory = LabKernelClient

    clients: list[LabKernelClient] = []

    async def send_cell_id(cell, cell_index: int) -> None:
        client.kc.cell_id = cell.get("id")
        clients.append(client.kc)

    async def take_payload(cell, cell_index: int, execute_reply) -> None:
        for payload in (execute_reply or {}).get("content", {}).get("payload", []):
            if payload.get("source") == "set_next_input" and not payload.get("replace"):
                inserted.append((cell_index, payload["text"]))

    client = NotebookClient(notebook, km=manager, timeout=180, allow_errors=False,
                            record_timing=False, store_widget_state=False,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(path.parent)}},
                            on_cell_execute=send_cell_id, on_cell_executed=take_payload)
    environ = dict(os.environ)
    local_environment(environ)
    client.execute(env={**environ, "JPY_SESSION_NAME": str(path)})
    for kc in {id(kc): kc for kc in clients}.values():   # a client left running is said when the
        kc.stop_channels()                               # GC finds it, in whichever test runs then
    for index, text in reversed(inserted):  # Run All does not run the cells it inserts
        notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(text))
    nbformat.write(notebook, path)


def sources(path: Path) -> list[tuple[str, str]]:
    """(cell type, source) of each cell of the notebook saved at ``path``."""
    return [(cell.cell_type, cell.source) for cell in nbformat.read(path, as_version=4).cells]
