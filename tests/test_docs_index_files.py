"""%%ygpt --docs and the files beside the reply cache: a cell replayed with no server, from a
fresh kernel or a read-only checkout; an index that cannot be made; the vectors a failed run
bought, kept; another kernel holding the index's lock. Moved from test_docs_cell.py (over 400
lines), which keeps what a --docs cell answers and shows."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import cell, completions
from disks import read_only_checkout
from presses import ctrl_c_in
from test_cache_locks import LOCKER
from test_docs_cell import NOTES, NOWHERE, QUESTION, embedded, notes  # noqa: F401 (notes: a fixture)

from ygpt_magic.errors import CacheMiss

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


def test_with_the_reply_cache_alone_a_docs_cell_replays_with_no_server(shell, ygpt_server, notes, tmp_path):
    """The CI recipe (docs/guide/reproducible.md) keeps the reply cache, not the index beside
    it: every embedding of a --docs cell (the files' chunks, the question) replays from it."""
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'replies.sqlite')!r}")
    source = f"%%ygpt --docs notes --once\n{QUESTION}"
    assert cell(shell, source).ok
    recorded = shell.user_ns["_ygpt"]
    dry = cell(shell, f"%%ygpt --docs notes --once --dry-run\n{QUESTION}")
    _fresh_kernel_replaying(shell, tmp_path)
    ygpt_server.reset()
    replayed = cell(shell, source)
    assert replayed.ok, replayed.message
    assert shell.user_ns["_ygpt"].text == recorded.text and shell.user_ns["_ygpt"].cached
    assert shell.user_ns["_ygpt"].sources == recorded.sources
    again = cell(shell, f"%%ygpt --docs notes --once --dry-run\n{QUESTION}")
    assert again.ok and "[1] notes/cats.md:" in again.shown and again.shown.count("[") == dry.shown.count("[")
    assert "sent no embedding request: every vector it needed was held already" in again.plain
    missed = cell(shell, "%%ygpt --docs notes --once\nWhere do rockets sleep?")
    assert_clear_error(missed, "No recorded reply", "Where do rockets sleep?", "nothing was sent",
                       error_type=CacheMiss)
    assert ygpt_server.requests == []


def _fresh_kernel_replaying(shell, folder, cache: str = "") -> None:
    """CI on a fresh checkout of ``folder``: a new kernel, no server, the reply cache (``cache``,
    else the one configured) in replay mode, and none of what the recording left beside it (the
    index, the cache's ``-wal``/``-shm``): the committed ``replies.sqlite`` alone."""
    shell.extension_manager.unload_extension("ygpt_magic")
    shell.extension_manager.load_extension("ygpt_magic")
    for path in [*folder.glob("replies.sources.sqlite*"), *folder.glob("replies.sqlite-*")]:
        path.unlink()
    shell.run_line_magic("ygpt", f"connect {NOWHERE} --insecure")
    shell.run_line_magic("ygpt", f"cache {cache} --mode replay".replace("  ", " "))


def test_a_docs_cell_whose_index_cannot_be_made_says_so_above_its_reply_once(
        shell, ygpt_server, notes, tmp_path):
    """The index only saves requests: where its file cannot be made (a folder holds its name)
    it is kept in memory; in auto mode (it would be written) a note above the reply says so."""
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'replies.sqlite')!r}")
    source = f"%%ygpt --docs notes --once\n{QUESTION}"
    assert cell(shell, source).ok
    recorded = shell.user_ns["_ygpt"]
    _fresh_kernel_replaying(shell, tmp_path)
    assert cell(shell, "%ygpt cache --mode auto").ok
    index = tmp_path / "replies.sources.sqlite"
    index.mkdir()
    ygpt_server.reset()
    replayed = cell(shell, source)
    assert replayed.ok, replayed.message
    assert shell.user_ns["_ygpt"].cached and shell.user_ns["_ygpt"].sources == recorded.sources
    assert replayed.stderr == ""
    assert (f"ygpt sources index: {str(index)!r} cannot be used (it is a folder; move it out of the way: "
            f"the index of the reply cache is kept under its name); this kernel keeps the index in memory "
            f"instead.") in replayed.plain_page.replace("\n", " ")
    again = cell(shell, source)
    assert again.ok and "sources index" not in again.shown and "[1] notes/cats.md:" in again.shown  # once
    assert index.is_dir() and ygpt_server.requests == []


def test_a_docs_cell_replays_from_a_read_only_checkout(shell, ygpt_server, notes, tmp_path, monkeypatch):
    """docs/guide/reproducible.md: CI needs just replies.sqlite and the files, and its checkout
    may be read-only, where no index file can be made beside the cache."""
    source = f"%%ygpt --docs notes --once\n{QUESTION}"
    assert cell(shell, "%ygpt cache replies.sqlite").ok
    assert cell(shell, source).ok
    recorded = shell.user_ns["_ygpt"]
    assert cell(shell, "%ygpt cache --mode off").ok  # the recording kernel lets go of the file
    with read_only_checkout(tmp_path) as checkout:
        monkeypatch.chdir(checkout)
        _fresh_kernel_replaying(shell, tmp_path, "replies.sqlite")
        ygpt_server.reset()
        replayed = cell(shell, source)
    assert replayed.ok, replayed.message
    assert shell.user_ns["_ygpt"].cached and shell.user_ns["_ygpt"].sources == recorded.sources
    # replay mode writes nothing: no line for nbval to fail ("Unexpected output fields")
    assert replayed.stderr == "" and "sources index" not in replayed.shown and ygpt_server.requests == []


def test_a_docs_cell_that_fails_on_one_chunk_keeps_the_vectors_it_bought(shell, ygpt_server, notes, tmp_path):
    """With the reply cache on, each chunk's vector is kept the moment it arrives: a call that
    fails on a later chunk keeps the earlier ones (they were paid for), so running the cell
    again embeds only the chunk that failed."""
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'replies.sqlite')!r}")
    shell.run_line_magic("config", "YGptMagics.map_concurrency = 1")   # the chunks in order
    ygpt_server.reset()
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", method="TextEmbedding", after=2)
    source = f"%%ygpt --docs notes --once\n{QUESTION}"
    failed = cell(shell, source)
    assert not failed.ok and completions(ygpt_server) == []
    answered = embedded(ygpt_server, "doc")[:2]
    assert len(answered) == 2
    ygpt_server.reset()
    again = cell(shell, source)
    assert again.ok, again.message
    [sent] = embedded(ygpt_server, "doc")
    assert sent not in answered


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_ctrl_c_while_the_index_waits_for_another_kernel_leaves_it_usable_and_unlocked(
        shell, ygpt_server, notes, tmp_path):
    """Two kernels share a cache, so its sources index too. Ctrl-C lands as the index's BEGIN
    returns, the lock taken: it was left held, the next --docs cell blamed the file ("Fix the
    file … or delete the file") and the other kernel was locked out."""
    shell.run_line_magic("ygpt", f"cache {tmp_path / 'shared.sqlite'}")
    (tmp_path / "other.md").write_text("# Other\n\nNothing here.\n", encoding="utf-8")
    assert cell(shell, "%%ygpt --docs other.md --once\nAnything?").ok   # the index file exists now
    index = tmp_path / "shared.sources.sqlite"
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(index)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert locker.stdout.readline().strip() == "locked"
    threading.Timer(1.5, locker.communicate, kwargs={"input": "\n", "timeout": 30}).start()
    presser = ctrl_c_in(0.7)   # the files are embedded; their vectors wait for the other kernel
    cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}")
    presser.join()
    locker.wait(30)
    (notes / "budget.md").write_text("# Budget\n\nThe budget is five coins.\n", encoding="utf-8")
    after = cell(shell, "%%ygpt --docs notes --once\nWhat is the budget?")
    assert after.ok, after.message
    other = sqlite3.connect(index, isolation_level=None, timeout=2)
    other.execute("BEGIN IMMEDIATE")   # the other kernel can write again
    other.execute("COMMIT")
    other.close()


@pytest.mark.slow
def test_the_index_is_named_as_the_cache_was_set_not_by_its_absolute_path(shell, ygpt_server, notes, tmp_path):
    """The index's messages named it by its absolute path, the author's home folder in a saved
    notebook; they name it beside the reply cache as %ygpt cache shows that (cache/shown.py)."""
    assert cell(shell, "%ygpt cache replies.sqlite").ok
    (tmp_path / "replies.sources.sqlite").mkdir()   # it cannot be made: kept in memory, said once
    run = cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}")
    assert run.ok, run.message
    assert "ygpt sources index: 'replies.sources.sqlite' cannot be used (it is a folder" in run.plain_page, run.page
    (tmp_path / "replies.sources.sqlite").rmdir()
    cell(shell, "%reload_ext ygpt_magic")
    assert cell(shell, f"%ygpt connect {ygpt_server.address} --insecure").ok
    assert cell(shell, "%ygpt cache replies.sqlite").ok
    assert cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}").ok
    cell(shell, "%reload_ext ygpt_magic")   # a newer ygpt_magic wrote the index: refused
    with sqlite3.connect(tmp_path / "replies.sources.sqlite") as db:
        db.execute("UPDATE meta SET value = '9' WHERE name = 'schema'")
    assert cell(shell, f"%ygpt connect {ygpt_server.address} --insecure").ok
    assert cell(shell, "%ygpt cache replies.sqlite").ok
    refused = cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}")
    assert "The sources index 'replies.sources.sqlite' cannot be used: it was written by a newer" in refused.message, \
        refused.message
    assert str(tmp_path) not in run.shown + refused.shown + refused.message
