"""Each benchmark script runs in its tiny configuration and prints its row.

All of them run in one interpreter (bench/smoke.py), but the one that run_all.py's table shows,
which runs as `make bench` runs every script: in an interpreter of its own.

Not a timed assertion: the targets are checked by `make bench` on a quiet machine, where numbers
mean something. This only keeps the scripts working as the code under them changes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The scripts take about 30 s in all (kernels, fresh interpreters, servers at the cloud's pace), so
# `make test` runs them and `make test-fast` does not.
pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = {
    "cell_overhead": ["1. per-cell overhead", "1b. main-thread CPU per cell"],
    "load_time": ["2. extension load"],
    "streaming_cost": ["3a. streaming", "3b. streaming"],
    "history_scaling": ["4a. history", "4b. history"],
    "first_text": ["6. time to first visible text"],
    "rest_throughput": ["7. REST completions/s"],
    "batch_job": ["8. batch job"],
    "value_render": ["9. {df} of a 10⁶ × 500"],
    "tool_cell": ["11. two-round tool cell"],
    "map_rows": ["10a. --map", "10b. --map"],
    "cache_replay": ["12. replayed cell"],
    "first_cell": ["13. first cell"],
    "cache_lookup": ["14. cache lookup"],
    "tool_fanout": ["15. "],  # "15. N tool calls in one answer", N the run's
    "docs_index": ["16a. --docs first index build", "16b. --docs second cell"],
    "embed_rows": ["embed a. %ygpt embed", "embed b. %ygpt similar"],
    "map_labels": ["--map --labels"],
}


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600, cwd=BENCH.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


#: run by test_run_all_prints_one_table, which checks its rows as the table shows them (each
#: script is an interpreter and a server of its own: seconds, so not twice)
IN_THE_TABLE = "load_time"


@pytest.fixture(scope="module")
def smoke_run(request) -> dict:
    """The quick rows (or the traceback's tail) of every script a selected story checks, from ONE
    interpreter, bench/smoke.py: the scripts' numbers are not checked, so they need not pay an
    interpreter, a set of imports and a server process each (16 interpreters and 10 servers
    before). What a script measures in processes of its own (kernels, fresh interpreters) still
    starts them; `make bench` still runs each script in its own interpreter, as
    test_run_all_prints_one_table checks."""
    scripts = sorted({item.callspec.params["script"] for item in request.session.items  # nbval's cells
                      if getattr(item, "originalname", None) == "test_script_prints_its_rows"})  # have none
    return json.loads(_run(str(BENCH / "smoke.py"), *scripts).strip().splitlines()[-1])


@pytest.mark.parametrize("script", sorted(set(SCRIPTS) - {IN_THE_TABLE}))
def test_script_prints_its_rows(script, smoke_run):
    assert "error" not in smoke_run[script], f"bench/{script}.py --quick failed:\n{smoke_run[script]['error']}"
    rows = smoke_run[script]["rows"]
    assert [row["name"].split(":")[0][:len(prefix)] for row, prefix in zip(rows, SCRIPTS[script])] == SCRIPTS[script]
    for row in rows:
        assert row["measured"] and row["target"] and row["baseline"]
        assert isinstance(row["passed"], bool)


def test_run_all_prints_one_table():
    out = _run(str(BENCH / "run_all.py"), "--quick", "--only", IN_THE_TABLE, "server_throughput")
    table = [line for line in out.splitlines() if line.startswith("| ")]
    assert table[0].split("|")[1].strip() == "benchmark"
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in table[1:]]
    loaded = [row for row in rows if row[0].startswith(tuple(SCRIPTS[IN_THE_TABLE]))]
    assert len(loaded) == len(SCRIPTS[IN_THE_TABLE]), table  # its rows, read from its --json
    for _, target, measured, baseline, result in loaded:
        assert measured and target and baseline and result in ("PASS", "FAIL")
    assert any("5. local server throughput" in line and ("PASS" in line or "FAIL" in line) for line in table)


@pytest.mark.skipif(shutil.which("py-spy") is None and not Path(sys.executable).with_name("py-spy").exists(),
                    reason="py-spy is in the bench extra: pip install -e '.[bench]'")
def test_profile_names_costs():
    out = _run(str(BENCH / "profile_cell.py"), "--quick", "--top", "3")
    assert "top running functions (self):" in out


def test_the_stamped_server_answers_a_chat_cells_token_count(clean_env):
    """bench/kernel_harness.py's stamping wrapper forwards the whole responder chain: a chat-mode
    cell asks the tokenizer first, which failed as UNKNOWN when only ``respond`` was forwarded."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from kernel_harness import start_stamped_server

    from ygpt_magic.chat import BUILTIN
    from ygpt_magic.client import Client

    server = start_stamped_server()
    client = Client(endpoint=server.address, insecure=True)
    try:
        assert client.count_tokens([{"role": "user", "text": "hello there"}], BUILTIN) > 0
        assert list(client.stream([{"role": "user", "text": "hi"}], BUILTIN))[-1].status == "FINAL"
        assert len(server.stamps) == 1
    finally:
        client.close()
        server.stop()
