"""One model, one price and one usage row, however it is named: ``yandexgpt``, ``yandexgpt/latest``
and ``gpt://folder/yandexgpt/latest`` are the same model (the client asks for ``latest`` when no
version is given), so a price set for any of them prices all of them, as prices.json's note
suggests ("if your folder's yandexgpt/latest is 5.1, override it"); ``rc`` and ``deprecated``
are other versions, priced apart when a price names them."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell
from test_accounts import rows_of
from test_prices import prices  # noqa: F401 (a fixture)

from ygpt_magic.chat.prices import builtin, roubles

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

LATEST = ("yandexgpt", "yandexgpt/latest", "gpt://b1gfolder/yandexgpt/latest")


@pytest.mark.parametrize("name", [*LATEST, "yandexgpt/rc", "yandexgpt-lite/deprecated", "gemma-3-27b-it/latest"])
def test_a_price_for_a_listed_model_and_version_is_taken_without_a_word(prices, name):
    said = prices(f'{{"{name}": 0.4}}')
    assert said.ok and "did you mean" not in said.shown and "no model" not in said.shown, said.shown


def test_a_price_for_an_unknown_version_still_asks(prices):
    said = prices('{"yandexgtp/latest": 0.4}')
    assert "did you mean yandexgpt/latest?" in said.shown, said.shown


@pytest.mark.parametrize("named", LATEST)
def test_a_latest_price_prices_every_name_of_latest(prices, magics, named):
    assert prices(f'{{"{named}": {{"sync": 0.4}}}}').ok
    table = magics.kernel.session.accounts.prices
    assert [table.price(model) for model in LATEST] == [Decimal("0.4")] * 3
    assert table.price("yandexgpt", "async") == builtin().price("yandexgpt", "async")  # other modes kept


@pytest.mark.parametrize("named", LATEST[1:])
def test_a_price_that_names_latest_leaves_rc_at_the_models_price(prices, magics, named):
    """A price for ``yandexgpt`` (no version) is the model's, for every version without its own."""
    assert prices(f'{{"{named}": 0.4}}').ok
    assert magics.kernel.session.accounts.prices.price("gpt://b1gfolder/yandexgpt/rc") == builtin().price("yandexgpt")


def test_the_default_model_is_priced_at_a_latest_price_and_counted_in_one_row(shell, ygpt_server, prices):
    assert prices('{"yandexgpt/latest": 0.4}').ok
    assert cell(shell, "%%ygpt --once\nName a river").ok                 # yandexgpt, sent as .../latest
    first = shell.user_ns["_ygpt"]
    assert first.cost == Decimal("0.4") * first.usage.total_tokens / 1000
    assert cell(shell, "%%ygpt --once --model yandexgpt/latest\nName a lake").ok
    assert cell(shell, "%%ygpt --once --model gpt://b1gfolder/yandexgpt/latest\nName a sea").ok
    by_model = rows_of(cell(shell, "%ygpt usage"), "Tokens by model")
    assert "yandexgpt/latest" not in by_model and "gpt://b1gfolder/yandexgpt/latest" not in by_model
    assert by_model["yandexgpt"][5] == roubles(Decimal("0.4") * ygpt_server.billed["total_tokens"] / 1000)


@pytest.mark.parametrize(("short", "model"), [("doc", "text-search-doc"), ("query", "text-search-query")])
def test_a_price_set_for_an_embedding_models_short_name_prices_what_embed_sends(shell, ygpt_server, prices,
                                                                                short, model):
    """``%ygpt embed --model doc`` names the model as the service's short name; a price set under
    that name is the model's, in the summary and in %ygpt usage alike, and is not taken for a
    model no one has (it was: kept apart, it priced nothing, and the summary went on at the table's)."""
    said = prices(f'{{"{short}": 5}}')
    assert said.ok and "no model" not in said.shown, said.shown
    shell.user_ns["texts"] = ["apple", "pear", "plum"]
    run = cell(shell, f"%ygpt embed texts --model {short}")
    assert run.ok, run.message
    cost = roubles(Decimal(5) * shell.user_ns["_ygpt"].usage.total_tokens / 1000)
    assert f"0 tokens · {cost} · " in run.stdout, run.stdout
    assert rows_of(cell(shell, "%ygpt usage"), "Tokens by model")[model][-1] == cost


def test_a_cap_names_the_model_as_usage_counts_it_and_its_advice_prices_the_run(shell, ygpt_server, prices):
    """A run refused by its cap says which price it looked for under the name %ygpt usage counts
    the model by, and the %config it offers, typed in, prices the run: it said the model as
    typed, so a gpt:// URI put its folder id in the refusal and in the setting it asked for, and
    a yandexgpt/latest or an embedding was named apart from its usage row."""
    shell.user_ns["fruits"] = ["apple", "pear"]
    source = "%%ygpt --map fruits --model gpt://b1gtestfolder/llama/latest --max-cost 1\nOne word about {item}"
    refused = cell(shell, source)
    assert not refused.ok and "no price for llama, sync" in refused.message, refused.message
    assert "b1gtestfolder" not in refused.message
    setting = re.search(r"%config (YGptMagics\.prices = \{.*?\}\})", refused.message)
    assert setting and prices(setting[1].removeprefix("YGptMagics.prices = ")).ok
    assert cell(shell, source).ok
    assert rows_of(cell(shell, "%ygpt usage"), "Tokens by model")["llama"][-1] == roubles(
        Decimal("1.2") * ygpt_server.billed["total_tokens"] / 1000)

    over = cell(shell, "%%ygpt --once --model yandexgpt/latest --max-cost 0.00001\nHi")
    assert "(yandexgpt, sync)" in over.message, over.message
    shell.user_ns["texts"] = ["apple", "pear"]
    embedded = cell(shell, "%ygpt embed texts --model emb://b1gtestfolder/text-search-doc/latest --dry-run")
    assert "(text-search-doc, sync)" in embedded.shown, embedded.shown
