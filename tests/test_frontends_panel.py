"""The panel's words outside JupyterLab: what ``%ygpt panel --side`` promises, and what a notebook
run headless keeps where the widget would be.

``--side`` puts the panel in a sidecar tab, which only JupyterLab's shell can draw: in Notebook 7
the view fails in the browser and nothing appears, and the kernel is never told (the frontends
exploration, finding 2). So the line must not promise a panel, and must name what works there.

A notebook run by nbclient (jupyter execute, nbconvert --execute, papermill) is saved by no
Jupyter server, whose pre-save hook drops the widget: its ``text/plain`` fallback showed in a
Markdown export, a log or a text reader, where "(live in JupyterLab)" was untrue (finding 3). Such
a run now keeps the saved view alone (tests/test_panel_headless.py).
"""

from __future__ import annotations

import pytest
from conftest import TEST_FOLDER, TEST_KEY, cell


def test_panel_side_says_where_its_tab_shows_and_what_to_use_elsewhere(shell, ygpt_server, monkeypatch):
    pytest.importorskip("sidecar", reason="sidecar is not installed (pip install -e '.[test]')")
    from ipywidgets import Widget

    opened: list[Widget] = []
    monkeypatch.setattr(Widget, "_widget_construction_callback", opened.append)
    try:
        said = cell(shell, "%ygpt panel --side").shown
    finally:
        for widget in opened:
            widget.close()
    assert "in JupyterLab's side area" in said
    assert "only in JupyterLab" in said and "Notebook 7" in said, said
    assert "run %ygpt panel there" in said, "the inline panel is what works in other frontends"


@pytest.mark.slow  # a fresh kernel: seconds
def test_a_headless_run_exported_to_markdown_says_what_the_panel_is_not_that_it_is_live(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import MarkdownExporter

    for name, value in {"YGPT_ENDPOINT": "local", "YC_API_KEY": TEST_KEY, "YC_FOLDER_ID": TEST_FOLDER,
                        "IPYTHONDIR": str(tmp_path / "ipython")}.items():
        monkeypatch.setenv(name, value)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in
                      ["%load_ext ygpt_magic", "%%ygpt\nhello", "%ygpt panel"]]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    body, _ = MarkdownExporter().from_notebook_node(notebook)
    tail = body[body.index("%ygpt panel"):]
    assert "Saved view of chat" in tail
    assert "live in JupyterLab" not in tail, tail
    assert "Saved view of chat 'default' (1 turn)" in tail and "Run %ygpt panel to open it again" in tail, tail
    assert "ygpt chat panel" not in tail, "nothing draws the widget there: its line was one more, stale once turns came"
