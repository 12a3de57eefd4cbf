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
from cellrun import assert_clear_error
from conftest import cell
from disks import fill, read_only_checkout, small_disk
from test_commands import TRANSLATE

from ygpt_magic.errors import ChatFileError, FileNotWritten

#: a file an earlier save left, which a save may replace (one that is not a chat file it refuses)
EARLIER = json.dumps({"version": 1, "current": "default",
                      "chats": [{"name": "default", "system": None, "options": {}, "turns": []}]})


def test_save_and_export_create_missing_folders(shell, magics, tmp_path):
    cell(shell, TRANSLATE)
    saved, exported = tmp_path / "build" / "chats" / "chat.json", tmp_path / "docs" / "chat.md"
    assert f"Saved 1 chat to {saved}." in cell(shell, f"%ygpt save {saved}").plain
    assert f"to {exported}." in cell(shell, f"%ygpt export {exported}").plain
    assert json.loads(saved.read_text())["version"] == 3  # its --system turn holds system_set
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
    real.write_text(EARLIER)
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


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder of the user's with a chat file already in it, as a read-only checkout."""
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "chats.json").write_text(EARLIER)
    with read_only_checkout(folder) as view:
        yield view


@pytest.mark.parametrize("command", ["save", "export"])
def test_a_save_or_export_to_a_read_only_folder_says_it_could_not_write_there(shell, read_only_folder, command):
    cell(shell, TRANSLATE)
    target = read_only_folder / "chats.json"
    result = cell(shell, f"%ygpt {command} {target}")
    message = assert_clear_error(result, f"Could not write '{target}'", "Nothing was written",
                                 "your current chats are unchanged",
                                 "write it to a folder you can write to", error_type=FileNotWritten)
    assert ("the folder is read-only (Read-only file system)" in message
            or "no permission to write in that folder (Permission denied)" in message)
    assert "use a file written by %ygpt save" not in message and "Could not use" not in message
    assert target.read_text() == EARLIER
    assert sorted(p.name for p in read_only_folder.iterdir()) == ["chats.json"], "no temporary left"


@pytest.mark.parametrize("command", ["save", "export"])
@pytest.mark.parametrize("under", ["notes.txt", "notes.txt/sub"])
def test_a_save_or_export_under_a_file_says_it_could_not_write_there(shell, tmp_path, command, under):
    cell(shell, TRANSLATE)
    (tmp_path / "notes.txt").write_text("not a folder")
    target = tmp_path / under / "chats.json"
    result = cell(shell, f"%ygpt {command} {target}")
    message = assert_clear_error(result, f"Could not write '{target}'", f"{tmp_path / 'notes.txt'} is a file, "
                                 "not a folder", "Nothing was written", "write it to a folder you can write to",
                                 error_type=FileNotWritten)
    assert "use a file written by %ygpt save" not in message and "Could not use" not in message
    assert (tmp_path / "notes.txt").read_text() == "not a folder"


@pytest.mark.parametrize("command", ["save", "export"])
def test_a_save_or_export_to_a_folder_that_cannot_be_made_says_it_could_not_write_there(
        shell, read_only_folder, command):
    cell(shell, TRANSLATE)
    target = read_only_folder / "build" / "chats.json"
    result = cell(shell, f"%ygpt {command} {target}")
    message = assert_clear_error(result, f"Could not write '{target}'", f"cannot create the folder "
                                 f"{target.parent}", "Nothing was written", "write it to a folder you can write to",
                                 error_type=FileNotWritten)
    assert "use a file written by %ygpt save" not in message and "Could not use" not in message
    assert sorted(p.name for p in read_only_folder.iterdir()) == ["chats.json"]


@pytest.mark.parametrize("command", ["save", "export"])
def test_a_save_or_export_to_a_full_disk_says_the_disk_is_full(shell, tmp_path, command):
    cell(shell, TRANSLATE)
    with small_disk(tmp_path / "disk", "64k") as disk:
        fill(disk / "ballast")
        result = cell(shell, f"%ygpt {command} {disk / 'chats.json'}")
        assert_clear_error(result, "the disk is full (No space left on device)", "Nothing was written",
                           "free some space on that disk, or write it to another one",
                           error_type=FileNotWritten)
        assert sorted(p.name for p in disk.iterdir()) == ["ballast"], "no temporary left"
