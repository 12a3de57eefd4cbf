"""A team's CI replays a committed notebook and its reply cache: a run where nothing changed shows
what the stored outputs show, and a miss blames what really differs (findings/ci2 F1, F5, F6, F9).

nbval compares every output with the stored one, so an output that names a clock or a random
file fails every CI run; a replay-mode miss that blames the cell or the user's files when a
package upgrade or a value's new order is the cause sends the user hunting through what they
never touched.
"""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest
from cellrun import assert_clear_error
from conftest import cell
from test_cache import cache_file  # noqa: F401 (a fixture)

from ygpt_magic.cache.key import ADDED
from ygpt_magic.errors import CacheMiss


def missed(run) -> str:
    """The paragraph of a replay-mode miss, checked to be one (nothing sent, what to do)."""
    return assert_clear_error(run, "no recorded reply", "nothing was sent", error_type=CacheMiss)


def _notebook_run(shell) -> str:
    """A notebook's cells from the top: a chat with a turn, then the team's chat file loaded
    over it; what the load shows."""
    shell.run_line_magic("ygpt", "reset --all")
    assert cell(shell, "%%ygpt --once\nHello", cell_id="c1").ok
    assert cell(shell, "%%ygpt\nHello again", cell_id="c2").ok
    loaded = cell(shell, "%ygpt load team.chat.json", cell_id="c3")
    assert loaded.ok, loaded.message
    return loaded.plain


def test_a_load_over_a_notebooks_chats_shows_the_same_at_every_run(shell, tmp_path, monkeypatch):
    """The author's run, then CI's: the same cells, the same file, the same output (a copy
    named by a clock and a random suffix failed nbval at every run)."""
    monkeypatch.chdir(tmp_path)
    assert cell(shell, "%%ygpt --chat team\nOur KPI is weekly active users.", cell_id="t1").ok
    assert cell(shell, "%ygpt save team.chat.json").ok   # committed with the notebook
    first, second = _notebook_run(shell), _notebook_run(shell)
    assert first == second
    assert first.startswith("Loaded 2 chats with 1 turn from team.chat.json;")
    assert "The 1 chat (1 turn) it replaced ('default') was written to" in first


def test_a_load_keeps_two_different_sets_of_chats_in_two_files(shell, magics, tmp_path, monkeypatch):
    """A name that no longer comes from a clock still never writes one kept set over another."""
    monkeypatch.chdir(tmp_path)
    assert cell(shell, "%ygpt save empty.chat.json").ok
    copies = []
    for words in ("First", "Second"):
        shell.run_line_magic("ygpt", "reset --all")
        assert cell(shell, f"%%ygpt\n{words} question", cell_id="q").ok
        loaded = cell(shell, "%ygpt load empty.chat.json")
        copies.append(loaded.plain.split(" was written to ")[1].split(";")[0])
    assert copies[0] != copies[1]
    for copy, words in zip(copies, ("First", "Second")):
        assert cell(shell, f"%ygpt load {copy}").ok
        assert magics.kernel.session.chats["default"].turns[0].prompt == f"{words} question"


@pytest.mark.usefixtures("fresh_names")
def test_a_reworded_docs_instruction_is_named_not_the_files(shell, cache_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "release.md").write_text("The release is on 12 March.\n")
    source = "%%ygpt --docs notes --once\nWhen is the release?"
    assert cell(shell, source).ok
    shell.run_line_magic("ygpt", "cache --mode replay")
    shell.run_line_magic("config", "YGptMagics.docs_instruction = "
                                   "'Answer the question below from the numbered sources. Cite each as [n].'")
    message = missed(cell(shell, source))   # notes/ is untouched
    assert "a file it reads was edited" not in message
    assert "the sources --docs sent" not in message
    assert "differs in the instruction --docs adds" in message
    assert "YGptMagics.docs_instruction" in message and "upgrade" in message


@pytest.mark.usefixtures("fresh_names")
def test_an_edited_docs_file_is_still_named(shell, cache_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    notes = tmp_path / "notes" / "release.md"
    notes.write_text("The release is on 12 March.\n")
    source = "%%ygpt --docs notes --once\nWhen is the release?"
    assert cell(shell, source).ok
    shell.run_line_magic("ygpt", "cache --mode replay")
    notes.write_text("The release is on 14 March.\n")
    message = missed(cell(shell, source))
    assert "a source chunk changed" in message
    assert "instruction --docs adds" not in message


@pytest.mark.usefixtures("fresh_names")
@pytest.mark.parametrize("change", ["stamp", "order"])
def test_a_value_that_filled_in_differently_is_named_not_the_cell(shell, cache_file, change):
    shell.user_ns["stamp"] = "2026-12-01 10:00:00"
    shell.user_ns["df"] = pd.DataFrame({"city": ["Oslo", "Rome", "Paris"], "sales": [3, 1, 2]})
    source = "%%ygpt --once\nReport of {stamp}. Which city sold most? {df}"
    assert cell(shell, source).ok
    shell.run_line_magic("ygpt", "cache --mode replay")
    if change == "stamp":
        shell.user_ns["stamp"] = "2026-12-02 09:00:00"   # datetime.now() on CI's day
    else:
        shell.user_ns["df"] = shell.user_ns["df"].sort_values("city")   # a query's other order
    message = missed(cell(shell, source))   # the cell's source is byte for byte the same
    assert "the cell (or its row) changed" not in message
    assert "the cell's words are as recorded" in message
    assert "its {…} references filled in" in message


@pytest.mark.usefixtures("fresh_names")
def test_an_edited_cell_with_values_is_still_blamed_on_the_cell(shell, cache_file):
    shell.user_ns["stamp"] = "2026-12-01 10:00:00"
    assert cell(shell, "%%ygpt --once\nReport of {stamp}.").ok
    shell.run_line_magic("ygpt", "cache --mode replay")
    message = missed(cell(shell, "%%ygpt --once\nThe report of {stamp}."))
    assert "none of this text: the cell (or its row) changed" in message


@pytest.mark.usefixtures("fresh_names")
def test_a_capped_embed_miss_names_its_row_as_the_uncapped_one_does(shell, cache_file):
    shell.user_ns["df"] = pd.DataFrame({"city": ["Oslo", "Rome", "Paris"]})
    assert cell(shell, "%ygpt embed df --column city --out v --max-cost 1").ok
    shell.run_line_magic("ygpt", "cache --mode replay")
    shell.user_ns["df"] = pd.DataFrame({"city": ["Oslo", "Rome", "Paris", "Bern"]})   # CI's data
    plain = missed(cell(shell, "%ygpt embed df --column city --out v"))
    capped = missed(cell(shell, "%ygpt embed df --column city --out v --max-cost 1"))
    assert "(“embed df”), row 3 " in plain
    assert "(“embed df”), row 3 " in capped


def test_a_cache_recorded_before_the_cell_and_instruction_parts_still_names_what_differs(shell, cache_file):
    """Entries recorded before ``written`` and ``framing`` were kept are compared on the other
    parts, not set aside as an older ygpt_magic's: a team's committed cache keeps its blame."""
    assert cell(shell, "%%ygpt --once --temperature 0.2\nHello").ok
    with sqlite3.connect(cache_file) as db:
        for key, value in db.execute("SELECT key, value FROM entries").fetchall():
            entry = json.loads(value)
            entry["parts"] = {name: part for name, part in entry["parts"].items() if name not in ADDED}
            db.execute("UPDATE entries SET value = ? WHERE key = ?", (json.dumps(entry), key))
    shell.run_line_magic("ygpt", "cache --mode replay")
    assert cell(shell, "%%ygpt --once --temperature 0.2\nHello").ok and shell.user_ns["_ygpt"].cached
    message = missed(cell(shell, "%%ygpt --once --temperature 0.3\nHello"))
    assert "the nearest, of this same text, differs in the flags" in message
    assert "older ygpt_magic" not in message
