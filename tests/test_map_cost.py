"""What a --map cell's summary says its rows cost: the roubles of the rows sent in this run, after
their tokens, priced as %ygpt usage and a reply's footer price them (the ledger); replayed rows
cost nothing, and a model the price table has no price for says "no price", never a free 0."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell
from test_accounts import rows_of

from ygpt_magic.chat.prices import roubles

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

PRO_SYNC = Decimal("1.20")   # yandexgpt, roubles per 1,000 tokens (docs/guide/cost.md)
MAP = "%%ygpt --map fruits\nOne word about {item}"


def priced_tokens(stdout: str) -> str:
    """The summary's ``tokens · … ·`` part: what follows the token counts, up to the seconds."""
    found = re.search(r"✓ [^\n]*? tokens · ([^\n]*?) · \d+\.\d s", stdout)
    assert found, stdout
    return found[1]


def test_the_summary_prices_the_rows_sent_as_usage_does_and_a_replayed_row_costs_nothing(shell, ygpt_server):
    ygpt_server.reset()
    shell.user_ns["fruits"] = ["apple", "pear", "plum"]
    run = cell(shell, MAP)
    assert run.ok, run.message
    first = ygpt_server.billed["total_tokens"]
    assert shell.user_ns["_ygpt"].usage.total_tokens == first > 0
    assert priced_tokens(run.stdout) == roubles(PRO_SYNC * first / 1000)
    assert rows_of(cell(shell, "%ygpt usage"), "Tokens by chat")["--map rows"][-1] == roubles(PRO_SYNC * first / 1000)

    shell.user_ns["fruits"] = ["apple", "pear", "plum", "fig"]   # three replayed, one sent
    run = cell(shell, MAP)
    assert run.ok and "(3 from this kernel's earlier runs)" in run.stdout, run.stdout
    sent = ygpt_server.billed["total_tokens"] - first
    assert priced_tokens(run.stdout) == roubles(PRO_SYNC * sent / 1000)


def test_a_price_of_your_own_is_the_one_the_summary_shows(shell, ygpt_server):
    ygpt_server.reset()
    shell.run_line_magic("config", 'YGptMagics.prices = {"yandexgpt": 3}')
    shell.user_ns["fruits"] = ["apple", "pear"]
    run = cell(shell, MAP)
    assert priced_tokens(run.stdout) == roubles(Decimal(3) * ygpt_server.billed["total_tokens"] / 1000)


def test_a_model_without_a_price_says_no_price_as_a_footer_does(shell, ygpt_server):
    shell.user_ns["fruits"] = ["apple", "pear"]
    run = cell(shell, "%%ygpt --map fruits --model llama\nOne word about {item}")
    assert run.ok, run.message
    assert priced_tokens(run.stdout) == "no price"


def test_labels_over_rows_are_priced_by_the_classify_price(shell, ygpt_server):
    """Classifiers have no price in the table (billed per request): "no price" until the setting
    gives one, then its roubles."""
    shell.user_ns["reviews"] = pd.DataFrame({"text": ["Great screen", "Broke on day one"]})
    labels = "%%ygpt --labels positive,negative --map reviews\n{text}"
    run = cell(shell, labels)
    assert run.ok, run.message
    assert priced_tokens(run.stdout) == "no price"
    shell.run_line_magic("config", 'YGptMagics.prices = {"yandexgpt": {"classify": 2}}')
    shell.user_ns["reviews"] = pd.DataFrame({"text": ["Bright screen", "Cracked on day two"]})
    run = cell(shell, labels)
    tokens = shell.user_ns["_ygpt"].usage.total_tokens
    assert tokens > 0 and priced_tokens(run.stdout) == roubles(Decimal(2) * tokens / 1000)


def test_replies_that_do_not_fit_the_schema_are_in_the_summarys_tokens_roubles_and_bar(shell, ygpt_server):
    """A row whose reply fails the --schema is failed, but the server answered it and billed it
    (%ygpt usage counts it): the summary said 0 tokens and no roubles, the bar "0 tokens"."""
    ygpt_server.reset()
    assert cell(shell, "from pydantic import BaseModel, field_validator\n"
                       "class Verdict(BaseModel):\n    sentiment: str\n"
                       "    @field_validator('sentiment')\n    @classmethod\n    def never(cls, v):\n"
                       "        raise ValueError('never fits')\n").ok
    shell.user_ns["fruits"] = ["apple", "pear", "plum"]
    run = cell(shell, "%%ygpt --map fruits --schema Verdict --out verdicts\nOne word about {item}")
    assert run.ok, run.message
    billed = ygpt_server.billed
    assert billed["total_tokens"] > 0 and "✓ 0 answered · ✗ 3 failed (3 reply not valid)" in run.stdout
    assert f"{billed['input_tokens']:,} → {billed['completion_tokens']:,} tokens" in run.stdout, run.stdout
    cost = roubles(PRO_SYNC * billed["total_tokens"] / 1000)
    assert priced_tokens(run.stdout) == f"{cost} (3 replies that did not fit the schema included)"
    assert shell.user_ns["_ygpt"].usage.total_tokens == billed["total_tokens"]
    assert f"{billed['total_tokens']:,} tokens, 3 failed" in run.stderr, run.stderr   # the bar's last line
    assert rows_of(cell(shell, "%ygpt usage"), "Tokens by chat")["--map rows"][-1] == cost


def test_the_data_page_quotes_a_summary_whose_roubles_are_its_tokens_at_the_table_price():
    page = " ".join((Path(__file__).resolve().parents[1] / "docs" / "guide" / "data.md").read_text("utf-8").split())
    found = re.search(r"· ([\d,]+) → ([\d,]+) tokens · (≈[\d.]+ ₽) · [\d.]+ s · [\d,]+ rows/s", page)
    assert found, "data.md quotes a --map summary"
    tokens = sum(int(count.replace(",", "")) for count in found.group(1, 2))
    assert roubles(PRO_SYNC * tokens / 1000).replace("\u00a0", " ") == found[3]
