"""A demo run that is refused (nothing to run, --update outside the tutorials) leaves no folder
behind: `ygpt-magic demo` outside a checkout of the project (no tutorials beside the package)
said "No notebooks to run" after making --out (and every missing folder above it) in the user's
project, as checking that --out could be a folder made it one."""

from __future__ import annotations

from pathlib import Path

from ygpt_magic import demo


def test_a_demo_with_no_notebooks_to_run_makes_no_out_folder(tmp_path: Path, capsys):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "build" / "notebooks"
    assert demo.run(tmp_path / "empty", out) == 2
    said = capsys.readouterr()
    assert said.out == "" and "No notebooks found in" in said.err, said
    assert not (tmp_path / "build").exists()


def test_out_under_a_file_is_still_refused_in_one_line_before_anything_runs(tmp_path: Path, capsys):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "a.ipynb").write_text("{}")   # never read: the refusal comes first
    (tmp_path / "results").write_text("my notes")
    assert demo.run(tmp_path / "notebooks", tmp_path / "results" / "run1") == 2
    said = capsys.readouterr()
    assert said.out == "" and said.err.startswith("--out must name a folder (made when missing)"), said
    assert (tmp_path / "results").read_text() == "my notes"
