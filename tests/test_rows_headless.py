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
import re
from pathlib import Path

import pytest
from conftest import completions

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


def test_a_headless_map_says_its_failed_rows_reasons_and_what_a_rerun_sends(tmp_path, ygpt_server):
    cells = ["%load_ext ygpt_magic", f"%ygpt connect {ygpt_server.address} --insecure", FRAME,
             "%%ygpt --map df --out res --concurrency 1\nSentiment of: {text}", "print(sorted(_ygpt.errors))"]
    cache = str(tmp_path / "replies.sqlite")
    ygpt_server.faults.fail_next(2, "INVALID_ARGUMENT", "the model cannot rate this row", after=1)
    notebook = _run(tmp_path, cells, YGPT_CACHE=cache)

    (said,) = _kept(notebook["cells"][3]["outputs"])
    summary, advice, *why = said.split("\n")
    assert summary.startswith("✓ 2 answered · ✗ 3 failed (2 request rejected, 1 missing value)"), said
    assert advice == ("3 rows without an answer: running the notebook again sends only those (fix "
                      "the data of those that were not sent first); the answered rows are replayed from the "
                      "reply cache."), said
    assert why[0].startswith("✗ 2 rows ('b', 'd'): ") and "the model cannot rate this row" in why[0], said
    assert why[1].startswith("✗ 1 row ('c'): {text} holds no value (NaN)"), said
    assert "_ygpt.errors" not in said, said   # no kernel is left to read it in
    assert notebook["cells"][4]["outputs"][0]["text"] == "['b', 'c', 'd']\n"   # the kernel still has them

    sent = len(completions(ygpt_server))
    _run(tmp_path, cells, YGPT_CACHE=cache)   # what the advice said: only the failed rows are sent
    asked = [r.messages[-1]["text"] for r in completions(ygpt_server)[sent:]]
    assert asked == ["Sentiment of: bad", "Sentiment of: great"], asked


def test_without_a_reply_cache_it_says_a_rerun_sends_every_row(tmp_path, ygpt_server):
    cells = ["%load_ext ygpt_magic", f"%ygpt connect {ygpt_server.address} --insecure",
             FRAME.replace("None", "'fine'"), "%%ygpt --map df --out res\nSentiment of: {text}"]
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", "the model cannot rate this row")
    (said,) = _kept(_run(tmp_path, cells)["cells"][3]["outputs"])
    advice, why = said.split("\n")[1:3]
    assert advice == ("1 row without an answer: running the notebook again sends every row again, as no "
                      "reply cache kept the answered ones; with one set (YGPT_CACHE) a later re-run sends "
                      "only the rows left."), said
    assert re.match(r"✗ 1 row \('[a-e]'\): ", why) and "the model cannot rate this row" in why, said


def test_a_refusal_every_row_gets_says_what_running_the_notebook_again_sends(tmp_path, ygpt_server):
    """A wrong key or folder, CI's likeliest failure: the refusal is said once, and what comes
    after fixing it fits a run that has ended (it said "run the cell again: only the rows without
    an answer are sent", which without a reply cache is every row)."""
    cells = ["%load_ext ygpt_magic", f"%ygpt connect {ygpt_server.address} --insecure",
             FRAME.replace("None", "'fine'"), "%%ygpt --map df --out res --concurrency 1\nSentiment of: {text}"]
    ygpt_server.faults.fail_next(100, "PERMISSION_DENIED")
    (said,) = _kept(_run(tmp_path, cells)["cells"][3]["outputs"])
    assert "Once that is fixed, running the notebook again sends every row again, as no reply cache " \
           "kept the answered ones" in said, said
    assert "run the cell again" not in said.lower(), said


def test_a_run_the_cost_cap_stopped_says_what_running_the_notebook_again_sends(tmp_path, ygpt_server):
    """The cap stops a run mid-way (a low guess from a run before it, as in test_max_cost_fast):
    headless, "run the cell again with a higher --max-cost" cannot be done, and without a reply
    cache running the notebook again sends every row."""
    cells = ["%load_ext ygpt_magic", f"%ygpt connect {ygpt_server.address} --insecure",
             "many = [f'short review {i:02d}' for i in range(40)]",
             "%%ygpt --map many --max-tokens 3 --out a\nSummarise: {item}",
             "%%ygpt --map many --max-cost 1.7 --out b\nTell me all about: {item}"]
    (said,) = _kept(_run(tmp_path, cells)["cells"][4]["outputs"])
    assert "Stopped at the cost cap: spent " in said, said
    assert "With a higher --max-cost, running the notebook again sends every row again, as no reply " \
           "cache kept the answered ones" in said, said
    assert "run the cell again" not in said.lower(), said


def test_a_headless_batch_says_its_failed_rows_reasons_and_that_a_rerun_is_a_new_job_for_them(
        tmp_path, ygpt_server):
    """A --batch job that failed rows said the live advice ("_ygpt.errors has each one's reason.
    Run the cell again…") after a headless run, and no reason; with a reply cache the notebook
    run again starts a new job for those rows alone, billed the job's minimum, which it says."""
    cells = ["%load_ext ygpt_magic", f"%ygpt connect {ygpt_server.address} --insecure",
             "%config YGptMagics.batch_poll_interval = 0.02", FRAME,
             "%%ygpt --map df --batch -m gemma-3-12b-it --out res\nSentiment of: {text}"]
    cache = str(tmp_path / "replies.sqlite")
    ygpt_server.faults.fail_next(2, "INTERNAL", "the row could not be rated", method="BatchRow", after=1)
    outputs = _run(tmp_path, cells, YGPT_CACHE=cache)["cells"][4]["outputs"]
    (said,) = _kept([o for o in outputs if "data" in o])
    summary, advice, *why = said.split("\n")
    assert summary.startswith("✓ 2 answered · ✗ 3 failed (2 batch row failed, 1 missing value)"), said
    assert advice.startswith("3 rows without an answer: running the notebook again sends only those (fix the "
                             "data of those that were not sent first); the answered rows are replayed from the "
                             "reply cache. Run again with --batch, those rows are a new job, billed at least "
                             "200,000 tokens again (≈"), said
    assert why[0].startswith("✗ 2 rows ('b', 'd'): batch job ") and "the row could not be rated" in why[0], said
    assert why[1].startswith("✗ 1 row ('c'): {text} holds no value (NaN)"), said
    assert "_ygpt.errors" not in said and "Run the cell again" not in said, said

    uploaded = len([r for r in ygpt_server.requests if r.method == "BatchRow"])
    _run(tmp_path, cells, YGPT_CACHE=cache)   # what the advice said: a new job for the failed rows alone
    asked = [r.messages[-1]["text"] for r in ygpt_server.requests[:] if r.method == "BatchRow"][uploaded:]
    assert sorted(asked) == ["Sentiment of: bad", "Sentiment of: great"], asked


def test_a_headless_batch_without_a_reply_cache_says_a_rerun_sends_every_row(tmp_path, ygpt_server):
    cells = ["%load_ext ygpt_magic", f"%ygpt connect {ygpt_server.address} --insecure",
             "%config YGptMagics.batch_poll_interval = 0.02", FRAME.replace("None", "'fine'"),
             "%%ygpt --map df --batch -m gemma-3-12b-it --out res\nSentiment of: {text}"]
    ygpt_server.faults.fail_next(1, "INTERNAL", "the row could not be rated", method="BatchRow")
    (said,) = _kept([o for o in _run(tmp_path, cells)["cells"][4]["outputs"] if "data" in o])
    advice, why = said.split("\n")[1:3]
    assert advice == ("1 row without an answer: running the notebook again sends every row again, as no "
                      "reply cache kept the answered ones; with one set (YGPT_CACHE) a later re-run sends "
                      "only the rows left."), said
    assert why.startswith("✗ 1 row ('a'): batch job ") and "the row could not be rated" in why, said


def test_a_run_stopped_at_the_runners_timeout_says_what_running_the_notebook_again_sends(tmp_path, ygpt_server):
    """nbclient (papermill, `jupyter execute`) interrupts a cell that outruns its timeout, as
    Ctrl-C does: the summary said "Run the cell again to send only those", which nobody can do
    once the run has ended."""
    import nbclient
    import nbformat

    ygpt_server.faults.hold_next(100, "Completion", seconds=30, after=4)
    cells = ["%load_ext ygpt_magic", f"%ygpt connect {ygpt_server.address} --insecure",
             "many = [f'review {i:02d}' for i in range(30)]",
             "%%ygpt --map many --out a\nSummarise: {item}"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_"))}
    environ.update({"YC_API_KEY": "dummy-key-for-the-local-server", "YC_FOLDER_ID": "local-folder",
                    "PYTHONPATH": str(ROOT)})
    client = nbclient.NotebookClient(notebook, timeout_func=lambda cell: 6 if "--map" in cell.source else 90,
                                     interrupt_on_timeout=True, allow_errors=True,
                                     kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute(env=environ)
    finally:
        ygpt_server.faults.clear()
    outputs = json.loads(json.dumps(notebook))["cells"][3]["outputs"]
    said = "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    assert re.search(r"Stopped: \d+ rows left", said), outputs
    assert "Running the notebook again sends every row again" in said, said
    assert "run the cell again" not in said.lower(), said
    assert outputs[-1]["evalue"].startswith("The run interrupted this cell, as Ctrl-C does"), outputs[-1]
