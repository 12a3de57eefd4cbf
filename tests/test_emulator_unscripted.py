"""The local server's unscripted answers to everyday data-science prompts look plausible.

A user's first ``--map --schema`` runs over their own reviews, which no script knows: a clearly
negative review must not come back positive, a free-text field must hold words of the prompt (not
a date), and the stand-in prose must be grammatical.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd
from conftest import cell
from pydantic import BaseModel

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML

from ygpt_magic.emulator.testing import sdk_kwargs

REVIEWS = ["Broke after a week.", "Terrible, I want a refund", "Great sound, worth every penny!",
           "Not good at all, it stopped charging", "Works fine, I would recommend it"]
LEANS = ["negative", "negative", "positive", "negative", "positive"]
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Notes(BaseModel):
    sentiment: str
    candidate: str
    last_update: str
    would_recommend: bool


def completions(server):
    return YCloudML(**sdk_kwargs(server.address)).models.completions("yandexgpt")


def test_map_schema_over_the_users_own_reviews_classifies_them_by_their_words(shell):
    assert cell(shell, "from pydantic import BaseModel\nfrom typing import Literal\n"
                       "class Verdict(BaseModel):\n    sentiment: Literal['positive', 'negative', 'mixed']\n"
                       "    summary: str\n").ok
    shell.user_ns["reviews"] = pd.DataFrame({"product": ["kettle"] * 5, "text": REVIEWS})
    run = cell(shell, '%%ygpt --map reviews --schema Verdict --out verdicts --system "Classify the '
                      'customer review: its sentiment and a summary of at most eight words."\n'
                      "Product: {product}\nReview: {text}")
    assert run.ok, run.message
    verdicts = shell.user_ns["verdicts"]
    assert list(verdicts["sentiment"]) == LEANS
    assert list(verdicts["summary"])[:2] == ["Broke after a week", "Terrible, I want a refund"]


def test_free_text_fields_take_words_of_the_prompt_not_dates(ygpt_server):
    model = completions(ygpt_server).configure(response_format=Notes)
    for review, lean in zip(REVIEWS, LEANS):
        prompt = f"Review: {review}"
        notes = Notes.model_validate_json(model.run(prompt).text)
        assert notes.sentiment == lean
        assert not DATE.search(notes.candidate + notes.last_update)
        assert set(re.findall(r"\w+", f"{notes.candidate} {notes.last_update}")) <= set(re.findall(r"\w+", prompt))
        assert notes.would_recommend is (lean == "positive")


def test_a_sentiment_prompt_without_a_schema_gets_the_sentiment(ygpt_server):
    model = completions(ygpt_server)
    system = {"role": "system", "text": "What is the sentiment of this review? One word."}
    answers = [model.run([system, {"role": "user", "text": review}]).text for review in REVIEWS]
    assert answers == [f"{lean.capitalize()}." for lean in LEANS]
    russian = model.run("Определи тональность отзыва: сломался через неделю, верните деньги").text
    assert russian == "Отрицательная."


def test_the_stand_in_reply_counts_earlier_messages_grammatically(ygpt_server):
    model = completions(ygpt_server)
    one = model.run([{"role": "system", "text": "Be brief"}, {"role": "user", "text": "Owls and umbrellas?"}])
    assert "the 1 earlier message of our conversation" in one.text
    history = [{"role": "user", "text": "Совы?"}, {"role": "assistant", "text": "Да."},
               {"role": "user", "text": "А зонтики?"}]
    assert "Я учёл 2 предыдущих сообщения" in model.run(history).text


def test_the_stand_in_reply_quotes_the_users_characters_operators_and_all(shell, ygpt_server):
    """It quoted the words only: "what is 2+2" came back as “what is 2 2”, as if the "+" was lost."""
    for prompt, quoted in (("what is 2+2", "“what is 2+2”"), ("How much it would be 7@8", "“How much it would be 7@8”"),
                           ("Compute (a+b)*c where a=1, b=2, c=3 and then explain every step",
                            "“Compute (a+b)*c where a=1, b=2, c=3 and then…”")):
        run = cell(shell, f"%%ygpt --once\n{prompt}")
        assert run.ok, run.message
        assert quoted in run.final, run.final
