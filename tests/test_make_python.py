"""`make demo` on a machine whose python3 is too old (Debian 11: 3.9), as the Makefile runs it
(findings firsthour.md 3): pip refused to install into the .venv it made, and the retry the error
suggests, `make demo PYTHON=python3.11`, reused that .venv and failed the same way. Fake
interpreters (a script printing a version) stand in for the old and the new Python."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")


def _python(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def _make(clone: Path, *args: str) -> subprocess.CompletedProcess:
    (clone / "pyproject.toml").touch()
    return subprocess.run(["make", "-f", str(MAKEFILE), *args], cwd=clone, capture_output=True, text=True,
                          timeout=60)


def test_too_old_a_python_is_said_before_a_venv_is_made(tmp_path):
    old = _python(tmp_path / "bin" / "python3", "3.9.18")
    done = _make(tmp_path, "demo", f"PYTHON={old}")
    assert done.returncode != 0
    said = done.stderr.splitlines()[0]
    assert said.startswith(f"ygpt_magic needs Python 3.10 or newer, and {old} ({old}) is 3.9.18: run make demo "
                           "PYTHON="), said
    assert not (tmp_path / ".venv").exists()


def test_a_venv_made_by_too_old_a_python_is_said_with_make_clean(tmp_path):
    _python(tmp_path / ".venv" / "bin" / "python", "3.9.18")
    new = _python(tmp_path / "bin" / "python3.11", "3.11.7")
    done = _make(tmp_path, "demo", f"PYTHON={new}")
    assert done.returncode != 0
    said = done.stderr.splitlines()[0]
    assert said.startswith(".venv was made by Python 3.9.18, and ygpt_magic needs 3.10 or newer: run make clean, "
                           "then make demo PYTHON="), said


def test_a_venv_made_by_another_python_than_the_one_given_is_said(tmp_path):
    _python(tmp_path / ".venv" / "bin" / "python", "3.11.7")
    other = _python(tmp_path / "bin" / "python3.12", "3.12.1")
    done = _make(tmp_path, "demo", f"PYTHON={other}")
    assert done.returncode != 0
    assert done.stderr.splitlines()[0] == (f".venv was made by Python 3.11.7, not by PYTHON={other} (3.12.1): run "
                                           "make clean to remake it with that one, or leave out PYTHON= to use it "
                                           "as it is.")


def test_a_python_the_shell_exports_does_not_refuse_a_good_venv(tmp_path):
    """PYTHON exported by the shell (a profile's, a CI's) is no choice made for this make: the
    .venv made by another Python is used as it is, not refused on every make (review17 10)."""
    _python(tmp_path / ".venv" / "bin" / "python", "3.11.7")
    other = _python(tmp_path / "bin" / "python3.12", "3.12.1")
    _make(tmp_path)
    (tmp_path / ".venv" / ".demo-stamp").touch()
    (tmp_path / ".venv" / "bin" / "ygpt-magic").write_text("#!/bin/sh\necho the demo ran\n")
    (tmp_path / ".venv" / "bin" / "ygpt-magic").chmod(0o755)
    done = subprocess.run(["make", "-f", str(MAKEFILE), "demo"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHON": str(other)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "the demo ran"


def test_a_good_venv_is_used_whatever_python3_is(tmp_path):
    """python3 too old, .venv made earlier with PYTHON=python3.11: make demo goes on."""
    _python(tmp_path / ".venv" / "bin" / "python", "3.11.7")
    (tmp_path / ".venv" / "bin" / "ygpt-magic").write_text("#!/bin/sh\necho the demo ran\n")
    (tmp_path / ".venv" / "bin" / "ygpt-magic").chmod(0o755)
    old = _python(tmp_path / "old" / "python3", "3.9.18")
    _make(tmp_path)   # pyproject.toml, before the stamp
    (tmp_path / ".venv" / ".demo-stamp").touch()
    done = subprocess.run(["make", "-f", str(MAKEFILE), "demo"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={"PATH": f"{old.parent}:/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "the demo ran"
