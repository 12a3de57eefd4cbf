"""What the --docs index keeps, through a real shell and the local server: each server's vectors
apart (the local server's stand-in and another server's are unrelated), every chunk a stopped
run paid for, one version of a file that changes, nothing after `%ygpt cache clear`."""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import cell
from presses import ctrl_c_in
from sources_helpers import CountingEmbed
from test_docs_cell import QUESTION, embedded, notes  # noqa: F401 (notes: a fixture)

from ygpt_magic.errors import StoppedBeforeAsking
from ygpt_magic.sources import Index, gather

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

#: the chunks answered before the run is stopped: one batch of 32 written, some of the next
ANSWERED = 40


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


@pytest.mark.parametrize("stop", ["Ctrl-C", "a failed request"])
@pytest.mark.slow
def test_a_run_stopped_while_one_large_file_is_indexed_keeps_every_chunk_it_paid_for(
        shell, ygpt_server, events, stop):
    """With no reply cache (the default), the index wrote a file only once all its chunks had
    vectors: the message said the rest would be embedded, and the re-run paid for every chunk
    again. Each batch is kept now, and the vectors of the batch stopped part way too."""
    shell.run_line_magic("config", "YGptMagics.map_concurrency = 1")   # the chunks in order
    source = "%%ygpt --docs data --once\nWhat is the amount of user 42?"
    ygpt_server.reset()
    if stop == "Ctrl-C":
        held = ygpt_server.faults.hold_next(1, "TextEmbedding", seconds=5, after=ANSWERED)
        presser = ctrl_c_in(30, when=held)
        stopped = cell(shell, source)
        presser.join()
        assert_clear_error(stopped, "Every chunk embedded so far is kept", "it embeds only the rest",
                           error_type=StoppedBeforeAsking)
    else:
        ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", method="TextEmbedding", after=ANSWERED)
        assert not cell(shell, source).ok
    first = embedded(ygpt_server, "doc")   # ANSWERED or more, and the one held or refused
    assert len(first) > ANSWERED
    ygpt_server.reset()
    again = cell(shell, source)
    assert again.ok, again.message
    resent = set(embedded(ygpt_server, "doc"))
    # sent again: the chunk stopped or refused, and at most one more, in flight as the job was
    # cancelled (its answer never came back; the server may log it only after the reset)
    again_sent = resent & set(first)
    assert 1 <= len(again_sent) <= 2, len(again_sent)
    assert len(resent) == events - len(set(first)) + len(again_sent), (len(resent), len(first))


@pytest.mark.slow
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
    status = cell(shell, "%ygpt cache").plain
    assert f"docs index   {index}, " in status and "(the --docs sources index)" in status


def test_clearing_the_cache_empties_the_sources_index_beside_it(shell, ygpt_server, notes, tmp_path):
    """The index held the files' text after `%ygpt cache clear`, and nothing cleared it."""
    shell.run_line_magic("ygpt", f"cache {tmp_path / 'replies.sqlite'}")
    source = f"%%ygpt --docs notes --once\n{QUESTION}"
    assert cell(shell, source).ok
    index = tmp_path / "replies.sources.sqlite"
    assert b"sixteen hours" in index.read_bytes()
    cleared = cell(shell, "%ygpt cache clear")
    assert cleared.ok, cleared.message
    assert f"docs index  {index}: 3 file versions forgotten, " in cleared.plain, cleared.plain
    assert b"sixteen hours" not in index.read_bytes()
    ygpt_server.reset()
    again = cell(shell, source)
    assert again.ok and "Indexed 3 new chunks of 3 files" in again.page
    assert len(embedded(ygpt_server, "doc")) == 3
