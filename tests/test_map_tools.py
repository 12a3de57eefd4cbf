"""%%ygpt --map sends each row without tools: a cell or a chat that would give its rows tools or a
tool choice is refused before any row is sent, with a fix that works (tools3.md F3, F4)."""

from __future__ import annotations

import pandas as pd
import pytest
from cellrun import assert_clear_error
from conftest import cell, completions

from ygpt_magic.errors import OptionError


@pytest.fixture
def reviews(shell):
    shell.user_ns["reviews"] = pd.DataFrame({"text": ["Great laptop", "Broke after a week"]}, index=["r1", "r2"])
    assert cell(shell, "def f(x: int) -> int:\n    '''n'''\n    return x\n").ok
    return shell


@pytest.mark.parametrize("choice", ["required", "auto", "f"])
def test_a_tool_choice_with_map_is_refused_before_any_row_is_sent(reviews, ygpt_server, choice):
    run = cell(reviews, f"%%ygpt --map reviews --tool-choice {choice}\nClassify: {{text}}")
    assert_clear_error(run, "--map", "without tools", "drop", "--tool-choice", error_type=OptionError)
    assert completions(ygpt_server) == []
    assert "_ygpt" not in reviews.user_ns


@pytest.mark.parametrize("flags, named, unnamed", [
    ("--append", "drop --append (", "--deferred"),
    ("--deferred --tool-choice auto", "drop --deferred and --tool-choice (", "--append"),
])
def test_the_map_refusal_names_the_flags_the_cell_gave_and_dropping_them_runs(reviews, ygpt_server, flags,
                                                                            named, unnamed):
    """findings/advice.md F8: it listed all six flags --map does not take, whichever the cell
    gave; it names those the cell gave, and the cell without them runs."""
    message = assert_clear_error(cell(reviews, f"%%ygpt --map reviews {flags}\nClassify: {{text}}"), named)
    assert unnamed not in message and "--image" not in message, message
    assert completions(ygpt_server) == []
    assert cell(reviews, "%%ygpt --map reviews\nClassify: {text}").ok
    assert len(completions(ygpt_server)) == 2


def test_the_command_a_chat_with_tools_is_told_to_run_works(reviews, ygpt_server):
    assert cell(reviews, "%ygpt config --tools f").ok
    refusal = assert_clear_error(cell(reviews, "%%ygpt --map reviews\nClassify: {text}"), "offers f",
                                 "%ygpt config --tools ")
    assert completions(ygpt_server) == []
    offered = refusal.split("%ygpt config --tools ")[1].split()[0]
    fixed = cell(reviews, f"%ygpt config --tools {offered}")
    assert fixed.ok, f"the refusal says to run %ygpt config --tools {offered}; it answers: {fixed.message}"
    run = cell(reviews, "%%ygpt --map reviews\nClassify: {text}")
    assert run.ok, run.message
    assert len(completions(ygpt_server)) == 2


def test_the_map_refusal_of_a_picture_gives_the_pictures_reason_not_tools(reviews, ygpt_server):
    """combos.md C6: every flag --map refuses was said to be refused 'without tools'."""
    message = assert_clear_error(cell(reviews, "%%ygpt --map reviews --image fig\nClassify: {text}"),
                                 "drop --image", "pictures go through the chat API", error_type=OptionError)
    assert "tools" not in message
    both = assert_clear_error(cell(reviews, "%%ygpt --map reviews --image fig --tools f\nClassify: {text}"),
                              "without tools", "drop --tools and --image", "pictures go through the chat API")
    assert both.count("without tools") == 1
    assert completions(ygpt_server) == []


@pytest.mark.parametrize("fmt", ["code", "json", "markdown"])
def test_map_with_format_is_refused_as_it_would_change_nothing(reviews, ygpt_server, fmt):
    """combos.md C5: --format was accepted and ignored (no code taken out, no JSON asked for);
    a row's answer is text kept in --out, shown nowhere."""
    reviews.user_ns["r"] = ["kept"]
    message = assert_clear_error(cell(reviews, f"%%ygpt --map reviews --format {fmt} --out r\nClassify: {{text}}"),
                                 "drop --format", "would change nothing", "--json and --schema",
                                 error_type=OptionError)
    assert "tools" not in message
    assert completions(ygpt_server) == [] and reviews.user_ns["r"] == ["kept"]
