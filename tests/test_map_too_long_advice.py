"""A --map row too long for the context budget: the advice names the value that is long and an
example cut that, followed literally, gets the row answered (tutorial 07 as a learner reads it)."""

from __future__ import annotations

import re

import pandas as pd
from conftest import cell

WEEK = ("In week {n} I ground beans for espresso, pour-over and a French press, and every time the burrs "
        "gave an even grind with very little dust, the hopper stayed cool and the noise was bearable. ")
REVIEW = "I have owned many grinders. " + "".join(WEEK.format(n=n) for n in range(1, 9))
SYSTEM = '--system "Classify the customer review: its sentiment and a summary of at most eight words."'


def advice(shell, template: str, budget: int) -> str:
    """The reason row 'r6' of a one-row frame failed under ``budget`` tokens with ``template``."""
    shell.run_line_magic("config", f"YGptMagics.context_budget = {budget}")
    run = cell(shell, f"%%ygpt --map reviews --out v {SYSTEM}\n{template}")
    assert run.ok, run.message
    return shell.user_ns["_ygpt"].errors["r6"]


def follow(shell, reason: str, template: str) -> str:
    """The template with the advised cut in place of the long value, run again: its errors."""
    cut = re.search(r"\(e\.g\. (\{text\[:\d+\]\}) in the cell\)", reason)
    assert cut, reason
    followed = re.sub(r"\{text[^}]*\}", cut.group(1), template)
    run = cell(shell, f"%%ygpt --map reviews --out v {SYSTEM}\n{followed}")
    assert run.ok, run.message
    return shell.user_ns["_ygpt"].errors


def test_the_advised_cut_of_a_long_review_gets_the_row_answered(shell, ygpt_server):
    shell.user_ns["reviews"] = pd.DataFrame({"product": ["coffee grinder"], "text": [REVIEW]}, index=["r6"])
    template = "Product: {product}\nReview: {text}"
    reason = advice(shell, template, 200)
    assert "Shorten what it reads from {text} and {product}" in reason, reason
    assert follow(shell, reason, template) == {}


def test_a_review_already_sliced_longer_than_it_is_is_still_named_and_cut_to_fit(shell, ygpt_server):
    """{text[:2000]} on a shorter review cuts nothing: the advice names {text} (not {product}, the
    only plain name left) and a cut that fits, not the same 2,000 again."""
    shell.user_ns["reviews"] = pd.DataFrame({"product": ["coffee grinder"], "text": [REVIEW]}, index=["r6"])
    template = "Product: {product}\nReview: {text[:2000]}"
    reason = advice(shell, template, 200)
    assert "{text}" in reason and "{product[" not in reason and "{text[:2000]}" not in reason, reason
    assert follow(shell, reason, template) == {}


def test_a_cyrillic_review_is_cut_to_fit_too(shell, ygpt_server):
    shell.user_ns["reviews"] = pd.DataFrame({"product": ["кофемолка"], "text": ["Помол ровный, шум терпимый. " * 120]},
                                            index=["r6"])
    template = "Товар: {product}\nОтзыв: {text}"
    reason = advice(shell, template, 300)
    assert follow(shell, reason, template) == {}


def test_no_cut_is_offered_when_the_rest_of_the_prompt_alone_is_too_long(shell, ygpt_server):
    shell.user_ns["reviews"] = pd.DataFrame({"product": ["kettle"], "text": ["Fine."]}, index=["r6"])
    template = "Rules: " + "Answer briefly and politely. " * 60 + "\nProduct: {product}\nReview: {text}"
    reason = advice(shell, template, 200)
    assert "e.g." not in reason and "[:" not in reason, reason
    assert "the cell's own text" in reason, reason
