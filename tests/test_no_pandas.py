"""The wheel installed with no extras has no pandas: cells over a plain list still give their
results, as lists of rows, and nothing answered is lost. Each test runs its cells in a fresh
interpreter where ``import pandas`` fails (``sys.modules["pandas"] = None``, as in an environment
without it), against the tests' local server, and reads what the user saw and what ``--out`` holds.

Before, ``--map --schema`` and ``--map --labels`` over a list and ``%ygpt similar --in LIST``
answered every row (paid for), then ended in a ModuleNotFoundError traceback, ``--out`` unset."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow   # a fresh interpreter each

CELLS = """
import json, sys
sys.modules["pandas"] = None  # `import pandas` raises ModuleNotFoundError now
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)
shell.run_line_magic("load_ext", "ygpt_magic")
shell.run_line_magic("ygpt", "connect {address} --insecure")
shell.run_cell("from pydantic import BaseModel\\nclass Verdict(BaseModel):\\n    sentiment: str\\n"
               "rows = ['I love it', 'I hate it']")
result = shell.run_cell({cell!r})
found = {{name: shell.user_ns.get(name) for name in ("v", "_ygpt")}}
print("RESULT", json.dumps({{"failed": result.error_in_exec is not None, "v": found["v"],
                            "results": getattr(found["_ygpt"], "results", None)}}, default=repr))
"""


def run_without_pandas(address: str, cell: str) -> tuple[dict, str]:
    """What ``cell`` leaves behind (``v``, ``_ygpt.results``) and everything it printed."""
    done = subprocess.run([sys.executable, "-c", CELLS.format(address=address, cell=cell)],
                          capture_output=True, text=True, timeout=120)
    shown = done.stdout + done.stderr
    assert done.returncode == 0, shown[-3000:]
    head, _, last = shown.rpartition("RESULT ")
    return json.loads(last.splitlines()[0]), head + last.partition("\n")[2]


def test_map_schema_over_a_list_gives_a_list_of_records(ygpt_server, clean_env):
    found, shown = run_without_pandas(ygpt_server.address,
                                      "%%ygpt --map rows --schema Verdict --out v\nClassify: {item}")
    assert "Traceback" not in shown and "ModuleNotFoundError" not in shown, shown
    assert not found["failed"] and "2 answered" in shown, shown
    assert [sorted(record) for record in found["v"]] == [["sentiment"], ["sentiment"]]
    assert all(isinstance(record["sentiment"], str) for record in found["v"])
    assert found["results"] == found["v"]


def test_map_labels_over_a_list_gives_a_list_of_records(ygpt_server, clean_env):
    found, shown = run_without_pandas(ygpt_server.address, "%%ygpt --map rows --labels good,bad --out v\n{item}")
    assert "Traceback" not in shown and "ModuleNotFoundError" not in shown, shown
    assert not found["failed"] and "2 answered" in shown, shown
    assert [list(record) for record in found["v"]] == [["label", "confidence", "good", "bad"]] * 2
    for record in found["v"]:
        assert record["label"] in ("good", "bad")
        assert record["confidence"] == max(record["good"], record["bad"])


def test_similar_over_a_list_gives_its_closest_rows(ygpt_server, clean_env):
    found, shown = run_without_pandas(ygpt_server.address, '%ygpt similar "broken" --in rows --top 2')
    assert "Traceback" not in shown and "ModuleNotFoundError" not in shown, shown
    assert not found["failed"] and "2 of 2 rows of rows closest to 'broken'" in shown, shown
    assert sorted(record["text"] for record in found["results"]) == ["I hate it", "I love it"]
    assert [sorted(record) for record in found["results"]] == [["index", "similarity", "text"]] * 2
    first, second = found["results"]
    assert first["similarity"] >= second["similarity"]
    assert ["I love it", "I hate it"][first["index"]] == first["text"]
