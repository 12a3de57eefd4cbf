"""Runs over rows (`--map`, `%ygpt embed`) in a notebook run headless (nbclient: `jupyter
execute`, `jupyter nbconvert --execute`, papermill).

Their tqdm bars were ipywidgets, and nbclient stores the state of every widget a run opened in
the file: three bars' 33 models were 26.7 KB of a 39.8 KB notebook, though each bar's output was
already its plain summary. And a `--map` whose rows failed said "_ygpt.errors has each one's
reason. Run the cell again", which nobody can do after the run: the server's reasons were in
neither CI's log nor the saved file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ygpt_magic.saving import is_live_only

pytestmark = pytest.mark.slow   # a fresh kernel
ROOT = Path(__file__).resolve().parent.parent
WIDGET = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"   # nbclient's record of every widget's model
FRAME = "import pandas as pd\ndf = pd.DataFrame({'text': ['good', 'bad', None, 'great', 'awful']}, index=list('abcde'))"


def _run(folder: Path, cells: list[str], **env: str) -> dict:
    """The notebook as nbclient stores it after running ``cells`` in a fresh kernel."""
    import nbclient
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_"))}
    clean.update({"YC_API_KEY": "dummy-key-for-the-local-server", "YC_FOLDER_ID": "local-folder",
                  "PYTHONPATH": str(ROOT), **env})
    nbclient.NotebookClient(notebook, timeout=90, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}).execute(env=clean)
    return json.loads(json.dumps(notebook))


def _kept(outputs: list[dict]) -> list[str]:
    """The texts a reader of the file sees: the outputs Jupyter's pre-save hook would keep."""
    return [o["data"]["text/plain"] for o in outputs if not is_live_only(o)]


def test_a_headless_run_over_rows_stores_no_widget_and_its_summaries_as_before(tmp_path):
    notebook = _run(tmp_path, ["%load_ext ygpt_magic", FRAME.replace("None", "'fine'"),
                               "%%ygpt --map df --out a\nSentiment of: {text}",
                               "%ygpt embed df --column text --out v"], YGPT_ENDPOINT="local")

    models = notebook["metadata"].get("widgets", {}).get(STATE, {}).get("state", {})
    assert not models, f"{len(models)} widget models stored"
    shown = [o for cell in notebook["cells"] for o in cell["outputs"]]
    assert not [o for o in shown if WIDGET in o.get("data", {})]
    (mapped,) = _kept(notebook["cells"][2]["outputs"])   # the summary alone, where the bar was
    assert mapped.startswith("✓ 5 answered · ") and mapped.split("\n")[0].endswith(" rows/s"), mapped
    (summary,) = [o for o in notebook["cells"][2]["outputs"] if not is_live_only(o)]
    assert summary["metadata"]["ygpt"]["rows"] == 5   # the run's provenance, as before
    (embedded,) = _kept(notebook["cells"][3]["outputs"])
    assert embedded.startswith("✓ 5 answered · ") and embedded.endswith(" texts/s"), embedded
