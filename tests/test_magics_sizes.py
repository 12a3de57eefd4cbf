"""Requests too big for the model or the wire, as the user sees them: old turns left out to fit
the context budget, a prompt over it told both numbers and the setting or model that holds it,
a cell or reply over gRPC's message limit said before or when it happens."""

from __future__ import annotations

import random
import re
import shlex
import time

import pytest
from conftest import cell, completions
from test_magics_errors import assert_clear, chat_state

from ygpt_magic.commands.args import shell_words
from ygpt_magic.errors import ContextTooLong


def test_old_turns_are_left_out_to_fit_the_context_budget(shell, ygpt_server, magics):
    for index in range(3):
        cell(shell, f"%%ygpt\nTell me a fact number {index} about rivers", cell_id=f"r{index}")
    shell.run_line_magic("config", "YGptMagics.context_budget = 250")
    result = cell(shell, "%%ygpt\nAnd about lakes?", cell_id="lakes")
    assert result.error is None and "were left out to fit the context budget of 250 tokens" in result.final
    sent = completions(ygpt_server)[-1].messages
    assert len(sent) < 7 and sent[-1]["text"] == "And about lakes?"
    assert any(r.method == "TokenizeCompletion" for r in ygpt_server.requests)
    assert len(magics.kernel.session.chats["default"].turns) == 4  # trimming never deletes turns


def test_a_prompt_too_long_for_the_budget_gives_both_numbers(shell, ygpt_server, magics):
    shell.run_line_magic("config", "YGptMagics.context_budget = 20")
    result = cell(shell, "%%ygpt\n" + "A rather long question about rivers and lakes. " * 5)
    assert_clear(result, ContextTooLong, "budget is 20")
    assert completions(ygpt_server) == []


def test_a_200_kb_system_message_on_the_line_is_read_at_once(shell, ygpt_server, magics):
    """A system message pasted onto the cell's line: its words were read a character at a time
    (shlex), half a second of the kernel's own time before the cell said it is over the budget."""
    before = chat_state(magics)
    started = time.thread_time()   # the kernel's thread: the server's tokenizer runs on another
    result = cell(shell, f'%%ygpt --system "{"word " * 40_000}"\nHi')
    spent = time.thread_time() - started
    assert_clear(result, ContextTooLong, "budget", "system message")
    assert spent < 0.25, f"{spent:.2f} s of the kernel's time to refuse the cell"
    assert completions(ygpt_server) == [] and chat_state(magics) == before


def test_a_line_is_split_into_the_words_shlex_gives_or_its_error():
    """commands.args.shell_words reads runs at a time; what it gives is shlex.split's, over
    random lines of quotes, spaces, backslashes and comment marks (seeded: the same every run)."""
    def outcome(split, line):
        try:
            return split(line)
        except ValueError as error:
            return str(error)

    chance = random.Random(20261207)
    pieces = [*" \t\r\n'\"ab#é\x0b-", "--system", "\\"]
    lines = ["".join(chance.choices(pieces, k=chance.randint(0, 12))) for _ in range(20_000)]
    differ = [line for line in lines if outcome(shell_words, line) != outcome(shlex.split, line)]
    assert differ == [], differ[:5]


def test_a_prompt_over_a_budget_setting_is_told_the_setting_that_holds_it_which_answers(shell, ygpt_server):
    """findings/advice.md F1: a budget set below what the model holds is raised, to a number
    that is given; set as said, the cell answers."""
    shell.run_line_magic("config", "YGptMagics.context_budget = 20")
    prompt = "%%ygpt\n" + "A rather long question about rivers and lakes. " * 5
    refused = cell(shell, prompt)
    assert_clear(refused, ContextTooLong, "budget is 20", "all that yandexgpt's context holds")
    advised = re.search(r"%config (YGptMagics\.context_budget = \d+) or more", refused.message)
    assert advised, refused.message
    shell.run_line_magic("config", advised[1])
    answered = cell(shell, prompt)
    assert answered.ok, answered.message


@pytest.mark.slow
def test_a_prompt_over_the_models_whole_context_is_pointed_to_a_longer_model_which_answers(shell, ygpt_server):
    """findings/advice.md F1: with no budget set the budget is yandexgpt's whole context, so
    raising it cannot help (the server would refuse the same prompt); the message says so and
    names a model whose context holds it, and the cell run with that model answers."""
    shell.user_ns["log"] = "word " * 40_000
    shell.run_line_magic("config", "YGptMagics.max_value_chars = 300000")
    refused = cell(shell, "%%ygpt --once\nSummarize {log}")
    assert_clear(refused, ContextTooLong, "budget is 32,768 (all that yandexgpt's context holds)",
                 "%ygpt models")
    assert "context_budget" not in refused.message, refused.message
    advised = re.search(r"run the cell with (--model [\w.-]+) \(([\d,]+) tokens", refused.message)
    assert advised and int(advised[2].replace(",", "")) > 40_000, refused.message
    answered = cell(shell, f"%%ygpt --once {advised[1]}\nSummarize {{log}}")
    assert answered.ok, answered.message
    assert f"/{advised[1].split()[1]}/" in completions(ygpt_server)[-1].model_uri


def test_short_requests_do_not_call_the_tokenizer(shell, ygpt_server):
    cell(shell, "%%ygpt\nHello")
    assert [r.method for r in ygpt_server.requests] == ["Completion"]


@pytest.mark.slow
def test_a_cell_over_the_grpc_message_limit_is_refused_before_sending(shell, ygpt_server, magics):
    from ygpt_magic.errors import MessageTooLarge

    before, sent = chat_state(magics), len(ygpt_server.requests)
    started = time.monotonic()
    result = cell(shell, "%%ygpt\n" + "many words " * 500_000)
    assert_clear(result, MessageTooLarge, "5.5 MB", "the new prompt", "4.2 MB", "by 1.3 MB")
    # at once, not after a server's answer: 1.1 s alone on a slow machine, most of it IPython's own
    # transform of the 5.5 MB cell; 2.3 s in a loaded make test, hence 5
    assert time.monotonic() - started < 5 and len(ygpt_server.requests) == sent
    assert chat_state(magics) == before


@pytest.mark.slow
def test_a_reply_over_the_grpc_message_limit_says_so(shell, magics, tmp_path):
    from conftest import scripted

    from ygpt_magic.errors import MessageTooLarge

    with scripted(shell, tmp_path, "Write a lot", "word " * 1_000_000):
        result = cell(shell, "%%ygpt --no-stream\nWrite a lot")
    assert_clear(result, MessageTooLarge, "The reply is 5.0 MB", "4.2 MB", "by 0.8 MB", "--max-tokens")
    assert magics.kernel.session.chats["default"].turns == []
