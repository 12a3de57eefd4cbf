"""`%ygpt` subcommands and marks in plain IPython in a terminal, as a person reads them there:
the real ``ipython`` in a pseudo-terminal (test_terminal.py), wider than 80 columns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_terminal import Terminal, loaded_ipython, screen
from test_terminal_controls import ipython_env

from ygpt_magic.emulator import LocalServer


@pytest.fixture(scope="module")
def terminal(_ygpt_server_session: LocalServer, tmp_path_factory) -> Iterator[Terminal]:
    """``ipython`` in a 200-column pseudo-terminal with the extension loaded, for the module."""
    with loaded_ipython(ipython_env(_ygpt_server_session, tmp_path_factory.mktemp("ipython"))) as shell:
        yield shell


@pytest.mark.slow
def test_ygpt_config_fits_80_columns_with_long_values_wrapped_in_their_column(terminal):
    """The value column was as wide as its longest value (a 60-character instruction preview),
    so every row was 94 to 102 characters and the terminal wrapped 'built-in' under the name."""
    lines = screen(terminal.run("%ygpt config")).splitlines()
    table = lines[lines.index(next(line for line in lines if line.startswith("setting "))):-1]
    assert max(map(len, table)) <= 80, max(table, key=len)
    model = next(line for line in table if line.startswith("chat 'default' model "))
    assert model.split() == ["chat", "'default'", "model", "yandexgpt", "built-in"]
    start = table.index(next(line for line in table if line.startswith("YGptMagics.fix_instruction ")))
    column = table[0].index("value")
    assert table[start][column:].startswith("You fix Python code")
    assert table[start + 1][:column].strip() == "" and table[start + 1][column:].rstrip().endswith("…"), \
        "the preview goes on under itself, in the value column"


@pytest.mark.slow
def test_the_last_reply_typed_as_a_value_shows_its_text_then_its_footer(terminal):
    """``_ygpt`` at the prompt was a ~900-character one-line dataclass dump (findings/native.md
    §8); it now shows what the notebook's HTML form shows: the reply, then the footer line."""
    terminal.run("%%ygpt --once", "Say hello")
    printed = screen(terminal.run("print(_ygpt.text)")).strip().splitlines()
    text = "\n".join(printed[1:-1]).strip()   # between the line typed and the next prompt
    shown = screen(terminal.run("_ygpt"))
    assert "Reply(" not in shown and "status=" not in shown, shown
    assert text and text in shown, (text, shown)
    footer = next(line for line in shown.splitlines() if " tokens · " in line)
    assert shown.index(footer) > shown.index(text) and footer.startswith("yandexgpt"), footer
