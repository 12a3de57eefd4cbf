"""`%ygpt usage` counts every request the kernel made, whatever its door, and adds up to what the
server billed: a chat cell (and its re-run), a --once cell, a 20-row --map, %ygpt fix, each
round of a tool exchange and a panel Send. Replayed answers are counted apart."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell
from test_magics import EINSTEIN, run_interrupted
from test_panel import sent_from_panel, widget_comm  # noqa: F401 (widget_comm: a fixture)

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


def rows_of(usage_output, title: str) -> dict[str, list[str]]:
    """The table titled ``title`` of `%ygpt usage`, as {first column: the other columns}."""
    [table] = [d["text/plain"] for d in usage_output.displays if d["text/plain"].startswith(title)]
    rows = [re.split(r"\s{2,}", line) for line in table.splitlines()[2:]]  # columns: two spaces apart
    return {row[0]: row[1:] for row in rows}


@pytest.mark.usefixtures("widget_comm")
@pytest.mark.slow
def test_usage_adds_up_to_what_the_server_billed_for_every_door(shell, ygpt_server, magics):
    ygpt_server.reset()
    assert cell(shell, "%%ygpt --chat notes\nName three rivers", cell_id="c1").ok
    assert cell(shell, "%%ygpt --chat notes\nName three rivers", cell_id="c1").ok  # a re-run is paid too
    assert cell(shell, "%%ygpt --once\nName a mountain").ok
    shell.user_ns["cities"] = pd.DataFrame({"city": [f"City {n}" for n in range(20)]})
    assert cell(shell, "%%ygpt --map cities\nDescribe {city} in one line").ok
    cell(shell, "1 / 0")
    assert cell(shell, "%ygpt fix").ok
    assert cell(shell, "def get_weather(city: str) -> str:\n    '''The weather in a city.'''\n"
                       "    return 'sunny'").ok
    assert cell(shell, "%%ygpt --once --tools get_weather\nGet the weather in Paris").ok
    sent_from_panel(shell, "notes", "And three lakes?")

    billed = ygpt_server.billed
    usage = cell(shell, "%ygpt usage")
    total = magics.kernel.session.accounts.total()  # after the usage cell too: a read changes nothing
    assert (total.usage.input_tokens, total.usage.completion_tokens, total.usage.total_tokens) == \
        (billed["input_tokens"], billed["completion_tokens"], billed["total_tokens"])
    assert total.requests == 2 + 1 + 20 + 1 + 2 + 1, "every request, every tool round"
    by_chat = rows_of(usage, "Tokens by chat")
    assert by_chat["notes"][0] == "3" and by_chat["--map rows"][0] == "20"
    assert by_chat["prompt mode (--once, %ygpt fix)"][0] == "4"
    # what the user reads: requests, input, completion, reasoning, total, as the server counted them
    shown = [f"{billed[name]:,}" for name in ("input_tokens", "completion_tokens", "total_tokens")]
    for table, row in (("Tokens by chat", "total"), ("Tokens by model", "yandexgpt")):
        columns = rows_of(usage, table)[row]
        assert [columns[0], columns[1], columns[2], columns[4]] == ["27", *shown], (table, columns)


def test_a_reply_stopped_while_it_streamed_counts_the_tokens_the_server_reported(shell, ygpt_server):
    """The server had read the prompt and generated part of the answer, and ``_ygpt.usage`` said
    so; `%ygpt usage` said that no request had been answered."""
    ygpt_server.faults.latency(0.03)
    shell.run_line_magic("config", "YGptMagics.render_interval = 0.0")
    run_interrupted(shell, "%%ygpt\n" + EINSTEIN[0], on_update=3)
    stopped = shell.user_ns["_ygpt"]
    assert stopped.status == "INTERRUPTED" and stopped.usage.completion_tokens > 0
    usage = cell(shell, "%ygpt usage")
    tokens = [f"{stopped.usage.input_tokens:,}", f"{stopped.usage.completion_tokens:,}"]
    assert rows_of(usage, "Tokens by chat")["default"][:3] == ["1", *tokens], usage.shown
    assert rows_of(usage, "Tokens by model")["yandexgpt"][:3] == ["1", *tokens], usage.shown
    assert (f"Included above: 1 reply stopped while it streamed (Ctrl-C or the panel's Stop), counted with "
            f"the tokens the server had reported by then ({tokens[0]} → {tokens[1]} tokens, ≈") in usage.shown
