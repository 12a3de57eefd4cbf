"""--map over a data scientist's own messy frame: a NaN under an {expression}, one very long field
under {row}, a blank CSV line under {row}. Each bad row fails alone (or is shortened) with words
the user knows, and the other rows are answered. Through the real shell and the local server."""

from __future__ import annotations

import numpy as np
import pandas as pd
from cellrun import assert_clear_error
from conftest import cell, completions


def sent(server) -> list[str]:
    return sorted(r.messages[-1]["text"] for r in completions(server))


def test_a_nan_under_an_expression_fails_that_row_as_a_missing_value_and_the_others_run(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"text": ["good", np.nan, "bad"]}, index=["a", "b", "c"])
    run = cell(shell, "%%ygpt --map df --out a\nReview: {text[:2000]}")
    assert run.ok, run.message
    assert sent(ygpt_server) == ["Review: bad", "Review: good"]
    done = shell.user_ns["_ygpt"]
    assert done.answered == 2 and list(done.errors) == ["b"]
    reason = done.errors["b"]
    assert reason.startswith("Row 'b': {text} holds no value (NaN)") and "{text[:2000]}" in reason
    assert "df.dropna(subset=['text'])" in reason and "df.fillna({'text': " in reason
    assert "✗ 1 failed (1 missing value)" in run.stdout


def test_an_expression_that_raises_on_one_rows_value_fails_that_row_alone_named(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"code": ["AB-17", "X", "CD-42"]})
    run = cell(shell, "%%ygpt --map df --out a\nSeries {code[3]}")
    assert run.ok, run.message
    assert sent(ygpt_server) == ["Series 1", "Series 4"]
    reason = shell.user_ns["_ygpt"].errors[1]
    assert reason.startswith("Row 1: evaluating {code[3]}") and "IndexError: string index out of range" in reason
    assert "the other rows are not affected" in reason


def test_an_expression_that_raises_on_every_row_is_still_the_cells_error_and_nothing_is_sent(shell, ygpt_server):
    shell.user_ns.update(df=pd.DataFrame({"text": ["a", "b"]}), res="kept")
    run = cell(shell, "%%ygpt --map df --out res\n{text.uppper()}")
    assert_clear_error(run, "{text.uppper()}", "AttributeError", "Nothing was sent", "Fix the expression")
    assert completions(ygpt_server) == [] and shell.user_ns["res"] == "kept"


def test_a_typo_over_a_frame_that_also_holds_a_nan_is_still_the_cells_error(shell, ygpt_server):
    shell.user_ns.update(df=pd.DataFrame({"text": ["a", "b", np.nan, "d"]}), res="kept")
    run = cell(shell, "%%ygpt --map df --out res\n{text.uppper()}")
    assert_clear_error(run, "{text.uppper()}", "AttributeError", "Nothing was sent", "Fix the expression")
    assert "Fix that row's data" not in run.message
    assert completions(ygpt_server) == [] and shell.user_ns["res"] == "kept"


def test_one_bad_value_beside_nans_still_fails_that_row_alone(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"code": ["AB-17", np.nan, "X", np.nan]})
    run = cell(shell, "%%ygpt --map df --out a\nSeries {code[3]}")
    assert run.ok, run.message
    assert sent(ygpt_server) == ["Series 1"]
    errors = shell.user_ns["_ygpt"].errors
    assert errors[2].startswith("Row 2: evaluating {code[3]}") and errors[1].startswith("Row 1: {code} holds no value")


def test_row_with_one_long_field_keeps_the_others_and_says_which_field_was_cut(shell, ygpt_server):
    shell.user_ns["t"] = pd.DataFrame({"title": ["Broken kettle"], "body": ["word " * 3000],
                                       "when": [pd.Timestamp("2024-05-01")], "stars": [1]})
    run = cell(shell, "%%ygpt --map t --out a\n{row}")
    assert run.ok, run.message
    [prompt] = sent(ygpt_server)
    assert len(prompt) <= 8000
    assert prompt.startswith("title: Broken kettle\nbody: word word")
    assert "characters left out)\nwhen: 2024-05-01 00:00:00\nstars: 1" in prompt
    note = shell.user_ns["_ygpt"].cut[0]
    assert note.startswith("{row}: body: 15,000 characters, cut to the first ")
    assert note in run.stdout and "RowView" not in run.stdout and "_repr_llm_" not in run.stdout


def test_long_fields_share_the_room_and_a_short_row_is_sent_whole(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.max_value_chars = 400")
    shell.user_ns["t"] = pd.DataFrame({"a": ["x" * 1000, "short"], "b": ["y" * 1000, "row"], "n": [7, 8]})
    assert cell(shell, "%%ygpt --map t --out r\n{row}").ok
    long, short = sorted(sent(ygpt_server), key=len, reverse=True)
    assert short == "a: short\nb: row\nn: 8"
    assert len(long) <= 400 and long.endswith("\nn: 7")
    assert long.count("x") == long.count("y") > 100   # an equal share each
    cut = shell.user_ns["_ygpt"].cut
    assert list(cut) == [0] and "a: 1,000 characters" in cut[0] and "b: 1,000 characters" in cut[0]


def test_one_long_field_beside_many_short_ones_gets_the_room_they_leave(shell, ygpt_server):
    questions = {f"q{i:03d}": ["yes"] for i in range(150)}
    shell.user_ns["t"] = pd.DataFrame({"essay": ["word " * 3000], **questions})
    assert cell(shell, "%%ygpt --map t --out a\n{row}").ok
    [prompt] = sent(ygpt_server)
    assert 7_900 <= len(prompt) <= 8000   # room for one marker kept, not for 151
    assert prompt.count(": yes\n") + prompt.endswith(": yes") == 150
    assert shell.user_ns["_ygpt"].cut[0].startswith("{row}: essay: 15,000 characters, cut to the first 6,")


def test_a_row_too_wide_to_share_sends_its_first_fields_whole_and_a_short_note(shell, ygpt_server):
    shell.user_ns["wide"] = pd.DataFrame({f"feature_{i:04d}": [0.123456789] for i in range(2000)})
    run = cell(shell, "%%ygpt --map wide --out a\n{row}")
    assert run.ok, run.message
    [prompt] = sent(ygpt_server)
    assert len(prompt) <= 8000 and prompt.startswith("feature_0000: 0.123456789\nfeature_0001: 0.123456789\n")
    assert prompt.count(": 0.123456789\n") > 300 and prompt.endswith(" characters left out")
    note = shell.user_ns["_ygpt"].cut[0]
    assert len(note) < 300 and note.startswith("{row}: 2,000 fields, 51,999 characters")
    assert "the first 306 sent whole; feature_0306, feature_0307, feature_0308 and 1,691 more fields" in note
    assert note in run.stdout


def test_an_all_empty_row_under_row_fails_as_a_missing_value_and_is_not_sent(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"product": ["Kettle", np.nan], "text": ["Broke in a week", np.nan]})
    run = cell(shell, "%%ygpt --map df --out a\nSummarise this review:\n{row}")
    assert run.ok, run.message
    assert sent(ygpt_server) == ["Summarise this review:\nproduct: Kettle\ntext: Broke in a week"]
    reason = shell.user_ns["_ygpt"].errors[1]
    assert reason.startswith("Row 1: {row} holds no value (every field is empty)")
    assert "df.dropna(how='all')" in reason
    assert "✓ 1 answered · ✗ 1 failed (1 missing value)" in run.stdout
    assert "not sent: _ygpt.errors says what is wrong with its data" in run.stdout
