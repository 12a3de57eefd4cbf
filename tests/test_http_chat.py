"""The OpenAI-compatible chat API through the unmodified SDK's ``sdk.chat.completions``."""

from __future__ import annotations

import base64
import json
import struct
import warnings
import zlib
from pathlib import Path

import httpx
import jsonschema
import pytest
import requests
import yaml

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_ai_studio_sdk import AIStudio
    from yandex_ai_studio_sdk.exceptions import HttpSseError
    from yandex_cloud_ml_sdk import YCloudML

from ygpt_magic.emulator.attachments import IMAGE_TOKENS
from ygpt_magic.emulator.testing import chat_base_url, sdk_kwargs

EINSTEIN = "Hi! What fields of science did Albert Einstein study?"
SOMETHING = "do a SOMETHING with all the numbers from: 5, 4, a, 1"   # recorded with tool calls
SOMETHING_TOOL = "Tool which have to collect all the numbers from user message and do a SOMETHING with it"
NUMBERS = {"properties": {"numbers": {"items": {"type": "integer"}, "title": "Numbers", "type": "array"}},
           "required": ["numbers"], "title": "Numbers", "type": "object"}
KEY = {"Authorization": "Api-Key local-key"}


def png(width: int = 4, height: int = 3) -> bytes:
    """A real (tiny, grey) PNG, made here so the test needs no imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def data_url(data: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


@pytest.fixture
def sdk(ygpt_server) -> AIStudio:
    return AIStudio(**sdk_kwargs(ygpt_server.address, http_url=ygpt_server.http_url))


def sse_events(server, body: dict) -> list:
    """The raw events of a streamed chat answer, decoded (``[DONE]`` as is)."""
    answer = requests.post(chat_base_url(server.http_url) + "chat/completions", json={**body, "stream": True},
                           headers=KEY, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/event-stream"
    text = answer.content.decode("utf-8")   # SSE is UTF-8; the recorded content type names no charset
    events = [block.removeprefix("data: ") for block in text.split("\n\n") if block]
    return [event if event == "[DONE]" else json.loads(event) for event in events]


def test_models_are_listed_in_the_callers_folder(sdk):
    uris = [model.uri for model in sdk.chat.completions.list()]
    assert "gpt://local-folder/yandexgpt/latest" in uris and "gpt://local-folder/gemma-3-27b-it/latest" in uris


def test_the_chat_api_answers_what_the_grpc_api_answers(ygpt_server, sdk):
    over_grpc = YCloudML(**sdk_kwargs(ygpt_server.address)).models.completions("yandexgpt").run(EINSTEIN)
    result = sdk.chat.completions("yandexgpt").run(EINSTEIN)
    assert result.text == over_grpc.text and "theoretical physicist" in result.text   # the tutorial's script
    assert result.finish_reason.name == "STOP"
    assert (result.usage.input_text_tokens, result.usage.total_tokens) == \
        (over_grpc.usage.input_text_tokens, over_grpc.usage.total_tokens)
    sent = ygpt_server.requests[-1]
    assert sent.method == "Completion" and sent.model_uri == "gpt://local-folder/yandexgpt/latest"
    assert sent.messages == [{"role": "user", "text": EINSTEIN}]


def test_a_stream_is_text_deltas_then_a_finish_chunk_then_usage_then_done(ygpt_server):
    events = sse_events(ygpt_server, {"model": "gpt://f/qwen3-235b-a22b-fp8/latest",
                                      "messages": [{"role": "user", "content": EINSTEIN}]})
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    usage = chunks[-1]
    assert usage["choices"] == [] and set(usage["usage"]) == {"prompt_tokens", "total_tokens", "completion_tokens"}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[1:-2])
    assert "theoretical physicist" in text and len(chunks) > 5
    assert {c["id"] for c in chunks} == {chunks[0]["id"]} and chunks[0]["id"].startswith("chatcmpl-")
    # as recorded: no folder; where the cloud repeats the label, the version this server reports
    assert {c["model"] for c in chunks} == {"gpt://qwen3-235b-a22b-fp8/local server · scripted"}


def test_yandexgpt_streams_in_its_own_recorded_dialect(ygpt_server):
    events = sse_events(ygpt_server, {"model": "gpt://f/yandexgpt/rc",
                                      "messages": [{"role": "user", "content": EINSTEIN}]})
    chunks = events[:-1]
    assert events[-1] == "[DONE]" and all("usage" not in c for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant" and chunks[0]["choices"][0]["delta"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["choices"][0]["delta"]["content"]
    assert chunks[0]["model"] == "gpt://f/yandexgpt/local server · scripted"
    assert not chunks[0]["id"].startswith("chatcmpl-")


def test_the_sdk_stream_grows_to_the_whole_text_and_stops_at_max_tokens(sdk):
    model = sdk.chat.completions("qwen3-235b-a22b-fp8")
    whole = model.run(EINSTEIN).text
    chunks = list(model.run_stream(EINSTEIN))
    assert "".join(c[0].delta for c in chunks) == whole == chunks[-2].text
    assert chunks[-1].finish_reason.name == "USAGE" and chunks[-1].usage.total_tokens > 0
    short = list(sdk.chat.completions("yandexgpt").configure(max_tokens=10).run_stream(EINSTEIN))
    assert short[-1].finish_reason.name == "LENGTH" and short[-1].status.name == "TRUNCATED_FINAL"


def test_recorded_tool_calls_come_back_in_the_chat_form(ygpt_server, sdk):
    tool = sdk.tools.function(name="something", parameters=NUMBERS, description=SOMETHING_TOOL)
    model = sdk.chat.completions("yandexgpt", model_version="rc").configure(tools=[tool])
    result = model.run(SOMETHING)
    assert result.finish_reason.name == "TOOL_CALLS"
    call = result.tool_calls[0]
    assert call.function.name == "something" and call.function.arguments == {"numbers": [5, 4, 1]}
    sent = ygpt_server.requests[-1]
    assert sent.tools[0]["name"] == "something" and sent.tools[0]["parameters"] == NUMBERS
    answer = model.run([SOMETHING, result, {"tool_results": [{"name": "something", "content": "+20.0"}]}])
    assert answer.finish_reason.name == "STOP"
    sent = ygpt_server.requests[-1].messages
    assert sent[1]["tool_calls"] == [{"name": "something", "arguments": {"numbers": [5.0, 4.0, 1.0]}}]
    assert sent[2] == {"role": "user", "text": "", "tool_results": [{"name": "something", "content": "+20.0"}]}


def test_a_streamed_tool_call_reaches_the_sdk_whole(sdk):
    tool = sdk.tools.function(name="something", parameters=NUMBERS, description=SOMETHING_TOOL)
    for name in ("yandexgpt", "qwen3-235b-a22b-fp8"):
        chunks = list(sdk.chat.completions(name).configure(tools=[tool]).run_stream(SOMETHING))
        calls = [c for c in chunks if c.tool_calls]
        assert len(calls) == 1 and calls[0].tool_calls[0].function.arguments == {"numbers": [5, 4, 1]}, name


def test_tool_choice_and_parallel_calls_reach_the_tool_model(ygpt_server, sdk):
    tools = [sdk.tools.function(name=name, parameters=NUMBERS, description=name) for name in ("one", "two")]
    model = sdk.chat.completions("yandexgpt").configure(tools=tools, parallel_tool_calls=False)
    for choice, recorded in (("none", "none"), ("required", "required"), (tools[1], "two")):
        model.configure(tool_choice=choice).run("Use a tool on 1, 2")
        assert ygpt_server.requests[-1].tool_choice == recorded
    assert ygpt_server.requests[-1].options["parallel_tool_calls"] is False


def test_a_json_schema_answer_follows_the_schema(ygpt_server, sdk):
    model = sdk.chat.completions("yandexgpt").configure(response_format={"name": "foo", "json_schema": NUMBERS})
    result = model.run("collect all numbers from: 5, 4, a, 1")
    jsonschema.validate(json.loads(result.text), NUMBERS)
    assert ygpt_server.requests[-1].options["json_schema"] == NUMBERS


def test_reasoning_shows_its_text_and_counts_its_tokens(ygpt_server, sdk):
    model = sdk.chat.completions("qwen3-235b-a22b-fp8").configure(reasoning_mode="medium")
    result = model.run("What it would be 11!?")
    assert "11!" in result.reasoning_text and result.text
    assert ygpt_server.requests[-1].options["reasoning"] is True
    streamed = list(model.run_stream("What it would be 11!?"))
    assert "".join(c[0].reasoning_delta or "" for c in streamed) == result.reasoning_text
    assert sdk.chat.completions("qwen3-235b-a22b-fp8").run("What it would be 11!?").reasoning_text is None


def test_an_image_goes_to_a_multimodal_model_and_the_server_records_it(ygpt_server, sdk):
    picture = png()
    request = [{"role": "user", "content": [{"type": "text", "text": "What is depicted in the following image"},
                                            {"type": "image_url", "image_url": {"url": data_url(picture)}}]}]
    with_image = sdk.chat.completions("gemma-3-27b-it").run(request)
    without = sdk.chat.completions("gemma-3-27b-it").run("What is depicted in the following image")
    assert with_image.text
    assert with_image.usage.input_text_tokens == without.usage.input_text_tokens + IMAGE_TOKENS
    sent = ygpt_server.requests[-2]
    assert sent.messages == [{"role": "user", "text": "What is depicted in the following image"}]
    assert [(i["message"], i["format"], i["bytes"]) for i in sent.images] == [(0, "png", len(picture))]
    assert ygpt_server.requests[-1].images == []


@pytest.mark.parametrize("model, url, says", [
    ("yandexgpt", data_url(png()), "does not take images"),
    ("gemma-3-27b-it", data_url(b"GIF89a not a png at all"), "not a PNG or JPEG"),
    ("gemma-3-27b-it", "https://example.com/cat.png", "not a data: URL"),
    ("gemma-3-27b-it", "data:image/png;base64,@@@", "not valid base64"),
])
def test_an_image_that_cannot_be_taken_is_a_400_that_says_why(ygpt_server, sdk, model, url, says):
    request = [{"role": "user", "content": [{"type": "text", "text": "Look"},
                                            {"type": "image_url", "image_url": {"url": url}}]}]
    with pytest.raises(httpx.HTTPStatusError) as caught:
        sdk.chat.completions(model).run(request)
    assert caught.value.response.status_code == 400 and says in caught.value.response.json()["error"]["message"]
    assert sdk.chat.completions("gemma-3-27b-it").run("Still there?").text


def test_extra_query_parameters_are_recorded(ygpt_server, sdk):
    model = sdk.chat.completions("yandexgpt").configure(extra_query={"top_k": 2, "top_p": 0.1})
    model.run("Say random number from 0 to 10")
    assert ygpt_server.requests[-1].options["extra"] == {"top_k": 2, "top_p": 0.1}


@pytest.mark.parametrize("code, status", [("RESOURCE_EXHAUSTED", 429), ("UNAVAILABLE", 503)])
def test_injected_failures_reach_the_chat_api_with_their_http_codes(ygpt_server, sdk, code, status):
    ygpt_server.faults.fail_next(1, code)
    with pytest.raises(httpx.HTTPStatusError) as caught:
        sdk.chat.completions("yandexgpt").run(EINSTEIN)
    assert caught.value.response.status_code == status
    assert sdk.chat.completions("yandexgpt").run(EINSTEIN).text


def test_a_stream_broken_midway_is_an_error_for_the_sdk_not_a_short_answer(ygpt_server, sdk):
    ygpt_server.faults.break_stream_after(2, "UNAVAILABLE")
    received = []
    with pytest.raises(HttpSseError, match="broke after 2 chunks"):
        for chunk in sdk.chat.completions("qwen3-235b-a22b-fp8").run_stream(EINSTEIN):
            received.append(chunk)
    assert len(received) == 2   # the two responses before the break, as two text chunks
    assert sdk.chat.completions("yandexgpt").run(EINSTEIN).text


def test_without_credentials_the_chat_api_is_a_401(ygpt_server):
    for method, path in (("GET", "models"), ("POST", "chat/completions")):
        answer = requests.request(method, chat_base_url(ygpt_server.http_url) + path, timeout=10,
                                  json={"model": "gpt://f/yandexgpt", "messages": [{"role": "user", "content": "Hi"}]})
        assert answer.status_code == 401 and answer.json()["error"]["grpcCode"] == 16


def test_embeddings_are_stable_256_numbers_and_closer_for_related_texts(ygpt_server, sdk):
    doc = sdk.chat.text_embeddings("text-search-doc")
    query = sdk.chat.text_embeddings("text-search-query").run("when was Pushkin born?")
    born, poems = doc.run("Pushkin was born in Moscow in 1799."), doc.run("Quarterly revenue grew by four percent.")
    assert len(query) == 256 and doc.run("Pushkin was born in Moscow in 1799.").embedding == born.embedding
    cosine = lambda a, b: sum(x * y for x, y in zip(a, b))   # noqa: E731 (vectors are unit length)
    assert cosine(query, born) > cosine(query, poems)
    assert ygpt_server.requests[-1].method == "TextEmbedding"
    assert "emb://local-folder/text-search-doc/latest" in [m.uri for m in sdk.chat.text_embeddings.list()]


CHAT_CASSETTES = Path(__file__).resolve().parent.parent / "ygpt_magic" / "emulator" / "cassettes" / "http_chat"


def recorded(name: str, index: int = 0) -> tuple[dict, str]:
    interaction = yaml.safe_load((CHAT_CASSETTES / name).read_text(encoding="utf-8"))["interactions"][index]
    return json.loads(interaction["request"]["body"]), interaction["response"]["body"]["string"]


def test_a_recorded_chat_answer_replays_for_the_same_model_only_over_the_chat_api(ygpt_server, sdk):
    _, body = recorded("test_run.yaml")
    answer = json.loads(body)
    result = sdk.chat.completions("qwen3-235b-a22b-fp8").run("hello")
    assert result.text == answer["choices"][0]["message"]["content"]
    assert (result.usage.input_text_tokens, result.usage.total_tokens) == (9, 21)
    assert result.model == "gpt://qwen3-235b-a22b-fp8/local server · replay"   # not "unscripted": a real answer
    assert sdk.chat.completions("gemma-3-27b-it").run("hello").text != result.text
    grpc_model = YCloudML(**sdk_kwargs(ygpt_server.address)).models.completions("qwen3-235b-a22b-fp8")
    assert grpc_model.run("hello").text != result.text


def test_the_recorded_stream_replays_delta_for_delta(ygpt_server):
    request, body = recorded("test_run_stream.yaml")
    stored = (json.loads(b.removeprefix("data:").strip())
              for b in body.split("\n\n") if b.strip() and "[DONE]" not in b)
    deltas = [e["choices"][0]["delta"].get("content") for e in stored if e["choices"]]
    events = sse_events(ygpt_server, {**request, "model": "gpt://local-folder/qwen3-235b-a22b-fp8/latest"})
    ours = [e["choices"][0]["delta"].get("content") for e in events[:-1] if e["choices"]]
    assert [d for d in ours if d] == [d for d in deltas if d] and len(ours) > 700
    assert events[-2]["usage"] == {"prompt_tokens": 20, "total_tokens": 761, "completion_tokens": 741}
    assert {e["model"] for e in events[:-1]} == {"gpt://qwen3-235b-a22b-fp8/local server · replay"}


def test_the_recorded_picture_gets_the_recorded_description(ygpt_server, sdk):
    request, body = recorded("test_multimodal.yaml")
    result = sdk.chat.completions("gemma-3-27b-it").run(request["messages"])
    assert result.text == json.loads(body)["choices"][0]["message"]["content"]
    assert "LEGO" in result.text and ygpt_server.requests[-1].images[0]["format"] == "png"
