"""What the --docs index keeps, through a real shell and the local server: each server's vectors
apart (the local server's stand-in and another server's are unrelated), one version of a file
that changes."""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell
from sources_helpers import CountingEmbed
from test_docs_cell import QUESTION, embedded, notes  # noqa: F401 (notes: a fixture)

from ygpt_magic.sources import Index, gather

pytestmark = [pytest.mark.filterwarnings(*LOST_EXCEPTIONS), pytest.mark.usefixtures("fresh_names")]


@pytest.fixture
def events(tmp_path, monkeypatch):
    """One large file (a 6,000-row CSV export, about 125 chunks) in data/, the notebook's folder
    being its parent; its chunk count."""
    (tmp_path / "data").mkdir()
    rows = "".join(f"{i},purchase,2024-01-{i % 28 + 1:02d}T10:00:00,{i % 997}.50\n" for i in range(6000))
    (tmp_path / "data" / "events.csv").write_text("user_id,event,ts,amount\n" + rows, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return gather("data", Index(None, "count"), CountingEmbed(), base=tmp_path).embedded


def test_after_a_switch_of_server_the_files_are_embedded_again_for_it_and_the_first_index_is_kept(
        shell, ygpt_server, magics, notes):
    """The local server's vectors were ranked against another server's question vector, with
    nothing said: the index is kept by server, as the reply cache and %ygpt embed's memo are."""
    source = f"%%ygpt --docs notes --once\n{QUESTION}"
    shell.run_line_magic("ygpt", "connect local")
    assert cell(shell, source).ok
    assert len(embedded(magics.kernel.connection._server, "doc")) == 3
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    ygpt_server.reset()
    other = cell(shell, source)
    assert other.ok, other.message
    assert len(embedded(ygpt_server, "doc")) == 3 and embedded(ygpt_server, "query") == [QUESTION]
    assert "Indexed 3 new chunks of 3 files" in other.page, other.page[:300]
    shell.run_line_magic("ygpt", "connect local")
    back = cell(shell, source)
    assert back.ok and "Indexed" not in back.page
    assert embedded(magics.kernel.connection._server, "doc") == [], "the local server's index was kept"


def test_a_file_that_grows_between_runs_keeps_one_version_in_the_index(shell, ygpt_server, events, tmp_path):
    """A CSV export that gains a row a day: each run re-embeds one chunk, and the index held a
    full copy of every version (2.99 MB, then 5.96, 8.92, 11.88 after three rows)."""
    shell.run_line_magic("ygpt", f"cache {tmp_path / 'replies.sqlite'}")
    source = "%%ygpt --docs data --once\nWhat is the amount of user 42?"
    assert cell(shell, source).ok
    index = tmp_path / "replies.sources.sqlite"
    first = index.stat().st_size
    for day in range(3):
        with (tmp_path / "data" / "events.csv").open("a", encoding="utf-8") as csv:
            csv.write(f"{6000 + day},purchase,2024-02-0{day + 1}T10:00:00,5.50\n")
        ygpt_server.reset()
        grown = cell(shell, source)
        assert "Indexed 1 new chunk of data/events.csv" in grown.page, grown.page[:300]
        assert len(embedded(ygpt_server, "doc")) == 1
    assert index.stat().st_size <= first * 1.2, (first, index.stat().st_size)
