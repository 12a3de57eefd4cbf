"""A --docs file that is text in another encoding (findings/cyrillic.md F8): a Windows-1251 file,
what a legacy Windows editor saves Russian in, is named as such with how to convert it, and is
not read as a guess; through a real shell and the local server."""

from __future__ import annotations

from pathlib import Path

from cellrun import assert_clear_error
from conftest import cell, completions

from ygpt_magic.errors import NoSources

BUDGET = "Бюджет проекта составляет 5 миллионов рублей.\n"
CONVERT = "Path(p).write_text(Path(p).read_text('cp1251'), 'utf-8')"


def ask(shell, folder: Path, paths: str):
    """The cell run in ``folder`` (the test's monkeypatch.chdir put it there: %cd would leave
    the worker's working folder changed for the tests after it)."""
    assert Path.cwd() == folder
    return cell(shell, f"%%ygpt --docs {paths} --once\nКакой бюджет проекта?")


def test_a_windows_1251_text_file_is_named_as_such_with_how_to_convert_it(shell, ygpt_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "отчёт.txt").write_bytes(BUDGET.encode("cp1251"))
    message = assert_clear_error(ask(shell, tmp_path, "отчёт.txt"), "Skipped: отчёт.txt (Windows-1251 text",
                                 "iconv -f cp1251 -t utf-8", CONVERT, "Run the cell again once they are UTF-8.",
                                 error_type=NoSources)
    assert "Name text files" not in message
    assert completions(ygpt_server) == []


def test_the_conversion_it_gives_makes_the_file_readable(shell, ygpt_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "отчёт.txt"
    p.write_bytes(BUDGET.encode("cp1251"))
    Path(p).write_text(Path(p).read_text('cp1251'), 'utf-8')
    run = ask(shell, tmp_path, "отчёт.txt")
    assert run.ok, run.message
    assert "[1] отчёт.txt" in run.shown


def test_a_text_file_in_another_encoding_is_not_told_to_be_a_text_file(shell, ygpt_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_bytes("Grüße aus Köln".encode("latin-1"))
    message = assert_clear_error(ask(shell, tmp_path, "notes.txt"),
                                 "notes.txt (text in an encoding other than UTF-8: save it as UTF-8)")
    assert "Name text files" not in message and "1251" not in message


def test_broken_utf8_russian_and_other_files_keep_the_type_advice(shell, ygpt_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.bin").write_bytes(BUDGET.encode() + b"\xff")
    message = assert_clear_error(ask(shell, tmp_path, "data.bin"),
                                 "data.bin (not UTF-8 text (binary, or another encoding", "Name text files (.txt")
    assert "1251" not in message
