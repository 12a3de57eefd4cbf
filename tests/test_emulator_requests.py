"""How the local server treats what it is sent: auth, bad requests, and completion options."""

from __future__ import annotations

import json
import logging
import time
import warnings

import grpc
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML
    from yandex_cloud_ml_sdk.auth import NoAuth
    from yandex_cloud_ml_sdk.exceptions import AioRpcError
    from yandex_cloud_ml_sdk.retry import NoRetryPolicy

from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.testing import sdk_kwargs

SECRET = "AQVN-super-secret-key-value"
PROMPT = "Hi! What fields of science did Albert Einstein study?"


def sdk_for(server, auth=SECRET, folder_id="local-folder") -> YCloudML:
    return YCloudML(**sdk_kwargs(server.address, auth=auth, folder_id=folder_id), retry_policy=NoRetryPolicy())


def rpc_error(call) -> AioRpcError:
    with pytest.raises(AioRpcError) as caught:
        call()
    return caught.value


def test_without_credentials_the_sdk_gets_unauthenticated(ygpt_server):
    model = sdk_for(ygpt_server, auth=NoAuth()).models.completions("yandexgpt")
    error = rpc_error(lambda: model.run(PROMPT))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "API key" in error.details()
    assert ygpt_server.requests == []


def _completion_lines(caplog, expected: int, deadline: float = 5.0) -> list[str]:
    """The server's "Completion ..." log lines, waiting for `expected` of them: the server logs
    a call after its last response is sent, so the line may come after the client returned."""
    give_up = time.monotonic() + deadline
    while True:
        lines = [r.getMessage() for r in caplog.records
                 if r.name == "ygpt_magic.emulator" and r.getMessage().startswith("Completion ")]
        if len(lines) >= expected or time.monotonic() > give_up:
            return lines
        time.sleep(0.01)


def test_the_key_is_never_logged_and_each_request_is_one_line(caplog):
    """On a server of its own: the worker's shared one logs a call when its last response is
    sent, so an earlier test's refused call could be logged here, after this test began."""
    caplog.set_level(logging.INFO, logger="ygpt_magic.emulator")
    with start_local_server() as server:
        model = sdk_for(server).models.completions("yandexgpt")
        model.run(PROMPT)
        list(model.run_stream(PROMPT))
        rpc_error(lambda: sdk_for(server, auth=NoAuth()).models.completions("yandexgpt").run(PROMPT))
        completions = _completion_lines(caplog, 3)
        received = [repr(request) for request in server.requests]
    lines = [r.getMessage() for r in caplog.records if r.name == "ygpt_magic.emulator"]
    assert len(completions) == 3
    refused = [line for line in completions if "status=UNAUTHENTICATED" in line]  # in any order:
    assert len(refused) == 1  # a streamed call is logged when its stream ends
    assert all("model=gpt://local-folder/yandexgpt/latest" in line for line in completions if line not in refused)
    assert all(SECRET not in line and "Api-Key" not in line for line in lines)
    assert SECRET not in caplog.text and all(SECRET not in request for request in received)


def test_unknown_model_is_refused_as_the_cloud_does_and_lists_the_known_ones(ygpt_server):
    """The cloud answers a model it does not serve INVALID_ARGUMENT "invalid model_uri" (AI Studio's
    error-codes page), not NOT_FOUND: a client tested here meets what its users will."""
    error = rpc_error(lambda: sdk_for(ygpt_server).models.completions("yandexgtp").run(PROMPT))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("invalid model_uri")
    assert "yandexgtp/latest" in error.details() and "yandexgpt-lite" in error.details()
    version = rpc_error(lambda: sdk_for(ygpt_server).models.completions("yandexgpt", model_version="v9").run(PROMPT))
    assert version.code() == grpc.StatusCode.INVALID_ARGUMENT and "invalid model_uri" in version.details()


@pytest.mark.parametrize("folder", ["   ", "not a folder"])
def test_a_folder_id_that_is_blank_or_holds_whitespace_is_refused_as_malformed(ygpt_server, folder):
    error = rpc_error(lambda: sdk_for(ygpt_server, folder_id=folder).models.completions("yandexgpt").run(PROMPT))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "folder id" in error.details() and "YC_FOLDER_ID" in error.details()


@pytest.mark.parametrize("name,version", [("yandexgpt-lite", "rc"), ("aliceai-llm", "latest"),
                                          ("llama", "deprecated"), ("llama-lite", "latest")])
def test_known_models_and_versions_answer(ygpt_server, name, version):
    result = sdk_for(ygpt_server).models.completions(name, model_version=version).run(PROMPT)
    assert result.status.name == "FINAL" and result.model_version


def test_a_model_the_service_no_longer_lists_is_refused_as_it_would_refuse_it(ygpt_server):
    """yandexgpt-32k (YandexGPT Pro 4 with a 32k context) was listed by AI Studio as Deprecated
    only, "getting obsolete", and is in neither its list of models nor the SDK's examples since:
    a notebook that names it fails here as it would in the cloud, not only there."""
    error = rpc_error(lambda: sdk_for(ygpt_server).models.completions("yandexgpt-32k").run(PROMPT))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith("invalid model_uri")


@pytest.mark.parametrize("messages,words", [
    ([], "no messages"),
    ([{"role": "user", "text": "  "}], "empty text"),
    ([{"role": "robot", "text": "hi"}], "role 'robot'"),
])
def test_bad_messages_are_invalid_argument_with_a_clear_message(ygpt_server, messages, words):
    error = rpc_error(lambda: sdk_for(ygpt_server).models.completions("yandexgpt").run(messages))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert words in error.details()


def test_bad_temperature_and_max_tokens_are_refused(ygpt_server):
    model = sdk_for(ygpt_server).models.completions("yandexgpt")
    hot = rpc_error(lambda: model.configure(temperature=1.5).run(PROMPT))
    assert hot.code() == grpc.StatusCode.INVALID_ARGUMENT and "between 0 and 1" in hot.details()
    zero = rpc_error(lambda: model.configure(max_tokens=0).run(PROMPT))
    assert zero.code() == grpc.StatusCode.INVALID_ARGUMENT and "max_tokens" in zero.details()


def test_a_context_over_the_model_limit_names_both_numbers(ygpt_server):
    model = sdk_for(ygpt_server).models.completions("llama-lite")
    huge = "word " * 9000
    tokens = len(model.tokenize(huge))
    error = rpc_error(lambda: model.run(huge))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert str(tokens) in error.details() and "8192" in error.details()


def test_max_tokens_truncates_every_mode(ygpt_server):
    model = sdk_for(ygpt_server).models.completions("yandexgpt").configure(max_tokens=10)
    result = model.run(PROMPT)
    assert result.status.name == "TRUNCATED_FINAL" and result.usage.completion_tokens == 10
    chunks = list(model.run_stream(PROMPT))
    assert chunks[-1].status.name == "TRUNCATED_FINAL" and chunks[-1].text == result.text
    assert ygpt_server.requests[0].options["max_tokens"] == 10


def test_reasoning_reports_reasoning_tokens_inside_completion_tokens(ygpt_server):
    model = sdk_for(ygpt_server).models.completions("yandexgpt")
    plain = model.run(PROMPT).usage
    usage = model.configure(reasoning_mode="enabled_hidden").run(PROMPT).usage
    assert plain.reasoning_tokens == 0 and usage.reasoning_tokens > 0
    assert usage.completion_tokens == plain.completion_tokens + usage.reasoning_tokens
    assert ygpt_server.requests[-1].options["reasoning"] is True


def test_json_modes_reply_with_valid_json(ygpt_server):
    model = sdk_for(ygpt_server).models.completions("yandexgpt")
    assert "answer" in json.loads(model.configure(response_format="json").run(PROMPT).text)
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "year": {"type": "integer"},
                                                "fields": {"type": "array", "items": {"type": "string"}}}}
    reply = json.loads(model.configure(response_format={"json_schema": schema}).run(PROMPT).text)
    assert set(reply) == {"name", "year", "fields"} and isinstance(reply["year"], int)
    assert ygpt_server.requests[-1].options["json"] is True
    assert ygpt_server.requests[-1].options["json_schema"]["properties"]["year"] == {"type": "integer"}


def test_temperature_is_recorded_and_the_reply_stays_deterministic(ygpt_server):
    model = sdk_for(ygpt_server).models.completions("yandexgpt")
    assert model.configure(temperature=0.9).run(PROMPT).text == model.run(PROMPT).text
    assert ygpt_server.requests[0].options["temperature"] == pytest.approx(0.9)


def test_the_request_log_keeps_only_the_latest_requests():
    """Each request holds its whole chat, so an unbounded log grew with the square of a long
    chat in a user's kernel; the server keeps the last few, and reads like a list."""
    with start_local_server(keep_requests=3) as server:
        model = sdk_for(server).models.completions("yandexgpt")
        for n in range(5):
            model.run(f"Question {n}")
        assert len(server.requests) == 3
        assert [r.messages[-1]["text"] for r in server.requests] == ["Question 2", "Question 3", "Question 4"]
        assert server.requests[-1] is server.requests[2] and server.requests[1:] == list(server.requests)[1:]
        server.requests.clear()
        assert server.requests == [] and not server.requests
