"""A relative reply cache path is the folder's it was set in (the notebook's, in Jupyter), for
good: a notebook whose first line is `%cd ..` (to reach its data) still records next to itself,
its --docs index stays beside the cache, and `%ygpt cache` shows that file (relative to the
folder of now) and its size, as docs/guide/reproducible.md's recipe (`git add
notebooks/replies.sqlite`) needs. The path is shown as it was set, never as the author's absolute
path: the output is stored in the notebook, and nbval compares it in CI's checkout.
A mode's name is a mode, not a file's (findings/redteam4.md 4).
"""

from __future__ import annotations

import re

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
    assert "cache        notebooks/replies.sqlite\n" in status   # where it is from the folder of now
    assert ", 0 kB" not in status   # the size of that file, not of a name in the folder of now


def test_a_cache_set_in_the_notebook_shows_the_path_as_written_in_every_checkout(shell, project, monkeypatch):
    """The guide's CI recipe: the notebook sets its cache with `%ygpt cache replies.sqlite`, its
    output is stored, and nbval compares it in CI's checkout, which is at another path: the
    absolute path failed the setup cell there, and put the author's home in the notebook."""
    run = cell(shell, "%ygpt cache replies.sqlite")
    assert run.ok, run.message
    assert run.plain == ("cache     replies.sqlite\nmode      auto\n"
                         "contents  entries, size and hits: %ygpt cache"), run.plain
    assert str(project) not in run.page and str(project) not in cell(shell, "%ygpt cache clear").page
    monkeypatch.setenv("HOME", str(project / "notes"))
    assert cell(shell, "%ygpt cache ~/replies-elsewhere.sqlite --mode off").plain.startswith(
        "cache     ~/replies-elsewhere.sqlite\n")   # as written: the home folder is not spelt out


def test_setting_the_mode_after_a_cd_keeps_the_file(shell, project):
    assert cell(shell, "%ygpt cache replies.sqlite").ok
    assert cell(shell, "%%ygpt --once\nHello").ok
    assert cell(shell, "%cd ../notes").ok
    assert cell(shell, "%ygpt cache --mode replay").ok
    replayed = cell(shell, "%%ygpt --once\nHello")
    assert replayed.ok, replayed.message
    assert shell.user_ns["_ygpt"].cached
    assert not list((project / "notes").glob("*.sqlite"))


def test_a_modes_name_sets_the_mode_and_makes_no_file(shell, project):
    assert cell(shell, "%ygpt cache replies.sqlite").ok
    run = cell(shell, "%ygpt cache off")
    assert run.ok, run.message
    assert not (project / "notebooks" / "off").exists()
    assert "cache     replies.sqlite\nmode      off\n" in run.plain, run.plain
    assert cell(shell, "%%ygpt --once\nHello").ok
    assert not shell.user_ns["_ygpt"].cached and "0 entries" in cell(shell, "%ygpt cache").plain
    assert "mode      replay" in cell(shell, "%ygpt cache replay").plain


def test_a_file_named_like_a_mode_is_written_as_a_path(shell, project):
    run = cell(shell, "%ygpt cache ./off")
    assert run.ok, run.message
    assert "cache     ./off\nmode      auto\n" in run.plain, run.plain


@pytest.mark.parametrize(("line", "said"), [
    ("%ygpt cache of", "%ygpt cache: 'of' is neither a mode (auto, replay, record, off) nor a path. Did you "
                       "mean the mode off? To set the mode, write %ygpt cache off (or --mode off); for a "
                       "cache file, give a path with a / or a suffix: %ygpt cache of.sqlite, or %ygpt "
                       "cache ./of for a file named of."),
    ("%ygpt cache none", "'none' is neither a mode"),
    ("%ygpt cache off --mode record", "%ygpt cache: off and --mode record are two modes; give one: "
                                      "%ygpt cache record."),
])
def test_a_bare_word_that_is_no_mode_is_refused_with_both_forms(shell, project, line, said):
    run = cell(shell, line)
    assert said in run.message, run.message
    assert not (project / "notebooks" / line.split()[2]).exists()
    assert re.search(r"^cache +none: .*\nmode +auto$", cell(shell, "%ygpt cache").plain), "nothing changed"


def test_every_message_about_the_cache_file_names_it_as_it_was_set(shell, project):
    """A replay-mode refusal is the stored output nbval compares in CI, and a line under a reply
    is saved with the notebook: they named the author's absolute path (/home/…/replies.sqlite)
    while %ygpt cache said replies.sqlite."""
    (project / "notebooks" / "replies.sqlite").write_text("not a database")
    assert cell(shell, "%ygpt cache replies.sqlite").ok
    uncached = cell(shell, "%%ygpt --once\nHello")
    assert "ygpt cache: 'replies.sqlite' was not used (" in uncached.shown, uncached.shown
    cleared = cell(shell, "%ygpt cache clear")
    assert "from the reply cache 'replies.sqlite':" in cleared.message, cleared.message
    assert cell(shell, "%cd ..").ok
    refused = cell(shell, "%ygpt cache --mode replay")
    assert "cannot be used:" in refused.plain
    refused = cell(shell, "%%ygpt --once\nHello")
    assert "The reply cache 'notebooks/replies.sqlite' cannot be used:" in refused.message, refused.message
    (project / "notebooks" / "replies.sqlite").unlink()
    assert cell(shell, "%cd notebooks").ok and cell(shell, "%ygpt cache ./replies.sqlite --mode auto").ok
    assert cell(shell, "%ygpt cache replay").ok
    missed = cell(shell, "%%ygpt --once\nNever recorded")
    assert "in the reply cache './replies.sqlite'" in missed.message, missed.message
    every = "\n".join(run.shown + run.message for run in (uncached, cleared, refused, missed))
    assert str(project) not in every, every


def test_a_cache_or_index_that_cannot_be_opened_names_its_folders_as_they_were_written(shell, project):
    """'… is a file, not a folder' and 'there is no folder …' (errors/sqlite_words.py) named the
    folder by its absolute path, the author's home folder in a saved notebook, where the same
    message named the file as it was set."""
    runs = project / "notebooks" / "runs"
    runs.write_text("a file, not a folder")
    assert cell(shell, "%ygpt cache runs/2024/replies.sqlite").ok
    status = cell(shell, "%ygpt cache").plain
    assert "'runs' is a file, not a folder" in status, status
    docs = cell(shell, "%%ygpt --docs ../notes --once\nWhen is the release?")
    assert "ygpt sources index: 'runs/2024/replies.sources.sqlite' cannot be used (the file cannot be created " \
           "there: 'runs' is a file, not a folder)" in docs.plain_page, docs.plain_page
    runs.unlink()
    status += cell(shell, "%ygpt cache").plain
    assert "there is no folder 'runs'" in status, status
    uncached = cell(shell, "%%ygpt --once\nHello")
    assert "'runs/2024/replies.sqlite' was not used (the file cannot be created there: there is no folder 'runs')" \
        in uncached.shown, uncached.shown
    every = "\n".join(run.shown + run.message for run in (uncached, docs)) + status
    assert str(project) not in every, every


def test_a_relative_replay_cache_missing_from_the_working_folder_says_where_it_looked(ipython, ygpt_server, clean_env,
                                                                                    project, monkeypatch):
    """papermill starts its kernels in the folder it runs in, not the notebook's (findings
    headless7 4): CI ran `YGPT_CACHE=replies.sqlite YGPT_CACHE_MODE=replay papermill
    notebooks/report.ipynb` from the project root, with replies.sqlite beside the notebook, and
    was told "there is no such file" and to record a new cache (tokens, and a second file) for a
    file that is right there. It says which folder was searched and how to point at the file,
    without the absolute path (it is stored in the output notebook)."""
    (project / "notebooks" / "replies.sqlite").write_bytes(b"")   # recorded beside the notebook
    monkeypatch.chdir(project)                                     # papermill's kernel: the project root
    clean_env.setenv("YGPT_CACHE", "replies.sqlite")
    clean_env.setenv("YGPT_CACHE_MODE", "replay")
    ipython.config.pop("YGptMagics", None)
    ipython.extension_manager.load_extension("ygpt_magic")
    try:
        ipython.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
        refused = cell(ipython, "%%ygpt --once\nWhat is a cat?")
    finally:
        ipython.extension_manager.unload_extension("ygpt_magic")
    said = refused.message
    assert said.startswith("The reply cache 'replies.sqlite' cannot be used: there is no such file in "
                           "'project', the working folder when the cache was set, where a relative path is "
                           "looked up"), said
    assert "papermill" in said and "--cwd" in said and "an absolute path" in said, said
    assert "record a new cache" not in said and str(project) not in said, said
    assert ygpt_server.requests == [] and not (project / "replies.sqlite").exists()
