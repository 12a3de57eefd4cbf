"""Many tool calls in one answer: what drawing them costs, 1,000 calls against 10.

The local server (its own process) answers a scripted question with N parallel calls to one cheap
function, then with a short text. The cell runs with ``YGptMagics.max_tool_calls`` raised to
1,000 and its display messages are captured: each call is drawn once, in an output of its own,
so the bytes sent to the frontend per call must stay flat as the calls grow. Before, every call
re-sent every earlier call's details: 1,000 calls were 61 MB, 3,000 were 557 MB. Target: bytes
per call at 1,000 calls ≤ 1.5 × bytes per call at 10 (linear, not quadratic); the cell's time
per call is reported beside it.

    .venv/bin/python bench/tool_fanout.py [--quick]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from benchlib import Row, connected_shell, median, run_cell, run_main, server_process

TARGET = 1.5
FUNCTION = ("def lookup(n: int) -> str:\n"
            "    '''Look up item n.'''\n"
            "    return f'item {n}'\n")
MODEL = "qwen3-235b-a22b-fp8"  # a context that holds a thousand calls and their results


def script(folder: Path, counts: tuple[int, ...]) -> Path:
    path = folder / "fanout.json"
    path.write_text(json.dumps({"replies": [
        {"user": f"Look up {count} items",
         "tool_calls": [{"name": "lookup", "arguments": {"n": n}} for n in range(count)],
         "after_tools": "Looked them up."} for count in counts]}), encoding="utf-8")
    return path


def cost(shell, count: int) -> tuple[int, float]:
    """(display bytes, seconds) of one cell whose answer asks for ``count`` calls."""
    from IPython.utils.capture import capture_output

    started = time.perf_counter()
    with capture_output() as captured:
        result = shell.run_cell(f"%%ygpt --once --tools lookup --model {MODEL}\nLook up {count} items")
    seconds = time.perf_counter() - started
    result.raise_error()
    assert len(shell.user_ns["_ygpt"].tool_calls) == count, "not every call ran"
    return sum(len(json.dumps(output.data, ensure_ascii=False).encode()) for output in captured.outputs), seconds


def measure(quick: bool) -> list[Row]:
    few, many, runs = (10, 50, 1) if quick else (10, 1000, 3)
    with (tempfile.TemporaryDirectory() as folder,
          server_process("--script", str(script(Path(folder), (few, many)))) as address):
        shell = connected_shell(address)
        shell.run_line_magic("config", f"YGptMagics.max_tool_calls = {many}")
        run_cell(shell, FUNCTION)
        cost(shell, few)  # warm-up
        small = [cost(shell, few) for _ in range(runs)]
        large = [cost(shell, many) for _ in range(runs)]
    per_call = median([b for b, _ in large]) / many, median([b for b, _ in small]) / few
    seconds = median([s for _, s in large]) / many, median([s for _, s in small]) / few
    ratio = per_call[0] / per_call[1]
    cell_time = f"{seconds[0] * 1000:.2f} ms ({many}) vs {seconds[1] * 1000:.2f} ms ({few})"
    return [Row(f"15. {many:,} tool calls in one answer: display bytes per call", f"≤ {TARGET}× at {few} calls",
                f"{per_call[0]:,.0f} B/call ({ratio:.2f}×; {median([b for b, _ in large]) / 1e6:.2f} MB in all)",
                f"{few} calls: {per_call[1]:,.0f} B/call", ratio <= TARGET,
                {"runs": runs, "cell time per call": cell_time})]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
