"""One notebook executed top to bottom in a fresh kernel, on the caller's event loop (for `demo.py`).

nbclient's ``execute`` runs a loop of its own and, while it runs, holds SIGINT: a Ctrl-C then
shut the kernel down under a running step, and what the demo saw depended on the moment it
landed (a traceback from the kernel's start, "Kernel died before replying to kernel_info", a
failed cleanup). Here nbclient's async steps (kernel, client, each cell) run as one coroutine
of ours. A kernel whose notebook ran through is asked to shut down, never interrupted
(``_shut_down``); the coroutine's ``finally`` kills whatever kernel is left, cancelled by Ctrl-C
(ctrl_c.run_until_ctrl_c) or failed, and cleans up after either.
"""

from __future__ import annotations

import ast
import asyncio
import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbformat import NotebookNode

#: how the cells that ask the model begin (a `%%ygpt` cell; a `%ygpt fix` line)
ASKING = ("%%ygpt", "%ygpt fix")
# Evaluated in the kernel after each asking cell: the reply's identity (a cell that sent nothing,
# like --dry-run or a refused one, leaves the previous reply there) and the prompt it sent.
_SENT = ("(id(_ygpt), _ygpt.messages[-1]['text'] if _ygpt.messages else None) "
         "if '_ygpt' in globals() else None")
#: seconds a killed kernel is given to be gone (SIGKILL: it does not wait for anything)
_KILL_WAIT = 5.0


def is_asking(cell: NotebookNode) -> bool:
    """Whether ``cell`` asks the model (its exchange is printed)."""
    asking: bool = cell.cell_type == "code" and cell.source.startswith(ASKING)
    return asking


async def execute(path: Path, *, timeout: int = 180,
                  log: IO[str] | None = None) -> tuple[NotebookNode, dict[int, str]]:
    """Execute one notebook in a fresh kernel from this environment, in the notebook's folder;
    the kernel process's own output (not its cells') goes to ``log``, else to this terminal:
    what it printed while its cells ran, not while it ended (``_written``).

    Returns the executed notebook and, by cell index, the prompt each asking cell sent: a cell
    like ``{review}`` sends the review's text, and that is what the reader should see."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    sent: dict[int, str] = {}
    client = _client(notebook, path, timeout, sent)
    client.km = client.create_kernel_manager()
    try:
        await client.async_start_new_kernel(stdout=log, stderr=log)
        await client.async_start_new_kernel_client()
        await _run_cells(client)
        ran = _written(log)
        await _shut_down(client.km)
        if log is not None and ran is not None:
            log.truncate(ran)   # what it printed while it ended is not the notebook's (_written)
    finally:
        await _end_kernel(client)
    return notebook, sent


def _written(log: IO[str] | None) -> int | None:
    """How much the kernel has written to ``log`` (its process writes the file itself). What it
    writes after that, while it ends, is dropped: under load ipykernel's control thread can print
    a ZMQError traceback of its own as its sockets close, after a notebook that ran through (seen
    once in five fresh-clone runs of make test), and the demo relays the log as the kernel's
    errors."""
    return None if log is None else os.fstat(log.fileno()).st_size


def _client(notebook: NotebookNode, path: Path, timeout: int, sent: dict[int, str]) -> NotebookClient:
    """nbclient's client for ``notebook``, noting in ``sent`` the prompt each asking cell sent."""
    import nbclient

    last = [0]  # id of the reply last seen: a cell that sent nothing leaves it in _ygpt

    async def read_sent(cell: NotebookNode, cell_index: int, execute_reply: dict[str, Any]) -> None:
        if not is_asking(cell):
            return
        found = await _user_expression(client, _SENT)
        if found is not None and found[0] != last[0]:  # a new reply exists while the old one does
            last[0] = found[0]
            if found[1] is not None:
                sent[cell_index] = found[1]

    client = nbclient.NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",            # ipykernel's native kernel: this interpreter
        record_timing=False,               # no timestamps in stored notebooks
        store_widget_state=False,          # no cell's widget state in the file (the panel builds none here)
        extra_arguments=["--IPKernelApp.log_level=ERROR"],   # no "TCP without encryption" on loopback
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=read_sent,
    )
    return client


async def _user_expression(client: NotebookClient, expression: str) -> Any:
    """The value of a literal ``expression`` in the kernel, None if it failed. Silent: no
    execution count, no output; the expression's repr comes back in the reply."""
    kernel = client.kc
    assert kernel is not None, "a kernel client exists while cells run"
    msg_id = kernel.execute("", silent=True, store_history=False, user_expressions={"sent": expression})
    reply = await client.async_wait_for_reply(msg_id)
    value = (reply or {}).get("content", {}).get("user_expressions", {}).get("sent", {})
    return ast.literal_eval(value["data"]["text/plain"]) if value.get("status") == "ok" else None


async def _run_cells(client: NotebookClient) -> None:
    """What nbclient's ``async_execute`` does between starting and ending its kernel."""
    from jupyter_core.utils import ensure_async

    kernel = client.kc
    assert kernel is not None, "the kernel client was started"
    info = await client.async_wait_for_reply(await ensure_async(kernel.kernel_info()))
    if info is not None:
        client.nb.metadata["language_info"] = info["content"]["language_info"]
    for index, cell in enumerate(client.nb.cells):
        await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
    client.set_widgets_metadata()


async def _shut_down(manager: KernelManager | None) -> None:
    """Ask a kernel that ran through to end, and wait until its process has: jupyter_client's
    ``shutdown_kernel`` without the interrupt it sends first. ipykernel logs that interrupt at
    ERROR ("KeyboardInterrupt caught in kernel.") when it lands while a message is handled, one
    end in two, and the demo relays the kernel's log: a newcomer's first command showed an error
    where nothing failed. A kernel that has not ended when the manager's wait is over is sent
    SIGTERM, then SIGKILL (``finish_shutdown``); ``_end_kernel`` cleans up after it."""
    from jupyter_core.utils import ensure_async

    assert manager is not None, "the kernel was started"
    await ensure_async(manager.request_shutdown())
    await ensure_async(manager.finish_shutdown())


async def _end_kernel(client: NotebookClient) -> None:
    """Kill the kernel if it is still there (its whole process group, no interrupt first: one
    that lands in the kernel's start prints a traceback), close the channels, remove the
    connection file. Each step checks what exists: a Ctrl-C may have come at any step."""
    if client.kc is not None:
        client.kc.stop_channels()
    manager = client.km
    if manager is None:
        return
    from jupyter_core.utils import ensure_async

    provisioner = manager.provisioner
    if provisioner is not None and provisioner.has_process:
        if getattr(provisioner, "pgid", None) == os.getpgrp():
            # The press reached the kernel between its fork and its setsid, still in our process
            # group, and ended it there: jupyter_client took our group for its own, and its kill
            # of the whole group (SIGKILL) ended the demo too, silently (exit -9), one run in eight.
            provisioner.pgid = None  # type: ignore[attr-defined]  # LocalProvisioner's: kill the process alone
        await provisioner.kill()
        await asyncio.wait_for(provisioner.wait(), _KILL_WAIT)
    await ensure_async(manager.cleanup_resources())
