"""The wheel installed with no extras has no pandas: cells over a plain list still give their
results, as lists of rows, and nothing answered is lost. The cells run in a fresh interpreter
where ``import pandas`` fails (``sys.modules["pandas"] = None``, as in an environment without it),
against the tests' local server, and each test reads what the user saw and what ``--out`` holds.

One interpreter runs the three stories' cells in turn (module-scoped ``without_pandas``): what
they check is that pandas is never needed, a fact of the process that one cell cannot change for
the next; each cell's names (``v``, ``_ygpt``) are removed before it, and its output is read
between markers printed on stdout and stderr, so a story sees its own cell only. It keeps a
process of its own because a test process has pandas imported already.

Before, ``--map --schema`` and ``--map --labels`` over a list and ``%ygpt similar --in LIST``
answered every row (paid for), then ended in a ModuleNotFoundError traceback, ``--out`` unset."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import CREDENTIAL_ENV, TEST_FOLDER, TEST_KEY

pytestmark = pytest.mark.slow   # a fresh interpreter

SCHEMA = "%%ygpt --map rows --schema Verdict --out v\nClassify: {item}"
LABELS = "%%ygpt --map rows --labels good,bad --out v\n{item}"
SIMILAR = '%ygpt similar "broken" --in rows --top 2'

CELLS = """
import json, sys
sys.modules["pandas"] = None  # `import pandas` raises ModuleNotFoundError now
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)
shell.run_line_magic("load_ext", "ygpt_magic")
shell.run_line_magic("ygpt", "connect " + sys.argv[1] + " --insecure")
shell.run_cell("from pydantic import BaseModel\\nclass Verdict(BaseModel):\\n    sentiment: str\\n"
               "rows = ['I love it', 'I hate it']")
for cell in json.loads(sys.argv[2]):
    for stream in (sys.stdout, sys.stderr):
        print("CELL", flush=True, file=stream)
    shell.user_ns.pop("v", None)
    shell.user_ns.pop("_ygpt", None)
    result = shell.run_cell(cell)
    found = {name: shell.user_ns.get(name) for name in ("v", "_ygpt")}
    print("RESULT", json.dumps({"failed": result.error_in_exec is not None, "v": found["v"],
                                "results": getattr(found["_ygpt"], "results", None)}, default=repr), flush=True)
"""


@pytest.fixture(scope="module")
def without_pandas(_ygpt_server_session) -> dict[str, tuple[dict, str]]:
    """For each cell: what it left behind (``v``, ``_ygpt.results``) and everything it printed."""
    cells = [SCHEMA, LABELS, SIMILAR]
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_ENV}
    env.update(YC_API_KEY=TEST_KEY, YC_FOLDER_ID=TEST_FOLDER, PATH="/usr/bin:/bin")
    done = subprocess.run([sys.executable, "-c", CELLS, _ygpt_server_session.address, json.dumps(cells)],
                          capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    outs, errs = done.stdout.split("CELL\n")[1:], done.stderr.split("CELL\n")[1:]
    assert len(outs) == len(errs) == len(cells), (done.stdout + done.stderr)[-3000:]
    found = {}
    for cell, out, err in zip(cells, outs, errs):
        head, _, last = out.rpartition("RESULT ")
        found[cell] = json.loads(last.splitlines()[0]), head + last.partition("\n")[2] + err
    return found


def test_map_schema_over_a_list_gives_a_list_of_records(without_pandas):
    found, shown = without_pandas[SCHEMA]
    assert "Traceback" not in shown and "ModuleNotFoundError" not in shown, shown
    assert not found["failed"] and "2 answered" in shown, shown
    assert [sorted(record) for record in found["v"]] == [["sentiment"], ["sentiment"]]
    assert all(isinstance(record["sentiment"], str) for record in found["v"])
    assert found["results"] == found["v"]


def test_map_labels_over_a_list_gives_a_list_of_records(without_pandas):
    found, shown = without_pandas[LABELS]
    assert "Traceback" not in shown and "ModuleNotFoundError" not in shown, shown
    assert not found["failed"] and "2 answered" in shown, shown
    assert [list(record) for record in found["v"]] == [["label", "confidence", "good", "bad"]] * 2
    for record in found["v"]:
        assert record["label"] in ("good", "bad")
        assert record["confidence"] == max(record["good"], record["bad"])


def test_similar_over_a_list_gives_its_closest_rows(without_pandas):
    found, shown = without_pandas[SIMILAR]
    assert "Traceback" not in shown and "ModuleNotFoundError" not in shown, shown
    assert not found["failed"] and "2 of 2 rows of rows closest to 'broken'" in shown, shown
    assert sorted(record["text"] for record in found["results"]) == ["I hate it", "I love it"]
    assert [sorted(record) for record in found["results"]] == [["index", "similarity", "text"]] * 2
    first, second = found["results"]
    assert first["similarity"] >= second["similarity"]
    assert ["I love it", "I hate it"][first["index"]] == first["text"]
