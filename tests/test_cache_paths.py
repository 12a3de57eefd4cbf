"""A relative reply cache path is the folder's it was set in (the notebook's, in Jupyter), for
good: a notebook whose first line is `%cd ..` (to reach its data) still records next to itself,
its --docs index stays beside the cache, and `%ygpt cache` shows the absolute path and the size
of that file, as docs/guide/reproducible.md's recipe (`git add notebooks/replies.sqlite`) needs.
"""

from __future__ import annotations

import pytest
from conftest import cell


@pytest.fixture
def project(tmp_path, monkeypatch):
    """project/notebooks (where the kernel starts) and project/notes (the notebook's data)."""
    notebooks = tmp_path / "project" / "notebooks"
    notebooks.mkdir(parents=True)
    (tmp_path / "project" / "notes").mkdir()
    (tmp_path / "project" / "notes" / "a.md").write_text("# A\n\nThe release is on 12 March.\n")
    monkeypatch.chdir(notebooks)
    return tmp_path / "project"


@pytest.fixture
def from_environment(ipython, ygpt_server, clean_env, project):
    """The extension loaded with YGPT_CACHE=replies.sqlite, as the recipe sets it."""
    clean_env.setenv("YGPT_CACHE", "replies.sqlite")
    ipython.config.pop("YGptMagics", None)
    ipython.extension_manager.load_extension("ygpt_magic")
    ipython.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    yield ipython
    ipython.extension_manager.unload_extension("ygpt_magic")


def test_a_relative_cache_stays_in_the_notebooks_folder_after_a_cd(from_environment, project):
    shell = from_environment
    assert cell(shell, "%cd ..").ok
    assert cell(shell, "%%ygpt --once --docs notes\nWhen is the release?").ok
    found = sorted(str(p.relative_to(project)) for p in project.rglob("*.sqlite"))
    assert found == ["notebooks/replies.sources.sqlite", "notebooks/replies.sqlite"]
    status = cell(shell, "%ygpt cache").plain
    assert f"cache        {project / 'notebooks' / 'replies.sqlite'}\n" in status
    assert ", 0 kB" not in status   # the size of that file, not of a name in the folder of now


def test_setting_the_mode_after_a_cd_keeps_the_file(shell, project):
    assert cell(shell, "%ygpt cache replies.sqlite").ok
    assert cell(shell, "%%ygpt --once\nHello").ok
    assert cell(shell, "%cd ../notes").ok
    assert cell(shell, "%ygpt cache --mode replay").ok
    replayed = cell(shell, "%%ygpt --once\nHello")
    assert replayed.ok, replayed.message
    assert shell.user_ns["_ygpt"].cached
    assert not list((project / "notes").glob("*.sqlite"))
