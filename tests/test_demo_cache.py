"""`ygpt-magic demo --notebooks DIR` with a team's reply cache in the shell (findings/ci2 F7):
YGPT_CACHE and YGPT_CACHE_MODE were dropped without a word and every cell was answered again by
the local server, the recorded replies replaced. The demo honours them, as nbval and
`jupyter nbconvert --execute` do, and its first line says so.

Three real runs of the demo (a process, its kernel, the cache file between them): a replay with
nothing recorded, a recording, a replay. The first is also a run where every notebook failed,
whose end must not say the notebooks were written (findings firsthour.md 2: the story kept in
test_demo_folders before, with a run of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

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


class Runs(NamedTuple):
    folder: Path
    refused: subprocess.CompletedProcess    # replay mode, nothing recorded yet
    refused_made_a_file: bool
    recorded: subprocess.CompletedProcess   # auto mode
    replayed: subprocess.CompletedProcess   # replay mode


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    """The demo over one notebook, in replay mode before anything was recorded, then in auto
    mode, then in replay mode again."""
    folder = tmp_path_factory.mktemp("team")
    (folder / "in").mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in ("%load_ext ygpt_magic", ASK, "%ygpt cache")]
    nbformat.write(notebook, folder / "in" / "analysis.ipynb")
    refused = _demo(folder, "replay")
    made = (folder / "in" / "replies.sqlite").exists()
    return Runs(folder, refused, made, _demo(folder, "auto"), _demo(folder, "replay"))


def test_the_demo_records_then_replays_a_teams_cache_and_says_so(runs):
    refused = runs.refused   # nothing recorded yet: a replay sends nothing
    assert refused.returncode != 0
    assert "the reply cache is used: replies replayed from it, nothing sent" in refused.stdout
    assert "YGPT_CACHE=replies.sqlite, YGPT_CACHE_MODE=replay" in refused.stdout
    assert "replay mode records nothing" in refused.stderr
    assert not runs.refused_made_a_file

    assert runs.recorded.returncode == 0, runs.recorded.stderr
    assert (runs.folder / "in" / "replies.sqlite").is_file()   # beside the notebook, as for nbval
    executed = (runs.folder / "out" / "analysis.ipynb").read_text()
    assert "replies.sqlite" in executed and str(runs.folder) not in executed   # as named, not where it is

    assert runs.replayed.returncode == 0, runs.replayed.stderr
    assert "cached" in runs.replayed.stdout.split("Summarise the north region.", 1)[1]


def test_a_run_where_every_notebook_failed_does_not_say_they_were_written(runs):
    assert runs.refused.returncode == 1
    assert runs.refused.stdout.rstrip().endswith("No notebook was written."), runs.refused.stdout
    assert "These notebooks failed: analysis.ipynb." in runs.refused.stderr, runs.refused.stderr
