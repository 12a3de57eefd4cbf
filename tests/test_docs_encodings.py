"""A --docs file that is text in another encoding (findings/cyrillic.md F8): a Windows-1251 file,
what a legacy Windows editor saves Russian in, is named as such with how to convert it, and is
not read as a guess; through a real shell and the local server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cellrun import assert_clear_error
from conftest import cell, completions

from ygpt_magic.errors import NoSources

BUDGET = "Бюджет проекта составляет 5 миллионов рублей.\n"
#: the conversions the Windows-1251 line advises for the path it names, by where they run
CONVERT = {"Python": "in Python: from pathlib import Path; p = Path('{path}'); p.write_text(p.read_text('cp1251'), "
                     "'utf-8')",
           "shell": "in a shell: iconv -f cp1251 -t utf-8 {quoted} > {quoted_new} && mv {quoted_new} {quoted}"}


def advised(shown: str, where: str) -> str:
    """The command the Windows-1251 line gives for ``where``, as it is to be pasted."""
    line = next(line for line in shown.splitlines() if "Windows-1251" in line)
    python, shell = line.split(" in Python: ", 1)[1].split(" — or in a shell: ")
    return python if where == "Python" else shell.removesuffix(")")


def ask(shell, folder: Path, paths: str):
    """The cell run in ``folder`` (the test's monkeypatch.chdir put it there: %cd would leave
    the worker's working folder changed for the tests after it)."""
    assert Path.cwd() == folder
    return cell(shell, f"%%ygpt --docs {paths} --once\nКакой бюджет проекта?")


def test_a_windows_1251_text_file_is_named_as_such_with_how_to_convert_it(shell, ygpt_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "отчёт.txt").write_bytes(BUDGET.encode("cp1251"))
    filled = {where: command.format(path="отчёт.txt", quoted="'отчёт.txt'", quoted_new="'отчёт.txt.new'")
              for where, command in CONVERT.items()}
    message = assert_clear_error(ask(shell, tmp_path, "отчёт.txt"), "Skipped: отчёт.txt (Windows-1251 text",
                                 *filled.values(), "Run the cell again once they are UTF-8.",
                                 error_type=NoSources)
    assert "FILE" not in message
    assert "Name text files" not in message
    assert completions(ygpt_server) == []


@pytest.mark.parametrize("where", ["Python", "shell"])
def test_each_conversion_it_advises_makes_a_file_the_next_run_reads(shell, ygpt_server, tmp_path, monkeypatch, where,
                                                                    fresh_names):
    """The advice pasted as it is shown: the next run reads the file and skips nothing. It held
    'FILE' where the path goes, four times in the shell's command, to be replaced and quoted by
    hand (a path with a space); ``iconv … FILE > FILE.utf8`` made a file of a type --docs does
    not read, and left the original skipped as before."""
    if where == "shell" and shutil.which("iconv") is None:
        pytest.skip("no iconv here")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "отчёты").mkdir()
    (tmp_path / "отчёты" / "итоги 2019.txt").write_bytes(BUDGET.encode("cp1251"))
    (tmp_path / "отчёты" / "план.md").write_text("# План\n\nВ 2025 году открываем склад в Самаре.\n")
    first = ask(shell, tmp_path, "отчёты")
    assert first.ok and "Skipped: отчёты/итоги 2019.txt (Windows-1251 text" in first.shown, first.shown
    path = "отчёты/итоги 2019.txt"
    assert CONVERT[where].format(path=path, quoted=f"'{path}'", quoted_new=f"'{path}.new'") in first.shown
    command = advised(first.plain, where)
    if where == "Python":
        assert cell(shell, command).ok
    else:
        subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True)
    again = ask(shell, tmp_path, "отчёты")
    assert again.ok, again.message
    assert "Skipped" not in again.shown and "отчёты/итоги 2019.txt" in again.shown, again.shown
    assert sorted(path.name for path in (tmp_path / "отчёты").iterdir()) == ["итоги 2019.txt", "план.md"]


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


def test_several_windows_1251_files_get_one_conversion_of_them_all(shell, ygpt_server, tmp_path, monkeypatch,
                                                                    fresh_names):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "старые").mkdir()
    for name in ("а.txt", "б 2.txt"):
        (tmp_path / "старые" / name).write_bytes(BUDGET.encode("cp1251"))
    first = ask(shell, tmp_path, "старые")
    assert "for p in map(Path, ['старые/а.txt', 'старые/б 2.txt'])" in first.message, first.message
    assert cell(shell, advised(first.message, "Python")).ok
    again = ask(shell, tmp_path, "старые")
    assert again.ok and "Skipped" not in again.shown, again.shown
