"""What a saved notebook keeps of the live widgets: a real kernel (nbclient) runs the cells
against the in-kernel local server, and the test reads the outputs a reopened notebook would show.

A widget lives only as long as its kernel: a stored widget view is "Error displaying widget:
model not found" in JupyterLab and a frozen fallback text (``0%|``) everywhere else. The
browser side of the story (JupyterLab, a reload with a new kernel) is tests/test_browser_reopen.py.

One kernel runs the cells of both stories as one notebook (module-scoped ``stored``): a ``--map``
run records no turn in any chat, so the panel's chat 'default' holds the one turn its story
asked, and each story reads the outputs of its own cells.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ygpt_magic.saving import drop_live_outputs, is_live_only

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
WIDGET = "application/vnd.jupyter.widget-view+json"


def executed(cells: list[str], folder: Path) -> list[list[dict]]:
    """Each cell's outputs after a real kernel ran them all, as the notebook stores them."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_"))}
    env.update(YGPT_ENDPOINT="local", YC_API_KEY="dummy-key-for-the-local-server",
               YC_FOLDER_ID="local-folder", PYTHONPATH=str(ROOT))
    nbclient.NotebookClient(notebook, timeout=90, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}).execute(env=env)
    return [json.loads(json.dumps(cell.outputs)) for cell in notebook.cells]


def shown(outputs: list[dict]) -> str:
    """What a reader of the stored outputs sees as text."""
    texts = [o.get("text", "") for o in outputs if o["output_type"] == "stream"]
    texts += [o["data"].get("text/plain", "") for o in outputs if "data" in o]
    return "\n".join(texts)


#: the map story's cells, then the panel story's
MAP = "%%ygpt --map fruits --out answers\nTranslate to French: {item}"
PANEL = "%ygpt panel"
CELLS = ["%load_ext ygpt_magic", "fruits = ['apple', 'pear', 'plum']", MAP,
         "%%ygpt\nHi! What fields of science did Albert Einstein study?", PANEL]


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> dict[str, list[dict]]:
    """The stored outputs of each of ``CELLS``, by source, after one kernel ran them all."""
    return dict(zip(CELLS, executed(CELLS, tmp_path_factory.mktemp("reopen"))))


def test_a_map_bar_is_stored_as_its_summary_not_as_a_widget(stored):
    outputs = stored[MAP]
    assert not [o for o in outputs if WIDGET in o.get("data", {})], outputs
    text = shown(outputs)
    assert "✓ 3 answered" in text and "rows/s" in text, text
    assert "0%|" not in text, text


def test_a_panel_is_stored_beside_a_saved_view_of_its_transcript(stored):
    outputs = stored[PANEL]
    *view, live = outputs
    assert all(WIDGET not in o["data"] and 'class="ygpt-saved"' in o["data"]["text/html"] for o in view)
    saved = drop_live_outputs_of(outputs)   # the file: the view's parts that show something
    assert len(saved) == 2 and all(o["data"]["text/plain"] for o in saved), saved
    for kind in ("text/html", "text/plain"):
        text = "\n".join(o["data"][kind] for o in saved)
        assert text.count("What fields of science did Albert Einstein study?") == 1
        assert "Albert Einstein was a theoretical physicist" in text
        assert "Saved view of chat 'default' (1 turn)" in text and "Run %ygpt panel to open it again" in text
    assert WIDGET in live["data"] and is_live_only(live)


def drop_live_outputs_of(outputs: list[dict]) -> list[dict]:
    model = {"type": "notebook", "content": {"cells": [{"cell_type": "code", "outputs": outputs}]}}
    drop_live_outputs(model)
    return model["content"]["cells"][0]["outputs"]
