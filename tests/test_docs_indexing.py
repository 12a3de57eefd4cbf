"""%%ygpt --docs: what indexing the files costs, said in the cell that pays for it, and where the
index lives, through a real shell and the local server (sources.md S06, S10)."""

from __future__ import annotations

import re
import shutil

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell
from test_docs_cell import QUESTION, embedded

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

README = "# Churn\n\nThe Q3 budget for the churn model is 42 thousand roubles.\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A README and a 6,000-row CSV of events: an ordinary data-science folder."""
    (tmp_path / "project" / "data").mkdir(parents=True)
    (tmp_path / "project" / "README.md").write_text(README, encoding="utf-8")
    rows = "".join(f"{i},purchase,2024-01-{i % 28 + 1:02d}T10:00:00,{i % 997}.50\n" for i in range(6000))
    (tmp_path / "project" / "data" / "events.csv").write_text("user_id,event,ts,amount\n" + rows,
                                                              encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "project"


def test_the_cell_that_indexes_says_what_it_embedded_and_what_that_cost(shell, ygpt_server, project):
    ygpt_server.reset()
    run = cell(shell, "%%ygpt --docs project --once\nWhat is the Q3 budget for the churn model?")
    assert run.ok, run.message
    sent = len(embedded(ygpt_server, "doc"))
    note = re.search(r"Indexed ([\d,]+) new chunks of 2 files: ([\d,]+) tokens, ≈([\d.]+)\s₽", run.page)
    assert note, run.page[:600]
    assert int(note[1].replace(",", "")) == sent > 100 and int(note[2].replace(",", "")) > sent
    assert float(note[3]) > 0
    csv = re.search(r"The largest: project/data/events\.csv \(([\d,]+) chunks\); leave it out of PATHS", run.page)
    assert csv and 100 <= int(csv[1].replace(",", "")) < sent, run.page[:600]
    assert f"index {sent:,} chunks" in run.stderr and f"{sent}/{sent}" in run.stderr, "the bar"


def test_a_run_that_embeds_nothing_new_says_nothing_of_indexing(shell, ygpt_server, project):
    assert cell(shell, "%%ygpt --docs project --once\nWhat is the Q3 budget?").ok
    (project / "README.md").write_text(README + "\nThe Q4 budget is not set yet.\n", encoding="utf-8")
    again = cell(shell, "%%ygpt --docs project --once\nWhat is the Q3 budget?")
    assert "Indexed 1 new chunk of project/README.md: " in again.page, again.page[:400]
    assert "largest" not in again.page and "index " not in again.stderr
    last = cell(shell, f"%%ygpt --docs project --once\n{QUESTION}")
    assert last.ok and "Indexed" not in last.page


def test_a_large_file_that_re_embeds_one_chunk_is_not_named_as_the_cost(shell, ygpt_server, project):
    """After one row was appended to the CSV, the line still said "The largest:
    project/data/events.csv (125 chunks); leave it out of PATHS": the chunks of the new
    version, not the one embedded."""
    assert cell(shell, "%%ygpt --docs project --once\nWhat is the Q3 budget?").ok
    with (project / "data" / "events.csv").open("a", encoding="utf-8") as csv:
        csv.write("6000,refund,2024-02-01T10:00:00,5.50\n")
    again = cell(shell, "%%ygpt --docs project --once\nWhat is the Q3 budget?")
    assert "Indexed 1 new chunk of project/data/events.csv: " in again.page, again.page[:400]
    assert "largest" not in again.page


def test_the_index_goes_beside_a_cache_set_after_the_first_docs_cell(shell, ygpt_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "cats.md").write_text("# Cats\n\nCats sleep in the sun.\n")
    assert cell(shell, "%%ygpt --docs notes --once\nWhere do cats sleep?").ok
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'ygpt.sqlite')!r}")
    (tmp_path / "notes" / "dogs.md").write_text("# Dogs\n\nDogs walk in the park.\n")
    run = cell(shell, "%%ygpt --docs notes --once\nWhere do dogs walk?")
    assert run.ok and "Indexed 2 new chunks of 2 files" in run.page, run.page[:300]
    assert (tmp_path / "ygpt.sources.sqlite").exists()
    (tmp_path / "elsewhere").mkdir()
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'elsewhere' / 'r.sqlite')!r}")
    assert cell(shell, "%%ygpt --docs notes --once\nWhere do dogs walk?").ok
    assert (tmp_path / "elsewhere" / "r.sources.sqlite").exists()


def test_a_replay_says_nothing_of_indexing_even_where_the_index_file_is_gone(shell, ygpt_server, tmp_path,
                                                                              monkeypatch):
    """CI replays a checkout that may not hold the index: its output must be the stored one,
    which a replay beside the index writes without the note."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "cats.md").write_text("# Cats\n\nCats sleep in the sun.\n")
    cache = tmp_path / "replies.sqlite"
    assert cell(shell, f"%ygpt cache {cache} --mode auto").ok
    recorded = cell(shell, "%%ygpt --docs notes --once\nWhere do cats sleep?")
    assert "Indexed 1 new chunk" in recorded.page, recorded.page[:400]
    checkout = tmp_path / "checkout"   # the cache committed, the index not
    checkout.mkdir()
    shutil.copy(cache, checkout / cache.name)
    assert cell(shell, f"%ygpt cache {checkout / cache.name} --mode replay").ok
    ygpt_server.reset()
    replayed = cell(shell, "%%ygpt --docs notes --once\nWhere do cats sleep?")
    assert replayed.ok and "Indexed" not in replayed.page, replayed.page[:400]
    assert not embedded(ygpt_server, "doc"), "the vectors came from the cache"
