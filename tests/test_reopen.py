"""What a saved notebook keeps of the live widgets: a real kernel (nbclient) runs the cells
against the in-kernel local server, and the test reads the outputs a reopened notebook would show.

A widget lives only as long as its kernel: a stored widget view is "Error displaying widget:
model not found" in JupyterLab and a frozen fallback text (``0%|``) everywhere else. The
browser side of the story (JupyterLab, a reload with a new kernel) is tests/test_browser_reopen.py.

The ``--map`` stories read one nbclient run (module-scoped ``stored``); the panel's story runs
in the kernel harness that stands in for JupyterLab, since a run no page draws (nbclient) keeps
the panel's saved view alone (tests/test_panel_headless.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from kernels import Kernel

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


#: the map stories' cells
MAP = "%%ygpt --map fruits --out answers\nTranslate to French: {item}"
CELLS = ["%load_ext ygpt_magic", "fruits = ['apple', 'pear', 'plum']", MAP]


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


def test_a_panel_is_stored_beside_a_saved_view_of_its_transcript(ygpt_server):
    """As a page runs the cell (JupyterLab: tests/kernels.py); a run no page draws keeps the
    saved view alone (tests/test_panel_headless.py)."""
    with Kernel(ygpt_server.address) as kernel:
        kernel.run("%%ygpt\nHi! What fields of science did Albert Einstein study?")
        panel = kernel.run("%ygpt panel")
        outputs = [{"output_type": kind, "data": content["data"], "metadata": content["metadata"]}
                   for kind, content in kernel.of(panel) if kind == "display_data"]
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
