"""The reply cache's damaged entries: an entry that cannot be replayed is sent again, never shown.

A row of a usable cache file whose reply is not one (a text that is not text, no text at all,
token counts no reply can have) is sent again outside replay mode, with one line saying the entry
is damaged, and refused with one clear paragraph in replay mode (CI). Unusable, read-only and locked
cache files are in test_cache_faults.py.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cellrun import assert_clear_error
from conftest import cell, completions
from test_cache_faults import PROMPT, _sql

from ygpt_magic.errors import CacheUnusable


def test_a_damaged_entry_is_sent_again_and_refused_in_replay_mode(shell, ygpt_server, tmp_path):
    path, once = tmp_path / "replies.sqlite", PROMPT.replace("%%ygpt", "%%ygpt --once")
    shell.run_line_magic("ygpt", f"cache {path}")
    assert cell(shell, once).ok
    _sql(path, """UPDATE entries SET value = '{"text": ["not", "text"], "status": "FINAL"}'""")
    again = cell(shell, once)
    assert again.ok and "Einstein" in again.final and not shell.user_ns["_ygpt"].cached
    assert "an entry is damaged" in again.stderr and len(completions(ygpt_server)) == 2
    _sql(path, """UPDATE entries SET value = '{"status": "FINAL"}'""")
    shell.run_line_magic("ygpt", "cache --mode replay")
    assert_clear_error(cell(shell, once), "an entry is damaged", error_type=CacheUnusable)
    assert len(completions(ygpt_server)) == 2


def _with_usage(path: Path, usage: str) -> None:
    """Every reply entry's usage replaced by ``usage``, JSON text as written (``Infinity``)."""
    db = sqlite3.connect(path)
    for key, value in db.execute("SELECT key, value FROM entries").fetchall():
        entry = json.loads(value)
        if "usage" in entry:
            entry["usage"] = "USAGE"
            db.execute("UPDATE entries SET value = ? WHERE key = ?",
                       (json.dumps(entry).replace('"USAGE"', usage), key))
    db.commit()
    db.close()


@pytest.mark.parametrize("usage", ['{"input_tokens": Infinity}', '{"completion_tokens": -5}',
                                   '{"total_tokens": 1e400}', '{"input_tokens": 2.5}'])
def test_an_entry_with_impossible_token_counts_is_damaged(shell, ygpt_server, tmp_path, usage):
    """Infinity ended in an OverflowError traceback; -5 was replayed as "-5 tokens replayed"."""
    path, once = tmp_path / "replies.sqlite", PROMPT.replace("%%ygpt", "%%ygpt --once")
    shell.run_line_magic("ygpt", f"cache {path}")
    assert cell(shell, once).ok
    _with_usage(path, usage)
    again = cell(shell, once)
    assert again.ok and "Einstein" in again.final and not shell.user_ns["_ygpt"].cached
    assert "an entry is damaged" in again.stderr and "this reply was not cached" in again.stderr
    assert len(completions(ygpt_server)) == 2
    assert "0 tokens replayed" in cell(shell, "%ygpt cache").plain
    _with_usage(path, usage)
    shell.run_line_magic("ygpt", "cache --mode replay")
    assert_clear_error(cell(shell, once), "an entry is damaged", error_type=CacheUnusable)
    assert len(completions(ygpt_server)) == 2
