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
    {"user": "How many units?", "tool_calls": [{"name": "units", "arguments": {}}],
     "after_tools": "Units: {result}"},
    {"user": "Units in detail", "tool_calls": [{"name": "unit_stats", "arguments": {}}],
     "after_tools": "Units: {result}"},
]}

FUNCTIONS = '''
def ratings() -> dict:
    """Rating statistics; no reviews yet, so the mean is NaN (as pandas gives it)."""
    return {"mean_rating": float("nan"), "best": float("inf"), "counts": [3, float("-inf")]}
import pandas as pd
sales = pd.DataFrame({"units": [1000, 204], "returned": [float("nan"), float("nan")]})
def units() -> int:
    """Units sold (pandas sums to a numpy int64)."""
    return sales.units.sum()
def unit_stats() -> dict:
    """Units sold, whether every row sold, and the mean of no returns (numpy values, one NaN)."""
    return {"total": sales.units.sum(), "all_sold": sales.units.gt(0).all(), "returned": sales.returned.mean()}
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


def test_numpy_results_are_summed_up_and_sent_as_their_values(shell, tool_server):
    shell.run_line_magic("ygpt", f"connect {tool_server.address} --insecure")
    assert cell(shell, FUNCTIONS).ok
    run = cell(shell, "%%ygpt --tools units\nHow many units?")
    assert run.ok, run.message
    assert "🔧 units() → 1,204 · " in run.plain_page   # was "→ int64"
    assert completions(tool_server)[-1].messages[2]["tool_results"][0]["content"] == "1204"
    run = cell(shell, "%%ygpt --tools unit_stats\nUnits in detail")
    assert run.ok, run.message
    [sent] = completions(tool_server)[-1].messages[-1]["tool_results"]
    assert json.loads(sent["content"], parse_constant=pytest.fail) == {   # was "{'total': np.int64(1204), …}"
        "total": 1204, "all_sold": True, "returned": None}
    assert "1 NaN/inf value sent as null" in run.plain_page
    assert_clean(run)
