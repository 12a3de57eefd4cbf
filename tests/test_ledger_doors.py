"""The spine's promises that no single door's tests hold (DESIGN.md, "The spine"; ledger.py):

- one cache key for a cell and a ``--map`` row: a row whose request equals an earlier cell's is
  replayed from the reply cache, and the other way round, whatever spelling names the model;
  ``--tool-choice`` is part of the key;
- a replayed answer is counted as replayed in ``%ygpt usage``, never paid, at every door;
- a ``--batch`` row is kept in the cache, not counted;
- a ``--map`` row's ``{expr}`` is not evaluated again to record its answer.

Each test runs cells in the real shell against the local server and asserts what the user sees
(``%ygpt usage``, ``_ygpt``, ``--out``) and what the server received.
"""

from __future__ import annotations

from collections import Counter

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell, completions
from test_accounts import rows_of
from test_cache import cache_file, restart  # noqa: F401 (cache_file: a fixture)
from test_docs_cell import QUESTION, notes  # noqa: F401 (notes: a fixture)
from test_map import sent_texts
from test_map_batch import BATCH_MODEL, batch_rows, batch_shell  # noqa: F401 (batch_shell: a fixture)
from test_panel import sent_from_panel, widget_comm  # noqa: F401 (widget_comm: a fixture)
from test_schema import KINDS, PERSON_TEXT

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

WEATHER = "def get_weather(city: str) -> str:\n    '''The weather in a city.'''\n    return 'sunny'"


def test_a_map_row_replays_a_cells_recording_and_a_cell_replays_a_rows(shell, ygpt_server, cache_file):
    assert cell(shell, "%%ygpt --once --model yandexgpt\nSpell one").ok
    said = shell.user_ns["_ygpt"].text
    shell.user_ns["words"] = ["one", "two"]
    rows = cell(shell, "%%ygpt --map words --model yandexgpt/latest --out spelled\nSpell {item}")
    assert rows.ok, rows.message
    assert sent_texts(ygpt_server) == ["Spell one", "Spell two"], "row 'one' came from the cell's entry"
    assert "(1 from the reply cache)" in rows.stdout and shell.user_ns["spelled"][0] == said
    # the other way round: a row recorded, then a cell asking the same (another model spelling)
    shell.user_ns["more"] = ["three"]
    assert cell(shell, "%%ygpt --map more --model gpt://b1gsomefolder/yandexgpt/latest\nSpell {item}").ok
    again = cell(shell, "%%ygpt --once --model yandexgpt\nSpell three")
    assert again.ok and shell.user_ns["_ygpt"].cached, "the cell replays the row's entry"
    assert sent_texts(ygpt_server) == ["Spell one", "Spell three", "Spell two"]


def test_a_schema_cells_recording_is_a_schema_rows_too(shell, ygpt_server, cache_file):
    """A --schema rides on a cell's request and on each row's alike, with no tool loop around
    either: the same request is one entry, and the row gets its typed value from it."""
    assert cell(shell, KINDS["pydantic model"]).ok
    assert cell(shell, f"%%ygpt --once --schema Person\n{PERSON_TEXT}").ok
    parsed = shell.user_ns["_ygpt"].parsed
    assert [r.tools for r in completions(ygpt_server)] == [[]], "a schema alone declares no tools"
    shell.user_ns["people"] = [PERSON_TEXT, "Boris Orlov is 51 years old and lives in Riga."]
    rows = cell(shell, "%%ygpt --map people --schema Person --out found\n{item}")
    assert rows.ok, rows.message
    assert len(completions(ygpt_server)) == 2 and "(1 from the reply cache)" in rows.stdout
    assert list(shell.user_ns["found"].iloc[0]) == [parsed.name, parsed.age, parsed.city]


def test_tool_choice_is_part_of_the_key(shell, ygpt_server, cache_file):
    assert cell(shell, WEATHER).ok
    none = "%%ygpt --once --tools get_weather --tool-choice none\nGet the weather in Paris"
    assert cell(shell, none).ok and len(completions(ygpt_server)) == 1   # answered without a call
    assert cell(shell, none).ok and shell.user_ns["_ygpt"].cached
    auto = cell(shell, "%%ygpt --once --tools get_weather --tool-choice auto\nGet the weather in Paris")
    assert auto.ok, auto.message
    assert not shell.user_ns["_ygpt"].cached and [c.name for c in shell.user_ns["_ygpt"].tool_calls] == \
        ["get_weather"], "another tool choice is another request: sent, and the tool called"
    assert len(completions(ygpt_server)) == 3


def _every_door(shell, ygpt_server) -> None:
    """A chat cell, a --once cell, a two-round tool exchange, a panel Send, --map rows, a
    classification (a cell's and rows'), %ygpt embed and a --docs cell (its files and question)."""
    assert cell(shell, "%%ygpt --chat notes\nName three rivers", cell_id="c1").ok
    assert cell(shell, "%%ygpt --once\nName a mountain").ok
    assert cell(shell, "%%ygpt --once --tools get_weather\nGet the weather in Paris").ok
    assert len(shell.user_ns["_ygpt"].tool_calls) == 1
    sent_from_panel(shell, "notes", "And three lakes?")
    assert cell(shell, "%%ygpt --map cities\nDescribe {item} in one line").ok
    assert cell(shell, "%%ygpt --labels weather,alarm\nweather tomorrow").ok
    assert cell(shell, "%%ygpt --map texts --labels weather,alarm\n{item}").ok
    assert cell(shell, "%ygpt embed cities").ok
    assert cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}").ok


@pytest.mark.usefixtures("widget_comm")
def test_every_door_replayed_after_a_restart_is_counted_as_replayed_never_paid(shell, ygpt_server, cache_file,
                                                                             notes, tmp_path):
    assert cell(shell, WEATHER).ok
    shell.user_ns.update(cities=["Paris", "Rome", "Oslo"], texts=["rain on sunday", "wake me at 7"])
    ygpt_server.reset()
    _every_door(shell, ygpt_server)
    paid = rows_of(cell(shell, "%ygpt usage"), "Tokens by chat")
    sources = ["notes", "prompt mode (--once, %ygpt fix)", "--map rows", "classifications", "embeddings"]
    assert [paid[source][0] for source in sources] == ["2", "4", "3", "3", "7"], paid

    restart(shell, ygpt_server)   # no memo, no chats: only the reply cache is left
    for path in tmp_path.glob("replies.sources.sqlite*"):
        path.unlink()             # and no --docs index: its vectors replay from the cache too
    ygpt_server.reset()
    _every_door(shell, ygpt_server)
    assert ygpt_server.requests == [], "every door replayed"
    replayed = rows_of(cell(shell, "%ygpt usage"), "Tokens by chat")
    for source in sources:
        requests, total, tokens = replayed[source][0], replayed[source][4], replayed[source][6]
        assert (requests, total) == ("0", "0"), (source, replayed[source])
        assert tokens == paid[source][4], (source, "the tokens replayed are those paid before")


def test_batch_rows_are_kept_in_the_cache_not_counted(batch_shell, magics, ygpt_server, cache_file):
    """The job reports no tokens per row: a row entered at zero tokens would read as free."""
    shell = batch_shell
    shell.user_ns["words"] = ["one", "two"]
    assert cell(shell, f"%%ygpt --map words --batch -m {BATCH_MODEL}\nSpell {{item}}").ok
    assert len(batch_rows(ygpt_server)) == 2
    accounts = magics.kernel.session.accounts
    assert accounts.total().requests == 0 and "--map rows" not in cell(shell, "%ygpt usage").plain
    magics.kernel.row_memo.clear()   # kept: the cache replays
    again = cell(shell, f"%%ygpt --map words --batch -m {BATCH_MODEL}\nSpell {{item}}")
    assert again.ok and "2 rows replayed from the reply cache" in again.stdout and len(batch_rows(ygpt_server)) == 2


def _evaluations(shell, source: str) -> Counter:
    seen: list[str] = []
    shell.user_ns["tick"] = lambda item: seen.append(item) or item
    run = cell(shell, source)
    assert run.ok, run.message
    return Counter(seen)


@pytest.mark.parametrize("flags", ["", "--max-cost 100", "--dry-run"])
def test_a_rows_expression_is_evaluated_once(shell, ygpt_server, flags):
    """Planned once, keyed, costed, shown and sent alike: never again to send or record it."""
    shell.user_ns["words"] = ["a", "b", "c"]
    source = f"%%ygpt --map words {flags}\nSay {{tick(item)}}"
    assert _evaluations(shell, source) == Counter("abc")
    if flags != "--dry-run":
        assert _evaluations(shell, source) == Counter("abc"), "an answered row is planned once"


def test_a_row_is_sent_the_prompt_it_is_kept_under(shell, ygpt_server):
    """An expression that gives another value each time: what was sent is what a re-run finds."""
    shell.user_ns.update(words=["a", "b"], n=iter(range(100)))
    assert cell(shell, "%%ygpt --map words\n{item} #{next(n)}").ok
    assert sent_texts(ygpt_server) == ["a #0", "b #1"]
    shell.user_ns["n"] = iter(range(100))
    again = cell(shell, "%%ygpt --map words\n{item} #{next(n)}")
    assert again.ok and "2 rows already answered" in again.stdout and len(completions(ygpt_server)) == 2
