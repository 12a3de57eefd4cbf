"""Tab in a %%ygpt / %ygpt line, through IPython's own completer on a real shell: it never prints
a traceback (IPython parses the magic's flags with its parser and expects a UsageError)."""

from __future__ import annotations

import contextlib
import io

import pytest
from conftest import cell
from IPython.core.completer import provisionalcompleter


def tab(shell, text: str, cursor: int | None = None) -> tuple[list[str], str]:
    """What Tab offers at ``cursor`` (the end by default), and what it printed on stderr."""
    err = io.StringIO()
    cursor = len(text) if cursor is None else cursor
    with contextlib.redirect_stderr(err), provisionalcompleter():
        offered = [completion.text for completion in shell.Completer.completions(text, cursor)]
    return offered, err.getvalue()


@pytest.mark.slow
def test_tab_after_a_flag_that_wants_a_value_prints_no_traceback(shell):
    assert cell(shell, "%%ygpt --dry-run\nhello").ok     # a cell has been parsed, as in every notebook
    for line in ("%%ygpt --model ", "%%ygpt -m", "%%ygpt --temperature ", "%ygpt config --model "):
        _, stderr = tab(shell, line)
        assert "Traceback" not in stderr and "ArgumentError" not in stderr, f"Tab after {line!r}:\n{stderr}"


def test_tab_right_after_the_magics_name_prints_no_traceback(shell):
    """The name alone is IPython's to complete (the old hook read a flag that was not there)."""
    for line in ("%%ygpt", "%ygpt"):
        offered, stderr = tab(shell, line)
        assert stderr == "" and line in offered, (line, offered, stderr)


def test_tab_on_the_magic_line_of_a_whole_cell_prints_no_traceback(shell):
    """JupyterLab sends the whole cell and the cursor."""
    assert cell(shell, "%%ygpt --dry-run\nhello").ok
    text = "%%ygpt --model \nWhat is 2+2?"
    _, stderr = tab(shell, text, text.index("\n"))
    assert "Traceback" not in stderr, stderr


@pytest.mark.slow
def test_a_refused_value_still_names_its_flag_after_a_tab(shell):
    """The parse keeps its own error wording (argparse's ArgumentError, with the flag's name)."""
    tab(shell, "%%ygpt --temperature ")
    refused = cell(shell, "%%ygpt --temperature hot --dry-run\nhello")
    assert refused.error is not None and "--temperature" in refused.message, refused.message


def _ours(shell, text: str) -> list[str]:
    """Everything Tab offers on a ygpt line, and nothing printed: the completer suppresses every
    other completer (jedi's Python names included), so nothing is filtered out here."""
    offered, stderr = tab(shell, text)
    assert stderr == "", stderr
    return offered


def test_tab_completes_the_subcommands(shell):
    assert {"connect", "config"} <= set(_ours(shell, "%ygpt con"))
    assert "%conda" not in _ours(shell, "%ygpt con")
    assert {"connect", "history", "cache", "help"} <= set(_ours(shell, "%ygpt "))
    assert "config" in _ours(shell, "%ygpt help co")


def test_tab_completes_the_flags_as_declared(shell, magics):
    assert _ours(shell, "%%ygpt --mo") == ["--model"]
    cell_flags = {flag for action in magics.ygpt.parser._actions for flag in action.option_strings}
    assert cell_flags <= set(_ours(shell, "%%ygpt -"))
    assert {"--model", "--temperature"} <= set(_ours(shell, "%ygpt config --"))
    assert "--delete" in _ours(shell, "%ygpt chats --de")


@pytest.mark.slow
def test_a_users_variable_is_not_offered_among_the_flags(shell):
    """A name in the notebook that starts like the word (``months`` for ``--mo``) stays out of a
    ygpt line, and Python lines still complete it."""
    shell.user_ns["months"] = ["Jan", "Feb"]
    try:
        assert _ours(shell, "%%ygpt --mo") == ["--model"]
        assert _ours(shell, "%ygpt config --mo") == ["--model"]
        assert "months" in tab(shell, "mon")[0]
    finally:
        del shell.user_ns["months"]


def test_tab_completes_model_names_after_model_flags(shell):
    from ygpt_magic.chat.catalog import NAMES

    for line in ("%%ygpt --model ", "%%ygpt --once -m ", "%ygpt config --model "):
        assert set(NAMES) <= set(_ours(shell, line)), line
    assert "yandexgpt-lite" in _ours(shell, "%%ygpt -m yandexgpt-l")
    whole_cell = "%%ygpt --model \nWhat is 2+2?"
    offered, _ = tab(shell, whole_cell, whole_cell.index("\n"))
    assert "yandexgpt" in offered


def test_tab_completes_the_chats_of_this_kernel(shell):
    assert cell(shell, "%ygpt chat travel").ok
    for line in ("%%ygpt --chat ", "%%ygpt -c ", "%ygpt chat ", "%ygpt chats --delete "):
        assert {"default", "travel"} <= set(_ours(shell, line)), line
    assert "travel" in _ours(shell, "%ygpt chat tr")


def _completed(shell, line: str) -> str:
    """``line`` as Tab leaves it when it offers one thing (what the user then runs)."""
    with provisionalcompleter():
        offered = list(shell.Completer.completions(line, len(line)))
    assert len(offered) == 1, (line, offered)
    return line[: offered[0].start] + offered[0].text + line[offered[0].end:]


def test_a_chat_name_with_a_space_is_completed_quoted_so_the_line_runs(shell, magics):
    """The parser splits like a shell: ``--delete my notes`` would be two words (findings/panel2 1)."""
    assert cell(shell, "%%ygpt --chat 'my notes'\nhello").ok
    assert cell(shell, "%ygpt chat travel").ok
    assert "'my notes'" in _ours(shell, "%%ygpt --chat ")
    assert "travel" in _ours(shell, "%ygpt chats --delete ")        # a name with no space stays bare
    line = _completed(shell, "%ygpt chats --delete my")
    assert line == "%ygpt chats --delete 'my notes'"
    done = cell(shell, line)
    assert done.ok and "my notes" not in magics.kernel.session.chats, done.message


def test_tab_completes_inside_an_opening_quote(shell):
    assert cell(shell, "%ygpt chat 'my notes'").ok
    assert _completed(shell, "%ygpt chat 'my") == "%ygpt chat 'my notes'"
    assert _completed(shell, '%ygpt panel --chat "my n') == '%ygpt panel --chat "my notes"'
    assert cell(shell, "%ygpt chat \"don't\"").ok
    line = _completed(shell, "%ygpt chats --delete don")
    assert cell(shell, line).ok, line                               # an apostrophe, quoted as shlex does


def test_tab_offers_chat_names_for_the_old_name_of_a_rename_and_nothing_for_the_new(shell):
    """NEW is the user's own text: neither chat names nor IPython's keywords, magics and files."""
    assert cell(shell, "%ygpt chat travel").ok
    assert "travel" in _ours(shell, "%ygpt chats --rename ")
    for line in ("%ygpt chats --rename travel ", "%ygpt chats --rename travel jo"):
        word = line.rpartition(" ")[2]
        assert _ours(shell, line) == [word], line                  # the word as typed: nothing changes


def test_tab_offers_nothing_of_ipythons_for_the_name_out_makes_up(shell):
    """--out NAME is a new name of the user's: it offered Python's keywords and every magic."""
    for line in ("%%ygpt --out ", "%%ygpt --once --out an", "%ygpt embed texts --out v"):
        word = line.rpartition(" ")[2]
        assert _ours(shell, line) == [word], line                  # the word as typed: nothing changes


def test_tab_completes_a_flags_and_a_positionals_declared_choices(shell):
    from ygpt_magic.cache import MODES

    assert set(MODES) <= set(_ours(shell, "%ygpt cache --mode "))
    assert {"list", "status", "attach", "cancel"} <= set(_ours(shell, "%ygpt batch "))


def test_after_unload_tab_asks_no_closed_kernel(ipython, shell):
    ipython.extension_manager.unload_extension("ygpt_magic")
    try:
        assert "--model" not in tab(ipython, "%%ygpt --mo")[0]
        assert not [matcher for matcher in ipython.Completer.custom_matchers
                    if "ygpt_magic" in getattr(matcher, "matcher_identifier", "")]
    finally:
        ipython.extension_manager.load_extension("ygpt_magic")
    assert tab(ipython, "%%ygpt --mo")[0] == ["--model"]   # loaded again: one completer, not two


def test_tab_offers_the_named_targets_of_connect_and_the_declared_formats(shell):
    """They offered Python's keywords and every magic (findings/native.md §6)."""
    from ygpt_magic.chat import FORMATS

    assert _ours(shell, "%ygpt connect ") == ["local", "cloud"]
    assert _ours(shell, "%ygpt connect l") == ["local"]
    assert _ours(shell, "%%ygpt --format ") == list(FORMATS)
    assert _ours(shell, "%ygpt config --format ") == [*FORMATS, "default"]
    assert cell(shell, "%ygpt config --format default").ok     # the choices take what the type gives


def test_tab_offers_files_and_folders_for_a_path(shell, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("notes.md", "my chat.md", ".hidden", "sub/a.md"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    for line in ("%ygpt export ", "%ygpt save ", "%ygpt load "):
        assert _ours(shell, line) == ["'my chat.md'", "notes.md", "sub/"], line
    assert _ours(shell, "%ygpt export sub/") == ["sub/a.md"]
    assert _ours(shell, "%ygpt load .h") == [".hidden"]


@pytest.mark.usefixtures("fresh_names")
def test_tab_offers_the_rows_map_can_go_over_and_the_functions_tools_can_offer(shell):
    """--map offered nothing, though `items` existed; --tools offered magics, not the notebook's
    functions (findings/native.md §6). The names start with `zq_`: the shared shell may hold
    another test's `counter` or `items_seen`, which Tab rightly offers too."""
    import pandas as pd

    def zq_compute(x: int) -> int:
        return x

    class Kind:
        pass

    shell.user_ns.update(zq_items=[1], pairs=(1, 2), frame=pd.DataFrame({"a": [1]}), column=pd.Series([1]),
                         count=3, zq_compute=zq_compute, Kind=Kind, _hidden=[1])
    assert _ours(shell, "%%ygpt --map zq_it") == ["zq_items"]
    rows = set(_ours(shell, "%%ygpt --map "))
    assert {"zq_items", "pairs", "frame", "column"} <= rows and not {"count", "zq_compute", "_hidden", "In"} & rows
    assert _ours(shell, "%%ygpt --tools zq_co") == ["zq_compute"]
    functions = set(_ours(shell, "%%ygpt --tools "))
    assert "zq_compute" in functions and not {"Kind", "zq_items", "get_ipython", "exit"} & functions
    shell.user_ns["zq_count_rows"] = len
    assert _ours(shell, "%%ygpt --tools zq_compute,zq_co") == ["zq_compute,zq_count_rows"]
