"""The scratch copy `ygpt-magic demo`'s kernels work in (scratch_copy.py): what a notebook reads
is there, cheaply, and nothing written in it reaches the user's folder (findings headless7 3;
the demo's own story is in test_demo_folders.py)."""

from __future__ import annotations

from pathlib import Path

from ygpt_magic.scratch_copy import scratch_copy


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_small_files_are_copied_big_ones_linked_hidden_folders_left_out_neighbours_reachable(tmp_path):
    notebooks, data = tmp_path / "project" / "notebooks", tmp_path / "project" / "data"
    (notebooks / "tables").mkdir(parents=True)
    (notebooks / ".ipynb_checkpoints").mkdir()
    data.mkdir()
    (notebooks / "chats.json").write_text('{"research": "theirs"}')
    (notebooks / "tables" / "north.csv").write_text("region,sales\nnorth,12\n")
    (notebooks / "big.parquet").write_bytes(b"x" * 200)
    (notebooks / ".ipynb_checkpoints" / "old.json").write_text("old")
    (data / "x.csv").write_text("a,b\n")
    (notebooks / "shared").symlink_to("../data")   # a link of theirs, out of the folder
    before = _files(tmp_path)

    with scratch_copy(notebooks, copied_up_to=100) as working:
        assert working.name == "notebooks" and working != notebooks
        assert (working / "tables" / "north.csv").read_text() == "region,sales\nnorth,12\n"
        assert not (working / "chats.json").is_symlink()
        assert (working / "big.parquet").is_symlink() and (working / "big.parquet").read_bytes() == b"x" * 200
        assert not (working / ".ipynb_checkpoints").exists()
        assert (working / ".." / "data" / "x.csv").read_text() == "a,b\n"   # a project's data/ beside it
        assert (working / "shared" / "x.csv").read_text() == "a,b\n"
        (working / "chats.json").write_text('{"demo": "local"}')   # what %ygpt save does there
        (working / "results.csv").write_text("new")
    assert not working.parent.exists()   # dropped after the run, links and all
    assert _files(tmp_path) == before    # the user's files, byte for byte, and nothing new


def test_a_copy_that_cannot_be_made_says_so_and_runs_nothing(tmp_path, monkeypatch, capsys):
    """The scratch area unusable (here a file where its folder should be; a full disk alike):
    one paragraph naming what failed and what to do, exit code 2, no traceback, the folder as it
    was and nothing executed."""
    import tempfile

    from ygpt_magic import demo

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "a.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    (tmp_path / "scratch").write_text("not a folder")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    before = _files(tmp_path)

    assert demo.run(notebooks, tmp_path / "out") == 2
    said = capsys.readouterr().err
    assert said.startswith(f"Could not copy '{notebooks}' for the demo's kernels to work in (")
    assert "nothing was run" in said and "free space in" in said and "Traceback" not in said, said
    assert _files(tmp_path) == before and not (tmp_path / "out").exists()


def test_a_full_scratch_disk_runs_nothing_rather_than_link_the_users_files(tmp_path, monkeypatch, capsys):
    """A copy that fails for the scratch area (no space left) must not fall back to a link: a
    notebook's `%ygpt save chats.json` would then write through it into the user's file."""
    import errno
    import shutil

    from ygpt_magic import demo

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "a.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    (notebooks / "chats.json").write_text('{"research": "theirs"}')

    def no_space(source, target, **_):
        raise OSError(errno.ENOSPC, "No space left on device", target)

    monkeypatch.setattr(shutil, "copy2", no_space)
    assert demo.run(notebooks, tmp_path / "out") == 2
    said = capsys.readouterr().err
    assert "No space left on device" in said and "nothing was run" in said, said


def test_a_socket_or_an_unreadable_file_is_linked_and_a_cache_out_of_the_folder_is_kept_absolute(tmp_path):
    """The copy decides by the source: anything but a regular file it may read is linked (a
    socket a tool left in the folder stopped the demo); a relative YGPT_CACHE that leads out of
    the folder (`../replies.sqlite`, a project's root) is made absolute rather than linked in the
    copy (it stopped the demo with "File exists", and `../../x.sqlite` deleted /tmp's x.sqlite)."""
    import socket

    from ygpt_magic.demo import _cache_files

    notebooks = tmp_path / "project" / "notebooks"
    notebooks.mkdir(parents=True)
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(notebooks / "kernel.sock"))
    try:
        with scratch_copy(notebooks) as working:
            assert (working / "kernel.sock").is_symlink()
    finally:
        listening.close()

    environ = {"YGPT_CACHE": "../replies.sqlite"}
    assert _cache_files(environ, notebooks) == []
    assert environ["YGPT_CACHE"] == str(tmp_path / "project" / "replies.sqlite")
    inside = {"YGPT_CACHE": "cache/replies.sqlite"}
    assert _cache_files(inside, notebooks) == ["cache/replies.sqlite", "cache/replies.sources.sqlite"]
    assert inside["YGPT_CACHE"] == "cache/replies.sqlite"   # as named: the notebooks show it so
