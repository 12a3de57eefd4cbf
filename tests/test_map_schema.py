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


def test_a_root_models_list_is_one_column(shell, ygpt_server):
    assert cell(shell, REVIEWS + "from pydantic import RootModel\nclass Tags(RootModel[list[str]]):\n    pass\n").ok
    run = cell(shell, "%%ygpt --map reviews --schema Tags --out tags\nTags of the review: {text}")
    assert run.ok, run.message
    tags = shell.user_ns["tags"]
    assert list(tags.columns) == ["value"] and list(tags.index) == ["r1", "r2", "r3"]
    assert all(isinstance(each, list) and each for each in tags.value)


def test_enum_columns_hold_the_members_values(shell, ygpt_server):
    assert cell(shell, REVIEWS + "import enum\nfrom pydantic import BaseModel\n"
                "class Sentiment(enum.Enum):\n    POSITIVE = 'positive'\n    NEGATIVE = 'negative'\n"
                "    NEUTRAL = 'neutral'\n"
                "class Verdict(BaseModel):\n    sentiment: Sentiment\n    also: list[Sentiment]\n").ok
    assert cell(shell, "%%ygpt --map reviews --schema Verdict --out verdicts\nClassify the review: {text}").ok
    verdicts = shell.user_ns["verdicts"]
    assert (verdicts.sentiment == "positive").sum() == 1, list(verdicts.sentiment)
    assert all(isinstance(each, str) for each in verdicts.sentiment)
    assert all(isinstance(each, str) for also in verdicts.also for each in also)
    assert isinstance(shell.user_ns["_ygpt"].results, type(verdicts))


def test_every_row_failing_still_gives_the_schemas_columns(shell, ygpt_server):
    assert cell(shell, REVIEWS + "from pydantic import BaseModel, Field\n"
                "class Verdict(BaseModel):\n    label: str = Field(pattern='^[0-9]+$')\n    score: int\n").ok
    assert cell(shell, "%%ygpt --map reviews --schema Verdict --out verdicts\nClassify the review: {text}").ok
    verdicts = shell.user_ns["verdicts"]
    assert len(shell.user_ns["_ygpt"].errors) == 3
    assert list(verdicts.columns) == ["label", "score"] and verdicts.isna().all().all(), repr(verdicts)


def test_a_json_schema_with_every_row_failing_has_its_columns_too(shell, ygpt_server):
    assert cell(shell, REVIEWS + "Verdict = {'type': 'object', 'required': ['label'], 'properties': "
                "{'label': {'type': 'string', 'pattern': '^[0-9]+$'}, 'note': {'type': 'string'}}}\n").ok
    assert cell(shell, "%%ygpt --map reviews --schema Verdict --out verdicts\nClassify the review: {text}").ok
    assert list(shell.user_ns["verdicts"].columns) == ["label", "note"]
