"""Dry-run estimates a user can trust (findings/owndata.md O2, O6): a few long rows among many
short ones, which an even sample of 20 misses, are priced by their length; ``%ygpt embed
--dry-run`` prices a repeated text once, as the run sends it, and names the text the server
would refuse as too long. Each estimate is compared with what the local server then bills."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pandas as pd
import pytest
from conftest import TEST_KEY, cell

ESSAY = "The kettle broke after a week and support never answered. " * 100   # ~5,900 characters


def _reviews_and_essays() -> list[str]:
    """100 short reviews with 5 essays among them, at positions an even sample misses; each row
    its own text (a run sends a repeated prompt once, and a dry run prices it once)."""
    texts = [f"Works as described, thanks ({n})" for n in range(100)]
    for position in (1, 2, 3, 4, 6):
        texts[position] = f"({position}) {ESSAY}"
    return texts


def estimated(page: str) -> int:
    """The tokens a dry run's line gives for the whole job."""
    found = re.search(r"(?:about )?([\d,]+) tokens in all", page)
    assert found, page
    return int(found.group(1).replace(",", ""))


def billed_after(shell, source: str) -> int:
    """The input tokens the server billed for running ``source``."""
    run = cell(shell, source)
    assert run.ok, run.message
    return shell.user_ns["_ygpt"].usage.input_tokens


def test_map_dry_run_prices_the_few_long_rows_a_sample_of_20_misses(shell, ygpt_server):
    """5 pasted essays among 100 short reviews, none at an evenly sampled position: the old
    estimate priced the 100 as 100 short ones (1,200 tokens for 7,425 billed)."""
    shell.user_ns["df"] = pd.DataFrame({"text": _reviews_and_essays()})
    dry = cell(shell, "%%ygpt --map df --out a --dry-run\nReview: {text}")
    assert dry.ok, dry.message
    billed = billed_after(shell, "%%ygpt --map df --out a\nReview: {text}")
    assert abs(estimated(dry.plain) - billed) <= 0.1 * billed, (estimated(dry.plain), billed)
    assert "scaled by each row's length" in dry.plain.splitlines()[0], dry.plain.splitlines()[0]


@pytest.mark.slow
def test_map_dry_run_of_rows_of_varied_lengths_lands_near_the_bill(shell, ygpt_server):
    """No long tail: 300 reviews from 2 to 60 words, spread unevenly; the estimate stays close."""
    shell.user_ns["reviews"] = [f"review {n}: " + "fine " * ((n * 7919) % 59 + 2) for n in range(300)]
    dry = cell(shell, "%%ygpt --map reviews --dry-run\nSummarise: {item}")
    assert dry.ok, dry.message
    billed = billed_after(shell, "%%ygpt --map reviews\nSummarise: {item}")
    assert abs(estimated(dry.plain) - billed) <= 0.1 * billed, (estimated(dry.plain), billed)


def test_max_cost_sees_the_long_rows_before_anything_is_sent(shell, ygpt_server):
    """The --max-cost check uses the same count: with the long rows priced, a cap the short rows
    alone would pass refuses the run before a row is sent, rather than stopping it part-way."""
    shell.user_ns["df"] = pd.DataFrame({"text": _reviews_and_essays()})
    shell.run_line_magic("config", 'YGptMagics.prices = {"yandexgpt": 1000}')   # 1 ₽ a token
    try:
        run = cell(shell, "%%ygpt --map df --out a --max-tokens 5 --max-cost 3000\nReview: {text}")
    finally:
        shell.run_line_magic("config", "YGptMagics.prices = {}")
    assert not run.ok and "over the cap of 3000" in run.message, run.message
    assert not [r for r in ygpt_server.requests if r.method == "Completion"]


def test_embed_dry_run_prices_a_repeated_text_once_and_names_the_text_too_long_to_embed(shell, ygpt_server):
    shell.user_ns["texts"] = ["Отлично!"] * 500 + ["Screen cracked on arrival " * 1200, "ok then"]
    dry = cell(shell, "%ygpt embed texts --dry-run")
    assert dry.ok, dry.message
    assert "502 texts to embed (2 distinct to send, 1 that would fail)" in dry.plain, dry.plain
    said = re.search(r"One row would fail, as in the run: row 500 of texts is ([\d,]+) tokens, over the 2,000 "
                     r"an embedding model takes", dry.plain)
    assert said, dry.plain
    billed = billed_after(shell, "%ygpt embed texts --out v")
    assert shell.user_ns["_ygpt"].answered == 501 and list(shell.user_ns["_ygpt"].errors) == [500]
    assert f"This text is {said.group(1)} tokens" in shell.user_ns["_ygpt"].errors[500], "the run's count"
    assert estimated(dry.plain) == billed, (estimated(dry.plain), billed)


def test_embed_dry_run_of_many_texts_prices_the_long_ones_by_their_length(shell, ygpt_server):
    texts = [f"short note {n}" for n in range(200)]
    for position in (3, 5, 7, 9):
        texts[position] = f"long note {position} " + "with many more words in it " * 60
    shell.user_ns["texts"] = texts
    dry = cell(shell, "%ygpt embed texts --dry-run")
    assert dry.ok, dry.message
    billed = billed_after(shell, "%ygpt embed texts --out v")
    assert abs(estimated(dry.plain) - billed) <= 0.1 * billed, (estimated(dry.plain), billed)


def cost_of(page: str) -> Decimal:
    """The roubles a dry run's line gives for the whole job."""
    found = re.search(r"≈([\d.\u00a0]+)\u00a0₽", page)
    assert found, page
    return Decimal(found.group(1).replace("\u00a0", ""))


@pytest.mark.parametrize("failing", ["too long", "credential"])
@pytest.mark.slow
def test_embed_max_cost_just_over_the_dry_runs_estimate_lets_the_run_go(shell, ygpt_server, failing):
    """review14 B2: the dry run leaves out a text the run would fail (too long to embed, or
    holding the kernel's key), and --max-cost priced it anyway: the dry run said ≈0.0003 ₽ and a
    cap of twice that was refused as ≈0.20 ₽. One estimate for both: the cap the dry run's
    number suggests lets the run go, and the run answers every text but the failing one."""
    odd = "word " * 20000 if failing == "too long" else f"my key is {TEST_KEY}"
    shell.user_ns["texts"] = [f"short review number {n}" for n in range(5)] + [odd]
    dry = cell(shell, "%ygpt embed texts --dry-run")
    assert dry.ok, dry.message
    assert "1 that would fail" in dry.plain, dry.plain
    run = cell(shell, f"%ygpt embed texts --out v --max-cost {cost_of(dry.plain) * 2}")
    assert run.ok, run.message
    done = shell.user_ns["_ygpt"]
    assert done.answered == 5 and list(done.errors) == [5], (done.answered, done.errors)


def test_embed_dry_run_asks_the_tokenizer_for_its_sample_at_once(shell, ygpt_server):
    """The sample's counts went one after another: at the cloud's ~100 ms a round trip, 21 of them
    (the template's and 20 texts') were 2 s before an embed --dry-run or a capped run said
    anything. They go together, as --map's sample does."""
    shell.user_ns["texts"] = [f"review number {n} " + "words " * (n % 7) for n in range(60)]
    round_trip = 0.3
    ygpt_server.faults.hold_next(1000, "TokenizeCompletion", seconds=round_trip)
    try:
        started = time.perf_counter()
        dry = cell(shell, "%ygpt embed texts --dry-run")
        elapsed = time.perf_counter() - started
    finally:
        ygpt_server.faults.clear()
    assert dry.ok, dry.message
    counts = [r for r in ygpt_server.requests if r.method == "TokenizeCompletion"]
    assert "20 of the 60 texts counted by the tokenizer API" in dry.plain and len(counts) == 21, dry.plain
    assert elapsed < 5 * round_trip, f"{len(counts)} counts took {elapsed:.1f} s"


def test_a_replayed_embed_dry_run_names_the_row_whose_text_has_no_recorded_count(shell, ygpt_server, tmp_path):
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'replies.sqlite')!r}")
    shell.user_ns["texts"] = [f"review number {n}" for n in range(5)]
    assert cell(shell, "%ygpt embed texts --dry-run").ok
    recorded = len(ygpt_server.requests)
    shell.run_line_magic("ygpt", "cache --mode replay")
    shell.user_ns["texts"][3] = "a review edited since the recording"
    dry = cell(shell, "%ygpt embed texts --dry-run")
    assert not dry.ok and "row 3" in dry.message and "replay mode" in dry.message, dry.message
    assert len(ygpt_server.requests) == recorded, "sent in replay mode"
