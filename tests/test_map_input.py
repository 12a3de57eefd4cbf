"""%%ygpt --map over what users actually hand it: a DataFrame whose column is misspelt, a
generator, an index with repeated labels, a run stopped with Ctrl-C; through a real shell and the
local server."""

from __future__ import annotations

import signal
import threading

import numpy as np
import pandas as pd
import pytest
from cellrun import assert_clear_error, assert_interrupted
from conftest import cell, completions

from ygpt_magic.ledger import Ledger


def test_a_name_that_is_not_a_column_of_the_dataframe_says_so_and_lists_its_columns(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"text": ["Great phone"], "stars": [5]})
    run = cell(shell, "%%ygpt --map df\nClassify: {review}")
    message = assert_clear_error(run, "--map df", "df has no column 'review'", "'text', 'stars'")
    assert "no variable named" not in message
    assert completions(ygpt_server) == []


def test_a_generator_is_refused_with_pass_a_list_and_nothing_is_sent_or_overwritten(shell, ygpt_server):
    shell.user_ns["gen"] = (word for word in ["one", "two"])
    shell.user_ns["answers"] = ["kept"]
    run = cell(shell, "%%ygpt --map gen --out answers\nSpell {item}")
    assert_clear_error(run, "--map gen", "generator", "only once", "list(gen)")
    assert list(shell.user_ns["gen"]) == ["one", "two"]          # not consumed
    assert shell.user_ns["answers"] == ["kept"] and completions(ygpt_server) == []


def test_with_repeated_index_labels_every_failed_row_has_its_own_error(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"text": ["a", "b", "c", "d"]}, index=["x", "x", "x", "y"])
    ygpt_server.faults.fail_next(3, "INTERNAL", "the model broke on this row")
    run = cell(shell, "%%ygpt --map df --out answers --concurrency 1\nSpell {text}")
    assert run.ok, run.message
    done = shell.user_ns["_ygpt"]
    assert done.failed == 3 and len(done.errors) == 3
    assert sorted(done.errors) == [0, 1, 2]                       # positions, as df.iloc reads them
    assert "keyed by row position" in run.stdout and "df.iloc" in run.stdout
    assert list(shell.user_ns["answers"].index) == ["x", "x", "x", "y"]   # results keep the index


def test_after_ctrl_c_the_summary_counts_the_answers_out_holds(shell, ygpt_server, tmp_path, monkeypatch):
    """A real SIGINT lands on the kernel's thread just after a row's answer was kept in the
    reply cache, before the tally counted it: the summary still counts every answer ``out`` holds."""
    keep = Ledger.kept
    pressed = []

    def kept_then_ctrl_c(self, *args):
        keep(self, *args)
        if not pressed and threading.current_thread() is threading.main_thread():
            pressed.append(True)
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(Ledger, "kept", kept_then_ctrl_c)
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'replies.sqlite')!r}")
    shell.user_ns["numbers"] = list(range(20))
    run = cell(shell, "%%ygpt --map numbers --out answers --concurrency 2\nSay {item}")
    assert_interrupted(run)
    assert pressed
    done, answers = shell.user_ns["_ygpt"], shell.user_ns["answers"]
    held = sum(answer is not None for answer in answers)
    assert done.answered == held and f"✓ {held} answered" in run.stdout
    assert done.left == 20 - held
    assert done.usage.completion_tokens > 0


def test_duplicate_column_names_are_named_in_one_paragraph_and_nothing_is_sent(shell, ygpt_server):
    shell.user_ns["df"] = pd.concat([pd.DataFrame({"text": ["a"]}), pd.DataFrame({"text": ["b"]})], axis=1)
    shell.user_ns["res"] = ["kept"]
    run = cell(shell, "%%ygpt --map df --out res\nSay {row}")
    assert_clear_error(run, "--map df", "2 columns named 'text'", "df.columns =", "run the cell again")
    assert completions(ygpt_server) == [] and shell.user_ns["res"] == ["kept"]


def test_a_column_named_index_or_row_wins_over_the_built_in_name(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"text": ["a", "b"], "row": ["r1", "r2"]}, index=[5, 9]).reset_index()
    run = cell(shell, "%%ygpt --map df --out r\nOriginal id {index}, {row}: {text}")
    assert run.ok, run.message
    assert sorted(r.messages[-1]["text"] for r in completions(ygpt_server)) == [
        "Original id 5, r1: a", "Original id 9, r2: b"]   # df.reset_index() put the old labels in 'index'


def test_a_row_whose_cell_is_missing_fails_naming_it_and_the_others_are_classified(shell, ygpt_server):
    shell.user_ns["reviews"] = pd.DataFrame({"text": ["great phone", np.nan, None]}, dtype=object)
    run = cell(shell, "%%ygpt --map reviews --labels positive,negative --out tone\n{text}")
    assert run.ok, run.message
    assert len([r for r in ygpt_server.requests if "Classify" in r.method]) == 1   # "nan"/"None" are not sent
    assert "✓ 1 answered · ✗ 2 failed (2 missing value)" in run.stdout
    errors = shell.user_ns["_ygpt"].errors
    assert sorted(errors) == [1, 2]
    assert "Row 1: {text} holds no value (NaN)" in errors[1] and "Row 2: {text} holds no value (None)" in errors[2]
    assert "reviews.dropna(subset=['text'])" in errors[1] and "reviews.fillna({'text': " in errors[1]
    assert shell.user_ns["tone"]["label"].isna().tolist() == [False, True, True]
    said = "2 rows without an answer, not sent: _ygpt.errors says what is wrong with each one's data. Fix that"
    assert said in run.stdout


def test_a_missing_cell_stops_only_rows_that_read_it_as_text(shell, ygpt_server):
    """{row} leaves a field with no value out, an expression sees the value itself (its code can
    test it), and a column the template does not read does not matter; {item} of a list and
    {row.column} are checked like {column}."""
    shell.user_ns["df"] = pd.DataFrame({"text": ["a", "b"], "notes": [None, "late"]})
    run = cell(shell, "%%ygpt --map df\n{text} [{notes if isinstance(notes, str) else '-'}]\n{row}")
    assert run.ok, run.message
    assert sorted(r.messages[-1]["text"] for r in completions(ygpt_server)) == [
        "a [-]\ntext: a", "b [late]\ntext: b\nnotes: late"]
    assert cell(shell, "%%ygpt --map df\nNote: {row.notes}").ok
    assert list(shell.user_ns["_ygpt"].errors) == [0]
    shell.user_ns["words"] = ["one", None]
    assert cell(shell, "%%ygpt --map words\nSpell {item}").ok
    assert "Row 1: {item} holds no value (None)" in shell.user_ns["_ygpt"].errors[1]


def test_a_value_cut_to_max_value_chars_is_said_with_its_rows_and_how_to_send_them_whole(shell, ygpt_server):
    shell.user_ns["docs"] = pd.DataFrame({"body": ["short doc", "word " * 3000]}, index=["a", "b"])
    source = "%%ygpt --map docs --out res\nSummarize: {body}"
    run = cell(shell, source)
    assert run.ok, run.message
    assert sum("7,000 characters left out" in r.messages[-1]["text"] for r in completions(ygpt_server)) == 1
    note = "{body}: 15,000 characters, cut to the first 8,000 characters"
    assert f"Row 'b' was sent with a value cut short: {note}." in run.stdout
    assert "YGptMagics.max_value_chars" in run.stdout
    assert shell.user_ns["_ygpt"].cut == {"b": note}
    shell.run_line_magic("config", "YGptMagics.max_value_chars = 20000")
    ygpt_server.requests.clear()
    again = cell(shell, source)
    assert [r.messages[-1]["text"] for r in completions(ygpt_server)] == ["Summarize: " + "word " * 3000]
    assert shell.user_ns["_ygpt"].cut == {} and "cut" not in again.stdout


@pytest.mark.slow
def test_however_many_rows_are_cut_the_run_says_so_in_one_line(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.max_value_chars = 5")
    shell.user_ns["words"] = [f"long word {i}" for i in range(300)]
    run = cell(shell, "%%ygpt --map words\nSpell {item}")
    assert run.ok, run.message
    [line] = [line for line in run.stdout.splitlines() if "cut" in line]
    assert line.startswith("300 rows were sent with a value cut short: rows 0, 1, 2 and 297 more (")
    assert len(shell.user_ns["_ygpt"].cut) == 300


def test_a_row_that_fails_before_sending_is_not_said_to_be_sent_cut(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.max_value_chars = 5")
    shell.run_line_magic("config", "YGptMagics.context_budget = 3")    # every row's prompt is too long
    try:
        shell.user_ns["words"] = ["a long word to cut"]
        run = cell(shell, "%%ygpt --map words\nSpell {item}")
        assert run.ok, run.message
        assert completions(ygpt_server) == [] and "✗ 1 failed" in run.stdout
        assert "cut short" not in run.stdout and shell.user_ns["_ygpt"].cut == {}
    finally:
        shell.run_line_magic("config", "YGptMagics.context_budget = None")


def test_an_unknown_chat_or_model_refuses_the_cell_before_any_row_not_blamed_on_the_rows(shell, ygpt_server):
    """A typo in --chat (or a model the server does not serve, met by the tokenizer that measures
    a long row) is the cell's: one paragraph, as the same cell with --once gets, not every row
    failed with "_ygpt.errors says what is wrong with each one's data" and --out set to None."""
    shell.user_ns["df"] = pd.DataFrame({"text": ["great phone " * 5, "broken " * 9]})
    shell.user_ns["r"] = ["kept"]
    for flags in ("--chat reviewz", "--chat reviewz --dry-run"):
        message = assert_clear_error(cell(shell, f"%%ygpt --map df {flags} --out r\n{{text}}"),
                                     "There is no chat named 'reviewz'", "%ygpt chat reviewz")
        assert "each one's data" not in message
    shell.run_line_magic("config", "YGptMagics.context_budget = 30")   # a long row is measured
    assert_clear_error(cell(shell, "%%ygpt --map df --model nosuchmodel --out r\n{text}"),
                       "The model 'nosuchmodel' was not found")
    assert [r.method for r in ygpt_server.requests] == ["TokenizeCompletion"]   # the first row's only
    assert shell.user_ns["r"] == ["kept"] and completions(ygpt_server) == []
