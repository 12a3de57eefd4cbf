"""`%ygpt save` and `%ygpt export` where the path is not a plain new file: missing folders made,
a folder or a file in the way refused, a symlink written through, a device or a FIFO left alone,
a full disk leaving the earlier file whole. Moved from test_commands.py (over 400 lines)."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat

import pytest
from conftest import cell
from test_commands import TRANSLATE

from ygpt_magic.errors import ChatFileError


def test_save_and_export_create_missing_folders(shell, magics, tmp_path):
    cell(shell, TRANSLATE)
    saved, exported = tmp_path / "build" / "chats" / "chat.json", tmp_path / "docs" / "chat.md"
    assert f"Saved 1 chat to {saved}." in cell(shell, f"%ygpt save {saved}").plain
    assert f"to {exported}." in cell(shell, f"%ygpt export {exported}").plain
    assert json.loads(saved.read_text())["version"] == 1
    assert "Être ou ne pas être" in exported.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["save", "export"])
def test_save_and_export_refuse_a_folder_or_a_file_in_the_way(shell, tmp_path, command):
    cell(shell, TRANSLATE)
    (tmp_path / "notes.txt").write_text("not a folder")
    for target, problem in ((tmp_path, "is a folder, not a regular file"),
                            (tmp_path / "notes.txt" / "chat.json", "is a file, not a folder")):
        result = cell(shell, f"%ygpt {command} {target}")
        assert isinstance(result.typed_error, ChatFileError), result.shown
        assert problem in result.message and "chats are unchanged" in result.message
    assert (tmp_path / "notes.txt").read_text() == "not a folder"


@pytest.mark.parametrize("command", ["save", "export"])
def test_save_and_export_write_through_a_symlink_to_its_target(shell, tmp_path, command):
    cell(shell, TRANSLATE)
    (tmp_path / "shared").mkdir()
    real, link = tmp_path / "shared" / "chat.txt", tmp_path / "chat.txt"
    real.write_text("the old chat")
    real.chmod(0o640)
    link.symlink_to(real)
    assert cell(shell, f"%ygpt {command} {link}").ok
    assert link.is_symlink() and "Être ou ne pas être" in real.read_text(encoding="utf-8")
    assert real.stat().st_mode & 0o777 == 0o640, "the file keeps its permissions"
    assert sorted(p.name for p in (tmp_path / "shared").iterdir()) == ["chat.txt"], "no temporary left"


@pytest.mark.parametrize("command", ["save", "export"])
@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_save_and_export_refuse_a_device_or_a_fifo_and_leave_it_as_it_was(shell, tmp_path, command, kind):
    cell(shell, TRANSLATE)
    target = tmp_path / "chat.txt"
    if kind == "device":
        target.symlink_to("/dev/null")   # a link, so that even as root the old code harms nothing
    else:
        os.mkfifo(target)
    result = cell(shell, f"%ygpt {command} {target}")
    assert isinstance(result.typed_error, ChatFileError), result.shown
    words = "a device" if kind == "device" else "a named pipe (FIFO)"
    assert f"is {words}, not a regular file" in result.message and "chats are unchanged" in result.message
    assert stat.S_ISCHR(os.stat(target).st_mode) if kind == "device" else stat.S_ISFIFO(os.lstat(target).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["chat.txt"]


def test_an_export_that_fails_half_way_leaves_the_earlier_export_whole(shell, tmp_path):
    """A full disk, as a user meets it: the kernel's own file-size limit stops the write."""
    cell(shell, TRANSLATE)
    path = tmp_path / "chat.md"
    assert cell(shell, f"%ygpt export {path}").ok
    good = path.read_bytes()
    cell(shell, "%%ygpt\n" + "A long question. " * 500)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(good) + 100, hard))
    try:
        result = cell(shell, f"%ygpt export {path}")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    assert isinstance(result.typed_error, ChatFileError) and "File too large" in result.message
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["chat.md"], "no temporary left"
