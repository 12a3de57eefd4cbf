"""The magic's two forms as its help and its refusals say them: `%%ygpt [flags]` with the prompt
on the lines below, `%ygpt SUBCOMMAND ...` (findings/native.md §2: `%ygpt?` showed the cell's
flags under the line magic's name, a form that refuses them)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from cellrun import assert_clear_error
from conftest import cell, completions

#: a usage line of the line magic that lists the cell's flags
LINE_WITH_FLAGS = re.compile(r"(?<!%)%ygpt \[--")


@pytest.mark.parametrize("line", ["%ygpt?", "%%ygpt?"])
def test_the_help_shows_the_cell_form_with_the_flags_and_the_line_form_with_subcommands(shell, line):
    result = cell(shell, line)
    assert result.ok, result.message
    usage = result.stdout.split("Talk to YandexGPT.")[0]
    assert "%%ygpt [--system TEXT] [--once]" in usage and "the prompt, on the lines below" in usage
    assert "%ygpt SUBCOMMAND" in usage and not LINE_WITH_FLAGS.search(usage), usage


def test_the_reference_page_shows_the_same_two_forms():
    path = Path(__file__).resolve().parent.parent / "docs/hooks/reference.py"
    spec = importlib.util.spec_from_file_location("docs_reference", path)
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    page = reference.cell_magic_page()
    block = page.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    assert block[0].startswith("%%ygpt [--system TEXT] [--once]") and block[0].endswith("[--no-cache]")
    assert block[1:] == ["the prompt, on the lines below",
                         "%ygpt SUBCOMMAND ... (%ygpt help lists the subcommands)"]


@pytest.mark.parametrize("source, shape", [
    ("%%ygpt --once What is 2+2?\n\n", ("%%ygpt --once", "What is 2+2?")),
    ("%%ygpt What is it -m yandexgpt-lite\nand more", ("%%ygpt -m yandexgpt-lite", "What is it")),
])
def test_a_prompt_on_the_cell_line_is_told_to_go_on_the_lines_below(shell, ygpt_server, source, shape):
    result = cell(shell, source)
    message = assert_clear_error(result, f"{shape[1]!r} was not taken", "the prompt goes on the lines below")
    assert f"\n    {shape[0]}\n    {shape[1]}\n" in message, message
    assert "unrecognized" not in message
    assert not completions(ygpt_server)


def test_a_value_with_spaces_and_a_mistyped_flag_keep_their_own_advice(shell):
    spaced = cell(shell, "%%ygpt --system Be brief\nhi")
    assert "to give --system a value with spaces, quote it: --system 'Be brief'" in spaced.message
    assert "did you mean --once?" in cell(shell, "%%ygpt --onse hi\nhi").message
