"""`%ygpt history` shows what the chat's next cell sends, by the same planning rule as the cell and
its `--dry-run`: a long chat trimmed to the context budget lists only the turns sent, and says
which it leaves out."""

from __future__ import annotations

import re

import pytest
from conftest import cell

from ygpt_magic.emulator import start_local_server


def test_history_leaves_out_what_the_next_cell_leaves_out_and_says_so(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.context_budget = 1500")
    first = shell.execution_count
    for i in range(1, 21):
        assert cell(shell, f"%%ygpt\nTurn {i}: tell me about the number {i} in two sentences.",
                    cell_id=f"c{i}").ok
    history = cell(shell, "%ygpt history")
    assert history.ok, history.message
    dry = cell(shell, "%%ygpt --dry-run\nnext", cell_id="dry")
    left_out = int(re.search(r"✂ Turns 1–(\d+) \(In \[\d+\]–In \[\d+\]\) were left out", dry.page).group(1))
    dry_messages = int(re.search(r"Dry run \(chat 'default', model yandexgpt\): (\d+) messages", dry.page).group(1))

    lines = history.plain.splitlines()
    assert lines[0] == f"Chat 'default': 20 turns, {dry_messages - 1} messages sent"   # all but the prompt
    assert lines[1] == (f"✂ Turns 1–{left_out} of 20 (In [{first}]–In [{first + left_out - 1}]) are "
                        f"beyond the context budget of 1,500 tokens: the next cell leaves them out (a long "
                        f"prompt may leave out more). They stay in the chat; %ygpt export shows every turn.")
    assert f"Turn {left_out}: tell" not in history.plain
    assert f"[user] (In [{first + left_out}]) Turn {left_out + 1}: tell" in history.plain
    assert "✂ Turns 1–" in history.page


def test_a_chat_within_the_budget_is_listed_whole_without_asking_the_tokenizer(shell, ygpt_server):
    assert cell(shell, "%%ygpt\nHello", cell_id="a").ok
    ygpt_server.requests.clear()
    history = cell(shell, "%ygpt history")
    assert history.plain.splitlines()[0] == "Chat 'default': 1 turn, 2 messages"
    assert "✂" not in history.plain
    assert not [r for r in ygpt_server.requests if r.method == "Tokenize"]


def _long_chat(shell, turns: int) -> None:
    for i in range(1, turns + 1):
        assert cell(shell, f"%%ygpt\nTurn {i}: tell me about the number {i} in two sentences.",
                    cell_id=f"c{i}").ok


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_history_lists_every_turn_when_the_server_is_down(shell):
    """The command a user reaches for when the server is down must not need the server: a chat
    over the budget cannot be trimmed without the tokenizer, so every turn is listed."""
    shell.run_line_magic("config", "YGptMagics.context_budget = 300")
    shell.run_line_magic("config", "YGptMagics.timeout = 3")
    with start_local_server() as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        _long_chat(shell, 5)
    history = cell(shell, "%ygpt history")   # the server is gone now
    assert history.ok, history.message
    lines = history.plain.splitlines()
    assert lines[0] == "Chat 'default': 5 turns, 10 messages"
    assert lines[1].startswith("⚠ Every turn is listed: the context budget could not be checked (")
    assert server.address in lines[1] and "the cell" not in lines[1]
    assert all(f"Turn {i}: tell" in history.plain for i in range(1, 6))


def test_history_lists_every_turn_when_the_system_message_alone_is_over_the_budget(shell, magics):
    _long_chat(shell, 2)
    shell.run_line_magic("config", "YGptMagics.context_budget = 20")
    magics.kernel.session.configure(system="Answer as a pirate would. " * 20)   # the panel's System box
    history = cell(shell, "%ygpt history")
    assert history.ok, history.message
    assert history.plain.splitlines()[1].startswith(
        "⚠ Every turn is listed: the context budget could not be checked (This request needs")
    assert "[system] Answer as a pirate" in history.plain
    assert all(f"Turn {i}: tell" in history.plain for i in (1, 2))


def test_history_names_the_turns_left_out_when_every_turn_is_beyond_the_budget(shell, ygpt_server):
    """Two answered turns past a small budget are two turns left out, not "Nothing sent yet"."""
    first = shell.execution_count
    _long_chat(shell, 2)
    shell.run_line_magic("config", "YGptMagics.context_budget = 60")   # each turn is more
    history = cell(shell, "%ygpt history")
    assert history.ok, history.message
    lines = history.plain.splitlines()
    assert lines[0] == "Chat 'default': 2 turns, 0 messages sent"
    assert lines[1].startswith(f"✂ Turns 1 and 2 of 2 (In [{first}]–In [{first + 1}]) are beyond the "
                               f"context budget of 60 tokens: the next cell leaves them out")
    assert "Nothing sent yet" not in history.plain and "✂ Turns 1 and 2 of 2" in history.page
