"""What requests cost, as a user sees it: the footer's ≈roubles and `%ygpt usage`'s roubles are
the tokens the server billed × the price table (chat/prices.json), per model and mode; the
setting YGptMagics.prices overrides and extends the table, and refuses what is not a price;
a replayed answer shows what it saved."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clean, run
from conftest import cell
from test_accounts import rows_of

from ygpt_magic.chat import Reply, Usage
from ygpt_magic.chat.prices import TOKEN_MODES, builtin, roubles

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

PRO_SYNC, PRO_ASYNC, LITE_SYNC = Decimal("1.20"), Decimal("0.60"), Decimal("0.20")


@pytest.fixture
def prices(shell):
    """`%config YGptMagics.prices = ...` for one test (the shell's config outlives it)."""
    def configure(value: str):
        return run(shell, f"%config YGptMagics.prices = {value}")
    yield configure
    shell.config.YGptMagics.pop("prices", None)


def billed(server) -> int:
    return server.billed["total_tokens"]


def test_the_table_says_where_and_when_its_prices_come_from():
    table = builtin()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table.as_of) and "yandex.cloud" in table.source
    assert (table.price("yandexgpt"), table.price("yandexgpt", "async")) == (PRO_SYNC, PRO_ASYNC)
    assert table.price("gpt://b1gfolder/yandexgpt-lite/latest") == LITE_SYNC
    assert table.price("emb://b1gfolder/text-search-query/latest", "batch") == Decimal("0.01")
    assert table.price("llama") is None


def test_roubles_read_as_a_russian_reader_reads_money():
    assert roubles(Decimal("0.0492")) == "≈0.05\u00a0₽"
    assert roubles(Decimal("1234.5")) == "≈1\u00a0234.50\u00a0₽"
    assert roubles(Decimal("0.0041")) == "≈0.0041\u00a0₽"  # under a kopeck: not "≈0.00 ₽"
    assert roubles(Decimal("0.00997")) == "≈0.01\u00a0₽"  # a kopeck once rounded: not "≈0.010 ₽"
    assert roubles(Decimal("0.00994")) == "≈0.0099\u00a0₽"
    assert roubles(Decimal("0.00007")) == "≈0.00007\u00a0₽"
    assert roubles(Decimal(0)) == "0\u00a0₽"


def test_usage_roubles_are_the_billed_tokens_times_the_price_per_mode(shell, ygpt_server):
    ygpt_server.operation_delay = 0.0
    ygpt_server.reset()
    assert cell(shell, "%%ygpt --chat notes\nName three rivers").ok
    sync = billed(ygpt_server)
    assert cell(shell, "%%ygpt --once --deferred\nName a mountain").ok
    deferred = billed(ygpt_server) - sync   # the local server bills an operation's completion too
    assert deferred == shell.user_ns["_ygpt"].usage.total_tokens
    assert cell(shell, "%%ygpt --once --model yandexgpt-lite\nName a lake").ok
    lite = billed(ygpt_server) - sync - deferred

    usage = cell(shell, "%ygpt usage")
    by_model = rows_of(usage, "Tokens by model")
    assert by_model["yandexgpt"][5] == roubles(PRO_SYNC * sync / 1000)
    assert by_model["yandexgpt (async)"][5] == roubles(PRO_ASYNC * deferred / 1000)
    assert by_model["yandexgpt-lite"][5] == roubles(LITE_SYNC * lite / 1000)
    total = (PRO_SYNC * sync + PRO_ASYNC * deferred + LITE_SYNC * lite) / 1000
    assert rows_of(usage, "Tokens by chat")["total"][5] == roubles(total)
    assert "prices as of" in usage.plain and "what Yandex Cloud would bill" in usage.plain


def test_a_model_without_a_price_shows_no_price_until_the_setting_gives_one(shell, ygpt_server,
                                                                             prices):
    ygpt_server.reset()
    assert cell(shell, "%%ygpt --once --model llama\nName a river").ok
    llama = billed(ygpt_server)
    assert rows_of(cell(shell, "%ygpt usage"), "Tokens by model")["llama"][5] == "no price"

    assert prices('{"llama": 2.5, "yandexgpt": {"sync": 2}}').ok
    assert cell(shell, "%%ygpt --once\nName a sea").ok
    pro = billed(ygpt_server) - llama
    assert cell(shell, "%%ygpt --once --model llama\nName a river").ok
    by_model = rows_of(cell(shell, "%ygpt usage"), "Tokens by model")
    assert by_model["llama"][5] == f"{roubles(Decimal('2.5') * llama / 1000)} + 1 unpriced"
    assert by_model["yandexgpt"][5] == roubles(2 * Decimal(pro) / 1000)
    assert shell.user_ns["_ygpt"].cost == Decimal("2.5") * llama / 1000
    assert cell(shell, "%%ygpt --once --deferred\nName a sea").ok  # async keeps the table's price
    assert shell.user_ns["_ygpt"].cost == PRO_ASYNC * shell.user_ns["_ygpt"].usage.total_tokens / 1000


def test_a_classification_has_no_price_until_the_setting_gives_its_own(shell, ygpt_server, prices):
    """The published table prints no price for classifiers (billed per request): a classification is
    not priced as a completion of its base model, in the footer or in %ygpt usage."""
    labels = "%%ygpt --labels positive,negative\nThe screen cracked on day one"
    assert cell(shell, labels).ok
    by_model = rows_of(cell(shell, "%ygpt usage"), "Tokens by model")
    assert by_model["yandexgpt (classify)"][5] == "no price"
    assert prices('{"yandexgpt": {"classify": 0.4}}').ok
    assert cell(shell, labels).ok
    tokens = shell.user_ns["_ygpt"].usage.input_tokens
    by_model = rows_of(cell(shell, "%ygpt usage"), "Tokens by model")
    assert by_model["yandexgpt (classify)"][5] == f"{roubles(Decimal('0.4') * tokens / 1000)} + 1 unpriced"


def test_the_advice_for_a_missing_price_names_the_mode_so_following_it_changes_no_other(shell, magics,
                                                                                      ygpt_server, prices):
    """yandexgpt has no batch price: a plain number, as the advice said, would price every token
    mode, doubling --deferred's; the advice names the mode, and following it prices only that."""
    shell.user_ns["cities"] = [f"City {n}" for n in range(3)]
    run = cell(shell, "%%ygpt --map cities --batch --dry-run\nOne fact about {item}")
    advice = re.search(r"set one with %config (YGptMagics\.prices = .*?) \(roubles", run.page)
    assert advice, run.page
    assert prices(advice.group(1).removeprefix("YGptMagics.prices = ")).ok
    table = magics.kernel.session.accounts.prices
    assert table.price("yandexgpt", "batch") == Decimal("1.2")
    assert (table.price("yandexgpt", "async"), table.price("yandexgpt", "sync")) == (PRO_ASYNC, PRO_SYNC)


@pytest.mark.parametrize(("value", "words"), [
    ('{"yandexgpt": -1}', "a number ≥ 0, not -1"),
    ('{"yandexgpt": float("nan")}', "a number ≥ 0, not nan"),
    ('{"yandexgpt": "cheap"}', "a number ≥ 0, not 'cheap'"),
    ('{"yandexgpt": {"fast": 1}}', "modes sync, async, batch and classify, not 'fast'"),
])
def test_a_price_that_is_not_a_price_is_refused_in_one_paragraph(shell, magics, prices, value,
                                                                 words):
    result = prices(value)
    assert "YGptMagics.prices" in result.stderr and words in result.stderr
    assert "Traceback" not in result.shown and len(result.stderr.strip().splitlines()) == 1
    assert_clean(result)
    assert magics.prices == {} and magics.kernel.session.accounts.prices.price("yandexgpt") == PRO_SYNC


def test_a_price_for_a_model_no_one_has_is_kept_and_said_in_one_line(shell, magics, prices):
    result = prices('{"yandexgtp": 5, "gemma-3-12b-it": {"batch": 0.3}, "gpt://b1g/my-tuned/latest": 1}')
    assert result.ok
    said = result.stderr.strip().splitlines()
    assert len(said) == 1 and "'yandexgtp' (did you mean yandexgpt?)" in said[0], result.stderr
    assert "gemma" not in said[0] and "my-tuned" not in said[0]
    assert magics.kernel.session.accounts.prices.price("yandexgtp") == 5     # kept: a tuned model's name
    assert prices('{"yandexgpt-lite/rc": 0.1}').stderr == ""


def test_the_footer_shows_what_yandex_cloud_would_bill_for_a_local_reply(shell, ygpt_server):
    ygpt_server.reset()
    result = cell(shell, "%%ygpt\nName three rivers")
    cost = roubles(PRO_SYNC * billed(ygpt_server) / 1000)
    assert re.search(rf"\d+ → \d+ tokens · Yandex Cloud would bill {cost} · \d+\.\d s", result.page)


def test_a_replayed_reply_shows_what_it_saved(shell, ygpt_server, tmp_path):
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'r.sqlite')!r}")
    try:
        ygpt_server.reset()
        assert cell(shell, "%%ygpt --once\nName three rivers").ok
        sent = billed(ygpt_server)
        replayed = cell(shell, "%%ygpt --once\nName three rivers")
        assert billed(ygpt_server) == sent  # nothing sent, nothing billed
        cost = roubles(PRO_SYNC * sent / 1000)
        assert "cached" in replayed.page and f"saved {cost} at Yandex Cloud prices" in replayed.page
        total = rows_of(cell(shell, "%ygpt usage"), "Tokens by chat")["total"]
        assert total[5:] == [cost, f"{sent:,}", cost]  # roubles sent, tokens replayed, saved
    finally:
        shell.config.YGptMagics.pop("cache_path", None)


def test_the_footer_of_a_cloud_reply_shows_its_cost_and_a_replayed_one_what_it_saved():
    reply = Reply("Hi", "FINAL", Usage(29, 12, 0, 41), "yandexgpt", "23.10.2024", 0.4,
                  cost=Decimal("0.0492"))
    assert reply.summary() == "yandexgpt · 23.10.2024 · 29 → 12 tokens · ≈0.05\u00a0₽ · 0.4 s"
    cached = Reply("Hi", "FINAL", Usage(29, 12, 0, 41), "yandexgpt", "23.10.2024", 0.0,
                   cached=True, recorded="2026-12-01T10:00:00Z", cost=Decimal("0.0492"))
    assert "29 → 12 tokens · saved ≈0.05\u00a0₽ · cached · recorded 2026-12-01" in cached.summary()
    assert "₽" not in Reply("Hi", "FINAL", Usage(29, 12, 0, 41), "llama", "", 0.4).summary()


def test_the_cost_page_shows_the_table_as_shipped():
    page = (Path(__file__).resolve().parents[1] / "docs" / "guide" / "cost.md").read_text("utf-8")
    table = builtin()
    for name, modes in table.models.items():
        cells = [f"{modes[mode]:.2f}" if mode in modes else "" for mode in TOKEN_MODES]
        assert f"| `{name}` | {' | '.join(cells)} |" in page, name
    assert f"taken on {table.as_of}" in page


def test_the_footer_of_a_model_without_a_price_says_so(shell, ygpt_server):
    """Not a footer without roubles, which reads like a free reply: "no price", as %ygpt usage says."""
    run = cell(shell, "%%ygpt --once --model llama\nName a river")
    assert run.ok and " tokens · no price · " in run.plain, run.plain
    assert shell.user_ns["_ygpt"].cost is None
    priced = cell(shell, "%%ygpt --once\nName a river")
    assert "no price" not in priced.plain and "Yandex Cloud would bill ≈" in priced.plain
