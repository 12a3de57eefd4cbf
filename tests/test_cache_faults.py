"""The reply cache's bad input and faults: a cache file that cannot be used never costs a reply.

Outside replay mode the cell is answered, shown and recorded in the chat, with one line saying
the cache was not used; in replay mode (CI) it is refused with one clear paragraph and nothing is
sent. Two kernels writing one cache at once lose and tear nothing. Damaged entries in a usable
file are in test_cache_entries.py.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cellrun import assert_clear_error
from conftest import CREDENTIAL_ENV, TEST_FOLDER, TEST_KEY, cell, completions
from disks import fill, read_only_checkout, small_disk

from ygpt_magic.errors import CacheNotCleared, CacheUnusable

PROMPT = "%%ygpt\nHi! What fields of science did Albert Einstein study?"


def recorded_cache(path: Path) -> Path:
    """A real cache file with one entry, written through the store."""
    from ygpt_magic.cache.store import Store

    store = Store(path)
    store.put("0" * 64, {"text": "x", "status": "FINAL", "usage": {}, "model_version": ""})
    store.close()
    return path


def not_sqlite(path: Path) -> Path:
    path.write_text("these are my notes, not a database\n" * 40, encoding="utf-8")
    return path


def damaged(path: Path) -> Path:
    recorded_cache(path)
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # the header is kept, the schema page is not
    path.write_bytes(bytes(data))
    return path


def _sql(path: Path, statement: str) -> Path:
    db = sqlite3.connect(path)
    db.execute(statement)
    db.commit()
    db.close()
    return path


def someone_elses(path: Path) -> Path:
    return _sql(path, "CREATE TABLE invoices (id INTEGER, total REAL)")


def from_a_newer_version(path: Path) -> Path:
    return _sql(recorded_cache(path), "UPDATE meta SET value = '99' WHERE name = 'schema'")


def under_a_file(path: Path) -> Path:
    blocker = path.parent / "a-file"
    blocker.write_text("in the way", encoding="utf-8")
    return blocker / "replies.sqlite"


def a_folder(path: Path) -> Path:
    path.mkdir()
    return path


def in_a_missing_folder(path: Path) -> Path:
    return path.parent / "no" / "such" / path.name


def in_proc(_path: Path) -> Path:
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc here (a read-only file system on Linux)")
    return Path("/proc/ygpt-replies.sqlite")


BAD = {
    "not SQLite": (not_sqlite, "not a reply cache"),
    "damaged": (damaged, "not a reply cache (or is damaged)"),
    "another program's database": (someone_elses, "something else"),
    "newer ygpt_magic": (from_a_newer_version, "newer ygpt_magic"),
    "folder is a file": (under_a_file, "cannot be created there: '"),
    "a folder": (a_folder, "it is a folder; give a file in it, e.g. %ygpt cache "),
    "missing folder": (in_a_missing_folder, "cannot be created there: there is no folder '"),
    "read-only file system": (in_proc, "cannot be created"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_an_unusable_cache_file_costs_no_reply_outside_replay_mode(shell, ygpt_server, tmp_path, case):
    make, reason = BAD[case]
    path = make(tmp_path / "replies.sqlite")
    before = path.read_bytes() if path.is_file() else None
    magics = shell.magics_manager.registry["YGptMagics"]
    shell.run_line_magic("ygpt", f"cache {path}")
    answered = cell(shell, PROMPT, cell_id="a")
    assert answered.ok, answered.shown
    assert "Einstein" in answered.final and len(magics.kernel.session.chats["default"].turns) == 1
    lines = [line for line in answered.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ygpt cache:") and reason in lines[0], lines
    assert "was not used" in lines[0] and "this reply was not cached" in lines[0]
    if before is not None:
        assert path.read_bytes() == before  # a file we cannot use is never written to
    assert reason in cell(shell, "%ygpt cache").plain


@pytest.mark.parametrize("case", ["not SQLite", "damaged", "newer ygpt_magic", "another program's database"])
def test_an_unusable_cache_file_is_refused_in_replay_mode(shell, ygpt_server, tmp_path, case):
    make, reason = BAD[case]
    path = make(tmp_path / "replies.sqlite")
    shell.run_line_magic("ygpt", f"cache {path} --mode replay")
    refused = cell(shell, PROMPT)
    assert_clear_error(refused, "cannot be used", reason, "in replay mode nothing is sent",
                       error_type=CacheUnusable)
    assert ygpt_server.requests == []


def test_a_folder_given_as_the_cache_path_is_named_as_a_folder_with_a_file_to_give(shell, tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    status = cell(shell, f"%ygpt cache {notebooks}").plain
    example = f"%ygpt cache {notebooks / 'replies.sqlite'}"
    assert "it is a folder; give a file in it, e.g. " + example in status, status
    assert cell(shell, example).ok and "0 entries" in cell(shell, "%ygpt cache").plain  # works as written
    status = cell(shell, f"%ygpt cache {tmp_path / 'no' / 'such' / 'replies.sqlite'}").plain
    assert f"there is no folder {str(tmp_path / 'no')!r}" in status, status  # named, not guessed
    status = cell(shell, f"%ygpt cache {under_a_file(tmp_path / 'replies.sqlite')}").plain
    assert f"{str(tmp_path / 'a-file')!r} is a file, not a folder" in status, status
    assert "?" not in status, status


#: a kernel of its own: a shell with the extension, connected to argv[2], caching in argv[1]
KERNEL = r"""
import json, os, sys
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

path, address = sys.argv[1], sys.argv[2]
config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)
shell.run_line_magic("load_ext", "ygpt_magic")
shell.run_line_magic("ygpt", f"connect {address} --insecure")
shell.run_line_magic("ygpt", f"cache {path}")
"""

#: one kernel for two stories that need a process to die or to hit its file-size limit: it records
#: 20 replies into argv[1] and copies that file alone to argv[3] before it dies (os._exit: no
#: unload, no close, what a killed kernel leaves behind; its WAL is not copied, as a repository
#: holds the file alone), then caches in argv[4] and from there has a full disk (RLIMIT_FSIZE)
KILLED_WITH_A_FULL_DISK = KERNEL + r"""
import resource, shutil, signal
for index in range(20):
    with capture_output():
        shell.run_cell(f"%%ygpt --once\nQuestion {index}, recorded by a kernel that dies.", store_history=True)
shutil.copy(path, sys.argv[3])
shell.run_line_magic("ygpt", f"cache {sys.argv[4]}")
full = sys.argv[4]
shell.run_line_magic("ygpt", "cache")  # the file exists, with its schema
# From here no file may grow: a write that needs more room fails, as on a full disk.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
biggest = max(os.path.getsize(p) for p in (full, full + "-wal") if os.path.exists(p))
resource.setrlimit(resource.RLIMIT_FSIZE, (biggest, resource.RLIM_INFINITY))
with capture_output() as captured:
    result = shell.run_cell("%%ygpt\nTell me a long story about a lighthouse.", store_history=True)
magics = shell.magics_manager.registry["YGptMagics"]
print(json.dumps({"ok": result.success, "stderr": captured.stderr, "shown": captured.outputs[-1].data,
                  "turns": len(magics.kernel.session.chats["default"].turns)}), flush=True)
os._exit(0)
"""


@pytest.fixture(scope="module")
def killed(_ygpt_server_session, tmp_path_factory):
    """What the kernel of ``KILLED_WITH_A_FULL_DISK`` left: the file it recorded, alone, and what
    its full-disk cell showed, with the lighthouse requests the server received."""
    server, folder = _ygpt_server_session, tmp_path_factory.mktemp("killed")
    (folder / "recorded").mkdir()
    (folder / "committed").mkdir()
    (folder / "full").mkdir()
    server.reset()
    done = subprocess.run([sys.executable, "-c", KILLED_WITH_A_FULL_DISK, str(folder / "recorded" / "replies.sqlite"),
                           server.address, str(folder / "committed" / "replies.sqlite"),
                           str(folder / "full" / "replies.sqlite")],
                          capture_output=True, text=True, timeout=120, env=_kernel_env())
    assert done.returncode == 0, done.stderr[-2000:]
    full_disk = json.loads(done.stdout.strip().splitlines()[-1])
    full_disk["sent"] = [r for r in completions(server) if "lighthouse" in json.dumps(r.messages)]
    return folder / "committed" / "replies.sqlite", full_disk


def _kernel_env() -> dict[str, str]:
    """The test's environment, with the test key and folder and no machine credentials."""
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_ENV}
    env.update(YC_API_KEY=TEST_KEY, YC_FOLDER_ID=TEST_FOLDER, GRPC_VERBOSITY="NONE")
    return env


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.slow
def test_a_full_disk_during_the_write_still_shows_and_keeps_the_reply(killed):
    """A kernel of its own (``killed``): the file-size limit holds for the whole process."""
    _, result = killed
    assert result["ok"] and result["turns"] == 1
    assert "lighthouse" in result["shown"]["text/html"].lower()
    lines = [line for line in result["stderr"].splitlines() if line.strip()]
    assert len(lines) == 1 and "the disk is full" in lines[0] and "not cached" in lines[0], lines
    assert len(result["sent"]) == 1


WRITER = KERNEL + r"""
name, cells = sys.argv[3], int(sys.argv[4])
replies = {}
print("READY", flush=True)
for index in range(cells):
    prompt = f"Question {index} from kernel {name}: what is {index} squared?"
    with capture_output() as captured:
        shell.run_cell(f"%%ygpt --once\n{prompt}", store_history=True).raise_error()
    assert "ygpt cache" not in captured.stderr, captured.stderr
    replies[prompt] = shell.user_ns["_ygpt"].text
print(json.dumps(replies))
"""


@pytest.mark.slow
def test_two_kernels_writing_one_cache_at_once_lose_and_tear_nothing(shell, ygpt_server, tmp_path):
    """Kernel A is a process of its own (its own SQLite connection and locks); kernel B is the
    test's shell, writing while A writes."""
    path, cells = tmp_path / "shared.sqlite", 200
    kernel = subprocess.Popen([sys.executable, "-c", WRITER, str(path), ygpt_server.address, "A", str(cells)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "GRPC_VERBOSITY": "NONE"})
    assert kernel.stdout is not None and "READY\n" in iter(kernel.stdout.readline, "")   # A writes from now
    shell.run_line_magic("ygpt", f"cache {path}")
    replies = {}
    for index in range(cells):
        prompt = f"Question {index} from kernel B: what is {index} squared?"
        written = cell(shell, f"%%ygpt --once\n{prompt}")
        assert written.ok and "ygpt cache" not in written.stderr, written.shown
        replies[prompt] = shell.user_ns["_ygpt"].text
    out, err = kernel.communicate(timeout=300)
    assert kernel.returncode == 0, err[-2000:]
    assert "ygpt cache" not in err
    replies.update(json.loads(out.strip().splitlines()[-1]))
    assert len(replies) == 2 * cells
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM entries").fetchone() == (2 * cells,)
    db.close()
    # every entry replays exactly what its kernel showed, and nothing is sent
    shell.run_line_magic("ygpt", f"cache {path} --mode replay")
    ygpt_server.reset()
    for prompt, text in replies.items():
        replayed = cell(shell, f"%%ygpt --once\n{prompt}")
        assert replayed.ok, replayed.message
        assert shell.user_ns["_ygpt"].cached and shell.user_ns["_ygpt"].text == text
    assert ygpt_server.requests == []


@pytest.fixture
def committed(killed, tmp_path):
    """The cache file alone, as a repository holds it (no -wal, no -shm), recorded by a kernel
    that was killed; a copy of this test's own."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy(killed[0], checkout)
    return checkout / "replies.sqlite"


@pytest.mark.slow
def test_the_file_alone_holds_every_entry_even_from_a_killed_kernel(shell, ygpt_server, committed):
    ygpt_server.reset()
    shell.run_line_magic("ygpt", f"cache {committed} --mode replay")
    for index in range(20):
        replayed = cell(shell, f"%%ygpt --once\nQuestion {index}, recorded by a kernel that dies.")
        assert replayed.ok and shell.user_ns["_ygpt"].cached, replayed.message
    assert ygpt_server.requests == []


@pytest.mark.slow
def test_a_read_only_cache_still_replays_and_a_miss_says_it_was_not_recorded(shell, ygpt_server, committed):
    with read_only_checkout(committed.parent) as checkout:
        try:
            ygpt_server.reset()
            shell.run_line_magic("ygpt", f"cache {checkout / committed.name}")
            hit = cell(shell, "%%ygpt --once\nQuestion 3, recorded by a kernel that dies.")
            assert hit.ok and shell.user_ns["_ygpt"].cached and hit.stderr == ""
            miss = cell(shell, "%%ygpt --once\nA new question.")
            assert miss.ok and "A new question" in miss.final
            assert "read-only" in miss.stderr and "not cached" in miss.stderr
            assert len(completions(ygpt_server)) == 1
        finally:
            shell.magics_manager.registry["YGptMagics"].kernel.cache.close()


def test_clearing_an_unusable_cache_says_what_was_not_cleared_as_any_error_is_said(shell, tmp_path):
    """It said 'In replay mode nothing is sent without it' in auto mode, printed on stdout as
    'CacheUnusable: …' (the replay-mode failure that stops a CI run)."""
    missing = in_a_missing_folder(tmp_path / "replies.sqlite")
    shell.run_line_magic("ygpt", f"cache {missing}")
    cleared = cell(shell, "%ygpt cache clear")
    assert_clear_error(cleared, "%ygpt cache clear: nothing to clear", "there is no reply cache",
                       f"there is no folder {str(tmp_path / 'no')!r}", error_type=CacheNotCleared)
    assert "replay mode" not in cleared.message and "CacheUnusable" not in cleared.stdout, cleared.shown
    assert not missing.parent.exists()
    notes = not_sqlite(tmp_path / "notes.txt")
    shell.run_line_magic("ygpt", f"cache {notes} --mode replay")
    cleared = cell(shell, "%ygpt cache clear")
    assert_clear_error(cleared, "nothing was cleared", "not a reply cache", "left as it is",
                       error_type=CacheNotCleared)
    assert "nothing is sent" not in cleared.message and "CacheUnusable" not in cleared.stdout, cleared.shown


def test_clearing_a_read_only_cache_says_nothing_was_cleared_and_it_still_replays(shell, tmp_path):
    folder = tmp_path / "checkout"
    folder.mkdir()
    recorded_cache(folder / "replies.sqlite")
    with read_only_checkout(folder) as checkout:
        try:
            shell.run_line_magic("ygpt", f"cache {checkout / 'replies.sqlite'}")
            cleared = cell(shell, "%ygpt cache clear")
            assert_clear_error(cleared, "nothing was cleared from the reply cache", "read-only",
                               error_type=CacheNotCleared)
            assert "replay mode" not in cleared.message and "CacheUnusable" not in cleared.stdout, cleared.shown
            assert "1 entry" in cell(shell, "%ygpt cache").plain
        finally:
            shell.magics_manager.registry["YGptMagics"].kernel.cache.close()


def test_replay_mode_with_a_missing_file_says_so_and_creates_none(shell, ygpt_server, tmp_path):
    path = tmp_path / "not-there.sqlite"
    shell.run_line_magic("ygpt", f"cache {path} --mode replay")
    assert_clear_error(cell(shell, PROMPT), "cannot be used", "there is no such file", error_type=CacheUnusable)
    assert not path.exists() and ygpt_server.requests == []


#: another kernel in the middle of a long write: holds the cache's write lock until told to stop


def test_a_cache_that_a_full_disk_could_not_create_leaves_no_empty_file_behind(shell, ygpt_server, tmp_path):
    """An empty replies.sqlite left behind would be committed, and in CI refused as not a
    cache; the disk holds only what it held (errors3.md, minor)."""
    with small_disk(tmp_path / "disk", "64k") as disk:
        fill(disk / "ballast")
        shell.run_line_magic("ygpt", f"cache {disk / 'replies.sqlite'}")
        answered = cell(shell, PROMPT)
        assert answered.ok and "the disk is full" in answered.stderr, answered.shown
        assert sorted(p.name for p in disk.iterdir()) == ["ballast"]
