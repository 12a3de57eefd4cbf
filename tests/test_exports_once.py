"""A notebook run headless prints each reply once in every export (findings/stream.md F4).

``jupyter nbconvert --execute``, nbclient and papermill keep every output the kernel sent, and so
does a Jupyter whose server lacks ygpt_magic.saving's pre-save hook: the plain copy of a streamed
reply (and of a ``--map`` summary) sent for frontends that ignore display updates
(render/forms.py echo) stays in the file. Its HTML is empty, but LaTeX (and so PDF) prefers plain
text to HTML, so every reply and its footer were printed twice. The copy must still be there for
those frontends: ``jupyter console`` and ``papermill --log-output`` print its plain text.
"""

from __future__ import annotations

import pytest
from conftest import TEST_FOLDER, TEST_KEY

from ygpt_magic.saving import is_live_only

REPLY = "Albert Einstein was a theoretical physicist"
SUMMARY = "✓ 2 answered"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """A notebook with a streamed reply and a ``--map`` cell, run by nbclient on a fresh kernel
    (no Jupyter server, so no pre-save hook)."""
    import nbformat
    from nbclient import NotebookClient

    folder = tmp_path_factory.mktemp("headless")
    with pytest.MonkeyPatch.context() as env:
        for name, value in {"YGPT_ENDPOINT": "local", "YC_API_KEY": TEST_KEY, "YC_FOLDER_ID": TEST_FOLDER,
                            "IPYTHONDIR": str(folder / "ipython")}.items():
            env.setenv(name, value)
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(source) for source in [
            "%load_ext ygpt_magic", "%%ygpt\nHi! What fields of science did Albert Einstein study?",
            "items = ['Great phone', 'Broke after a week']",
            "%%ygpt --map items --once\nSentiment of: {item}"]]
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        NotebookClient(notebook, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


@pytest.mark.slow  # a fresh kernel: seconds
@pytest.mark.parametrize("to", ["html", "latex", "markdown", "rst"])
def test_an_executed_notebook_exports_each_reply_and_summary_once(executed, to):
    from nbconvert import get_exporter

    body, _ = get_exporter(to)().from_notebook_node(executed)
    assert body.count(REPLY) == 1, f"--to {to}: the reply {body.count(REPLY)} times"
    assert body.count("Yandex Cloud would bill") == 1, f"--to {to}: the reply's footer repeated"
    assert body.count(SUMMARY) == 1, f"--to {to}: the --map summary {body.count(SUMMARY)} times"


@pytest.mark.slow
def test_the_plain_copy_for_frontends_that_ignore_updates_is_still_sent(executed):
    """What jupyter console and papermill --log-output print: the live-only copy's plain text."""
    copies = [output for cell in executed.cells[1:] for output in cell.get("outputs", []) if is_live_only(output)]
    assert [REPLY in copies[0]["data"]["text/plain"], SUMMARY in copies[1]["data"]["text/plain"]] == [True, True]
    assert all(copy["data"]["text/html"] == "" for copy in copies)
