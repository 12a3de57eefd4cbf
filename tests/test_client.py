"""Client against the local server through the unmodified SDK: modes, cancel, errors, speed."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
import time

import pytest
from conftest import TEST_KEY
from statuses import STATUSES

from ygpt_magic.chat import BUILTIN, Options
from ygpt_magic.client import Client
from ygpt_magic.client.credentials import Credential, find_credential, mask
from ygpt_magic.client.endpoints import parse_endpoint
from ygpt_magic.client.loop import SLOW_AFTER
from ygpt_magic.client.settings import ClientSettings
from ygpt_magic.errors import (
    ContextTooLong,
    CredentialsMissing,
    OptionError,
    ServerFailed,
    ServerGaveUp,
    ServerTimeout,
    ServerUnavailable,
    StreamBroken,
    StreamStalled,
)

TRANSLATE = [
    {"role": "system", "text": "Translate the text into French"},
    {"role": "user", "text": "To be, or not to be: that is the question."},
]
FRENCH = "Être ou ne pas être : telle est la question."


@pytest.fixture
def client(ygpt_server, clean_env):
    client = Client(endpoint=ygpt_server.address, insecure=True,
                    settings=ClientSettings(retries=2, retry_backoff=0.05, poll_interval=0.05))
    yield client
    client.close()


def test_stream_yields_growing_text_and_ends_final(client, ygpt_server):
    """Chunks 20 ms apart, as the cloud sends them: the reader sees each (a reader that falls
    behind gets only the newest, client/loop.py, so a server with no pace could show one)."""
    ygpt_server.faults.latency(0.02)
    chunks = list(client.stream(TRANSLATE, BUILTIN))
    assert len(chunks) > 1 and chunks[-1].status == "FINAL" and chunks[-1].text == FRENCH
    assert all(FRENCH.startswith(c.text) for c in chunks)
    assert chunks[-1].usage.input_tokens > 0 and chunks[-1].model_version
    [request] = ygpt_server.requests
    assert request.method == "Completion" and request.stream and request.messages == TRANSLATE


def test_complete_deferred_and_tokens(client, ygpt_server):
    assert client.complete(TRANSLATE, BUILTIN).text == FRENCH
    waits = []
    assert client.deferred(TRANSLATE, BUILTIN, on_wait=waits.append).text == FRENCH
    assert waits and waits == sorted(waits)
    assert client.count_tokens(TRANSLATE, BUILTIN) > 5
    methods = [r.method for r in ygpt_server.requests]
    assert methods == ["Completion", "AsyncCompletion", "TokenizeCompletion"]
    assert ygpt_server.requests[0].stream is False


def test_a_host_port_target_is_one_server_for_every_service(client, ygpt_server, caplog):
    """No endpoint discovery before the first request (the cloud's addresses would bypass a
    gateway, and the question costs a channel and a round trip); every call goes to the target."""
    caplog.set_level(logging.INFO, logger="ygpt_magic.emulator")
    assert client.complete(TRANSLATE, BUILTIN).text == FRENCH
    assert client.count_tokens(TRANSLATE, BUILTIN) > 5
    methods = [r.getMessage().split()[0] for r in caplog.records if r.name == "ygpt_magic.emulator"]
    assert methods == ["Completion", "TokenizeCompletion"]


def test_ctrl_c_during_a_deferred_wait_cancels_the_operation_on_the_server(client, ygpt_server, caplog):
    caplog.set_level(logging.INFO, logger="ygpt_magic.emulator")
    ygpt_server.operation_delay = 30  # the operation keeps running until cancelled

    def press_ctrl_c(_seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client.deferred(TRANSLATE, BUILTIN, on_wait=press_ctrl_c)
    assert any(r.getMessage().startswith("CancelOperation ") for r in caplog.records
               if r.name == "ygpt_magic.emulator")
    assert client.complete(TRANSLATE, BUILTIN).text == FRENCH  # the client is fine afterwards


def test_a_deferred_wait_past_the_request_timeout_cancels_the_operation_and_says_why(ygpt_server, clean_env,
                                                                                      caplog):
    """The wait is bounded by the request timeout, so --deferred, the mode the cell is in, is
    not offered as the way out: the limit is; and the operation is stopped with the wait."""
    caplog.set_level(logging.INFO, logger="ygpt_magic.emulator")
    ygpt_server.operation_delay = 30
    client = Client(endpoint=ygpt_server.address, insecure=True,
                    settings=ClientSettings(timeout=0.5, poll_interval=0.05))
    try:
        with pytest.raises(ServerTimeout) as caught:
            client.deferred(TRANSLATE, BUILTIN, on_wait=lambda _seconds: None)
    finally:
        client.close()
    message = str(caught.value)
    assert "within 0.5 s" in message and "%config YGptMagics.timeout = 1" in message, message
    assert "--deferred" not in message, message
    assert any(r.getMessage().startswith("CancelOperation ") for r in caplog.records
               if r.name == "ygpt_magic.emulator")


def test_a_long_poll_interval_does_not_outlast_the_request_timeout(ygpt_server, clean_env):
    ygpt_server.operation_delay = 30
    client = Client(endpoint=ygpt_server.address, insecure=True,
                    settings=ClientSettings(timeout=0.5, poll_interval=60))
    started = time.monotonic()
    try:
        with pytest.raises(ServerTimeout):
            client.deferred(TRANSLATE, BUILTIN, on_wait=lambda _seconds: None)
    finally:
        client.close()
    assert time.monotonic() - started < 5


def test_a_poll_the_server_failed_cancels_the_operation_so_a_rerun_does_not_pay_twice(ygpt_server, clean_env,
                                                                                      caplog):
    caplog.set_level(logging.INFO, logger="ygpt_magic.emulator")
    ygpt_server.operation_delay = 30
    ygpt_server.faults.fail_next(1, "INTERNAL", "the poll broke", method="GetOperation")
    client = Client(endpoint=ygpt_server.address, insecure=True, settings=ClientSettings(poll_interval=0.05))
    try:
        with pytest.raises(ServerFailed):
            client.deferred(TRANSLATE, BUILTIN, on_wait=lambda _seconds: None)
    finally:
        client.close()
    assert any(r.getMessage().startswith("CancelOperation ") for r in caplog.records
               if r.name == "ygpt_magic.emulator")


@pytest.mark.parametrize("model, uri_end", [
    ("yandexgpt", "/yandexgpt/latest"), ("yandexgpt-lite", "/yandexgpt-lite/latest"),
    ("yandexgpt/rc", "/yandexgpt/rc"), ("gpt://b1gother/yandexgpt-lite/rc", "gpt://b1gother/yandexgpt-lite/rc"),
])
def test_model_names(client, ygpt_server, model, uri_end):
    client.complete(TRANSLATE, Options(model=model))
    assert ygpt_server.requests[-1].model_uri.endswith(uri_end)


def test_options_reach_the_server(client, ygpt_server):
    client.complete(TRANSLATE, BUILTIN.with_changes(temperature=0.2, max_tokens=40, reasoning=True, json=True))
    options = ygpt_server.requests[-1].options
    assert (options["temperature"], options["max_tokens"], options["reasoning"], options["json"]) \
        == (pytest.approx(0.2), 40, True, True)


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
@pytest.mark.parametrize("send", ["stream", "complete"])
@pytest.mark.parametrize("latency", [0.0, 0.5])
def test_slow_is_called_once_only_when_the_answer_keeps_us_waiting(client, ygpt_server, send, latency):
    client.complete(TRANSLATE, BUILTIN)  # the channel is open: a quick answer is quick
    ygpt_server.faults.latency(latency)
    calls = []

    def slow():
        calls.append(time.monotonic() - started)

    started = time.monotonic()
    if send == "stream":
        text = [chunk.text for chunk in client.stream(TRANSLATE, BUILTIN, slow=slow)][-1]
    else:
        text = client.complete(TRANSLATE, BUILTIN, slow=slow).text
    answered = time.monotonic() - started
    assert text == FRENCH
    if latency:  # told once, after SLOW_AFTER and before the answer came
        assert len(calls) == 1 and SLOW_AFTER <= calls[0] < answered
    elif answered < SLOW_AFTER:  # a quick answer, as it is here unless the machine stalls
        assert calls == []


def test_cancel_from_another_thread_ends_the_iteration(client, ygpt_server):
    ygpt_server.faults.latency(0.05)
    stream = client.stream(TRANSLATE + [{"role": "assistant", "text": FRENCH},
                                        {"role": "user", "text": "Now a long essay, please."}],
                           BUILTIN)
    seen = []
    for chunk in stream:
        seen.append(chunk)
        if len(seen) == 2:
            threading.Thread(target=stream.cancel).start()
    assert stream.cancelled and 2 <= len(seen) <= 4 and seen[-1].status == "PARTIAL"
    assert client.complete(TRANSLATE, BUILTIN).text == FRENCH  # the client still works


def test_a_retried_stream_starts_over(client, ygpt_server):
    ygpt_server.faults.break_stream_after(2, "UNAVAILABLE")
    texts = [c.text for c in client.stream(TRANSLATE, BUILTIN)]
    assert texts[-1] == FRENCH
    assert len([r for r in ygpt_server.requests if r.method == "Completion"]) == 2


@pytest.mark.parametrize("status", STATUSES, ids=[s.code for s in STATUSES])
def test_each_status_becomes_its_error(client, ygpt_server, status):
    ygpt_server.faults.fail_next(5, status.code, method="*")
    with pytest.raises(status.error) as caught:
        list(client.stream(TRANSLATE, BUILTIN))
    message = str(caught.value)
    for word in status.keywords:
        assert word.lower() in message.lower()
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    for leak in ("debug_error_string", "AioRpcError", "auth_provider", TEST_KEY):
        assert leak not in message


def test_context_too_long_reports_the_numbers(client):
    long_text = "word " * 9000
    with pytest.raises(ContextTooLong) as caught:
        client.complete([{"role": "user", "text": long_text}], Options(model="llama"))
    assert caught.value.needed > caught.value.budget == 8192


@pytest.mark.parametrize("send", [lambda c: list(c.stream(TRANSLATE, BUILTIN)),
                                  lambda c: c.complete(TRANSLATE, BUILTIN)], ids=["stream", "complete"])
def test_nothing_listening_fails_fast_and_names_the_endpoint(clean_env, send):
    """The SDK would retry for seconds; the connect check beside the request is refused at once."""
    client = Client(endpoint="127.0.0.1:9", insecure=True, settings=ClientSettings(connect_timeout=2))
    started = time.monotonic()
    with pytest.raises(ServerUnavailable, match="127.0.0.1:9: nothing accepts connections there"):
        send(client)
    assert time.monotonic() - started < 5
    client.close()


def test_a_stalled_stream_is_stopped(ygpt_server, clean_env):
    ygpt_server.faults.stall_after(1, 3.0)
    client = Client(endpoint=ygpt_server.address, insecure=True, settings=ClientSettings(stream_timeout=0.5))
    started = time.monotonic()
    with pytest.raises(ServerTimeout, match="0.5 s"):
        list(client.stream(TRANSLATE, BUILTIN))
    assert time.monotonic() - started < 2.5
    client.close()


def test_missing_credentials_fail_before_any_request(ygpt_server, clean_env):
    clean_env.delenv("YC_API_KEY")
    for endpoint, advice in (("cloud", "%ygpt connect local"), (ygpt_server.address, "ygpt-magic serve")):
        client = Client(endpoint=endpoint, insecure=True)
        with pytest.raises(CredentialsMissing, match="YC_API_KEY.*%ygpt auth") as missing:
            client.complete(TRANSLATE, BUILTIN)
        client.close()
        assert advice in str(missing.value)
    assert ygpt_server.requests == []


def test_secrets_are_masked_in_repr_and_describe(ygpt_server, clean_env):
    client = Client(endpoint=ygpt_server.address, insecure=True, auth="AQVNexplicitkey123456789wxyz")
    shown = repr(client) + repr(client.credential) + client.credential.describe()
    assert "AQVNexplicitkey123456789wxyz" not in shown and "AQVN…wxyz" in shown
    assert mask("short") == "………" and find_credential().source == "YC_API_KEY"
    assert Credential("iam_token", "x", "t1.abc").masked != "t1.abc"


def test_bad_endpoints_are_refused_with_an_example():
    with pytest.raises(OptionError, match="HOST:PORT such as 127.0.0.1:50051"):
        parse_endpoint("localhost")
    assert parse_endpoint("[::1]:50051") == ("::1", 50051)


@pytest.mark.slow
def test_loading_is_cheap_and_the_sdk_stays_quiet():
    """`%load_ext` imports no SDK (nor grpc), nor the client and the asyncio + ssl it needs
    (~85 ms, paid by the first request); a request later prints no SDK log line or
    deprecation warning, even for a user whose root logger shows everything."""
    code = (
        "import logging, sys, warnings\n"
        "logging.basicConfig(level=logging.DEBUG)\n"
        "warnings.simplefilter('default')\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "from traitlets.config import Config\n"
        "config = Config()\n"
        "config.HistoryManager.hist_file = ':memory:'\n"
        "shell = InteractiveShell.instance(config=config)\n"
        "shell.run_line_magic('load_ext', 'ygpt_magic')\n"
        "heavy = ('yandex_cloud_ml_sdk', 'yandex_ai_studio_sdk', 'grpc', 'asyncio', 'ssl',\n"
        "         'ygpt_magic.client.sdk')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "shell.run_line_magic('ygpt', 'connect local')\n"
        "shell.run_cell('%%ygpt --once\\nErors wont corrct themselfs\\n')\n"
        "print('yandex_cloud_ml_sdk' in sys.modules)\n"
        "shell.run_line_magic('unload_ext', 'ygpt_magic')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_"))}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "[]" and lines[-1] == "True"
    assert "Errors will not correct themselves." in done.stdout
    for noise in ("yandex_cloud_ml_sdk", "yandex_ai_studio_sdk", "deprecated", "Traceback"):
        assert noise not in done.stderr


# -- messages that say what happened ------------------------------------------------------------

CONTEXT = "The request has 40000 input tokens, more than the 32768-token context of yandexgpt/latest."
HISTORY = [*TRANSLATE, {"role": "assistant", "text": FRENCH}, {"role": "user", "text": "And in German?"}]


def test_a_refused_long_request_names_the_history_only_when_it_was_sent(client, ygpt_server):
    ygpt_server.faults.fail_next(2, "INVALID_ARGUMENT", message=CONTEXT)
    with pytest.raises(ContextTooLong) as alone:
        client.complete(TRANSLATE, BUILTIN)
    with pytest.raises(ContextTooLong) as with_history:
        list(client.stream(HISTORY, BUILTIN))
    assert "40,000" in str(alone.value) and "even with no chat history" in str(alone.value)
    assert "context_budget" not in str(alone.value)  # no budget setting helps a lone prompt
    said = str(with_history.value)
    assert "no chat history" not in said and "It carried 1 earlier turn of the chat" in said


def test_a_deadline_the_server_reports_is_not_called_our_timeout(client, ygpt_server):
    ygpt_server.faults.fail_next(1, "DEADLINE_EXCEEDED")
    with pytest.raises(ServerGaveUp) as caught:
        client.complete(TRANSLATE, BUILTIN)
    said = str(caught.value)
    assert said.startswith(f"{client.endpoint} gave up on the request after 0.")
    assert "within" not in said and "60 s" not in said


def test_a_stall_names_the_stream_timeout_setting(ygpt_server, clean_env):
    ygpt_server.faults.stall_after(1, 3.0)
    client = Client(endpoint=ygpt_server.address, insecure=True, settings=ClientSettings(stream_timeout=0.5))
    with pytest.raises(StreamStalled) as caught:
        list(client.stream(TRANSLATE, BUILTIN))
    client.close()
    said = str(caught.value)
    assert "went silent for 0.5 s" in said and "%config YGptMagics.stream_timeout = 1" in said
    assert "DEADLINE_EXCEEDED" not in said and "%ygpt config" not in said


def test_a_stream_broken_on_every_retry_counts_the_last_attempt(client, ygpt_server):
    ygpt_server.faults.break_stream_after(2, "UNAVAILABLE", times=client.settings.retries + 1)
    with pytest.raises(StreamBroken) as caught:
        list(client.stream(TRANSLATE, BUILTIN))
    assert "broke off after 2 chunks of attempt 3" in str(caught.value)
    assert f"The server at {ygpt_server.address} became unavailable" in str(caught.value)
    assert "--no-stream" not in str(caught.value), "not a proxy cutting a long stream: the server went away"


def test_an_exception_in_a_loop_callback_is_a_debug_line_not_a_notebook_error(caplog):
    """grpc.aio calls the SDK call wrapper's add_done_callback, which raises
    NotImplementedError; asyncio would log that at ERROR ("Exception in callback ...")."""
    from ygpt_magic.client.loop import LoopThread

    def sdk_bookkeeping() -> None:
        raise NotImplementedError()

    caplog.set_level(logging.DEBUG)
    loop = LoopThread(name="test-loop")
    loop.loop.call_soon_threadsafe(sdk_bookkeeping)
    loop.run(asyncio.sleep(0.01))  # the callback has run once this returns
    loop.stop()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert "ignored on the client's event loop: NotImplementedError" in caplog.messages




def test_every_vector_is_all_or_the_error_and_tells_each_answer_as_it_arrives(client, ygpt_server):
    from ygpt_magic.client.embeddings import every_vector
    from ygpt_magic.errors import CredentialInPrompt

    texts = ["cats nap", "dogs run", "birds sing"]
    told: list = []
    vectors = every_vector(client.embed_many(enumerate(texts), model="doc", concurrency=2), 3,
                           lambda tag, vector: told.append(vector))
    assert [len(v.values) for v in vectors] == [256] * 3 and told and sorted(map(id, told)) == sorted(map(id, vectors))
    told.clear()
    leaky = [*texts[:2], f"my key {TEST_KEY}", "fish swim"]
    ygpt_server.requests.clear()
    with pytest.raises(CredentialInPrompt):
        every_vector(client.embed_many(enumerate(leaky), model="doc", concurrency=1), 4,
                     lambda tag, vector: told.append(vector))
    sent = [r.messages[-1]["text"] for r in ygpt_server.requests if r.method == "TextEmbedding"]
    assert sent[:2] == texts[:2] and leaky[2] not in sent
    assert len(told) >= 2   # the answers that arrived are told (paid for) though the call failed
