"""The committed reply cache as a team lives with it in git (findings ci2 F2, F3, F4, F8): CI's
replay mode sends nothing and writes nothing, a teammate's Run All that only replays leaves the
committed file byte for byte, two branches' recordings merge, and a clear gives the space back.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import cell
from disks import read_only_checkout
from test_cache import cache_file, restart  # noqa: F401 (a fixture)

NORTH = "%%ygpt --once\nSummarise the north region."
SOUTH = "%%ygpt --once\nSummarise the south region."


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entries(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        count: int = db.execute("SELECT count(*) FROM entries").fetchone()[0]
        return count
    finally:
        db.close()


def sent(server) -> list[str]:
    return [r.method for r in server.requests]


# -- F2: replay mode sends nothing and writes nothing, a dry run included --------------------


def test_a_dry_run_in_replay_mode_with_no_recorded_count_estimates_and_sends_nothing(
        shell, ygpt_server, cache_file):
    assert cell(shell, NORTH).ok
    restart(shell, ygpt_server)                          # the file as committed
    shell.run_line_magic("ygpt", "cache --mode replay")   # CI
    committed, asked = digest(cache_file), len(ygpt_server.requests)
    run = cell(shell, SOUTH.replace("--once", "--once --dry-run"))
    assert run.ok, run.message
    assert sent(ygpt_server)[asked:] == [], "replay mode sent a request for a dry run"
    restart(shell, ygpt_server)
    assert digest(cache_file) == committed and entries(cache_file) == 1
    assert "Nothing was sent" in run.final
    assert "at most" in run.final and "replay mode" in run.final   # an estimate, said to be one
    assert "by the tokenizer API" not in run.final


def test_a_dry_run_in_replay_mode_replays_a_recorded_count(shell, ygpt_server, cache_file):
    dry = SOUTH.replace("--once", "--once --dry-run")
    counted = cell(shell, dry)                           # auto: the count asked and recorded
    assert counted.ok and "by the tokenizer API" in counted.final
    shell.run_line_magic("ygpt", "cache --mode replay")
    asked = len(ygpt_server.requests)
    replayed = cell(shell, dry)
    assert replayed.ok and replayed.final == counted.final
    assert sent(ygpt_server)[asked:] == []


def test_a_replayed_dry_run_against_the_cloud_asks_for_no_credentials(
        shell, ygpt_server, cache_file, clean_env):
    assert cell(shell, NORTH).ok
    shell.run_line_magic("ygpt", "cache --mode replay")
    clean_env.delenv("YC_API_KEY", raising=False)
    clean_env.delenv("YC_FOLDER_ID", raising=False)
    shell.run_line_magic("ygpt", "connect cloud")
    run = cell(shell, NORTH.replace("--once", "--once --dry-run"))
    assert run.ok, run.message
    assert "YC_API_KEY" not in run.shown and "at most" in run.final


#: tutorial 03's cells, each answered another way than a stream of chunks (test_cache_notebooks
#: leaves 03 to this test): unstreamed, a deferred operation, a reply cut short by --max-tokens
OTHER_WAYS = ["%%ygpt --once --no-stream\nGive three tips for naming variables in Python.",
              "%%ygpt --once --deferred\nWrite a four-line poem about autumn in the city.",
              "%%ygpt --once --max-tokens 30\nTell the story of a lighthouse keeper who finds a message in a bottle."]


def test_unstreamed_deferred_and_cut_short_replies_replay_in_ci_with_no_server(shell, ygpt_server, cache_file):
    """In-process: what CI's kernel replays is the cache file's, and a real shell with nothing
    listening at its address shows it as a kernel would; each reply whole at once, with the
    status it was recorded with (a cut-short reply stays cut short)."""
    recorded = []
    for source in OTHER_WAYS:
        run = cell(shell, source)
        assert run.ok, run.message
        recorded.append((shell.user_ns["_ygpt"].text, shell.user_ns["_ygpt"].status))
    assert recorded[2][1] != recorded[0][1], recorded   # the cut-short one has a status of its own
    shell.extension_manager.unload_extension("ygpt_magic")   # CI's kernel: nothing in memory, no server
    shell.extension_manager.load_extension("ygpt_magic")
    shell.run_line_magic("ygpt", "connect 127.0.0.1:9 --insecure")   # nothing listens there
    shell.run_line_magic("ygpt", "cache --mode replay")
    for source, (text, status) in zip(OTHER_WAYS, recorded):
        run = cell(shell, source)
        assert run.ok, run.message
        reply = shell.user_ns["_ygpt"]
        assert reply.cached and (reply.text, reply.status) == (text, status), source
        assert run.updates == 1, "the final form at once: no waiting line, no polling"


# -- F3: a Run All that only replays leaves the committed file as it was ----------------------


def test_a_run_all_in_auto_mode_that_records_nothing_leaves_the_committed_file_unchanged(
        shell, ygpt_server, cache_file):
    for source in (NORTH, SOUTH):
        assert cell(shell, source).ok
    restart(shell, ygpt_server)
    committed = digest(cache_file)
    for source in (NORTH, SOUTH):                          # a teammate's Run All, next day
        run = cell(shell, source)
        assert run.ok and shell.user_ns["_ygpt"].cached
    restart(shell, ygpt_server)
    assert digest(cache_file) == committed, "git status: modified: replies.sqlite"
    assert Path(f"{cache_file}-used").is_file()           # the notes went beside it


def test_clear_older_than_keeps_what_a_run_all_replayed_by_its_notes_beside_the_file(
        shell, ygpt_server, cache_file):
    for source in (NORTH, SOUTH):
        assert cell(shell, source).ok
    db = sqlite3.connect(cache_file)
    with db:
        db.execute("UPDATE entries SET recorded = '2000-01-01T00:00:00Z'")
    db.close()
    restart(shell, ygpt_server)
    assert cell(shell, NORTH).ok and shell.user_ns["_ygpt"].cached   # SOUTH is not replayed
    restart(shell, ygpt_server)                                      # its note reaches the file
    cleared = cell(shell, "%ygpt cache clear --older-than 1d")
    assert "1 entry" in cleared.final, cleared.final
    restart(shell, ygpt_server)
    assert cell(shell, NORTH).ok and shell.user_ns["_ygpt"].cached


# -- F4: two branches' recordings merge --------------------------------------------------------


def two_branches(shell, server, tmp_path: Path) -> tuple[Path, Path]:
    """Anna's cache and Boris's: one shared recording, and one of each's own."""
    anna, boris = tmp_path / "anna.sqlite", tmp_path / "boris.sqlite"
    for path, own in ((anna, NORTH), (boris, SOUTH)):
        shell.run_line_magic("ygpt", f"cache {path}")
        assert cell(shell, "%%ygpt --once\nWhat is shared?").ok and cell(shell, own).ok
    restart(shell, server)
    return anna, boris


def test_cache_merge_keeps_both_sides_recordings(shell, ygpt_server, tmp_path):
    anna, boris = two_branches(shell, ygpt_server, tmp_path)
    shell.run_line_magic("ygpt", f"cache {anna}")
    merged = cell(shell, f"%ygpt cache merge {boris}")
    assert merged.ok and "1 entry added" in merged.final and "1 already here" in merged.final, merged.final
    shell.run_line_magic("ygpt", "cache --mode replay")
    asked = len(ygpt_server.requests)
    for source in (NORTH, SOUTH):
        run = cell(shell, source)
        assert run.ok and shell.user_ns["_ygpt"].cached, run.message
    assert sent(ygpt_server)[asked:] == []
    assert entries(boris) == 2                               # theirs is only read


def test_cache_merge_refuses_a_file_that_is_not_a_cache_in_one_paragraph(shell, cache_file, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not a database", encoding="utf-8")
    assert cell(shell, "%%ygpt --once\nHello").ok
    run = cell(shell, f"%ygpt cache merge {other}")
    assert run.error is not None and "Traceback" not in run.shown
    assert "nothing was merged" in run.message and str(other) in run.message


@pytest.mark.slow
def test_the_cli_merges_as_a_git_merge_driver(shell, ygpt_server, tmp_path):
    anna, boris = two_branches(shell, ygpt_server, tmp_path)
    done = subprocess.run([sys.executable, "-m", "ygpt_magic.cli", "cache", "merge", str(anna), str(boris)],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert done.returncode == 0, done.stderr
    assert entries(anna) == 3 and "1 entry added" in done.stdout
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == ["anna.sqlite", "boris.sqlite"], left    # nothing beside git's temporary files


@pytest.mark.slow
def test_the_cli_refuses_a_newer_cache_format_with_exit_code_1(tmp_path, shell, cache_file):
    assert cell(shell, "%%ygpt --once\nHello").ok
    shell.run_line_magic("ygpt", "cache --mode off")
    newer = tmp_path / "newer.sqlite"
    db = sqlite3.connect(newer)
    with db:
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema', '99')")
    db.close()
    before = digest(cache_file)
    done = subprocess.run([sys.executable, "-m", "ygpt_magic.cli", "cache", "merge", str(cache_file), str(newer)],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "newer ygpt_magic" in done.stderr and digest(cache_file) == before


def merged_by_cli(ours: Path, theirs: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ygpt_magic.cli", "cache", "merge", str(ours), str(theirs)],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})


@pytest.mark.parametrize("ours", ["damaged", "missing"])
@pytest.mark.slow
def test_when_our_side_is_what_fails_the_cli_says_to_fix_our_side(tmp_path, shell, cache_file, ours):
    """errors3.md #8: the advice was about THEIRS ("Give the other side's cache file ...")."""
    assert cell(shell, "%%ygpt --once\nHello").ok
    shell.run_line_magic("ygpt", "cache --mode off")
    mine = tmp_path / "ours.sqlite"
    if ours == "damaged":
        mine.write_text("not a db", encoding="utf-8")
    done = merged_by_cli(mine, cache_file)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    said = " ".join(done.stderr.split())
    assert "The file to fix is this side's cache, not the other's" in said, said
    assert f"git checkout HEAD -- {mine}" in said and "Give the other side's cache file" not in said, said


def test_when_this_notebooks_cache_is_what_fails_a_merge_says_to_fix_it(tmp_path, shell, ygpt_server, cache_file):
    assert cell(shell, "%%ygpt --once\nHello").ok
    restart(shell, ygpt_server)
    cache_file.write_bytes(b"not a db" * 100)
    shell.run_line_magic("ygpt", f"cache {cache_file}")
    other = tmp_path / "theirs.sqlite"
    other.write_bytes(b"")
    run = cell(shell, f"%ygpt cache merge {other}")
    assert run.error is not None and "Traceback" not in run.shown
    said = " ".join(run.message.split())
    assert "The file to fix is this notebook's cache, not the other's" in said and "%ygpt cache PATH" in said, said
    assert "Give the other side's cache file" not in said, said


def test_the_guide_says_what_to_do_when_the_cache_file_conflicts():
    guide = (Path(__file__).parents[1] / "docs/guide/reproducible.md").read_text(encoding="utf-8")
    assert "ygpt-magic cache merge %A %B" in guide and "merge=ygpt-cache" in guide
    assert "replies.sqlite-used" in guide


# -- F8: clear gives the space back -------------------------------------------------------------


@pytest.mark.usefixtures("fresh_names")
@pytest.mark.slow
def test_clearing_the_cache_shrinks_the_file_and_says_its_size(shell, cache_file, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"city": [f"City number {i}" for i in range(150)]})
    assert cell(shell, "%%ygpt --map df --out a --concurrency 8\nDescribe {city} in a paragraph.").ok
    full = os.path.getsize(cache_file)
    cleared = cell(shell, "%ygpt cache clear")
    assert cleared.ok and "150 entries" in cleared.final
    restart(shell, ygpt_server)
    assert os.path.getsize(cache_file) < full / 4, f"{full} bytes before, {os.path.getsize(cache_file)} after"
    assert "kB now" in cleared.final, cleared.final


@pytest.mark.slow
def test_when_our_side_cannot_be_written_the_cli_says_so_not_to_give_the_other_file(tmp_path, shell, ygpt_server):
    """A read-only checkout: this side's cache is read, the other side's entries cannot be added."""
    anna, boris = two_branches(shell, ygpt_server, tmp_path)
    folder = tmp_path / "checkout"
    folder.mkdir()
    anna.rename(folder / "anna.sqlite")
    with read_only_checkout(folder) as checkout:
        done = merged_by_cli(checkout / "anna.sqlite", boris)
    said = " ".join(done.stderr.split())
    assert done.returncode == 1 and "Traceback" not in said, said
    assert "read-only" in said and "Give the other side's cache file" not in said, said
