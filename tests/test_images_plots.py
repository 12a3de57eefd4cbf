"""`{Out[N]}` of a cell that ends in a plotting call: the chart the notebook shows under that cell.

`plt.plot(...)` returns a list of Line2D, `plt.scatter` a PathCollection, `plt.bar` a
BarContainer, `plt.hist` a tuple holding one. Their text is a repr with a memory address: the
model would get no chart, and the address, new in every kernel, would keep the reply cache from
ever replaying the cell. So the figure they were drawn in goes, as `--image` of that figure
would send it, and the note above the reply says so.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import cell
from pictures import MODEL, pics, turns  # noqa: F401 (pics: a fixture)

ROOT = Path(__file__).resolve().parent.parent

PLOTTING_CALLS = [
    ("plt.plot([5, 1, 4])", "a list of Line2D"),
    ("plt.scatter([1, 2], [3, 4])", "a PathCollection"),
    ("plt.bar(['a', 'b'], [3, 4])", "a BarContainer"),
    ("plt.hist([1, 2, 2, 3])", "a tuple of ndarray, BarContainer"),
]


@pytest.mark.parametrize("call, what", PLOTTING_CALLS, ids=[call.split("(")[0] for call, _ in PLOTTING_CALLS])
def test_out_of_a_plotting_call_sends_the_figure_it_drew_in(pics, magics, ygpt_server, call, what):
    shown = cell(pics, f"import matplotlib.pyplot as plt\nplt.figure(figsize=(4, 3))\n{call}")
    number = pics.execution_count - 1
    assert shown.ok and number in pics.user_ns["Out"]
    run = cell(pics, f"%%ygpt --once --model {MODEL}\nWhat does this chart show? {{Out[{number}]}}")
    assert run.ok, run.message
    request = ygpt_server.requests[-1]
    assert request.messages[-1]["text"] == f"What does this chart show? [image Out[{number}]]"
    [sent] = request.images
    note = f"🖼 Image 'Out[{number}]' is {what}, not a picture; sent the figure it was drawn in."
    assert note in run.final, run.final
    pics.user_ns["fig"] = pics.user_ns["plt"].gcf()
    assert cell(pics, f"%%ygpt --once --image fig --model {MODEL}\nAnd this one?").ok
    assert ygpt_server.requests[-1].images == [sent]  # the very chart the notebook shows
    assert turns(magics) == []  # --once


def test_artists_of_two_figures_are_text_with_a_note_on_the_address(pics, ygpt_server):
    cell(pics, "import matplotlib.pyplot as plt\n"
               "lines = plt.figure().gca().plot([1, 2]) + plt.figure().gca().plot([2, 1])")
    run = cell(pics, f"%%ygpt --once --model {MODEL}\nWhich is steeper? {{lines}}")
    assert run.ok, run.message
    assert ygpt_server.requests[-1].images == []  # two charts: which one the text means is unsaid
    assert "Line2D object at 0x" in ygpt_server.requests[-1].messages[-1]["text"]
    assert "{lines}: its text holds a memory address" in run.final, run.final
    assert "refer to the object's data" in run.final
    pics.user_ns.pop("lines")


@pytest.mark.slow
def test_the_cell_replays_from_the_cache_in_a_new_kernel(tmp_path):
    """Run All with a reply cache, then Run All again in a new kernel in replay mode, as the
    guide's "Your own notebooks in CI" does (the inline backend, which closes each figure)."""
    cells = ["%load_ext ygpt_magic\n%ygpt cache replies.sqlite",
             "import matplotlib.pyplot as plt\nplt.scatter([1, 2], [3, 4])",
             f"%%ygpt --once --model {MODEL}\nWhat does this chart show? {{Out[2]}}"]
    recorded = _run_all(cells, tmp_path)
    assert "Image 'Out[2]' is a PathCollection" in recorded, recorded
    replayed = _run_all(cells, tmp_path, YGPT_CACHE_MODE="replay")
    assert "cached · recorded" in replayed and "CacheMiss" not in replayed, replayed


def _run_all(cells: list[str], folder: Path, **env: str) -> str:
    """The last cell's outputs as text, after a new kernel ran every cell against the in-kernel
    local server."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_", "MPLBACKEND"))}
    environ.update(YGPT_ENDPOINT="local", YC_API_KEY="dummy-key-for-the-local-server",
                   YC_FOLDER_ID="local-folder", PYTHONPATH=str(ROOT), **env)
    nbclient.NotebookClient(notebook, timeout=90, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}}).execute(env=environ)
    outputs = notebook.cells[-1].outputs
    return "\n".join([o.get("text", "") for o in outputs if o["output_type"] == "stream"]
                     + [o.get("ename", "") + o.get("evalue", "") for o in outputs if o["output_type"] == "error"]
                     + [o["data"].get("text/plain", "") for o in outputs if "data" in o])


def test_a_figure_by_name_or_expression_goes_as_a_picture_like_out(pics, ygpt_server):
    """{fig} sent the text "<Figure size 640x480 with 1 Axes>", and no note said so."""
    cell(pics, "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 3, 2]);")
    run = cell(pics, f"%%ygpt --once --model {MODEL}\nExplain {{fig}} and {{plt.gcf()}}")
    assert run.ok, run.message
    request = ygpt_server.requests[-1]
    assert request.messages[-1]["text"] == "Explain [image fig] and [image plt.gcf()]"
    assert len(request.images) == 2 and request.images[0] == request.images[1]
    assert "{fig}: a picture, sent with the cell" in run.final.replace("\\", ""), run.final
    before = len(ygpt_server.requests)
    refused = cell(pics, "%%ygpt --once\nExplain this chart: {fig}")  # a model that takes no pictures
    assert "does not take images" in refused.message and MODEL in refused.message
    assert len(ygpt_server.requests) == before
