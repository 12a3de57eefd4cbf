"""Two notebooks that share one reply cache, each setting it in its setup cell
(`%ygpt cache replies.sqlite`), as docs/guide/reproducible.md's CI recipe has them: Anna records
and stores hers, then Boris records and stores his into the same file, then CI runs both under
nbval in replay mode. Anna's stored setup cell must still match: it said `contents  0 entries,
…` before, and CI's run said `1 entry`, so a colleague's recording failed every other notebook.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def _notebook(folder: Path, name: str, question: str) -> str:
    cells = [nbformat.v4.new_code_cell("%load_ext ygpt_magic\n%ygpt cache replies.sqlite"),
             nbformat.v4.new_code_cell(f"%%ygpt --once\n{question}")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / name)
    return name


def _env(**more: str) -> dict[str, str]:
    """No credential or setting from the machine; the in-kernel local server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_"))}
    env.update(YGPT_ENDPOINT="local", GRPC_VERBOSITY="NONE", **more)
    return env


def _record_and_store(folder: Path, name: str) -> None:
    """The recipe's steps 1 and 2 for one notebook: record, then store the replayed outputs."""
    for mode in ("auto", "replay"):
        done = subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                               "--inplace", name], cwd=folder, env=_env(YGPT_CACHE_MODE=mode),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]


def test_a_colleagues_recording_does_not_fail_my_stored_setup_cell(tmp_path):
    anna = _notebook(tmp_path, "anna.ipynb", "Say hello to Anna")
    _record_and_store(tmp_path, anna)
    boris = _notebook(tmp_path, "boris.ipynb", "Say hello to Boris")
    _record_and_store(tmp_path, boris)
    setup = nbformat.read(tmp_path / anna, as_version=4).cells[0].outputs
    shown = "".join(output.get("text", "") + output.get("data", {}).get("text/plain", "") for output in setup)
    assert re.fullmatch(r"cache +replies.sqlite\nmode +replay\ncontents +entries, size and hits: "
                        r"%ygpt cache\s*", shown), shown   # what it set, nothing that changes

    ci = subprocess.run([sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
                         "--nbval-sanitize-with", str(ROOT / "notebooks" / "sanitize.cfg"),
                         "-p", "no:cacheprovider", "-q", anna, boris],
                        cwd=tmp_path, env=_env(YGPT_CACHE_MODE="replay"),
                        capture_output=True, text=True, timeout=300)
    assert ci.returncode == 0, ci.stdout[-3000:]
    assert "4 passed" in ci.stdout, ci.stdout[-3000:]
