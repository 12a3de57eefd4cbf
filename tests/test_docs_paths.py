"""%%ygpt --docs PATHS written in ways it does not take: empty, a list with spaces, a URL, a
{name}; each gets one paragraph saying what to write instead, and nothing is sent (sources.md
S07, S08, S09)."""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import cell, completions

pytestmark = [pytest.mark.filterwarnings(*LOST_EXCEPTIONS), pytest.mark.usefixtures("fresh_names")]

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


def test_a_list_with_a_space_after_the_comma_says_how_to_write_it(shell, ygpt_server, notes):
    message = assert_clear_error(cell(shell, f"%%ygpt --docs notes/a.md, notes/b.md --once\n{Q}"))
    assert ('--docs takes one comma-separated list with no spaces: --docs notes/a.md,notes/b.md '
            '(or quote it: --docs "notes/a.md, notes/b.md")') in message
    quoted = cell(shell, f'%%ygpt --docs "notes/a.md, notes/b.md" --once\n{Q}')
    assert quoted.ok and len(shell.user_ns["_ygpt"].sources) == 2


@pytest.mark.parametrize(("paths", "said"), [
    ("https://example.com/handbook.md", "a URL: --docs reads local files; download it first"),
    ("{folder}", "--docs paths are taken as written, so {name} is not filled in: write the path"),
])
def test_a_url_or_a_braced_name_is_told_what_docs_takes(shell, ygpt_server, notes, paths, said):
    shell.user_ns["folder"] = "notes"
    ygpt_server.reset()
    message = assert_clear_error(cell(shell, f"%%ygpt --docs {paths} --once\n{Q}"))
    assert f"{paths} ({said}" in message and completions(ygpt_server) == []
