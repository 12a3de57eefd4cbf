"""`ygpt-magic demo --notebooks DIR` with a team's reply cache in the shell (findings/ci2 F7):
YGPT_CACHE and YGPT_CACHE_MODE were dropped without a word and every cell was answered again by
the local server, the recorded replies replaced. The demo honours them, as nbval and
`jupyter nbconvert --execute` do, and its first line says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "ygpt_magic.cli"]
ASK = "%%ygpt --once\nSummarise the north region."


def _demo(tmp_path: Path, mode: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_"))}
    env.update(YGPT_ENDPOINT="local", YGPT_CACHE="replies.sqlite", YGPT_CACHE_MODE=mode)
    return subprocess.run([*CLI, "demo", "--notebooks", str(tmp_path / "in"), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)


def test_the_demo_records_then_replays_a_teams_cache_and_says_so(tmp_path):
    (tmp_path / "in").mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in ("%load_ext ygpt_magic", ASK)]
    nbformat.write(notebook, tmp_path / "in" / "analysis.ipynb")

    refused = _demo(tmp_path, "replay")   # nothing recorded yet: a replay sends nothing
    assert refused.returncode != 0
    assert "the reply cache is used: replies replayed from it, nothing sent" in refused.stdout
    assert "YGPT_CACHE=replies.sqlite, YGPT_CACHE_MODE=replay" in refused.stdout
    assert "replay mode records nothing" in refused.stderr
    assert not (tmp_path / "in" / "replies.sqlite").exists()

    recorded = _demo(tmp_path, "auto")
    assert recorded.returncode == 0, recorded.stderr
    assert (tmp_path / "in" / "replies.sqlite").is_file()   # beside the notebook, as for nbval

    replayed = _demo(tmp_path, "replay")
    assert replayed.returncode == 0, replayed.stderr
    assert "cached" in replayed.stdout.split("Summarise the north region.", 1)[1]
