"""The REST API of the Yandex guides against the local server, with plain HTTP clients.

The bodies are the guides' own (yandex.cloud/docs/foundation-models: "Sending a request in prompt
mode", "... in chat mode", "Sending an asynchronous request"); only the host is the local one.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import shutil
import socket
import subprocess
import time
import urllib.request
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
import requests

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML

from yandex.cloud.endpoint.api_endpoint_service_pb2 import ListApiEndpointsRequest
from yandex.cloud.endpoint.api_endpoint_service_pb2_grpc import ApiEndpointServiceStub

from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.addresses import joined
from ygpt_magic.emulator.testing import sdk_kwargs

#: the prompt-mode guide's body.json ("<folder_ID>" filled in)
PROMPT_BODY = """{
  "modelUri": "gpt://b1gexample/yandexgpt-lite",
  "completionOptions": {
    "stream": false,
    "temperature": 0.1,
    "maxTokens": "1000"
  },
  "messages": [
    {
      "role": "system",
      "text": "Translate the text"
    },
    {
      "role": "user",
      "text": "To be, or not to be: that is the question."
    }
  ]
}"""
#: the chat-mode guide's body.json
CHAT_BODY = {
    "modelUri": "gpt://b1gexample/yandexgpt-lite",
    "completionOptions": {"stream": False, "temperature": 0.6, "maxTokens": "2000"},
    "messages": [
        {"role": "system", "text": "You are a smart assistant"},
        {"role": "user", "text": "Hello! What fields of science did Albert Einstein study?"},
    ],
}
KEY = {"Authorization": "Api-Key local-key"}


def url(server, path: str) -> str:
    return server.http_url + path


def post(server, path: str, body, headers=KEY) -> requests.Response:
    return requests.post(url(server, path), json=body, headers=headers, timeout=10)


def guide_prompt_script(iam_token: str, folder_id: str, user_text: str, host: str) -> dict:
    """The prompt-mode guide's Python example (requests), the URL's host changed."""
    data = {}
    data["modelUri"] = f"gpt://{folder_id}/yandexgpt-lite"
    data["completionOptions"] = {"temperature": 0.3, "maxTokens": 1000}
    data["messages"] = [
        {"role": "system", "text": "Translate the text"},
        {"role": "user", "text": f"{user_text}"},
    ]
    response = requests.post(
        f"{host}/foundationModels/v1/completion",
        headers={"Accept": "application/json", "Authorization": f"Bearer {iam_token}"},
        json=data,
    ).json()
    return response


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl on this machine")
def test_the_guides_curl_call_answers_with_only_the_host_changed(ygpt_server, tmp_path: Path):
    (tmp_path / "body.json").write_text(PROMPT_BODY, encoding="utf-8")
    result = subprocess.run(
        ["curl", "--silent", "--request", "POST", "--header", "Content-Type: application/json",
         "--header", "Authorization: Api-Key local-key", "--data", "@body.json",
         url(ygpt_server, "/foundationModels/v1/completion")],
        cwd=tmp_path, capture_output=True, text=True, timeout=30, check=True)
    result = json.loads(result.stdout)["result"]
    assert result["alternatives"][0]["status"] == "ALTERNATIVE_STATUS_FINAL"
    assert result["alternatives"][0]["message"]["role"] == "assistant"
    assert result["alternatives"][0]["message"]["text"]
    usage = result["usage"]
    assert all(isinstance(usage[k], str) for k in ("inputTextTokens", "completionTokens", "totalTokens"))
    assert int(usage["totalTokens"]) == int(usage["inputTextTokens"]) + int(usage["completionTokens"])
    assert result["modelVersion"]
    sent = ygpt_server.requests[-1]
    assert sent.method == "Completion" and sent.model_uri == "gpt://b1gexample/yandexgpt-lite"
    assert sent.options["temperature"] == pytest.approx(0.1) and sent.options["max_tokens"] == 1000
    assert [m["role"] for m in sent.messages] == ["system", "user"]


def test_the_guides_python_script_gets_the_same_answer_as_the_sdk(ygpt_server):
    answer = guide_prompt_script("local-token", "b1gexample", "To be, or not to be: that is the question.",
                                 ygpt_server.http_url)
    text = answer["result"]["alternatives"][0]["message"]["text"]
    sdk = YCloudML(**sdk_kwargs(ygpt_server.address, folder_id="b1gexample"))
    model = sdk.models.completions("yandexgpt-lite").configure(temperature=0.3, max_tokens=1000)
    assert model.run([{"role": "system", "text": "Translate the text"},
                      {"role": "user", "text": "To be, or not to be: that is the question."}]).text == text
    assert ygpt_server.requests[0].messages == ygpt_server.requests[1].messages


def test_chat_mode_sends_the_history_and_gets_a_reply(ygpt_server):
    first = post(ygpt_server, "/foundationModels/v1/completion", CHAT_BODY).json()["result"]
    reply = first["alternatives"][0]["message"]
    history = {**CHAT_BODY, "messages": [*CHAT_BODY["messages"], reply,
                                         {"role": "user", "text": "And which of them got him the Nobel prize?"}]}
    second = post(ygpt_server, "/foundationModels/v1/completion", history)
    assert second.status_code == 200
    assert [m["role"] for m in ygpt_server.requests[-1].messages] == ["system", "user", "assistant", "user"]
    assert ygpt_server.requests[-1].messages[2]["text"] == reply["text"]


def test_a_stream_is_one_json_object_per_line_each_with_the_whole_text_so_far(ygpt_server):
    body = {**CHAT_BODY, "modelUri": "gpt://b1gexample/yandexgpt/latest",
            "messages": [{"role": "user", "text": "Hi! What fields of science did Albert Einstein study?"}]}
    whole = post(ygpt_server, "/foundationModels/v1/completion", body).json()["result"]
    body["completionOptions"] = {**body["completionOptions"], "stream": True}
    with requests.post(url(ygpt_server, "/foundationModels/v1/completion"), json=body, headers=KEY,
                       stream=True, timeout=10) as answer:
        lines = [json.loads(line) for line in answer.iter_lines() if line]
    results = [line["result"] for line in lines]
    texts = [r["alternatives"][0]["message"]["text"] for r in results]
    assert len(results) > 3
    assert all(later.startswith(earlier) for earlier, later in zip(texts, texts[1:]))
    assert [r["alternatives"][0]["status"] for r in results] == \
        ["ALTERNATIVE_STATUS_PARTIAL"] * (len(results) - 1) + ["ALTERNATIVE_STATUS_FINAL"]
    assert results[-1] == whole
    assert ygpt_server.requests[-1].stream


def test_async_completion_is_an_operation_polled_over_rest(ygpt_server):
    ygpt_server.operation_delay = 0.2
    operation = post(ygpt_server, "/foundationModels/v1/completionAsync", CHAT_BODY).json()
    assert operation["done"] is False and operation["id"]
    give_up = time.monotonic() + 5
    while not operation["done"] and time.monotonic() < give_up:
        time.sleep(0.05)
        operation = requests.get(url(ygpt_server, f"/operations/{operation['id']}"), headers=KEY, timeout=5).json()
    response = operation["response"]
    assert response["@type"].endswith("foundation_models.v1.CompletionResponse")
    assert response["alternatives"][0]["status"] == "ALTERNATIVE_STATUS_FINAL"
    assert ygpt_server.requests[-1].method == "AsyncCompletion"


def test_an_operation_started_over_grpc_is_read_over_rest(ygpt_server):
    """One server, one store: the SDK's deferred call and a REST poll see the same operation."""
    ygpt_server.operation_delay = 0.0
    sdk = YCloudML(**sdk_kwargs(ygpt_server.address))
    question = "Hi! What fields of science did Albert Einstein study?"
    operation = sdk.models.completions("yandexgpt").run_deferred(question)
    text = operation.wait(poll_interval=0.05).text
    polled = requests.get(url(ygpt_server, f"/operations/{operation.id}"), headers=KEY, timeout=5).json()
    assert polled["done"] and polled["response"]["alternatives"][0]["message"]["text"] == text


def test_the_endpoint_discovery_over_rest_names_the_grpc_address_as_grpcs_does(ygpt_server):
    """GET /endpoints, the REST form of the discovery the SDK makes over gRPC (its proto's http
    option, answered by api.cloud.yandex.net): no key needed, the same list; an unknown id is a
    404 in the cloud's error JSON. %ygpt connect given this HTTP address reads it."""
    listed = requests.get(url(ygpt_server, "/endpoints"), timeout=10).json()["endpoints"]
    with grpc.insecure_channel(ygpt_server.address) as channel:
        over_grpc = ApiEndpointServiceStub(channel).List(ListApiEndpointsRequest(), timeout=10).endpoints
    assert listed == [{"id": e.id, "address": e.address} for e in over_grpc]
    assert {e["address"] for e in listed} == {ygpt_server.address}
    one = requests.get(url(ygpt_server, "/endpoints/ai-foundation-models"), timeout=10)
    assert one.json() == {"id": "ai-foundation-models", "address": ygpt_server.address}
    unknown = requests.get(url(ygpt_server, "/endpoints/no-such-service"), timeout=10)
    assert unknown.status_code == 404 and "not served here" in unknown.json()["error"]["message"]


def this_machines_address(family: socket.AddressFamily) -> str:
    """This machine's address on its network (not loopback), as another machine reaches it."""
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:   # a route is chosen; nothing is sent
            probe.connect(("192.0.2.1" if family == socket.AF_INET else "2001:db8::1", 9))
        except OSError:
            pytest.skip("this machine has no network address of that family")
        address = str(probe.getsockname()[0])
    if ipaddress.ip_address(address).is_loopback:
        pytest.skip("this machine has no network address of that family")
    return address


@pytest.mark.parametrize("wildcard, family", [("0.0.0.0", socket.AF_INET), ("::", socket.AF_INET6)])
def test_a_server_on_every_interface_gives_discovery_the_host_the_client_reached_it_on(wildcard, family):
    """serve --host 0.0.0.0 for the SDK on another machine: its discovery answered 127.0.0.1:PORT
    (0.0.0.0:PORT before that), so the SDK there went on to its own loopback."""
    here = joined(this_machines_address(family), 0).rpartition(":")[0]   # an IPv6 one in brackets
    with start_local_server(host=wildcard) as server:
        port = server.address.rpartition(":")[2]
        with grpc.insecure_channel(f"{here}:{port}") as channel:
            over_grpc = ApiEndpointServiceStub(channel).List(ListApiEndpointsRequest(), timeout=10).endpoints
        assert {e.address for e in over_grpc} == {f"{here}:{port}"}
        http_port = server.http_url.rpartition(":")[2]
        one = requests.get(f"http://{here}:{http_port}/endpoints/ai-foundation-models", timeout=10).json()
        assert one["address"] == f"{here}:{port}"
        named = requests.get(f"http://{here}:{http_port}/endpoints", headers={"Host": f"gpu-box.lan:{http_port}"},
                             timeout=10).json()["endpoints"]
        assert {e["address"] for e in named} == {f"gpu-box.lan:{port}"}, "the Host the client used"
        sdk = YCloudML(**sdk_kwargs(f"{here}:{port}"))   # the unmodified SDK, through that discovery
        assert sdk.models.completions("yandexgpt").run("Hello").alternatives[0].text
        with grpc.insecure_channel(server.address) as channel:   # this machine's own clients: as before
            local = ApiEndpointServiceStub(channel).List(ListApiEndpointsRequest(), timeout=10).endpoints
        assert {e.address for e in local} == {server.address}


def test_tokenize_completion_counts_what_completion_reports(ygpt_server):
    tokens = post(ygpt_server, "/foundationModels/v1/tokenizeCompletion", CHAT_BODY).json()["tokens"]
    usage = post(ygpt_server, "/foundationModels/v1/completion", CHAT_BODY).json()["result"]["usage"]
    assert len(tokens) == int(usage["inputTextTokens"])
    assert tokens[0] == {"id": "1", "text": "<s>", "special": True}
    plain = post(ygpt_server, "/foundationModels/v1/tokenize",
                 {"modelUri": "gpt://b1gexample/yandexgpt", "text": "Hello world"}).json()
    assert [t["text"] for t in plain["tokens"]] == ["<s>", "Hello", "▁world"] and plain["modelVersion"]


@pytest.mark.slow
def test_a_big_tokenize_does_not_hold_up_other_clients(ygpt_server):
    """A data scientist counts the tokens of a 1 MB corpus file (a second or more of work, 10 MB
    of JSON back); meanwhile another client's one-line completion answers as usual, not after it:
    within a second, and within a quarter of the time the tokenize takes, so a server that made
    it wait fails here however fast the machine. (A 4 MB file took 7-10 s in `make test` and
    proved no more: the completion starts once the server has the tokenize.)"""
    model = YCloudML(**sdk_kwargs(ygpt_server.address)).models.completions("yandexgpt")
    model.run("warm up")
    body = {"modelUri": "gpt://b1gexample/yandexgpt", "text": "word " * (2**20 // 5)}
    with ThreadPoolExecutor(1) as pool:
        counted = pool.submit(_timed_post, url(ygpt_server, "/foundationModels/v1/tokenize"), body)
        _wait_for_a_request(ygpt_server, "Tokenize")   # the tokenize is under way
        started = time.monotonic()
        model.run("hi")
        waited = time.monotonic() - started
        assert not counted.done(), "the tokenize ended before the completion started: the test proves nothing"
        answer, ended = counted.result()
        assert len(answer.json()["tokens"]) == 209_717
    assert waited < 1.0, f"a one-line completion waited {waited:.1f} s behind another client's tokenize"
    assert waited < (ended - started) / 4, \
        f"a one-line completion took {waited:.2f} s of the {ended - started:.2f} s the tokenize went on"


def _timed_post(address: str, body: dict) -> tuple[requests.Response, float]:
    """The response to a POST of `body` and when it had been read whole (time.monotonic)."""
    answer = requests.post(address, json=body, headers=KEY, timeout=120)
    return answer, time.monotonic()


def _wait_for_a_request(server, method: str, timeout: float = 10) -> None:
    """Until the server has received (and recorded) a `method` request, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not any(request.method == method for request in server.requests):
        assert time.monotonic() < deadline, f"no {method} request reached the server in {timeout} s"
        time.sleep(0.01)


@pytest.mark.parametrize("headers, says", [
    ({}, "no authorization"),
    ({"Authorization": "Basic abc"}, "must be 'Api-Key <key>' or 'Bearer <IAM token>'"),
    ({"Authorization": "Bearer "}, "must be 'Api-Key <key>' or 'Bearer <IAM token>'"),
])
def test_without_valid_credentials_it_is_a_401_with_the_clouds_error_json(ygpt_server, headers, says):
    answer = post(ygpt_server, "/foundationModels/v1/completion", CHAT_BODY, headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"]["grpcCode"] == 16 and says in answer.json()["error"]["message"]
    assert ygpt_server.requests == []


@pytest.mark.parametrize("change, status, grpc_code, says", [
    ({"modelUri": "gpt://b1gexample/yandexgpt-pro"}, 400, 3, "invalid model_uri"),
    ({"modelUri": "yandexgpt"}, 400, 3, "not of the form gpt://"),
    ({"completionOptions": {"temperature": 2}}, 400, 3, "between 0 and 1"),
    ({"completionOptions": {"maxTokens": "lots"}}, 400, 3, "maxTokens"),
    ({"messages": [{"role": "robot", "text": "Hi"}]}, 400, 3, "role 'robot'"),
])
def test_bad_values_get_the_clouds_errors_and_codes(ygpt_server, change, status, grpc_code, says):
    answer = post(ygpt_server, "/foundationModels/v1/completion", {**CHAT_BODY, **change})
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert (error["httpCode"], error["grpcCode"]) == (status, grpc_code) and says in error["message"]


@pytest.mark.parametrize("code, status", [("RESOURCE_EXHAUSTED", 429), ("UNAVAILABLE", 503),
                                          ("PERMISSION_DENIED", 403), ("INTERNAL", 500)])
def test_injected_failures_reach_rest_clients_with_their_http_codes(ygpt_server, code, status):
    ygpt_server.faults.fail_next(1, code)
    failed = post(ygpt_server, "/foundationModels/v1/completion", CHAT_BODY)
    assert failed.status_code == status and failed.json()["error"]["grpcCode"] == grpc.StatusCode[code].value[0]
    assert post(ygpt_server, "/foundationModels/v1/completion", CHAT_BODY).status_code == 200


def test_a_stream_broken_midway_ends_with_an_error_line(ygpt_server):
    ygpt_server.faults.break_stream_after(2, "UNAVAILABLE")
    body = {**CHAT_BODY, "completionOptions": {"stream": True}}
    request = urllib.request.Request(url(ygpt_server, "/foundationModels/v1/completion"),
                                     data=json.dumps(body).encode(),
                                     headers={**KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        lines = [json.loads(line) for line in answer.read().decode().splitlines()]
    assert [next(iter(line)) for line in lines] == ["result", "result", "error"]
    assert lines[-1]["error"]["httpCode"] == 503 and "broke after 2 chunks" in lines[-1]["error"]["message"]


def test_operation_cancel_over_rest(ygpt_server):
    ygpt_server.operation_delay = 30
    operation = post(ygpt_server, "/foundationModels/v1/completionAsync", CHAT_BODY).json()
    cancelled = requests.post(url(ygpt_server, f"/operations/{operation['id']}:cancel"), headers=KEY, timeout=5).json()
    assert cancelled["done"] and cancelled["error"]["code"] == grpc.StatusCode.CANCELLED.value[0]


def test_the_key_sent_over_http_is_never_logged_or_recorded(ygpt_server, caplog):
    caplog.set_level(logging.DEBUG)
    canary = "AQVN-http-canary-0123456789"
    for path, body in (("/foundationModels/v1/completion", CHAT_BODY), ("/v1/chat/completions",
                       {"model": "gpt://f/yandexgpt", "messages": [{"role": "user", "content": "Hi"}]})):
        assert post(ygpt_server, path, body, headers={"Authorization": f"Api-Key {canary}"}).status_code == 200
        assert post(ygpt_server, path, body, headers={"Authorization": f"Basic {canary}"}).status_code == 401
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Completion model=" in logged and canary not in logged
    assert canary not in repr(list(ygpt_server.requests))
