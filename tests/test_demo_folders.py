"""Which notebooks `ygpt-magic demo` runs and where it writes them, as a user's project sees it
(findings firsthour.md 1, 2 and 4): in a project with a notebooks/ folder of its own, the demo ran
those notebooks and --update wrote over their saved outputs; behind a proxy every tutorial failed
and the run still said the notebooks were written; an --out naming a file ran everything, then
ended in a FileExistsError traceback.

The proxy story reads test_demo.py's shared run (its kernels behind a dead proxy), and the story
of a run where every notebook failed reads test_demo_cache.py's replay with nothing recorded:
neither needs a folder or a run of its own. The stories here each need their own folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import ygpt_magic

pytestmark = pytest.mark.slow   # fresh interpreters, and kernels

CLI = [sys.executable, "-m", "ygpt_magic.cli"]
TUTORIALS = Path(ygpt_magic.__file__).resolve().parent.parent / "notebooks"
#: what the user's own notebook showed after a long run: it must survive any demo
THEIR_OUTPUT = "accuracy 0.93 after a 3-hour training run\n"


def _environment(**extra: str) -> dict[str, str]:
    """The caller's environment without YC_*, YGPT_* or a proxy exemption, with ``extra``."""
    dropped = ("no_proxy", "no_grpc_proxy")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_")) and k.lower() not in dropped}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A data scientist's project: notebooks/train_model.ipynb, whose one cell leaves a mark when
    it runs and whose saved output is the result of hours of work."""
    (tmp_path / "notebooks").mkdir()
    notebook = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("import pathlib\npathlib.Path('RAN').write_text('yes')\nprint('fresh run')")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text=THEIR_OUTPUT)]
    notebook.cells = [code]
    nbformat.write(notebook, tmp_path / "notebooks" / "train_model.ipynb")
    return tmp_path


def _untouched(project: Path) -> None:
    notebook = nbformat.read(project / "notebooks" / "train_model.ipynb", as_version=4)
    assert notebook.cells[0].outputs[0]["text"] == THEIR_OUTPUT
    assert not (project / "notebooks" / "RAN").exists() and not (project / "RAN").exists()


def test_the_demo_in_a_project_with_notebooks_runs_the_tutorials_and_names_their_folder(project):
    """Its first line, printed before any kernel starts, names the folder; then Ctrl-C."""
    demo = subprocess.Popen([*CLI, "demo", "--out", str(project / "out")], cwd=project, env=_environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = demo.stdout.readline() if demo.stdout else ""
    finally:
        demo.send_signal(signal.SIGINT)
        demo.communicate(timeout=60)
    count = len(list(TUTORIALS.glob("*.ipynb")))
    assert first.startswith(f"Running the {count} tutorial notebooks in {TUTORIALS} against the project's "
                            "local server"), first
    _untouched(project)


def test_update_refuses_a_folder_that_is_not_the_tutorials_before_running_anything(project):
    done = subprocess.run([*CLI, "demo", "--notebooks", "notebooks", "--update"], cwd=project,
                          env=_environment(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    said = done.stderr.strip()
    assert "\n" not in said and "Traceback" not in said, said
    assert said.startswith(f"--update writes back over the project's tutorials only ({TUTORIALS}), and "
                           "notebooks is not their folder: its notebooks are left as they are."), said
    assert "leave out --update" in said, said
    _untouched(project)


def test_out_naming_the_folder_of_a_users_notebooks_is_refused(project):
    done = subprocess.run([*CLI, "demo", "--notebooks", "notebooks", "--out", "notebooks"], cwd=project,
                          env=_environment(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--out is the folder the notebooks are read from" in done.stderr, done.stderr
    _untouched(project)


def test_out_naming_a_file_says_so_in_one_line_before_running_anything(project):
    (project / "results").write_text("my notes")
    done = subprocess.run([*CLI, "demo", "--notebooks", "notebooks", "--out", "results"], cwd=project,
                          env=_environment(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    said = done.stderr.strip()
    assert said == ("--out must name a folder (made when missing), and results is not one (File exists): "
                    "name another, e.g. --out build/notebooks."), said
    assert (project / "results").read_text() == "my notes"
    _untouched(project)


def _contents(folder: Path) -> dict[Path, bytes | None]:
    """Every file's bytes and every folder (None) under ``folder``."""
    return {p.relative_to(folder): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


def test_a_folder_of_notebooks_is_never_written_to_though_a_notebook_saves_its_chats_there(tmp_path):
    """findings headless7 3: the kernels worked in the user's folder, so a notebook's
    `%ygpt save chats.json` replaced their real chat file with the demo's (the old one moved to
    .ipynb_checkpoints), though the help says the folder is only read. They work in a scratch
    copy now: the folder is byte for byte as it was, and the notebook still read its data file."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "chats.json").write_text(json.dumps({"version": 1, "current": "research", "chats": [
        {"name": "research", "system": None, "options": {}, "turns": []}]}))   # their real chats
    (folder / "north.csv").write_text("region,sales\nnorth,12\n")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        "%load_ext ygpt_magic", "print(open('north.csv').read().splitlines()[1])",
        "%%ygpt --chat demo\nSummarise the north region.", "%ygpt save chats.json")]
    nbformat.write(notebook, folder / "analysis.ipynb")
    before = _contents(folder)

    done = subprocess.run([*CLI, "demo", "--notebooks", "notebooks", "--out", "out"], cwd=tmp_path,
                          env=_environment(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _contents(folder) == before
    executed = nbformat.read(tmp_path / "out" / "analysis.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "north,12\n"
    assert executed.cells[3].outputs[0]["data"]["text/plain"].startswith("Saved 2 chats to chats.json"), \
        executed.cells[3].outputs   # into the scratch copy
