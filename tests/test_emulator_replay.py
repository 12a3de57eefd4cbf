"""Recorded answers of the real service replay through the local server unchanged."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML

from ygpt_magic.emulator.testing import sdk_kwargs

PLATYPUS = "hello! could you please tell me about platypuses?"
CASSETTES = Path(__file__).resolve().parent.parent / "ygpt_magic" / "emulator" / "cassettes"


def recorded_final_text(name: str) -> str:
    interactions = json.loads((CASSETTES / name).read_text(encoding="utf-8"))["interactions"]
    return interactions[-1]["response_stream"][-1]["message"]["alternatives"][0]["message"]["text"]


def test_the_platypus_stream_replays_as_recorded(ygpt_server):
    model = YCloudML(**sdk_kwargs(ygpt_server.address)).models.completions("yandexgpt")
    chunks = list(model.run_stream(PLATYPUS))
    assert len(chunks) == 21
    assert [c.status.name for c in chunks] == ["PARTIAL"] * 20 + ["FINAL"]
    for before, after in zip(chunks, chunks[1:]):
        assert after.text.startswith(before.text)
    last = chunks[-1]
    assert (last.usage.input_text_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (26, 317, 343)
    assert last.text == recorded_final_text("test_run_stream.gprc.json")
    assert last.model_version == "local server · replay of 07.03.2024"


def test_a_recorded_stream_asked_without_streaming_gives_its_final_response(ygpt_server):
    model = YCloudML(**sdk_kwargs(ygpt_server.address, discovery=False)).models.completions("yandexgpt")
    result = model.run(PLATYPUS)
    assert result.status.name == "FINAL" and result.usage.total_tokens == 343
    assert model.run("hello").text == "Hi there! How are you?"


def test_a_recorded_deferred_answer_comes_back_from_the_operation(ygpt_server):
    ygpt_server.operation_delay = 0.0
    model = YCloudML(**sdk_kwargs(ygpt_server.address)).models.completions("yandexgpt")
    result = model.run_deferred("ping").wait(poll_interval=0.05)
    assert result.text.startswith("**Ping**")
    assert result.usage.total_tokens == 122
