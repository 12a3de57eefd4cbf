"""`%ygpt cache` ("N tokens replayed instead of sent") and `%ygpt usage` (the "replayed" column)
say the same number for the same replays, whatever was replayed: a reply, or an embedding (a
`--docs` cell's question, `%ygpt embed`'s texts). `%ygpt cache` counted replies only, and read
fewer tokens than `%ygpt usage` by exactly the replayed embeddings' tokens."""

from __future__ import annotations

import re

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell
from test_accounts import rows_of
from test_cache import cache_file, restart  # noqa: F401 (cache_file: a fixture)

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

NOTE = "# Cats\n\nCats sleep sixteen hours a day, mostly in warm sunny spots by the window.\n"




def replayed_by_cache(shell) -> int:
    """The tokens `%ygpt cache` says this kernel replayed instead of sending."""
    found = re.search(r"([\d,]+) tokens? replayed instead of sent", cell(shell, "%ygpt cache").plain)
    assert found, "the cache's status names the tokens it replayed"
    return int(found.group(1).replace(",", ""))


def replayed_by_usage(shell) -> tuple[int, dict[str, list[str]]]:
    """The total of `%ygpt usage`'s "replayed" column, and its table by chat."""
    by_chat = rows_of(cell(shell, "%ygpt usage"), "Tokens by chat")
    return int(by_chat["total"][6].replace(",", "")), by_chat


def test_a_docs_cell_replayed_from_the_cache_is_one_number_in_cache_and_usage(shell, ygpt_server, cache_file,
                                                                              tmp_path, monkeypatch):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "cats.md").write_text(NOTE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    source = "%%ygpt --docs notes --once\nWhere do cats sleep during the day?"
    assert cell(shell, source).ok
    again = cell(shell, source)   # the reply and the question's vector replayed; the chunks are indexed
    assert again.ok and shell.user_ns["_ygpt"].cached, again.message
    total, by_chat = replayed_by_usage(shell)
    assert int(by_chat["embeddings"][6].replace(",", "")) > 0, "the question's vector was replayed"
    assert replayed_by_cache(shell) == total


def test_embed_replayed_after_a_restart_is_one_number_in_cache_and_usage(shell, ygpt_server, cache_file):
    shell.user_ns["docs"] = ["Cats sleep in warm sunny places.", "Tax returns are due in April."]
    assert cell(shell, "%ygpt embed docs").ok
    restart(shell, ygpt_server)   # the memo is gone; the reply cache replays every text
    ygpt_server.reset()
    assert cell(shell, "%ygpt embed docs").ok
    assert not [r for r in ygpt_server.requests if r.method == "TextEmbedding"]
    total, _ = replayed_by_usage(shell)
    assert total > 0 and replayed_by_cache(shell) == total


def test_cache_says_the_roubles_its_replays_saved_as_usage_does(shell, ygpt_server, cache_file):
    assert "saving" not in cell(shell, "%ygpt cache").plain          # nothing replayed yet
    assert cell(shell, "%%ygpt --once\nName a river").ok
    assert cell(shell, "%%ygpt --once\nName a river").ok             # replayed
    saved = rows_of(cell(shell, "%ygpt usage"), "Tokens by chat")["total"][7]
    assert saved.startswith("≈")
    assert f"replayed instead of sent, saving {saved} at Yandex Cloud prices" in cell(shell, "%ygpt cache").plain
