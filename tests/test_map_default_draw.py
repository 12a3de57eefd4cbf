"""Rows of a --map that repeat a prompt share one answer (one request, one reply-cache key). At a
temperature above 0 a user expecting a draw per row ("a tagline for each product") must be told,
and the model's default temperature (no --temperature, no setting) is above 0 too: the run and
its dry run say so then, and say nothing at 0 or for a classifier, which draws nothing."""

from __future__ import annotations

from conftest import cell

DRAW = "put {index} in the prompt for a draw of each row's own"


def test_at_the_models_default_temperature_repeated_rows_are_told_they_share_one_answer(shell, ygpt_server):
    shell.user_ns["names"] = ["Mug", "Mug", "Kettle"]
    run = cell(shell, "%%ygpt --map names --out lines\nA tagline for {item}")
    assert run.ok, run.message
    assert f"At the model's default temperature, rows with the same prompt share one answer: {DRAW}" \
        in run.stdout, run.stdout
    dry = cell(shell, "%%ygpt --map names --dry-run\nA tagline for {item} #2").plain
    assert DRAW in dry, dry


def test_at_temperature_0_set_for_the_notebook_and_for_a_classifier_no_draw_is_mentioned(shell, ygpt_server):
    shell.user_ns["names"] = ["Mug", "Mug", "Kettle"]
    shell.run_line_magic("config", "YGptMagics.temperature = 0.0")
    cold = cell(shell, "%%ygpt --map names --out lines\nA tagline for {item}")
    assert cold.ok and "1 repeats an earlier row's prompt" in cold.stdout and DRAW not in cold.stdout, cold.stdout
    labelled = cell(shell, "%%ygpt --map names --labels kitchen,garden --out kinds\n{item}")
    assert labelled.ok and "1 repeats an earlier row's prompt" in labelled.stdout, labelled.stdout
    assert DRAW not in labelled.stdout
