"""What a tool's result becomes on the wire: valid JSON the model and the API can read, whatever
floats the notebook's function returned; through a real shell, the unmodified SDK and the local
server."""

from __future__ import annotations

import json

import pytest
from cellrun import assert_clean
from conftest import cell, completions

from ygpt_magic.emulator import start_local_server

SCRIPT = {"replies": [
    {"user": "How are the ratings?", "tool_calls": [{"name": "ratings", "arguments": {}}],
     "after_tools": "Ratings: {result}"},
]}

FUNCTIONS = '''
def ratings() -> dict:
    """Rating statistics; no reviews yet, so the mean is NaN (as pandas gives it)."""
    return {"mean_rating": float("nan"), "best": float("inf"), "counts": [3, float("-inf")]}
'''


@pytest.fixture
def tool_server(tmp_path):
    script = tmp_path / "tools.json"
    script.write_text(json.dumps(SCRIPT), encoding="utf-8")
    with start_local_server(scripts=[script], operation_delay=0.0) as server:
        yield server


def test_nan_and_inf_in_a_result_go_as_null_in_valid_json_and_the_call_says_so(shell, tool_server):
    shell.run_line_magic("ygpt", f"connect {tool_server.address} --insecure")
    assert cell(shell, FUNCTIONS).ok
    run = cell(shell, "%%ygpt --tools ratings\nHow are the ratings?")
    assert run.ok, run.message
    [sent] = completions(tool_server)[-1].messages[2]["tool_results"]
    assert json.loads(sent["content"], parse_constant=pytest.fail) == {
        "mean_rating": None, "best": None, "counts": [3, None]}
    assert "3 NaN/inf values sent as null" in run.plain_page
    assert_clean(run)
