"""A notebook with a `%ygpt panel` cell run headless (nbclient, as `jupyter execute`, `jupyter
nbconvert --execute` and papermill run it) is saved by no Jupyter server, so no pre-save hook
drops the outputs only a page needs. It kept the saved view's empty parts (blank strips between
the reopen line and the transcript in JupyterLab) and the widget, whose fallback line said
"1 turn" under a view of 2. The file keeps the saved view alone, as one output, up to date with
the turns asked after the panel opened, and its turns come back when the panel's cell runs in a
new kernel. It builds no widget there either: nbclient stores the state of every widget a run
opened in the file's metadata (the tutorial panel's notebook: 169 KB, 13 KB without), which no reader of
the file can use."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ygpt_magic.panel.carried import stored
from ygpt_magic.saving import is_live_only

pytestmark = pytest.mark.slow   # a fresh kernel
ROOT = Path(__file__).resolve().parent.parent
CELLS = ["%load_ext ygpt_magic", "%%ygpt\nWhat is a cat?", "%ygpt panel", "%%ygpt\nAnd a dog?",
         "%ygpt panel --side",
         "from ipywidgets.widgets.widget import _instances\nprint(len(_instances), repr(Out[3]), sep='\\n')"]


WIDGET = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"   # nbclient's record of every widget's model


def _run(folder: Path, **more: str) -> dict:
    """The notebook as nbclient stores it after running ``CELLS`` in a fresh kernel."""
    import nbclient
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_"))}
    env.update({"YGPT_ENDPOINT": "local", "YC_API_KEY": "dummy-key-for-the-local-server",
                "YC_FOLDER_ID": "local-folder", "PYTHONPATH": str(ROOT), **more})
    nbclient.NotebookClient(notebook, timeout=90, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}).execute(env=env)
    return json.loads(json.dumps(notebook))


def test_a_headless_run_stores_the_panels_saved_view_alone_as_one_output(tmp_path):
    blocked = tmp_path / "blocked"   # sidecar (the optional `side` extra) not installed: not needed here
    (blocked / "sidecar").mkdir(parents=True)
    (blocked / "sidecar" / "__init__.py").write_text("raise ImportError('sidecar is not installed')\n")
    notebook = _run(tmp_path, PYTHONPATH=f"{blocked}{os.pathsep}{ROOT}")
    outputs = notebook["cells"][2]["outputs"]

    assert len(outputs) == 1, [o.get("data", {}).get("text/plain") for o in outputs]
    (view,) = outputs
    assert set(view["data"]) == {"text/html", "text/plain"} and not is_live_only(view), view   # no widget
    text = view["data"]["text/plain"]
    assert text.startswith("Saved view of chat 'default' (2 turns); the live panel needs a running kernel. "
                           "Run %ygpt panel to open it again."), text
    assert text.count("You: What is a cat?") == 1 and text.count("You: And a dog?") == 1, text
    assert 'class="ygpt-saved"' in view["data"]["text/html"] and "And a dog?" in view["data"]["text/html"]
    carried = stored(outputs)   # what the next kernel's %ygpt panel reads back
    assert carried is not None
    assert [turn.prompt for turn in carried.chats["default"]] == ["What is a cat?", "And a dog?"]
    # no widget was built, for the panel or its side tab: no state stored, no view of one shown
    models = notebook["metadata"].get("widgets", {}).get(STATE, {}).get("state", {})
    assert not models, f"{len(models)} widget models stored"
    shown = [o for cell in notebook["cells"] for o in cell["outputs"]]
    assert not [o for o in shown if WIDGET in o.get("data", {})]
    said, side_view = notebook["cells"][4]["outputs"]   # --side: no side area here, and it says so
    assert said["text"].startswith("No page draws this run (jupyter execute, nbconvert --execute, papermill), "
                                   "so no side tab opens: the panel's saved view is below."), said
    assert side_view["data"]["text/plain"] == text, side_view   # the saved view, as the panel's cell shows it
    (kernel,) = notebook["cells"][5]["outputs"]   # what the kernel holds: no widget; Out[3] says what it is
    assert kernel["text"] == ("0\nSaved view of chat 'default' (2 turns); the live panel needs a running "
                              "kernel. Run %ygpt panel to open it again.\n"), kernel["text"]


def test_a_voila_dashboard_keeps_the_live_panel(tmp_path):
    """Voilà runs a notebook as nbclient does (no input taken) but draws its widgets live for a
    visitor; it names itself in the kernel's SERVER_SOFTWARE."""
    outputs = _run(tmp_path, SERVER_SOFTWARE="voila/0.5.8")["cells"][2]["outputs"]
    assert any(WIDGET in o.get("data", {}) for o in outputs), [o.get("data", {}).keys() for o in outputs]
