"""Where a cell's cost cap leaked (guide/cost.md, "A cap on what a run may cost"): the rounds of
a tool exchange after the first, the pictures a cell sends, and the reply cache, which replays
a recorded request for nothing. Each test runs a cell through the real shell and the local
server, and asserts what the server billed and what the user was told.

Prices are the built-in table's: yandexgpt 1.20 ₽ per 1,000 tokens (sync); gemma-3-27b-it is
given 0.4 ₽, which it has no sync price for by default.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from cellrun import assert_clear_error
from conftest import cell, completions
from pictures import MODEL, pics  # noqa: F401 (a fixture)
from test_cache import cache_file  # noqa: F401 (a fixture)
from test_panel import widget_comm  # noqa: F401 (a fixture)
from test_panel_doors import opened, sent

from ygpt_magic.chat.accounts import PROMPT_MODE
from ygpt_magic.chat.pictures import PICTURE_TOKENS
from ygpt_magic.errors import CostOverCap

pytestmark = pytest.mark.usefixtures("fresh_names")

YANDEXGPT = Decimal("1.2")   # ₽ per 1,000 tokens
GEMMA = Decimal("0.4")
LONG_RESULT = ("def lookup(city: str) -> str:\n    '''Facts about a city.'''\n"
               "    return 'The city has a long history. ' * 400")
CHART = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2, 3])"
RIVER = "%%ygpt --once\nName a river"


def billed(server, price: Decimal) -> Decimal:
    """What the server billed so far at ``price`` ₽ per 1,000 tokens."""
    return Decimal(server.billed["total_tokens"]) * price / 1000


# -- a tool exchange: every round under the cap ---------------------------------------------------

def test_a_tool_exchange_stops_before_the_round_that_would_pass_its_cap(shell, ygpt_server, magics):
    """The first round fits 0.5 ₽; the round that sends 11,600 characters of the tool's result
    back would not, so it is not sent, and the cell says what was spent and why it stopped."""
    assert cell(shell, LONG_RESULT).ok
    run = cell(shell, "%%ygpt --once --tools lookup --max-cost 0.5\nUse lookup for Paris")
    message = assert_clear_error(run, "round 2", "0.5 ₽", "lookup(city=\"Paris\")", "characters",
                                 "not sent", error_type=CostOverCap)
    assert len(completions(ygpt_server)) == 1 and billed(ygpt_server, YANDEXGPT) <= Decimal("0.5")
    first = billed(ygpt_server, YANDEXGPT)
    assert re.search(r"(?i)the first round cost ≈0\.\d+\u00a0₽", message), message
    assert f"{first:.2f}" in message, (first, message)       # the server's count, not a guess
    assert "--max-cost " in message.split("raise the cap", 1)[1]
    assert "🔧 lookup(city=\"Paris\")" in run.plain_page     # the call made stays on screen
    assert "_ygpt" not in shell.user_ns
    assert magics.kernel.session.accounts.by_source[PROMPT_MODE].cost.amount == pytest.approx(first)


def test_a_stopped_tool_exchange_leaves_its_chat_as_ctrl_c_does(shell, ygpt_server, magics):
    assert cell(shell, LONG_RESULT).ok
    assert cell(shell, "%%ygpt\nName a river").ok
    before = list(magics.kernel.session.chats["default"].turns)
    run = cell(shell, "%%ygpt --tools lookup --max-cost 0.5\nUse lookup for Paris")
    assert "Nothing of the exchange was added to the chat" in assert_clear_error(run, error_type=CostOverCap)
    assert magics.kernel.session.chats["default"].turns == before


def test_a_tool_exchange_under_its_cap_runs_every_round(shell, ygpt_server):
    assert cell(shell, LONG_RESULT).ok
    run = cell(shell, "%%ygpt --once --tools lookup --max-cost 5\nUse lookup for Paris")
    assert run.ok, run.message
    assert len(completions(ygpt_server)) == 2 and billed(ygpt_server, YANDEXGPT) <= 5


# -- pictures: their tokens priced --------------------------------------------------------------

def _chart(shell) -> None:
    assert cell(shell, CHART).ok
    assert cell(shell, f'%config YGptMagics.prices = {{"{MODEL}": 0.4}}').ok


def test_a_dry_run_prices_the_pictures_tokens(pics, ygpt_server):
    _chart(pics)
    dry = cell(pics, f"%%ygpt --image fig --model {MODEL} --max-tokens 10 --dry-run\nWhat does this chart show?")
    assert dry.ok, dry.message
    text = int(re.search(rf"(\d+) tokens by the tokenizer API \+ {PICTURE_TOKENS} for 1 image", dry.page).group(1))
    assert f"{text + PICTURE_TOKENS} input tokens" in dry.page, dry.page


def test_a_cap_prices_the_pictures_tokens(pics, ygpt_server):
    """Priced as text alone (≈0.126 ₽) the cell fits 0.13 ₽, and it billed ≈0.143 ₽; with the
    picture's 260 tokens it is estimated at ≈0.23 ₽ and refused."""
    _chart(pics)
    capped = cell(pics, f"%%ygpt --image fig --model {MODEL} --max-cost 0.13\nWhat does this chart show?")
    assert_clear_error(capped, "over the cap", error_type=CostOverCap)
    assert ygpt_server.billed["total_tokens"] == 0 and completions(ygpt_server) == []


# -- the reply cache: a replayed request costs nothing --------------------------------------------

@pytest.mark.usefixtures("cache_file")
def test_a_cap_lets_through_a_cell_the_cache_replays(shell, ygpt_server):
    assert cell(shell, RIVER).ok
    again = cell(shell, "%%ygpt --once --max-cost 0.01\nName a river")
    assert again.ok, again.message
    assert shell.user_ns["_ygpt"].cached and len(completions(ygpt_server)) == 1
    assert [r.method for r in ygpt_server.requests].count("TokenizeCompletion") == 0


@pytest.mark.usefixtures("cache_file")
def test_in_replay_mode_a_cap_lets_every_recorded_cell_replay(shell, ygpt_server):
    assert cell(shell, RIVER).ok
    assert cell(shell, "%config YGptMagics.cache_mode = 'replay'").ok
    assert cell(shell, "%config YGptMagics.max_cost_per_cell = 5").ok
    capped = cell(shell, RIVER)
    assert capped.ok, capped.message
    assert shell.user_ns["_ygpt"].cached and len(completions(ygpt_server)) == 1


@pytest.mark.usefixtures("cache_file")
def test_in_replay_mode_a_recorded_cells_dry_run_is_no_cache_miss(shell, ygpt_server):
    assert cell(shell, RIVER).ok
    assert cell(shell, "%config YGptMagics.cache_mode = 'replay'").ok
    dry = cell(shell, "%%ygpt --once --dry-run\nName a river")
    assert dry.ok, dry.message
    assert "Estimated cost ≈" in dry.page and len(completions(ygpt_server)) == 1


@pytest.mark.usefixtures("cache_file")
def test_in_replay_mode_an_unrecorded_cell_is_still_a_cache_miss_under_a_cap(shell, ygpt_server):
    assert cell(shell, RIVER).ok
    assert cell(shell, "%config YGptMagics.cache_mode = 'replay'").ok
    missed = cell(shell, "%%ygpt --once --max-cost 5\nName a lake")
    assert_clear_error(missed, "No recorded reply", "Name a lake")
    assert len(completions(ygpt_server)) == 1


@pytest.mark.usefixtures("cache_file", "widget_comm")
def test_a_cap_lets_through_a_panel_send_the_cache_replays(shell, ygpt_server):
    for chat, cap in (("sea", "None"), ("ocean", "0.0001")):   # the same request, another chat
        assert cell(shell, f"%config YGptMagics.max_cost_per_cell = {cap}").ok
        panel = opened(shell, f"--chat {chat}")
        try:
            assert sent(panel, "Tell me about the sea") == ""
        finally:
            panel.close()
    assert len(completions(ygpt_server)) == 1
    assert "TokenizeCompletion" not in [r.method for r in ygpt_server.requests]


@pytest.mark.usefixtures("widget_comm")
def test_a_panel_sends_tool_exchange_stops_at_the_cap_with_advice_it_can_follow(shell, ygpt_server, magics):
    assert cell(shell, LONG_RESULT).ok
    assert cell(shell, "%ygpt chat tools").ok and cell(shell, "%ygpt config --chat tools --tools lookup").ok
    assert cell(shell, "%config YGptMagics.max_cost_per_cell = 0.5").ok
    panel = opened(shell, "--chat tools")
    try:
        status = sent(panel, "Use lookup for Paris")
    finally:
        panel.close()
    assert "the tool exchange stopped at the cost cap of 0.5 ₽" in status, status
    assert "%config YGptMagics.max_cost_per_cell = " in status and "--max-cost 4" not in status, status
    assert len(completions(ygpt_server)) == 1 and not magics.kernel.session.chats["tools"].turns


@pytest.mark.usefixtures("cache_file")
def test_a_tool_exchange_the_cache_replays_passes_any_cap(shell, ygpt_server):
    """Every round is looked up before the cap is asked: recorded rounds cost nothing."""
    assert cell(shell, LONG_RESULT).ok
    assert cell(shell, "%%ygpt --once --tools lookup\nUse lookup for Paris").ok
    again = cell(shell, "%%ygpt --once --tools lookup --max-cost 0.0001\nUse lookup for Paris")
    assert again.ok, again.message
    assert shell.user_ns["_ygpt"].cached and len(completions(ygpt_server)) == 2
