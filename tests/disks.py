"""Disks that fail the way users' do, for the tests of every file the extension writes (the
reply cache, the sources index): a read-only checkout (CI's) and a small disk that fills up."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def read_only_checkout(folder: Path) -> Iterator[Path]:
    """``folder`` as a read-only checkout (CI's): its modes made read-only, or for root (whom
    modes do not stop) a read-only bind mount of it; the test is skipped where neither works."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in (folder, *folder.iterdir())}
        for path in modes:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield folder
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    view = folder.with_name(folder.name + "-checkout")
    view.mkdir()
    if subprocess.run(["mount", "--bind", str(folder), str(view)], capture_output=True).returncode:
        pytest.skip("cannot make a read-only checkout here (root without mount)")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], check=True, capture_output=True)
        yield view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=True)  # lazy: a connection left open is no matter


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """``folder``: a disk of ``size`` (a tmpfs, e.g. "128k") that fills up; skipped where this
    process cannot mount one (not root)."""
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a small disk here (not root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(path: Path) -> None:
    """Write ``path`` until its disk has no room left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    with contextlib.suppress(OSError):
        while True:
            os.write(fd, b"x" * 4096)
    os.close(fd)
