"""Provenance beyond chat replies: a `--labels` classification, and a `--map` or `%ygpt embed`
run, leave in the output's metadata (and in `%ygpt provenance`) which model produced them, so a
saved notebook's `%ygpt provenance NOTEBOOK` tells the same story as the kernel that ran it.
"""

from __future__ import annotations

import json

from conftest import cell
from IPython.utils.capture import capture_output


def saved(tmp_path, source: str, outputs) -> str:
    """A notebook of one cell holding ``outputs`` as Jupyter saves them (metadata included)."""
    notebook = {"cells": [{"cell_type": "code", "execution_count": 1, "source": source, "metadata": {},
                           "outputs": [{"output_type": "display_data", "data": o.data,
                                        "metadata": o.metadata or {}} for o in outputs]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "saved.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return str(path)


def run(shell, source: str):
    with capture_output() as captured:
        result = shell.run_cell(source, store_history=True)
    assert result.success
    return captured.outputs


def test_a_labels_reply_carries_provenance_like_every_reply(shell, tmp_path):
    source = "%%ygpt --labels good,bad\nBroke after two weeks."
    outputs = run(shell, source)
    assert "Broke after two weeks" in cell(shell, "%ygpt provenance").plain
    records = [o.metadata["ygpt"] for o in outputs if "ygpt" in (o.metadata or {})]
    assert len(records) == 1 and records[0]["model"] == "yandexgpt/latest" and not records[0]["cached"]
    from_file = cell(shell, f"%ygpt provenance {saved(tmp_path, source, outputs)}").plain
    assert "cell 1 (In [1])" in from_file and "yandexgpt/latest" in from_file


def test_a_map_run_is_one_entry_of_the_kernels_provenance_sent_then_replayed(shell, ygpt_server):
    """repro.md F4: a --map run that sent 2 requests left 'No replies with provenance in this kernel yet.'"""
    shell.user_ns["reviews"] = ["Great sound.", "Broke after two weeks."]
    source = "%%ygpt --map reviews --out verdicts\nOne-word sentiment: {item}"
    assert cell(shell, source).ok and cell(shell, source).ok
    table = cell(shell, "%ygpt provenance").plain
    assert table.count("(--map reviews)") == 2 and "yandexgpt/latest" in table, table
    assert "0 of 2 rows replayed, 2 sent, ran 20" in table and "2 of 2 rows replayed, 0 sent" in table, table


def test_an_embed_run_is_one_entry_of_the_kernels_provenance(shell, ygpt_server):
    shell.user_ns["docs"] = ["cats sleep", "rockets fly"]
    assert cell(shell, "%ygpt embed docs --out v").ok
    table = cell(shell, "%ygpt provenance").plain
    assert "(embed docs)" in table and "text-search-doc" in table and "0 of 2 rows replayed, 2 sent" in table, table


def test_a_saved_map_run_tells_which_model_produced_its_rows(shell):
    """The tutorial notebook, saved from Jupyter, where the summary replaces the progress bar's
    output and carries the run's record in its metadata (rows/progress.py)."""
    from pathlib import Path

    tutorial = Path(__file__).parent.parent / "notebooks" / "07_prompts_over_data.ipynb"
    table = cell(shell, f"%ygpt provenance {tutorial}").plain
    assert "0 of 5 rows replayed, 5 sent" in table and "gemma-3-12b-it" in table, table


def test_a_tuned_classifiers_provenance_names_it_without_the_folder(shell, ygpt_server, tmp_path):
    """Provenance holds no folder id (cache/provenance.py): a chat model's gpt:// URI was read
    without it, a tuned classifier's cls:// URI whole, into the saved notebook and the table."""
    tuned = "cls://b1gtestfolder/yandexgpt-lite/rc@tamrap1sjscq6e9flit3p"
    source = f"%%ygpt --model {tuned}\nhello"
    outputs = run(shell, source)
    shell.user_ns["reviews"] = ["Great sound.", "Broke after two weeks."]
    assert cell(shell, f"%%ygpt --model {tuned} --map reviews\n{{item}}").ok
    [record] = [o.metadata["ygpt"] for o in outputs if "ygpt" in (o.metadata or {})]
    assert record["model"] == "yandexgpt-lite/rc@tamrap1sjscq6e9flit3p", record
    kernel = cell(shell, "%ygpt provenance").plain
    assert kernel.count("yandexgpt-lite/rc@tamrap1sjscq6e9flit3p") == 2 and "--map reviews)" in kernel, kernel
    from_file = cell(shell, f"%ygpt provenance {saved(tmp_path, source, outputs)}").plain
    assert "yandexgpt-lite/rc@tamrap1sjscq6e9flit3p" in from_file
    assert "b1gtestfolder" not in kernel + from_file


def test_a_map_run_replayed_after_a_restart_keeps_its_recorded_tokens(shell, ygpt_server, tmp_path):
    """findings/reopen 6: after Restart & Run All the replayed rows' provenance said 0 → 0 (the
    day before: 59 → 32), while %ygpt usage counted their tokens as replayed and a replayed
    single reply keeps its recorded tokens."""
    shell.user_ns["reviews"] = ["Great sound.", "Broke after two weeks.", "Fine, I guess."]
    source = "%%ygpt --map reviews --out verdicts\nOne-word sentiment: {item}"
    assert cell(shell, f"%ygpt cache {tmp_path / 'replies.sqlite'}").ok
    day1 = cell(shell, source)
    assert day1.ok, day1.message
    sent = shell.user_ns["_ygpt"].usage
    assert sent.input_tokens > 0
    assert shell.user_ns["_ygpt"].provenance["ygpt"]["usage"]["input_tokens"] == sent.input_tokens

    cell(shell, "%reload_ext ygpt_magic")   # Restart: a new kernel's state, the cache file kept
    assert cell(shell, f"%ygpt connect {ygpt_server.address} --insecure").ok
    assert cell(shell, f"%ygpt cache {tmp_path / 'replies.sqlite'}").ok
    assert cell(shell, source).ok
    record = shell.user_ns["_ygpt"].provenance["ygpt"]   # the summary's output metadata in Jupyter
    assert record["replayed"] == 3 and record["sent"] == 0
    assert (record["usage"]["input_tokens"], record["usage"]["completion_tokens"]) == (
        sent.input_tokens, sent.completion_tokens)
    tokens = f"{sent.input_tokens} → {sent.completion_tokens}"
    assert tokens in cell(shell, "%ygpt provenance").plain
    replayed = shell.magics_manager.registry["YGptMagics"].kernel.session.accounts.total().replayed
    assert replayed.total_tokens == sent.total_tokens   # %ygpt usage's replayed column: the same tokens
