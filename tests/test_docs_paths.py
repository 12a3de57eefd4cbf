"""%%ygpt --docs PATHS written in ways it does not take: empty, an item with a space unquoted, a
URL, a {name}; each gets one paragraph saying what to write instead, and nothing is sent
(sources.md S07, S08, S09). A list with a space after each comma is read whole
(test_spaced_lists.py)."""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import cell, completions

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

Q = "What is the Q3 budget for the churn model?"


@pytest.fixture
def notes(tmp_path, monkeypatch):
    (tmp_path / "notes").mkdir()
    for name in ("a.md", "b.md"):
        (tmp_path / "notes" / name).write_text(f"# Budget {name}\n\nThe Q3 budget for the churn model is 42.\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "notes"


def test_an_empty_docs_is_refused_not_dropped(shell, ygpt_server, notes):
    ygpt_server.reset()
    message = assert_clear_error(cell(shell, f"%%ygpt --docs '' --once\n{Q}"), "gave no file to read")
    assert "--docs ''" in message and completions(ygpt_server) == []


def test_words_after_a_value_that_is_no_list_are_told_to_be_quoted(shell, ygpt_server, notes):
    """Only a comma-separated list is read whole: text after a value that ends in a comma is not
    glued onto it, and the quoting that passes it whole is said (not "a comma-separated list")."""
    ygpt_server.reset()
    message = assert_clear_error(cell(shell, f"%%ygpt --system Be brief, friendly --once\n{Q}"),
                                 "unrecognized arguments: brief, friendly",
                                 "to give --system a value with spaces, quote it: --system 'Be brief, friendly'")
    assert "comma-separated" not in message and completions(ygpt_server) == []
    (notes.parent / "my notes.md").write_text("# Budget\n\nThe Q3 budget for the churn model is 42.\n")
    spaced_item = assert_clear_error(cell(shell, f"%%ygpt --docs notes/a.md, my notes.md --once\n{Q}"))
    advice = "--docs 'notes/a.md, my notes.md'"
    assert f"quote it: {advice}" in spaced_item and completions(ygpt_server) == []
    pasted = cell(shell, f"%%ygpt {advice} --once\n{Q}")
    assert pasted.ok and {s["path"] for s in shell.user_ns["_ygpt"].sources} == {"notes/a.md", "my notes.md"}


@pytest.mark.parametrize(("paths", "said"), [
    ("https://example.com/handbook.md", "a URL: --docs reads local files; download it first"),
    ("{folder}", "--docs paths are taken as written, so {name} is not filled in: write the path"),
])
def test_a_url_or_a_braced_name_is_told_what_docs_takes(shell, ygpt_server, notes, paths, said):
    shell.user_ns["folder"] = "notes"
    ygpt_server.reset()
    message = assert_clear_error(cell(shell, f"%%ygpt --docs {paths} --once\n{Q}"))
    assert f"'{paths}' ({said}" in message and completions(ygpt_server) == []


def test_a_file_whose_name_has_a_comma_is_that_file_not_two_missing_ones(shell, ygpt_server, notes):
    """PATHS was split at the comma of an exported report's name, and the two missing pieces were
    listed joined back with ", ": the file's exact name, said to be no such file. A path that
    exists as written is that file, also beside others; pieces that name nothing are each quoted."""
    (notes.parent / "reports").mkdir()
    (notes.parent / "reports" / "Отчёт, итог Q3.md").write_text("# Итог\n\nThe Q3 budget for the churn model is 42.\n")
    ygpt_server.reset()
    run = cell(shell, f'%%ygpt --docs "reports/Отчёт, итог Q3.md" --once\n{Q}')
    assert run.ok, run.message
    assert [s["path"] for s in shell.user_ns["_ygpt"].sources] == ["reports/Отчёт, итог Q3.md"]
    listed = cell(shell, f'%%ygpt --docs "notes/a.md, reports/Отчёт, итог Q3.md" --once\n{Q}')
    assert listed.ok and {s["path"] for s in shell.user_ns["_ygpt"].sources} == {"notes/a.md",
                                                                                "reports/Отчёт, итог Q3.md"}
    message = assert_clear_error(cell(shell, f'%%ygpt --docs "reports/Отчёт, итог Q4.md" --once\n{Q}'),
                                 "gave no file to read")
    assert "'reports/Отчёт', 'итог Q4.md' (no such file or folder)" in message, message
    assert len(completions(ygpt_server)) == 2
