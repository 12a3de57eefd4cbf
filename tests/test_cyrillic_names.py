"""A Russian-speaking user's names (findings/cyrillic.md): `{name}` references, columns, chats and
models named in Cyrillic get the same handling and messages as Latin ones; through a real shell
and the local server."""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
from cellrun import assert_clear_error
from conftest import cell, completions

from ygpt_magic.context.interpolate import interpolate


def sent(server) -> list[str]:
    return [r.messages[0]["text"] for r in completions(server)]


def test_nan_in_a_cyrillic_column_fails_its_row_and_is_not_sent(shell, ygpt_server):
    shell.user_ns["отзывы"] = pd.DataFrame({"текст": ["Отлично", np.nan]})
    run = cell(shell, "%%ygpt --map отзывы --out ответы\nОтзыв: {текст}")
    assert run.ok, run.message
    assert sent(ygpt_server) == ["Отзыв: Отлично"]
    assert "1 missing value" in run.stdout
    assert shell.user_ns["ответы"].iloc[1] is None


def test_a_misspelt_cyrillic_column_is_named_with_the_columns_the_frame_has(shell, ygpt_server):
    shell.user_ns["отзывы"] = pd.DataFrame({"текст": ["Отлично"], "звёзды": [5]})
    run = cell(shell, "%%ygpt --map отзывы\nОтзыв: {тект}")
    assert_clear_error(run, "--map отзывы", "has no column 'тект'", "'текст', 'звёзды'")
    assert "NameError" not in run.message and completions(ygpt_server) == []


def test_cyrillic_fields_and_variables_get_the_messages_latin_ones_get(shell, ygpt_server):
    shell.user_ns["отзывы"] = pd.DataFrame({"текст": ["a"]})
    assert "the row has no column 'тект' (did you mean 'текст'?)" in cell(
        shell, "%%ygpt --map отзывы --dry-run\n{row.тект}").message
    missing = cell(shell, "%%ygpt --once --dry-run\nСводка: {отзывы2}").message
    assert "there is no variable named 'отзывы2'" in missing


def test_a_row_too_long_names_its_cyrillic_column_to_shorten(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.context_budget = 300")
    shell.user_ns["отзывы"] = pd.DataFrame({"текст": ["коротко", "очень длинный отзыв " * 200]})
    run = cell(shell, "%%ygpt --map отзывы --out б\nОтзыв: {текст}")
    assert run.ok, run.message
    assert "{текст}" in shell.user_ns["_ygpt"].errors[1]


def test_a_cyrillic_name_in_inline_code_is_noted_as_sent_as_written():
    expanded = interpolate("Сколько `{отзывы}`, а не {отзывы}?", {"отзывы": 3})
    assert expanded.text == "Сколько `{отзывы}`, а не 3?"
    assert expanded.notes == ("{отзывы}: inside inline code (`…`), sent as written; take it out of "
                              "the backticks to send its value",)


def nfd(text: str) -> str:
    """``text`` with ё and й decomposed, as macOS names files and many copy-pastes carry them."""
    return unicodedata.normalize("NFD", text)


def test_a_column_named_in_the_other_unicode_form_is_read_and_its_text_sent_as_written(shell, ygpt_server):
    shell.user_ns["отзывы"] = pd.DataFrame({nfd("звёзды"): [5, 1]})   # read_csv of a macOS file
    run = cell(shell, f"%%ygpt --map отзывы --out о\nЗвёзды: {{звёзды}}, {nfd('ёж')}")
    assert run.ok, run.message
    assert sorted(sent(ygpt_server)) == [f"Звёзды: 1, {nfd('ёж')}", f"Звёзды: 5, {nfd('ёж')}"]
    shell.user_ns["отзывы"] = pd.DataFrame({nfd("отзыв_ёмкий"): ["a", "b"]})
    run = cell(shell, "%ygpt embed отзывы --column отзыв_ёмкий")
    assert run.ok, run.message


def test_a_chat_named_in_either_unicode_form_is_one_chat(shell, ygpt_server):
    assert cell(shell, f"%%ygpt --chat {nfd('ёжик')}\nПривет").ok
    assert cell(shell, "%%ygpt --chat ёжик\nКак дела?").ok
    session = shell.magics_manager.registry["YGptMagics"].kernel.session
    assert [name for name in session.chats if "жик" in name] == ["ёжик"]
    assert len(session.chats["ёжик"].turns) == 2
    assert cell(shell, f"%ygpt chats --delete {nfd('ёжик')}").ok and "ёжик" not in session.chats


def test_a_docs_file_named_on_disk_in_the_other_unicode_form_is_read(shell, ygpt_server, tmp_path, monkeypatch):
    (tmp_path / nfd("ёлка.txt")).write_text("Ёлку установят 25 декабря.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    run = cell(shell, "%%ygpt --docs ёлка.txt --once\nКогда установят ёлку?")
    assert run.ok, run.message
    assert "Ёлку установят 25 декабря." in sent(ygpt_server)[-1]
