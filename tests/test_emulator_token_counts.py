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

import grpc
import pytest
from google.protobuf.json_format import ParseDict
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import CompletionRequest
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2_grpc import (
    TextGenerationServiceStub,
)

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


def recorded_tool_requests() -> list:
    """(file, request, billed input tokens) of every recorded completion request that declares tools."""
    found = []
    for name in ("test_function_call.gprc.json", "test_parallel_function_call.gprc.json", "test_tool_choice.gprc.json"):
        for exchange in json.loads((CASSETTES / name).read_text())["interactions"]:
            answer = exchange.get("response") or exchange.get("response_stream", [{}])[-1]
            if exchange["request"]["cls"] == "CompletionRequest" and exchange["request"]["message"].get("tools"):
                billed = int(answer["message"]["usage"]["inputTextTokens"])
                found.append(pytest.param(name, exchange["request"]["message"], billed, id=f"{name[5:-10]}-{billed}"))
    return found


def billed_by(server, request: dict) -> tuple[int, str]:
    """The input tokens and model version the server answers ``request`` (protobuf JSON) with,
    sent over gRPC as the SDK sends it."""
    with grpc.insecure_channel(server.address) as channel:
        answers = TextGenerationServiceStub(channel).Completion(
            ParseDict(request, CompletionRequest()), metadata=[("authorization", "Api-Key local-key")])
        last = list(answers)[-1]
    return last.usage.input_text_tokens, last.model_version


@pytest.mark.parametrize(("name", "request_json", "billed"), recorded_tool_requests())
def test_an_unrecorded_tool_request_counts_within_3_tokens_of_the_clouds_bill(ygpt_server, name, request_json, billed):
    """The recorded tool requests with the user's "do" made "Do" (no recording answers them, the
    count is the same): declarations, calls and results counted as the cloud counts them. Counted
    as JSON a mark a token, the two-tool request came to 265 against the 169 billed."""
    twin = json.loads(json.dumps(request_json))
    twin["messages"][0]["text"] = "D" + twin["messages"][0]["text"][1:]
    counted, version = billed_by(ygpt_server, twin)
    assert "replay" not in version
    assert abs(counted - billed) <= 3, (name, counted, billed)


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
