"""%%ygpt --map --schema: what the DataFrame of parsed fields holds, and what a row whose answer
does not fit leaves, through a real shell and the local server (tools3.md F1, F5, F7)."""

from __future__ import annotations

from conftest import cell, completions

REVIEWS = ("import pandas as pd\nreviews = pd.DataFrame({'text': ['Great laptop, love it', "
           "'Broke after a week, refund', 'Okay for the price']}, index=['r1', 'r2', 'r3'])\n")

#: a validator that raises KeyError (which pydantic passes on as it is) for the negative review:
#: the local server answers r2 "negative", r1 and r3 something else
PICKY = ("from pydantic import BaseModel, field_validator\n"
         "class Verdict(BaseModel):\n    sentiment: str\n"
         "    @field_validator('sentiment')\n    @classmethod\n    def known(cls, v):\n"
         "        return {'positive': 'good', 'neutral': 'so-so'}[v]\n")


def test_a_validator_that_raises_fails_its_row_and_keeps_the_answered_ones_counted(shell, ygpt_server):
    assert cell(shell, REVIEWS + PICKY).ok
    source = "%%ygpt --map reviews --schema Verdict --out verdicts\nClassify the review: {text}"
    run = cell(shell, source)
    assert run.ok, run.message                              # a failed row, not a dead cell
    done = shell.user_ns["_ygpt"]
    assert list(done.errors) == ["r2"] and "_ygpt.raw['r2']" in done.errors["r2"]
    assert "sentiment: your validator Verdict.known raised KeyError: 'negative'" in done.errors["r2"]
    assert '"negative"' in done.raw["r2"]                   # the paid-for text is kept
    verdicts = shell.user_ns["verdicts"]
    assert list(verdicts.sentiment.fillna("-")) == ["good", "-", "so-so"]
    assert "--map rows  3 " in cell(shell, "%ygpt usage").plain_page   # every paid request counted
    ygpt_server.requests.clear()
    assert cell(shell, source).ok
    assert len(completions(ygpt_server)) == 1             # the answered rows are not paid again
