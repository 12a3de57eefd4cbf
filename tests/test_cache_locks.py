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
from cellrun import assert_clear_error
from conftest import cell, completions
from test_cache_faults import recorded_cache
from test_map import ctrl_c_in

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


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_ctrl_c_while_the_cache_waits_for_another_kernel_leaves_it_unlocked(shell, ygpt_server, tmp_path):
    """Ctrl-C lands as the cache's BEGIN returns (SQLite waits inside the C call), the lock
    taken: it was left held, the other kernel locked out and this one warned at every cell."""
    path = tmp_path / "shared.sqlite"
    shell.run_line_magic("ygpt", f"cache {path}")
    assert cell(shell, "%%ygpt --once\nwarm up").ok
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert locker.stdout.readline().strip() == "locked"
    threading.Timer(1.5, locker.communicate, kwargs={"input": "\n", "timeout": 30}).start()
    presser = ctrl_c_in(0.7)   # the reply is in; the cache waits for the other kernel's write
    stopped = cell(shell, "%%ygpt\nHello there")
    presser.join()
    locker.wait(30)
    assert "interrupted" in stopped.page and shell.user_ns["_ygpt"].status == "INTERRUPTED"
    other = sqlite3.connect(path, isolation_level=None, timeout=2)
    other.execute("BEGIN IMMEDIATE")   # the other kernel can write again
    other.execute("COMMIT")
    other.close()
    after = cell(shell, "%%ygpt --once\nHello again")
    assert after.ok and after.stderr == "", after.stderr   # not "was not used (…transaction…)"
    assert cell(shell, "%%ygpt --once\nHello again").ok and shell.user_ns["_ygpt"].cached


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
