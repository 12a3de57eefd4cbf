"""Stop (Kernel → Interrupt) during Run All stops the run, as it does for a Python cell.

JupyterLab's Run All sends every cell's execute request at once; the kernel runs them in turn and,
when one ends in an error, aborts the rest. A `%%ygpt` cell that Stop ended said so in one tidy
line and ended as if it had succeeded, so every queued cell ran: the next chat cell sent its
request (without the stopped turn, so without its context) and streamed a full answer, a queued
`--map` started its rows, and the user had to press Stop once per cell while each one was
billed. Now the stopped cell keeps what it showed (the partial reply marked ⏹, the run's
`Stopped:` summary) and ends with one line, never a traceback, so the queue is aborted and
nothing more is sent. A real kernel through jupyter_client, its cells queued as Run All queues
them, and the local server counting what reaches it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kernels import Kernel

from ygpt_magic.emulator import start_local_server

ESSAY = "Write a long essay about rivers"
LINE = "Interrupted: Ctrl-C stopped this cell; cells queued after it (Run All) are not run."


def _sent(server, method: str = "Completion") -> int:
    return sum(request.method == method for request in server.requests)


def _run_all_stopped(kernel: Kernel, cells: list[str], ready: Callable[[str], bool]) -> list[str]:
    """Queue ``cells`` as Run All does, press Stop once the first is ``ready`` (given its
    msg_id), and return their msg_ids."""
    parents = [kernel.send(source, cell_id=f"cell{n}") for n, source in enumerate(cells)]
    deadline = time.monotonic() + 30
    while not ready(parents[0]):
        assert time.monotonic() < deadline, kernel.shown(parents[0])
        time.sleep(0.01)
    kernel.interrupt()
    return parents


@pytest.mark.slow   # a real kernel
def test_stop_during_run_all_ends_the_cell_in_one_line_and_the_queued_cells_send_nothing(tmp_path: Path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": [{"user": ESSAY, "reply": "Rivers run. " * 300}]}), encoding="utf-8")
    with start_local_server(scripts=[script]) as server, Kernel(server.address) as kernel:
        server.faults.latency(0.05)   # the essay takes ~10 s to stream
        kernel.run("items = [f'review number {i}' for i in range(200)]")

        def streaming(parent: str) -> bool:
            return any(kind == "update_display_data" for kind, _ in kernel.of(parent))
        chat = _run_all_stopped(kernel, [f"%%ygpt\n{ESSAY}", "%%ygpt\nAnd what about lakes?",
                                         "print('the cell after them ran')"], streaming)
        assert kernel.statuses(chat) == ["error", "aborted", "aborted"]
        kernel.wait_idle(chat[0])   # the reply comes on the shell channel, the output on iopub
        shown = kernel.shown(chat[0])
        assert "Rivers run." in shown and "⏹ interrupted — not added to the chat" in shown, shown
        errors = [(content["ename"], content["traceback"]) for kind, content in kernel.of(chat[0]) if kind == "error"]
        assert errors == [("Interrupted", [LINE])], errors   # one error, of one line, named as ours
        assert "Traceback" not in shown and "KeyboardInterrupt" not in shown, shown
        assert kernel.value("_ygpt.status") == "'INTERRUPTED'"

        before = _sent(server)
        rows = _run_all_stopped(kernel, ["%%ygpt --map items --once --out first --concurrency 2\n"
                                         "Sentiment of: {item}", "print('the next cell ran')",
                                         "%%ygpt --map items --once --out second\nSummary of: {item}"],
                                lambda _: _sent(server) >= before + 4)
        assert kernel.statuses(rows) == ["error", "aborted", "aborted"]
        kernel.wait_idle(rows[0])
        shown = kernel.shown(rows[0])
        assert "Stopped:" in shown and LINE in shown and "Traceback" not in shown, shown
        at_end = _sent(server)
        time.sleep(1)
        assert _sent(server) == at_end, "requests were sent after the Stop"
        assert not any("Summary of" in request.messages[-1]["text"] for request in server.requests
                       if request.method == "Completion"), "the queued --map cell sent its rows"
        assert kernel.value("len(first)") == "200"   # --out holds the rows, the answered ones filled in
