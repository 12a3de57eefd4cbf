"""The local server counts a prompt as the cloud's template lays it out, recorded or not.

The recordings are the yardstick: TokenizeCompletion of ``ping`` lists 15 tokens around a
one-token text, and ``hello`` was billed 15 input tokens. An unrecorded prompt used to count 8
fewer (a 2-token header), so the footer, ``%ygpt usage`` and the context-budget arithmetic
under-counted every local request and flipped by 8 between ``hello`` and ``Hello``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML

from ygpt_magic.emulator.testing import sdk_kwargs

CASSETTES = Path(__file__).parents[1] / "ygpt_magic" / "emulator" / "cassettes"


def model(server):
    return YCloudML(**sdk_kwargs(server.address)).models.completions("yandexgpt")


def recorded_tokens(name: str) -> list[str]:
    """The token texts the real TokenizeCompletion answered in the recording ``name``."""
    exchanges = json.loads((CASSETTES / name).read_text())["interactions"]
    answer = next(e["response"]["message"] for e in exchanges if "tokens" in e["response"]["message"])
    return [token["text"] for token in answer["tokens"]]


def test_a_recorded_prompt_and_its_unrecorded_twin_count_the_same(ygpt_server):
    recorded, unrecorded = model(ygpt_server).run("hello"), model(ygpt_server).run("Hello")
    assert "replay" in recorded.model_version and "replay" not in unrecorded.model_version
    assert recorded.usage.input_text_tokens == unrecorded.usage.input_text_tokens == 15


def test_an_unrecorded_prompt_is_tokenized_around_its_text_as_the_recording_is(ygpt_server):
    real = recorded_tokens("test_tokenize.gprc.json")       # <s>, ▁Пользователь, :, ▁ping, ... [SEP]
    ours = [token.text for token in model(ygpt_server).tokenize("pong")]
    assert ours == [("▁pong" if text == "▁ping" else text) for text in real]


def test_a_chat_counts_its_messages_by_role(ygpt_server):
    """10 a request, 4 a user message, 6 an assistant's (its label is 3 pieces after a [NL]),
    2 a system message's (no label): the recorded chat's 28, 63 and 95 fit this."""
    role = {"s": "system", "u": "user", "a": "assistant"}
    counts = {}
    for roles in ("u", "su", "ua", "uau"):
        messages = [{"role": role[r], "text": "pong"} for r in roles]
        counts[roles] = model(ygpt_server).run(messages).usage.input_text_tokens
        assert len(model(ygpt_server).tokenize(messages)) == counts[roles]
    assert counts == {"u": 15, "su": 15 + 3, "ua": 15 + 7, "uau": 15 + 12}
