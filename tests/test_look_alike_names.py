"""A name typed with a letter of the other keyboard layout (findings/cyrillic.md F6): a Latin 'e'
in a Cyrillic chat or column name, a Cyrillic 'а' in a model name. The two names look the same,
so every "not found" beside the one meant says which letter differs; through a real shell and
the local server."""

from __future__ import annotations

import pandas as pd
from cellrun import assert_clear_error
from conftest import cell, completions

from ygpt_magic.errors import ModelNotFound, UnknownChat

MEANT = "переводчик"
TYPED = "пeреводчик"          # the second letter is the Latin e (U+0065)
WHICH = f"'{TYPED}' has a Latin 'e' (position 2); did you mean '{MEANT}'?"


def session(shell):
    return shell.magics_manager.registry["YGptMagics"].kernel.session


def test_a_chat_named_with_a_latin_look_alike_letter_is_told_apart(shell, ygpt_server):
    assert cell(shell, f"%ygpt chat {MEANT}").ok
    assert_clear_error(cell(shell, f"%ygpt chats --delete {TYPED}"), f"no chat named '{TYPED}'. {WHICH}",
                       error_type=UnknownChat)
    assert_clear_error(cell(shell, f"%ygpt chats --delete {MEANT.replace('р', 'p', 1)}"),
                       "has a Latin 'p' (position 3)")
    assert MEANT in session(shell).chats


def test_switching_to_a_look_alike_chat_creates_it_and_says_it_is_not_the_old_one(shell, ygpt_server):
    assert cell(shell, f"%%ygpt --chat {MEANT}\nПривет").ok
    run = cell(shell, f"%ygpt chat {TYPED}")
    assert run.ok, run.message
    assert f"Current chat: '{TYPED}' (0 turns). It is a new chat, not '{MEANT}': {WHICH}" in run.shown
    assert session(shell).current == TYPED and len(session(shell).chats[MEANT].turns) == 1
    again = cell(shell, f"%ygpt chat {TYPED}")
    assert "new chat" not in again.shown and "(0 turns)." in again.shown


def test_a_model_name_with_a_cyrillic_letter_says_which(shell, ygpt_server):
    run = cell(shell, "%%ygpt --once --model yаndexgpt\nПривет")       # Cyrillic а (U+0430)
    assert_clear_error(run, "'yаndexgpt' was not found",
                       "'yаndexgpt' has a Cyrillic 'а' (position 2); did you mean 'yandexgpt'?",
                       error_type=ModelNotFound)
    plain = cell(shell, "%%ygpt --once --model yandexgpt-pro\nПривет").message
    assert "did you mean" not in plain and "Cyrillic" not in plain


def test_a_column_named_with_a_look_alike_letter_says_which(shell, ygpt_server):
    shell.user_ns["отзывы"] = pd.DataFrame({"текст": ["Отлично"], "звёзды": [5]})
    run = cell(shell, "%%ygpt --map отзывы\nОтзыв: {тeкст}")
    assert_clear_error(run, "has no column 'тeкст'",
                       "'тeкст' has a Latin 'e' (position 2); did you mean 'текст'?")
    assert completions(ygpt_server) == []
