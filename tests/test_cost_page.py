"""guide/cost.md's quoted outputs add up: the roubles each quote gives are its tokens at the price
it names, as the product computes them (a reader takes these numbers as what a run costs). The
quotes were printed by the product against the local server; here only their arithmetic is held."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from ygpt_magic.chat.prices import builtin

PAGE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "cost.md"


def _page() -> str:
    return " ".join(PAGE.read_text("utf-8").split())


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("\u00a0", "").replace(" ", ""))


def _yandexgpt() -> Decimal:
    price = builtin().price("yandexgpt", "sync")
    assert price is not None
    return price


def test_the_dry_run_quote_prices_its_tokens_at_the_price_it_names():
    quote = re.search(r"Dry run \(--map.*?\(yandexgpt, sync\)\.", _page()).group(0)
    quoted = _number(re.search(r"Estimated cost ≈([\d.,]+) ₽", quote).group(1))
    tokens = _number(re.search(r"≈[\d.,]+ ₽: ([\d,]+) input tokens", quote).group(1))
    tokens += _number(re.search(r"about ([\d,]+) output tokens", quote).group(1))
    price = _number(re.search(r"at ([\d.]+) ₽ per 1,000 tokens", quote).group(1))
    assert price == _yandexgpt() and f"{price:.2f}" in quote, "the table's price, as the product writes it"
    assert tokens * price / 1000 == quoted, f"{tokens} tokens at {price} ₽ per 1,000 is not ≈{quoted} ₽"


def test_the_cap_stop_quote_spends_its_tokens_at_the_price_and_no_more_than_the_cap():
    """The summary of a --map run (model yandexgpt) that the cap stopped: its tokens at the price
    are what it says it spent, and rows that cost alike stop under the cap (chat/budget.py)."""
    found = re.search(r"✓ (\d+) answered · ([\d,]+) → ([\d,]+) tokens · ≈([\d.]+) ₽ .*? Stopped at the "
                      r"cost cap: spent ≈([\d.]+) ₽ of ([\d.]+) ₽, (\d+) rows left", _page())
    answered, tokens = int(found.group(1)), _number(found.group(2)) + _number(found.group(3))
    summed, spent, cap, left = (*map(_number, found.group(4, 5, 6)), int(found.group(7)))
    assert round(tokens * _yandexgpt() / 1000, 2) == spent, f"{tokens} tokens are not ≈{spent} ₽"
    assert summed == spent, "the summary's roubles are what the cap's line says was spent"
    assert spent <= cap and spent + spent / answered > cap, "stopped under the cap, one row short of it"
    assert answered + left == 40, "the page's run has 40 rows"
