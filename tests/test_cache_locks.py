"""The reply cache and another kernel's lock: waited for and said at first open, left unlocked
by Ctrl-C, never waited for by a replay. Moved from test_cache_faults.py (over 400 lines), whose
recorded cache and prompt these import."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from cellrun import CellRun, assert_clear_error, assert_interrupted
from conftest import cell, completions
from presses import ctrl_c_in
from test_accounts import rows_of
from test_cache_faults import recorded_cache

from ygpt_magic.errors import CacheLocked, CacheNotCleared

LOCKER = r"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""


@pytest.mark.slow
def test_a_cache_locked_at_first_open_is_waited_for_said_and_used_once_free(shell, ygpt_server, tmp_path, monkeypatch):
    """It fell back to read-only (unsafe while the other process writes) for the whole session,
    and said "read-only"."""
    from ygpt_magic.cache import store

    path, once = tmp_path / "replies.sqlite", "%%ygpt --once\nA question asked while it is locked."
    recorded_cache(path)
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 300)  # the bounded wait, short for the test
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "locked"
        shell.run_line_magic("ygpt", f"cache {path}")
        locked = cell(shell, once)
        assert locked.ok and "locked" in locked.final  # answered all the same
        lines = [line for line in locked.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "locked by another process" in lines[0], lines
        assert "not cached" in lines[0] and "read-only" not in lines[0]
        assert "locked by another process" in cell(shell, "%ygpt cache").plain
        shell.run_line_magic("ygpt", "cache --mode replay")
        assert_clear_error(cell(shell, once), "locked by another process", "nothing was sent",
                           "Run the cell again", error_type=CacheLocked)
        shell.run_line_magic("ygpt", "cache --mode auto")
        assert_clear_error(cell(shell, "%ygpt cache clear"), "nothing was cleared", "locked by another process",
                           "Run %ygpt cache clear again", error_type=CacheNotCleared)
    finally:
        locker.communicate("\n", timeout=30)
    free = cell(shell, once)
    assert free.ok and free.stderr == "" and not shell.user_ns["_ygpt"].cached
    replayed = cell(shell, once)
    assert replayed.ok and shell.user_ns["_ygpt"].cached
    assert len(completions(ygpt_server)) == 2


def _ctrl_c_while_the_cache_writes(shell, path, source: str) -> CellRun:
    """Run ``source`` with the cache at ``path`` while another kernel holds its write lock for
    1.5 s, and press Ctrl-C at 0.7 s: the reply is in, and the cache waits to record it."""
    shell.run_line_magic("ygpt", f"cache {path}")
    assert cell(shell, "%%ygpt --once\nwarm up").ok
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert locker.stdout.readline().strip() == "locked"
    threading.Timer(1.5, locker.communicate, kwargs={"input": "\n", "timeout": 30}).start()
    presser = ctrl_c_in(0.7)
    stopped = cell(shell, source, cell_id="asked")
    presser.join()
    locker.wait(30)
    return stopped


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_ctrl_c_while_the_cache_waits_for_another_kernel_leaves_it_unlocked(shell, ygpt_server, tmp_path):
    """Ctrl-C lands as the cache's BEGIN returns (SQLite waits inside the C call), the lock
    taken: it was left held, the other kernel locked out and this one warned at every cell."""
    path = tmp_path / "shared.sqlite"
    stopped = _ctrl_c_while_the_cache_writes(shell, path, "%%ygpt\nHello there")
    assert_interrupted(stopped)
    other = sqlite3.connect(path, isolation_level=None, timeout=2)
    other.execute("BEGIN IMMEDIATE")   # the other kernel can write again
    other.execute("COMMIT")
    other.close()
    after = cell(shell, "%%ygpt --once\nHello again")
    assert after.ok and after.stderr == "", after.stderr   # not "was not used (…transaction…)"
    assert cell(shell, "%%ygpt --once\nHello again").ok and shell.user_ns["_ygpt"].cached


@pytest.mark.slow  # waits out another kernel's lock
def test_ctrl_c_while_the_cache_records_a_whole_answer_keeps_it_shown_in_the_chat_and_counted(
        shell, magics, ygpt_server, tmp_path):
    """The answer had arrived in full and was billed; only its write to the cache was stopped.
    The whole answer on screen was replaced by the ⏹ line alone, nothing entered the chat, and
    neither %ygpt usage nor _ygpt.usage counted its tokens."""
    stopped = _ctrl_c_while_the_cache_writes(shell, tmp_path / "shared.sqlite", "%%ygpt\nHello there")
    reply = shell.user_ns["_ygpt"]
    assert reply.status == "FINAL" and reply.usage.completion_tokens > 0 and not reply.cached
    assert " ".join(reply.text.split()[:6]) in " ".join(stopped.page.split()), stopped.page
    assert "⏹ interrupted" not in stopped.page   # the whole answer, not marked stopped
    assert ("⏹ Ctrl-C came while the reply cache was recording this answer (it waits while another kernel "
            "writes to the same file): the answer arrived whole, was added to the chat and is counted in "
            "%ygpt usage, but the cache did not record it, so running this cell again sends it again."
            ) in " ".join(stopped.page.split()), stopped.page
    assert_interrupted(stopped)   # Run All stops: the press meant to stop
    [turn] = magics.kernel.session.chats["default"].turns
    assert turn.reply.text == reply.text
    tokens = [f"{reply.usage.input_tokens:,}", f"{reply.usage.completion_tokens:,}"]
    usage = cell(shell, "%ygpt usage")
    assert rows_of(usage, "Tokens by chat")["default"][:3] == ["1", *tokens], usage.shown
    assert "stopped while it streamed" not in usage.shown   # a whole answer, not a stopped one
    again = cell(shell, "%%ygpt\nHello there", cell_id="asked")   # rewinds to before its turn
    assert again.ok and not shell.user_ns["_ygpt"].cached
    assert len(completions(ygpt_server)) == 3   # warm up, the stopped cell, its question sent again


def test_a_replay_never_waits_for_another_kernels_write_lock(shell, ygpt_server, tmp_path):
    """A hit notes when its entry was used; with another kernel holding the write lock, the note
    is skipped (tried once) rather than holding the replayed answer for the lock's 10 s wait."""
    path, once = tmp_path / "shared.sqlite", "%%ygpt --once\nA question replayed while locked."
    shell.run_line_magic("ygpt", f"cache {path}")
    assert cell(shell, once).ok
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "locked"
        started = time.monotonic()
        replayed = cell(shell, once)
        waited = time.monotonic() - started
    finally:
        locker.communicate("\n", timeout=30)
    assert replayed.ok and shell.user_ns["_ygpt"].cached and replayed.stderr == "", replayed.shown
    assert waited < 2, f"the replay waited {waited:.1f} s for the other kernel's lock"
    assert len(completions(ygpt_server)) == 1
