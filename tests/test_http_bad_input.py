"""Bad input over HTTP: each is refused with the cloud's error JSON, and the server keeps serving."""

from __future__ import annotations

import gc
import http.client
import json
import logging
import socket
import time

import pytest
import requests

from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.http.app import MAX_BODY_BYTES

KEY = {"Authorization": "Api-Key local-key"}
GOOD = {"modelUri": "gpt://b1gexample/yandexgpt",
        "messages": [{"role": "user", "text": "Hi! What fields of science did Albert Einstein study?"}]}
COMPLETION = "/foundationModels/v1/completion"
#: the idle bound, shortened for its own test (``idle_timeout``; the default is app.IDLE_TIMEOUT)
IDLE = 1.0


def still_serves(server) -> None:
    answer = requests.post(server.http_url + COMPLETION, json=GOOD, headers=KEY, timeout=10)
    assert answer.status_code == 200, answer.text


def refused(server, status: int, **kwargs) -> str:
    headers = {**KEY, **kwargs.pop("headers", {})}
    answer = requests.post(server.http_url + kwargs.pop("path", COMPLETION), headers=headers, timeout=10, **kwargs)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["httpCode"] == status and error["details"] == []
    still_serves(server)
    return error["message"]


@pytest.mark.parametrize("body, says", [
    ('{"modelUri": "gpt://f/yandexgpt", "messages": [', "not valid JSON"),
    ("[1, 2]", "send a JSON object"),
    ("null", "send a JSON object"),
    ("", "no body"),
    ('{"modelUri": "gpt://f/yandexgpt", "messages": "Hi"}', "does not fit CompletionRequest"),
    # Python's json reads these; JSON has no such numbers (it answered 500, "could not answer")
    ('{"modelUri": "gpt://f/yandexgpt", "messages": [{"role": "user", "text": "Hi"}], '
     '"tools": [{"function": {"name": "f", "parameters": {"type": "object", "properties": {"x": '
     '{"type": "number", "default": Infinity}}}}}]}', "not valid JSON: Infinity is no JSON number"),
    ('{"modelUri": "gpt://f/yandexgpt", "completionOptions": {"temperature": NaN}, '
     '"messages": [{"role": "user", "text": "Hi"}]}', "not valid JSON: NaN is no JSON number"),
])
def test_a_body_that_is_not_a_request_is_a_400(ygpt_server, body, says):
    assert says in refused(ygpt_server, 400, data=body, headers={"Content-Type": "application/json"})


def test_a_wrong_content_type_is_a_400_that_names_the_right_one(ygpt_server):
    message = refused(ygpt_server, 400, data=b"<xml/>", headers={"Content-Type": "application/xml"})
    assert "Content-Type: application/json" in message


def test_curl_without_a_content_type_header_is_read_as_json_like_the_cloud_does(ygpt_server):
    answer = requests.post(ygpt_server.http_url + COMPLETION, data=json.dumps(GOOD),
                           headers={**KEY, "Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert answer.status_code == 200


def test_a_body_over_the_limit_is_a_413(ygpt_server):
    huge = {**GOOD, "messages": [{"role": "user", "text": "x" * (MAX_BODY_BYTES + 10)}]}
    assert "over the local server's limit" in refused(ygpt_server, 413, json=huge)


@pytest.mark.parametrize("messages", [None, []])
def test_missing_or_empty_messages_are_a_400(ygpt_server, messages):
    body = {"modelUri": GOOD["modelUri"]} | ({} if messages is None else {"messages": messages})
    assert "no messages" in refused(ygpt_server, 400, json=body)


@pytest.mark.parametrize("method, path", [("POST", "/foundationModels/v1/completions"), ("GET", "/"),
                                          ("POST", "/v2/chat/completions")])
def test_unknown_paths_are_404s_with_the_clouds_error_json(ygpt_server, method, path):
    answer = requests.request(method, ygpt_server.http_url + path, headers=KEY, timeout=10)
    assert answer.status_code == 404 and answer.json()["error"]["grpcCode"] == 5
    assert path in answer.json()["error"]["message"]
    still_serves(ygpt_server)


def test_a_wrong_method_is_a_405_with_the_clouds_error_json(ygpt_server):
    answer = requests.get(ygpt_server.http_url + COMPLETION, headers=KEY, timeout=10)
    assert answer.status_code == 405 and "allowed: POST" in answer.json()["error"]["message"]


def _log_lines(caplog, prefix: str, deadline: float = 5.0) -> list[str]:
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(prefix)]
        if lines:
            return lines
        time.sleep(0.02)
    return []


def test_a_stream_abandoned_midway_logs_no_error_and_leaves_no_task(ygpt_server, caplog):
    caplog.set_level(logging.INFO)
    baseline = ygpt_server.task_count()
    ygpt_server.faults.latency(0.05)
    host, port = ygpt_server.http_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = {**GOOD, "completionOptions": {"stream": True}}
    connection.request("POST", COMPLETION, body=json.dumps(body), headers={**KEY, "Content-Type": "application/json"})
    answer = connection.getresponse()
    assert json.loads(answer.readline())["result"]["alternatives"][0]["status"] == "ALTERNATIVE_STATUS_PARTIAL"
    connection.sock.close()   # walk away mid-stream
    connection.close()
    assert any("status=CANCELLED" in line for line in _log_lines(caplog, "Completion "))
    give_up = time.monotonic() + 5
    while ygpt_server.task_count() > baseline and time.monotonic() < give_up:
        time.sleep(0.02)
    assert ygpt_server.task_count() <= baseline
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [r.getMessage() for r in caplog.records]
    ygpt_server.faults.clear()
    still_serves(ygpt_server)


CHAT = "/v1/chat/completions"


@pytest.mark.parametrize("body, says", [
    ({"model": "gpt://f/yandexgpt"}, "no messages"),
    ({"model": "gpt://f/yandexgpt", "messages": []}, "no messages"),
    ({"model": "gpt://f/yandexgpt", "messages": "Hi"}, "messages must be a list"),
    ({"model": "gpt://f/yandexgpt", "messages": [{"role": "user", "content": [{"type": "audio"}]}]}, "type 'audio'"),
    ({"model": "gpt://f/yandexgpt", "messages": [{"role": "user", "content": "Hi"}], "tool_choice": "always"},
     "tool_choice is 'always'"),
    ({"model": "gpt://f/yandexgpt", "messages": [{"role": "user", "content": "Hi"}], "reasoning_effort": "max"},
     "reasoning_effort is 'max'"),
])
def test_a_chat_request_without_usable_messages_or_options_is_a_400(ygpt_server, body, says):
    assert says in refused(ygpt_server, 400, path=CHAT, json=body)


CALL = {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                             "function": {"name": "add", "arguments": "{}"}}]}


@pytest.mark.parametrize("messages, index, call_id", [
    ([{"role": "user", "content": "hi"}, {"role": "tool", "content": "5"}], 1, ""),
    ([{"role": "user", "content": "hi"}, CALL, {"role": "tool", "tool_call_id": "c2", "content": "5"}], 2, "c2"),
    ([{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "c1", "content": "5"}, CALL], 1, "c1"),
], ids=["no call, no id", "an id no call has", "the call after its result"])
def test_a_tool_result_that_answers_no_earlier_call_is_a_400(ygpt_server, messages, index, call_id):
    """It was answered "According to ``: 5", a function with no name."""
    says = refused(ygpt_server, 400, path=CHAT, json={"model": "gpt://f/yandexgpt/latest", "messages": messages})
    assert says == (f"Message {index} is a tool result for tool_call_id {call_id!r}, which no earlier assistant "
                    "message's tool_calls has. Send the assistant's message with the call first (as the model "
                    "returned it), and give the result that call's id as tool_call_id.")


def test_malformed_json_to_the_chat_api_is_a_400(ygpt_server):
    answer = refused(ygpt_server, 400, path=CHAT, data="{", headers={"Content-Type": "application/json"})
    assert "not valid JSON" in answer


def test_a_chat_stream_abandoned_midway_logs_no_error(ygpt_server, caplog):
    caplog.set_level(logging.INFO)
    ygpt_server.faults.latency(0.05)
    host, port = ygpt_server.http_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = {"model": "gpt://f/qwen3-235b-a22b-fp8", "stream": True,
            "messages": [{"role": "user", "content": "Hi! What fields of science did Albert Einstein study?"}]}
    connection.request("POST", CHAT, body=json.dumps(body), headers={**KEY, "Content-Type": "application/json"})
    assert connection.getresponse().readline().startswith(b"data: ")
    connection.sock.close()
    connection.close()
    assert any("status=CANCELLED" in line for line in _log_lines(caplog, "Completion "))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    ygpt_server.faults.clear()
    still_serves(ygpt_server)


@pytest.mark.parametrize("path, body", [
    (COMPLETION, '{"modelUri": "gpt://f/yandexgpt", "messages": %s}'),
    (CHAT, '{"model": "gpt://f/yandexgpt", "messages": [{"role": "user", "content": "Hi"}], "tools": [{"type": '
           '"function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": %s}}}}]}'),
])
@pytest.mark.parametrize("depth", [200_000, 900])
def test_a_body_nested_too_deeply_is_a_400_and_logs_no_traceback(ygpt_server, caplog, path, body, depth):
    caplog.set_level(logging.INFO)
    nested = body % ("[" * depth + "]" * depth)
    message = refused(ygpt_server, 400, path=path, data=nested, headers={"Content-Type": "application/json"})
    assert "nested more than 100 levels deep" in message
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [r.getMessage() for r in caplog.records]


@pytest.mark.slow
def test_a_connection_whose_headers_never_arrive_is_closed_within_the_bound():
    with start_local_server(idle_timeout=IDLE) as server:
        address = server.http_url.removeprefix("http://").split(":")
        silent, partial = (socket.create_connection((address[0], int(address[1])), timeout=IDLE + 5)
                           for _ in range(2))
        partial.sendall(b"POST /foundationModels/v1/completion HTTP/1.1\r\nHost: local\r\n")   # no blank line
        started = time.monotonic()
        with silent, partial:
            assert silent.recv(100) == b"" and partial.recv(100) == b""   # closed by the server
        assert time.monotonic() - started < IDLE + 2
        still_serves(server)


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_a_server_stopped_while_a_chat_stream_stalls_logs_no_error(caplog):
    """Stopping a server leaves nothing running: the handler a stalled stream holds after its
    client left is cancelled and ends, rather than destroyed pending (asyncio's and aiohttp's
    errors in the log)."""
    caplog.set_level(logging.INFO)
    with start_local_server() as server:
        server.faults.stall_after(1, 30.0)
        host, port = server.http_url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        body = {"model": "gpt://f/yandexgpt", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
        connection.request("POST", CHAT, body=json.dumps(body), headers={**KEY, "Content-Type": "application/json"})
        assert connection.getresponse().readline().startswith(b"data: ")
        connection.sock.close()   # the client gives up (its stream timeout), the stall goes on
        connection.close()
        time.sleep(0.2)
        started = time.monotonic()
    assert time.monotonic() - started < 5, "stop() waited for the stall"
    del server   # its loop, and any task left pending on it, goes now
    gc.collect()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
