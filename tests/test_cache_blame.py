"""A replay-mode miss names what changed when the cell did not: a picture's bytes, a tool's
result, a --docs file. CI's matplotlib draws a figure a little differently, a function returns
new data, a note is edited: each is recorded against the local server, changed, and replayed,
and the message must send the user to that, not to a cell they never touched.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from cellrun import assert_clear_error
from conftest import cell
from pictures import MODEL, pics, png_bytes  # noqa: F401 (pics: a fixture)
from test_cache import cache_file  # noqa: F401 (a fixture)
from test_cache_exchanges import NORTH, tool_script  # noqa: F401 (tool_script: a fixture)
from test_tools import FUNCTIONS

from ygpt_magic.emulator import start_local_server
from ygpt_magic.errors import CacheMiss

RELEASE = "%%ygpt --docs notes --once\nWhen is the release?"


def missed(run) -> str:
    """The paragraph of a replay-mode miss, checked to be one (nothing sent, what to do)."""
    return assert_clear_error(run, "no recorded reply", "nothing was sent", "commit the file",
                              error_type=CacheMiss)


def test_a_changed_picture_is_named_not_the_cells_text(pics, cache_file):
    pics.user_ns["png"] = png_bytes()
    source = f"%%ygpt --once --image png --model {MODEL}\nWhat colour is this?"
    assert cell(pics, source).ok
    pics.user_ns["png"] = png_bytes(color=(200, 30, 30))   # CI's matplotlib draws it a little differently
    pics.run_line_magic("ygpt", "cache --mode replay")
    message = missed(cell(pics, source))
    assert "none of this text" not in message
    assert "the nearest, of this same text, differs in a picture the cell sends" in message


@pytest.mark.usefixtures("fresh_names")
def test_a_changed_tool_result_is_named_not_the_cells_text(shell, tool_script, cache_file):
    with start_local_server(scripts=[tool_script], operation_delay=0.0) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        assert cell(shell, FUNCTIONS).ok
        assert cell(shell, NORTH, cell_id="north").ok
        assert cell(shell, "def get_sales(region: str, limit: int = 10) -> int:\n"
                           "    '''Sales rows of one region.'''\n    return 555").ok
        shell.run_line_magic("ygpt", "cache --mode replay")
        message = missed(cell(shell, NORTH, cell_id="north"))
    assert "none of this text" not in message
    assert "differs in a tool's result (a function the cell names returned something else" in message


@pytest.fixture
def release(tmp_path, monkeypatch):
    """A notes folder beside the notebook, with one file whose date will change."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    note = tmp_path / "notes" / "release.md"
    note.write_text("# Release\n\nThe release is on 12 March.\n", encoding="utf-8")
    return note


def test_a_changed_source_file_is_named_not_the_cells_text(shell, ygpt_server, cache_file, release):
    """The miss names the file and lines of the chunk whose embedding no recording holds, as one
    over a row of %ygpt embed names the row (it said only that some file --docs reads changed)."""
    assert cell(shell, RELEASE).ok
    release.write_text("# Release\n\nThe release is on 19 March.\n", encoding="utf-8")
    shell.run_line_magic("ygpt", "cache --mode replay")
    message = missed(cell(shell, RELEASE))   # the edited chunk's embedding is the first miss
    assert "none of this text" not in message
    assert ", the chunk notes/release.md:1–3 in the reply cache" in message, message
    assert "none of this source chunk: a source chunk changed (a file --docs reads was edited" in message


def test_sources_the_index_holds_but_the_cache_does_not_are_named_not_the_question(
        shell, ygpt_server, cache_file, release):
    """The index already holds the edited file (embedded by a --no-cache run), so the first
    miss is the reply's, whose question is the same and whose sources are not."""
    assert cell(shell, RELEASE).ok
    release.write_text("# Release\n\nThe release is on 19 March.\n", encoding="utf-8")
    assert cell(shell, RELEASE.replace("--once", "--once --no-cache")).ok
    shell.run_line_magic("ygpt", "cache --mode replay")
    message = missed(cell(shell, RELEASE))
    assert "the nearest, of this same text, differs in the sources --docs sent (a source chunk changed" in message


def test_entries_recorded_before_the_parts_were_split_replay_and_are_counted(shell, ygpt_server, cache_file):
    """A cache recorded when a picture or a tool result was part of ``text`` keeps replaying;
    a miss counts its entries without comparing parts cut another way."""
    assert cell(shell, "%%ygpt --once\nHello").ok
    with sqlite3.connect(cache_file) as db:   # the parts as the first format kept them
        for key, value in db.execute("SELECT key, value FROM entries").fetchall():
            entry = json.loads(value)
            for part in ("pictures", "results", "sources"):
                del entry["parts"][part]
            db.execute("UPDATE entries SET value = ? WHERE key = ?", (json.dumps(entry), key))
    shell.run_line_magic("ygpt", "cache --mode replay")
    assert cell(shell, "%%ygpt --once\nHello").ok and shell.user_ns["_ygpt"].cached
    message = missed(cell(shell, "%%ygpt --once\nHello there"))
    assert "The cache holds 1 recording, none for this request" in message


TERSE = '%%ygpt --system "You are terse" --temperature 0.2\nHello there'


def as_an_older_version_recorded(cache_file, shape: str) -> None:
    """The entries as an older ygpt_magic left them: ``none``, no parts (before the parts were
    kept, 2026-12-01's); ``first``, the first cut of the parts (2026-12-06's)."""
    with sqlite3.connect(cache_file) as db:
        for key, value in db.execute("SELECT key, value FROM entries").fetchall():
            entry = json.loads(value)
            if shape == "none":
                del entry["parts"]
            else:
                entry["parts"] = {name: part for name, part in entry["parts"].items()
                                  if name not in ("pictures", "results", "sources")}
            db.execute("UPDATE entries SET value = ? WHERE key = ?", (json.dumps(entry), key))


@pytest.mark.parametrize("shape, recorded_against, replay_with", [
    ("none", "the local server (the replies say so)", "YGPT_ENDPOINT=local, or YGPT_ENDPOINT=HOST:PORT"),
    ("first", "another server (HOST:PORT)", "YGPT_ENDPOINT=HOST:PORT"),
])
def test_an_older_versions_cache_replayed_against_another_server_names_the_server(
        shell, ygpt_server, cache_file, shape, recorded_against, replay_with):
    """Recorded before the upgrade against the local server at HOST:PORT; replayed after it in
    a CI where YGPT_ENDPOINT is not set. Nothing in the cell changed: the server did."""
    assert cell(shell, TERSE).ok
    as_an_older_version_recorded(cache_file, shape)
    shell.run_line_magic("ygpt", "connect cloud")
    shell.run_line_magic("ygpt", "cache --mode replay")
    message = missed(cell(shell, TERSE))
    assert "the cell, its flags, the model or an earlier turn of its chat changed" not in message
    assert ("The cache holds 1 recording, none for this request: it was made by an older ygpt_magic, "
            "which noted less of each request, so this one could not be compared with it, but it was "
            f"recorded against {recorded_against}, and this kernel replays against Yandex Cloud.") in message
    assert f"replay against the one it was recorded against: {replay_with}" in message


def test_an_older_versions_cache_that_does_not_tell_its_server_lists_it_among_the_causes(
        shell, ygpt_server, cache_file):
    assert cell(shell, TERSE).ok
    as_an_older_version_recorded(cache_file, "none")
    with sqlite3.connect(cache_file) as db:   # a reply that does not say where it came from
        db.execute("UPDATE entries SET value = json_set(value, '$.model_version', '23.10.2024')")
    shell.run_line_magic("ygpt", "connect cloud")
    shell.run_line_magic("ygpt", "cache --mode replay")
    message = missed(cell(shell, TERSE))
    assert ("What differs may be the cell, its flags, the model, an earlier turn of its chat, or the "
            "server it was recorded against.") in message
    assert ("If the cell is as it was when the cache was recorded, replay against the server it was "
            "recorded against (leave YGPT_ENDPOINT unset for Yandex Cloud, or set YGPT_ENDPOINT=local") in message
