"""The reply cache's size after a Run All that only replays, as `%ygpt cache` says it and as the
disk holds it.

A replay in auto mode notes when its entry was used (for ``clear --older-than``). Those notes are
a few bytes each: they must not make `%ygpt cache` report the cache several times bigger, nor
leave megabytes of SQLite's log (``-wal``) next to the file, also when another kernel keeps the
file open; and they must still reach the file when the kernel ends without an unload, or is
killed a moment later.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cell
from test_cache import cache_file, restart  # noqa: F401 (a fixture)
from test_cache_faults import KERNEL

from ygpt_magic.cache.notes import NOTES_WAIT
from ygpt_magic.cache.store import NOTES_SUFFIX

CELLS = [f"%%ygpt --once\nFix the spelling {i}: Erors wont corrct themselfs" for i in range(120)]


def shown_size_kb(shell) -> float:
    """The size on `%ygpt cache`'s contents line, in kB."""
    line = next(text for text in cell(shell, "%ygpt cache").plain.splitlines() if text.startswith("contents"))
    number, unit = re.search(r"([\d.,]+) (kB|MB)", line).groups()
    return float(number.replace(",", "")) * (1000 if unit == "MB" else 1)


def run_all(shell, *, replayed: bool, cells: int = len(CELLS)) -> None:
    """Run the first ``cells`` of CELLS: all 120 where the cache's size is the story, only the 30
    a kernel of its own replays where its notes are (recording 90 more cost 1 s of CPU each)."""
    for source in CELLS[:cells]:
        run = cell(shell, source)
        assert run.ok and shell.user_ns["_ygpt"].cached == replayed, run.message


def log_bytes(path: Path) -> int:
    log = Path(f"{path}-wal")
    return log.stat().st_size if log.exists() else 0


def used_notes(path: Path) -> int:
    """How many replays were noted, in the notes file beside the cache (store.NOTES_SUFFIX)."""
    db = sqlite3.connect(f"{path}{NOTES_SUFFIX}")
    try:
        return db.execute("SELECT count(*) FROM used").fetchone()[0]
    finally:
        db.close()


@pytest.mark.slow
def test_a_run_that_only_replays_reports_about_the_size_it_recorded(shell, ygpt_server, cache_file):
    run_all(shell, replayed=False)
    recorded = shown_size_kb(shell)
    restart(shell, ygpt_server)
    run_all(shell, replayed=True)
    assert "0 recorded" in cell(shell, "%ygpt cache").plain
    after = shown_size_kb(shell)
    assert after <= recorded * 1.3, f"{recorded} kB recorded, {after} kB after a run that recorded nothing"


@pytest.mark.slow
def test_a_replay_leaves_no_megabytes_of_log_while_another_kernel_keeps_the_file_open(
        shell, ygpt_server, cache_file):
    run_all(shell, replayed=False)
    other = sqlite3.connect(cache_file)   # another kernel with the same cache, open all along
    try:
        assert other.execute("SELECT count(*) FROM entries").fetchone() == (len(CELLS),)
        restart(shell, ygpt_server)
        run_all(shell, replayed=True)
        restart(shell, ygpt_server)        # this kernel ends; the other one still has the file
        assert log_bytes(cache_file) < 100_000, f"{log_bytes(cache_file)} bytes of log left behind"
        assert used_notes(cache_file) == len(CELLS)
        assert log_bytes(Path(f"{cache_file}{NOTES_SUFFIX}")) < 100_000
    finally:
        other.close()


#: how many cells a kernel of its own replays
REPLAYED = 30

#: a kernel of its own that replays argv[3] cells and then ends as argv[4] says
REPLAYS = KERNEL + r"""
for index in range(int(sys.argv[3])):
    with capture_output():
        shell.run_cell(f"%%ygpt --once\nFix the spelling {index}: Erors wont corrct themselfs",
                       store_history=True)
    assert shell.user_ns["_ygpt"].cached
if sys.argv[4] == "killed":
    time.sleep(float(sys.argv[5]))
    os._exit(0)   # no unload, no atexit: what a killed kernel does
"""


def replay_in_a_kernel_that(ends: str, path: Path, address: str, count: int) -> None:
    done = subprocess.run([sys.executable, "-c", "import time\n" + REPLAYS, str(path), address, str(count),
                           ends, str(NOTES_WAIT + 1)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GRPC_VERBOSITY": "NONE"})
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.slow
def test_the_notes_reach_the_file_when_the_kernel_ends_without_an_unload(shell, ygpt_server, cache_file):
    run_all(shell, replayed=False, cells=REPLAYED)
    restart(shell, ygpt_server)
    replay_in_a_kernel_that("ends", cache_file, ygpt_server.address, REPLAYED)
    assert used_notes(cache_file) == REPLAYED
    assert log_bytes(cache_file) < 100_000


@pytest.mark.slow   # a kernel process killed and waited for
def test_the_notes_of_a_killed_kernel_reach_the_file_within_moments(shell, ygpt_server, cache_file):
    run_all(shell, replayed=False, cells=REPLAYED)
    restart(shell, ygpt_server)
    replay_in_a_kernel_that("killed", cache_file, ygpt_server.address, REPLAYED)
    assert used_notes(cache_file) == REPLAYED
