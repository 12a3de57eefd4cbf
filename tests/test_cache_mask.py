"""A reply cache written before replies were masked as the kernel takes them in may hold the
user's key, echoed by a server in a reply's text or model version, or a token shaped like a
Yandex key. Replay masks the kernel's own credentials as it shows them, but the file (committed
beside the notebooks) keeps them: `%ygpt cache` says how many entries hold one, never the secret,
and `%ygpt cache --mask` masks them in the file, which then holds no byte of them. A key-shaped
token that is not the kernel's is counted apart and kept: a replay shows it as recorded. The
entries are written by hand (sqlite3), as an older version left them."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from conftest import TEST_KEY, cell, completions

from ygpt_magic.cache import store

#: a token of the API key's published shape, which the kernel does not know
SHAPED = "AQVN" + "c4NaRy7q" * 4 + "Lk2W"
#: how the output and the file may show the kernel's own key once masked (whoami's form)
MASKED = f"{TEST_KEY[:4]}…{TEST_KEY[-4:]}"


def _leak_into_the_file(path: Path) -> None:
    """What an older version recorded: the reply's text echoing the kernel's key, its model
    version a key-shaped token, and the vector entry's model version the same token."""
    with sqlite3.connect(path) as db:
        for key, text in db.execute("SELECT key, value FROM entries").fetchall():
            value = json.loads(text)
            if "text" in value:
                value["text"] = f"The gateway saw Api-Key {TEST_KEY} and answered: {value['text']}"
            value["model_version"] = f"debug {SHAPED}"
            db.execute("UPDATE entries SET value = ? WHERE key = ?", (json.dumps(value), key))
    assert TEST_KEY.encode() in _bytes(path) and SHAPED.encode() in _bytes(path)


def _bytes(path: Path) -> bytes:
    """The cache file and its log, as git and a colleague would get them."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def _leaked_in_the_file_itself(shell, tmp_path: Path, monkeypatch) -> Path:
    """A cache set in the shell whose reply an older version recorded with the key, written into
    the file itself (not only its log); SQLite's bounded wait made short for the test."""
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 300)
    path = tmp_path / "replies.sqlite"
    shell.run_line_magic("ygpt", f"cache {path}")
    assert cell(shell, "%%ygpt\nSay hello", cell_id="hello").ok
    _leak_into_the_file(path)
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def test_cache_counts_entries_holding_a_credential_and_mask_removes_them_from_the_file(shell, ygpt_server,
                                                                                      tmp_path):
    path = tmp_path / "replies.sqlite"
    shell.run_line_magic("ygpt", f"cache {path}")
    shell.user_ns["docs"] = ["a cat sleeps"]
    assert cell(shell, "%%ygpt\nSay hello", cell_id="hello").ok
    assert cell(shell, "%ygpt embed docs").ok
    _leak_into_the_file(path)

    status = cell(shell, "%ygpt cache")
    assert "an entry holds one of this kernel's credentials" in status.plain, status.plain
    assert "2 entries hold text shaped like a key that is not this kernel's" in status.plain, status.plain
    assert "%ygpt cache --mask" in status.plain
    assert TEST_KEY not in status.shown + status.plain and SHAPED not in status.shown + status.plain

    done = cell(shell, "%ygpt cache --mask")
    assert done.ok, done.message
    assert "1 entry that held one of this kernel's credentials" in done.plain, done.plain
    assert "2 entries hold text shaped like a key that is not this kernel's" in done.plain, done.plain
    assert TEST_KEY not in done.shown + done.plain and SHAPED not in done.shown + done.plain
    on_disk = _bytes(path)
    assert TEST_KEY.encode() not in on_disk
    assert MASKED.encode() in on_disk   # the reply is kept, its key masked as whoami shows it
    assert SHAPED.encode() in on_disk   # not this kernel's: kept as recorded, as replays show it

    sent = len(completions(ygpt_server))
    again = cell(shell, "%%ygpt\nSay hello", cell_id="hello")   # a re-run, replayed: the entry was masked, not dropped
    assert again.ok and len(completions(ygpt_server)) == sent
    assert f"The gateway saw Api-Key {MASKED}" in again.plain, again.plain
    status = cell(shell, "%ygpt cache").plain
    assert "credentials" not in status and "2 entries hold text shaped like a key" in status, status


def test_mask_leaves_a_key_shaped_token_that_is_not_the_kernels_as_its_replay_shows_it(shell, ygpt_server, tmp_path):
    path = tmp_path / "replies.sqlite"
    shell.run_line_magic("ygpt", f"cache {path}")
    assert cell(shell, "%%ygpt\nSay hello", cell_id="hello").ok
    with sqlite3.connect(path) as db:
        for key, text in db.execute("SELECT key, value FROM entries").fetchall():
            db.execute("UPDATE entries SET value = ? WHERE key = ?",
                       (json.dumps({**json.loads(text), "text": f"Example key: {SHAPED} ok"}), key))
    before = cell(shell, "%%ygpt\nSay hello", cell_id="hello")
    assert f"Example key: {SHAPED} ok" in before.plain, before.plain   # as the model wrote it

    assert cell(shell, "%ygpt cache --mask").ok
    after = cell(shell, "%%ygpt\nSay hello", cell_id="hello")
    assert after.plain == before.plain   # nbval's stored output still matches the replay


def test_mask_goes_alone_with_a_cache_set(shell, ygpt_server):
    refused = cell(shell, "%ygpt cache --mask")
    assert not refused.ok and "%ygpt cache replies.sqlite, then %ygpt cache --mask" in refused.message


def test_mask_with_clear_or_merge_is_refused_and_nothing_is_done(shell, ygpt_server, tmp_path):
    path = tmp_path / "replies.sqlite"
    shell.run_line_magic("ygpt", f"cache {path}")
    assert cell(shell, "%%ygpt\nSay hello", cell_id="hello").ok
    for line in ("cache clear --mask", "cache clear --older-than 7d --mask", f"cache merge {path} --mask",
                 "cache auto --mask"):
        refused = cell(shell, f"%ygpt {line}")
        assert not refused.ok, line
        assert "%ygpt cache --mask goes alone" in refused.message, refused.message
    assert "1 entry" in cell(shell, "%ygpt cache").plain   # not cleared


def test_mask_leaves_the_kernels_later_writes_as_they_were(shell, magics, ygpt_server, tmp_path):
    """secure_delete zeroes what the rewrite frees; left on, every later write and clear of this
    kernel would zero what it frees too. It is put back as the SQLite build has it: on here
    (Debian's builds turn it on), so the store's connection is set as a build that has it off."""
    path = tmp_path / "replies.sqlite"
    shell.run_line_magic("ygpt", f"cache {path}")
    assert cell(shell, "%%ygpt\nSay hello", cell_id="hello").ok
    _leak_into_the_file(path)
    store = magics.kernel.cache.store()
    store._db.execute("PRAGMA secure_delete = OFF")
    assert cell(shell, "%ygpt cache --mask").ok
    assert store._db.execute("PRAGMA secure_delete").fetchone()[0] == 0


def test_mask_refuses_while_another_reader_keeps_the_key_in_the_file_and_a_run_again_finishes(
        shell, ygpt_server, tmp_path, monkeypatch):
    """Masked pages go to the log first; SQLite copies them over the old ones in replies.sqlite
    (the file that is committed) only once no reader needs those: another kernel or program
    holding a read of the cache for the whole wait keeps the key in the file."""
    path = _leaked_in_the_file_itself(shell, tmp_path, monkeypatch)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM entries").fetchone()   # another kernel reading it now

    refused = cell(shell, "%ygpt cache --mask")
    assert not refused.ok, refused.plain
    assert "still holds" in refused.message and "Do not commit" in refused.message, refused.message
    assert "run %ygpt cache --mask again" in refused.message, refused.message
    assert TEST_KEY not in refused.message + refused.shown
    assert TEST_KEY.encode() in path.read_bytes()   # what the refusal is about
    for again in ("", f"%ygpt cache {tmp_path / 'other.sqlite'}\n%ygpt cache {path}"):  # reopened: a restart
        assert cell(shell, again or "pass").ok
        unfinished = cell(shell, "%ygpt cache").plain   # the entries are masked: none counted, yet not done
        assert "but the file itself still does" in unfinished, unfinished
        assert "run %ygpt cache --mask again" in unfinished, unfinished

    reader.execute("COMMIT")
    reader.close()
    done = cell(shell, "%ygpt cache --mask")   # nothing left to mask: it folds what the first one wrote
    assert done.ok, done.message
    assert TEST_KEY.encode() not in _bytes(path) and MASKED.encode() in path.read_bytes()
    assert "credentials" not in cell(shell, "%ygpt cache").plain   # done: no row says otherwise


def test_mask_whose_rebuild_fails_says_the_entries_are_masked_and_the_file_is_not_done(
        shell, ygpt_server, tmp_path, monkeypatch):
    """The entries are masked in one transaction, then the file is rebuilt (VACUUM): another
    kernel recording a reply for the whole wait in between makes the rebuild fail. The entries
    no longer hold the key, the file does: --mask must not say nothing was masked, and the
    status must not say all is well."""
    path = _leaked_in_the_file_itself(shell, tmp_path, monkeypatch)
    rebuilt, writer = store.Store._rebuilt, sqlite3.connect(path, isolation_level=None)

    def another_kernel_writing_meanwhile(self):
        writer.execute("BEGIN IMMEDIATE")
        try:
            return rebuilt(self)
        finally:
            writer.execute("COMMIT")

    monkeypatch.setattr(store.Store, "_rebuilt", another_kernel_writing_meanwhile)
    failed = cell(shell, "%ygpt cache --mask")
    assert not failed.ok and "the entries are masked" in failed.message, failed.message
    assert "could not rebuild the file" in failed.message and "run %ygpt cache --mask again" in failed.message
    assert TEST_KEY.encode() in path.read_bytes()   # what the message is about
    monkeypatch.setattr(store.Store, "_rebuilt", rebuilt)
    assert "but the file itself still does" in cell(shell, "%ygpt cache").plain
    assert cell(shell, "%ygpt cache --mask").ok
    writer.close()
    assert TEST_KEY.encode() not in _bytes(path)
