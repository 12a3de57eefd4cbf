"""A `%ygpt` line that ends in a question mark is the magic's, not IPython's help syntax.

IPython read ``%ygpt fix why is it zero?`` as ``zero?`` and answered "Object `zero` not found."
(nothing fixed, nothing said about %ygpt); these lines go through the shell's own input
transformation, as a notebook's and the terminal's do."""

from __future__ import annotations

import pandas as pd
import pytest
from cellrun import assert_clear_error
from conftest import cell, completions
from test_embed import CATS

pytestmark = pytest.mark.usefixtures("fresh_names")


def test_fix_with_a_question_fixes_the_last_failed_cell_and_sends_the_question(shell, ygpt_server):
    failed = shell.execution_count
    cell(shell, "1 / 0")
    result = cell(shell, "%ygpt fix why is it zero?")
    assert result.ok, result.shown
    assert "not found" not in result.shown
    sent = completions(ygpt_server)[-1].messages[-1]["text"]
    assert sent.startswith(f"Cell {failed} fails.") and "why is it zero?" in sent, sent


def test_similar_with_a_question_searches_for_the_question(shell, ygpt_server):
    shell.user_ns["frame"] = pd.DataFrame({"body": CATS})
    result = cell(shell, "%ygpt similar --in frame --column body --top 1 where do cats sleep?")
    assert result.ok, result.message
    queries = [r for r in ygpt_server.requests if r.method == "TextEmbedding" and "query" in r.model_uri]
    assert "Cats sleep in warm sunny places." in result.shown and queries


def test_a_question_as_a_line_magic_says_a_prompt_goes_in_a_cell(shell, ygpt_server):
    result = cell(shell, "%ygpt What is pandas?")
    assert_clear_error(result, "no subcommand 'What'", "a prompt goes in a %%ygpt cell")
    assert not completions(ygpt_server)


@pytest.mark.parametrize("line", ["%ygpt fix?", "%ygpt fix??", "%ygpt help fix?"])
def test_a_subcommand_with_a_question_mark_shows_its_help(shell, line):
    result = cell(shell, line)
    assert result.ok, result.message
    assert "%ygpt fix [--dry-run]" in result.plain_page


def test_the_magic_with_a_question_mark_is_still_ipythons_help(shell):
    result = cell(shell, "%ygpt?")
    assert result.ok and "Talk to YandexGPT." in result.stdout and "[--system TEXT]" in result.stdout


def test_after_unload_a_question_line_is_ipythons_again(shell, ipython):
    ipython.extension_manager.unload_extension("ygpt_magic")
    try:
        assert "Object `zero` not found." in cell(shell, "%ygpt fix why is it zero?").shown
    finally:
        ipython.extension_manager.load_extension("ygpt_magic")
