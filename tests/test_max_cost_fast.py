"""A --map run's cost cap holds however fast the server answers (guide/cost.md, "A cap on what a
run may cost"): the local server answers at once by default, faster than the kernel's thread
reads the answers, and a whole run must not slip under the cap at the pre-run guess.

The page's promise: the cap is passed only by what the rows in flight at the last launch cost
above their reserved share (the guess before any answer, the average answer after). Here the
guess is a third of a row's cost, but the first rows in flight fit under the cap even at their
real cost, and the rows cost within a token or two of each other, so once answers are in, the
reserve is what a row costs and the run stops under the cap (the old code sent all 40 rows,
≈5.17 ₽)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from conftest import cell, completions
from skewed import skewed

pytestmark = pytest.mark.usefixtures("fresh_names")

CAP = Decimal("1.7")
CONCURRENCY = 8    # YGptMagics.map_concurrency's default
PRICE = Decimal("1.20")   # yandexgpt, sync: the built-in price table's


def test_a_map_run_against_a_server_that_answers_at_once_stops_at_its_cap(shell, ygpt_server, magics):
    shell.user_ns["many"] = [f"short review {i:02d}" for i in range(40)]
    seed = cell(shell, "%%ygpt --map many --max-tokens 3 --out a\nSummarise: {item}")   # a low guess next
    assert seed.ok, seed.message
    before = magics.kernel.session.accounts.by_source["--map rows"].cost.amount
    ygpt_server.reset()

    run = cell(shell, f"%%ygpt --map many --max-cost {CAP} --out b\nTell me all about: {{item}}")
    assert run.ok, run.message
    spent = magics.kernel.session.accounts.by_source["--map rows"].cost.amount - before
    sent = len(completions(ygpt_server))
    answered = sum(x is not None for x in shell.user_ns["b"])
    assert answered == sent < 40, f"{sent} of 40 rows were sent, ≈{spent:.2f} ₽ for a cap of {CAP} ₽\n{run.stdout}"
    stop = re.search(r"Stopped at the cost cap: spent ≈([\d.]+)\u00a0₽ of 1.7 ₽, (\d+) rows left", run.stdout)
    assert stop, run.stdout
    assert Decimal(stop.group(1)) == round(spent, 2) and int(stop.group(2)) == 40 - sent
    tokens = re.search(r"([\d,]+) → ([\d,]+) tokens", run.stdout)
    each = (int(tokens.group(1).replace(",", "")) + int(tokens.group(2).replace(",", ""))) / Decimal(sent)
    assert CONCURRENCY * PRICE * each / 1000 < CAP, "the first rows in flight fit under the cap"
    assert spent <= CAP, f"≈{spent:.4f} ₽ spent for a cap of {CAP} ₽ (rows of ≈{PRICE * each / 1000:.4f} ₽)"


def server_spent(server, price_per_token: Decimal) -> tuple[int, Decimal]:
    """The texts the server embedded and what they cost by its own count of their tokens."""
    from ygpt_magic.emulator.vectors import input_tokens

    texts = [r.messages[0]["text"] for r in server.requests if r.method == "TextEmbedding"]
    return len(texts), sum((input_tokens(text) * price_per_token for text in texts), Decimal(0))


def test_embed_against_a_server_that_answers_at_once_stops_at_its_cap(shell, ygpt_server, magics):
    """%ygpt embed's texts are estimated from a sample of 20 when there are more: here the sampled
    texts are cheap for their length and the others not, so the estimate is low (≈760 ₽ for
    1,726), and only the texts' own costs, settled as each ends, can stop the run. The old code
    settled them on the kernel's thread, which the local server outran: all 40 texts went out,
    2,580 ₽ for a cap of 1,000 ₽. The page's bound: passed by at most the texts in flight at the
    last launch (--concurrency)."""
    from ygpt_magic.chat.prices import roubles
    from ygpt_magic.emulator.vectors import input_tokens
    texts = shell.user_ns["texts"] = skewed("text", 40)   # estimated ≈760 tokens, 1,726 in fact
    shell.run_line_magic("config", 'YGptMagics.prices = {"text-search-doc": 1000}')   # 1 ₽ a token
    try:
        run = cell(shell, "%ygpt embed texts --max-cost 1000")
    finally:
        shell.run_line_magic("config", "YGptMagics.prices = {}")
    assert run.ok, run.message
    sent, spent = server_spent(ygpt_server, Decimal(1))
    assert 0 < sent < 40, f"{sent} of 40 texts were sent, {spent} ₽ for a cap of 1000 ₽\n{run.stdout}"
    assert spent <= 1000 + CONCURRENCY * max(map(input_tokens, texts)), f"{spent} ₽ spent for a cap of 1000 ₽"
    assert magics.kernel.session.accounts.by_source["embeddings"].cost.amount == spent
    assert f"Stopped at the cost cap: spent {roubles(spent)} of 1000 ₽, {40 - sent} rows left" in run.stdout


def test_a_labels_map_against_a_server_that_answers_at_once_stops_at_its_cap(shell, ygpt_server, magics):
    """--labels --map goes through --map's rows and their budget, settled as each ends: its rows
    are estimated from a sample of 20 too, here the cheap ones, so the texts' own costs stop it."""
    from ygpt_magic.chat.prices import roubles
    shell.user_ns["reviews"] = skewed("review", 40)
    shell.run_line_magic("config", 'YGptMagics.prices = {"yandexgpt": {"classify": 1000}}')   # 1 ₽ a token
    try:
        run = cell(shell, "%%ygpt --map reviews --labels good,bad --max-cost 3000\n{item}")
    finally:
        shell.run_line_magic("config", "YGptMagics.prices = {}")
    assert run.ok, run.message
    sent = sum(r.method in ("Classify", "FewShotClassify") for r in ygpt_server.requests)
    spent = magics.kernel.session.accounts.by_source["classifications"].cost.amount
    assert 0 < sent < 40, f"{sent} of 40 rows were sent, {spent} ₽ for a cap of 3000 ₽\n{run.stdout}"
    assert f"Stopped at the cost cap: spent {roubles(spent)} of 3000 ₽, {40 - sent} rows left" in run.stdout
