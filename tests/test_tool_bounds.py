"""An answer that asks for many tool calls: a bounded number run, and drawing them stays linear.

A model (or a prompt injection steering it) can ask for thousands of calls in one answer. At most
``YGptMagics.max_tool_calls`` run; the rest go back to the model as errors saying so, and the
cell notes it. Each call that ran is drawn once, in an output of its own, so the display traffic
of a cell grows with its calls, not with their square (3,000 calls once sent 557 MB).
"""

from __future__ import annotations

import json

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell, completions

from ygpt_magic.emulator import start_local_server

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

LOOKUP = "ran = []\ndef lookup(n: int) -> str:\n    '''Look up item n.'''\n    ran.append(n)\n    return f'item {n}'"


def calls_script(folder, counts: list[int]):
    script = folder / "calls.json"
    script.write_text(json.dumps({"replies": [
        {"user": f"Look up {count} items",
         "tool_calls": [{"name": "lookup", "arguments": {"n": n}} for n in range(count)],
         "after_tools": "Looked them up."} for count in counts]}), encoding="utf-8")
    return script


def display_bytes(run) -> int:
    """Bytes of every display message the cell sent (first displays and updates)."""
    return sum(len(json.dumps(output["data"], ensure_ascii=False).encode()) for output in run.outputs)


def test_at_most_max_tool_calls_run_from_one_answer_and_the_cell_says_so(shell, tmp_path):
    with start_local_server(scripts=[calls_script(tmp_path, [100])]) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        assert cell(shell, LOOKUP).ok
        result = cell(shell, "%%ygpt --once --tools lookup\nLook up 100 items")
        assert result.ok and result.final.startswith(
            "⚠ The model asked for 100 tool calls in one answer: the first 32 ran, the other 68 "
            "were answered with an error (YGptMagics.max_tool_calls = 32).")
        assert shell.user_ns["ran"] == list(range(32))
        results = completions(server)[-1].messages[-1]["tool_results"]
        assert len(results) == 100 and all("not run" in r["content"] for r in results[32:])
        assert result.plain_page.count("🔧 lookup") == 32  # the refused ones are not drawn


@pytest.mark.slow
def test_drawing_calls_grows_linearly_with_their_number(shell, tmp_path):
    shell.run_line_magic("config", "YGptMagics.max_tool_calls = 1000")
    with start_local_server(scripts=[calls_script(tmp_path, [10, 1000])]) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        assert cell(shell, LOOKUP).ok
        few = cell(shell, "%%ygpt --once --tools lookup\nLook up 10 items")
        many = cell(shell, "%%ygpt --once --tools lookup --model qwen3-235b-a22b-fp8\nLook up 1000 items")
    assert few.ok and many.ok and len(shell.user_ns["ran"]) == 1010
    assert many.plain_page.count("🔧 lookup") == 1000, "every call is drawn"
    per_call = display_bytes(many) / 1000, display_bytes(few) / 10
    assert per_call[0] <= 1.5 * per_call[1], f"bytes per call: {per_call[0]:.0f} vs {per_call[1]:.0f}"
