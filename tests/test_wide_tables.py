"""Plain-text tables pad by display width (findings/cyrillic F7): a chat or label named in CJK
characters or with an emoji takes two terminal columns a character, and `len` padding shifted
every column after it; through a real shell and the local server."""

from __future__ import annotations

from conftest import cell
from wcwidth import wcswidth


def starts(rows: list[str], column: str) -> set[int]:
    """The display columns at which ``column``'s text starts in each row."""
    return {wcswidth(row[: row.index(column)]) for row in rows}


def test_chats_and_usage_tables_align_wide_chat_names(shell, ygpt_server):
    for name in ("翻译", "🤖бот", "обзор"):
        assert cell(shell, f"%%ygpt --chat {name}\nПривет").ok
    chats = [line for line in cell(shell, "%ygpt chats").plain_page.splitlines()[1:] if line.strip()]
    assert len(chats) == 4 and len(starts(chats, "yandexgpt")) == 1, chats
    usage = cell(shell, "%ygpt usage").plain_page.split("Tokens by model")[0].splitlines()[2:]
    named = [line for line in usage if line.strip() and not line.startswith("total")]
    assert len(named) == 3 and len(starts(named, "1 ")) == 1, named


def test_labels_table_aligns_wide_labels(shell, ygpt_server):
    plain = cell(shell, "%%ygpt --labels 😀,中立,плохо --once\nОтлично").plain_page
    assert len({wcswidth(row.rstrip()) for row in plain.splitlines()[1:4]}) == 1, plain
