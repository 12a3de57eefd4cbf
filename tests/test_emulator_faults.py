"""Injected faults reach the unmodified SDK as the matching exceptions, at the right moment."""

from __future__ import annotations

import argparse
import ast
import asyncio
import logging
import re
import time
import warnings
from pathlib import Path

import grpc
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import AsyncYCloudML, YCloudML
    from yandex_cloud_ml_sdk.exceptions import AioRpcError
    from yandex_cloud_ml_sdk.retry import NoRetryPolicy, RetryPolicy

from ygpt_magic import emulator
from ygpt_magic.emulator.faults import METHODS
from ygpt_magic.emulator.main import add_serve_arguments, apply_fault_flags
from ygpt_magic.emulator.testing import sdk_kwargs

PROMPT = "Hi! What fields of science did Albert Einstein study?"


def model_for(server, **sdk_options):
    options = {"retry_policy": NoRetryPolicy(), **sdk_options}
    return YCloudML(**sdk_kwargs(server.address), **options).models.completions("yandexgpt")


@pytest.mark.parametrize("code", ["UNAVAILABLE", "RESOURCE_EXHAUSTED", "UNAUTHENTICATED", "INVALID_ARGUMENT"])
def test_fail_next_arrives_as_the_sdk_error_with_that_status(ygpt_server, code):
    model = model_for(ygpt_server)
    ygpt_server.faults.fail_next(1, code, message="try again later")
    with pytest.raises(AioRpcError) as caught:
        model.run(PROMPT)
    assert caught.value.code() == grpc.StatusCode[code]
    assert "try again later" in caught.value.details()
    assert model.run(PROMPT).status.name == "FINAL"   # only the next call failed


def test_fail_next_counts_calls_and_can_target_any_method(ygpt_server):
    model = model_for(ygpt_server)
    ygpt_server.faults.fail_next(2, "UNAVAILABLE", method="*")
    for call in (lambda: model.tokenize(PROMPT), lambda: model.run_deferred(PROMPT)):
        with pytest.raises(AioRpcError):
            call()
    assert len(model.tokenize(PROMPT)) > 3


def test_the_sdk_retry_policy_recovers_from_one_unavailable(ygpt_server):
    model = model_for(ygpt_server, retry_policy=RetryPolicy(initial_backoff=0.01, jitter=0.0))
    ygpt_server.faults.fail_next(1, "UNAVAILABLE")
    assert model.run(PROMPT).status.name == "FINAL"
    assert [r.method for r in ygpt_server.requests] == ["Completion", "Completion"]


def test_a_stream_broken_after_k_chunks_shows_k_chunks_then_the_error(ygpt_server):
    model = model_for(ygpt_server)
    ygpt_server.faults.break_stream_after(3, "UNAVAILABLE")
    received = []
    with pytest.raises(AioRpcError) as caught:
        for chunk in model.run_stream(PROMPT):
            received.append(chunk.text)
    assert len(received) == 3
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert len(list(model.run_stream(PROMPT))) > 3   # one-shot: the next stream is whole


def test_a_stall_longer_than_the_timeout_is_a_deadline_error(ygpt_server):
    model = model_for(ygpt_server)
    ygpt_server.faults.stall_after(1, 5.0)
    received = []
    with pytest.raises(AioRpcError) as caught:
        for chunk in model.run_stream(PROMPT, timeout=0.5):
            received.append(chunk)
    assert len(received) == 1
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_latency_is_added_before_every_chunk(ygpt_server):
    model = model_for(ygpt_server)
    count = len(list(model.run_stream(PROMPT)))
    ygpt_server.faults.latency(0.01)
    started = time.perf_counter()
    assert len(list(model.run_stream(PROMPT))) == count
    assert time.perf_counter() - started >= count * 0.01
    ygpt_server.faults.clear()
    started = time.perf_counter()
    model.run(PROMPT)
    assert time.perf_counter() - started < 0.2


def _chunk_times(model) -> list[float]:
    """Seconds from the request to each chunk of a streamed answer."""
    started = time.perf_counter()
    return [time.perf_counter() - started for _ in model.run_stream(PROMPT)]


def test_the_serve_flags_set_a_first_chunk_latency_apart_from_the_later_chunks(ygpt_server):
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    apply_fault_flags(ygpt_server.faults, parser.parse_args(["--first-chunk-latency", "0.3", "--latency", "0.01"]))
    times = _chunk_times(model_for(ygpt_server))
    gaps = sorted(later - earlier for earlier, later in zip(times, times[1:]))
    assert len(times) >= 3 and times[0] >= 0.3 and times[-1] >= 0.3 + len(gaps) * 0.01
    assert gaps[len(gaps) // 2] < 0.15   # the later chunks keep their own pace
    ygpt_server.faults.clear()
    assert _chunk_times(model_for(ygpt_server))[0] < 0.2


def test_unknown_status_names_are_refused_at_once(ygpt_server):
    with pytest.raises(ValueError, match="Unknown gRPC status"):
        ygpt_server.faults.fail_next(1, "NOT_A_STATUS")


@pytest.mark.parametrize("arm", [
    lambda faults, code: faults.fail_next(1, code),
    lambda faults, code: faults.break_stream_after(1, code),
], ids=["fail_next", "break_stream_after"])
@pytest.mark.parametrize("code", ["OK", "ok", grpc.StatusCode.OK])
def test_ok_is_refused_as_a_fault_and_not_offered(ygpt_server, arm, code):
    """grpc cannot end a call with OK as a failure: the SDK call hung until its 180 s deadline."""
    with pytest.raises(ValueError, match="^OK is not a failure") as refused:
        arm(ygpt_server.faults, code)
    assert "use one of: CANCELLED, UNKNOWN," in str(refused.value) and ", OK" not in str(refused.value)
    assert model_for(ygpt_server).run(PROMPT, timeout=5).status.name == "FINAL"   # nothing was left pending


def test_the_statuses_an_unknown_one_is_refused_with_leave_out_ok(ygpt_server):
    with pytest.raises(ValueError, match="use one of: CANCELLED, UNKNOWN,") as refused:
        ygpt_server.faults.fail_next(1, "BOGUS")
    assert "OK" not in str(refused.value)


@pytest.mark.parametrize("method, says", [
    ("completion", "did you mean Completion?"),
    ("Completoin", "did you mean Completion?"),
    ("Chat", "Use one of: Completion, AsyncCompletion,"),
])
def test_an_rpc_name_no_call_has_is_refused_at_once_with_the_names(ygpt_server, method, says):
    """A fault that could never fire would let the user's fault test pass for the wrong reason."""
    with pytest.raises(ValueError, match=f"Unknown RPC '{method}' for a fault") as refused:
        ygpt_server.faults.fail_next(1, "UNAVAILABLE", method=method)
    assert says in str(refused.value) and "'*' for all of them" in str(refused.value)
    with pytest.raises(ValueError, match="Unknown RPC"):
        ygpt_server.faults.hold_next(1, method)
    assert model_for(ygpt_server).run(PROMPT).status.name == "FINAL"   # nothing was left pending


def test_the_rpc_names_a_fault_takes_are_the_names_the_server_calls_them_by():
    """METHODS is the list the refusal offers: every name a call hands to the fault table
    (discovery, which takes no faults, aside), and none that no call has."""
    called: set[str] = set()
    for source in Path(emulator.__file__).parent.rglob("*.py"):
        called |= _method_names(ast.parse(source.read_text(encoding="utf-8")))
    assert called == set(METHODS)


def _method_names(tree: ast.AST) -> set[str]:
    """The string constants handed to a call that takes a method's name, unless it passes
    ``**_OPEN`` (discovery: no faults)."""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and _function(node) in _TAKES_A_METHOD
             and not any(keyword.arg is None for keyword in node.keywords)]
    return {arg.value for call in calls for arg in call.args
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}


_TAKES_A_METHOD = {"Call", "unary", "_answer", "take_failure", "take_hold"}


def _function(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def test_a_client_that_stops_reading_cancels_the_rpc_on_the_server(ygpt_server, caplog):
    caplog.set_level(logging.INFO, logger="ygpt_magic.emulator")
    ygpt_server.faults.latency(0.05)

    async def read_two_chunks():
        model = AsyncYCloudML(**sdk_kwargs(ygpt_server.address)).models.completions("yandexgpt")
        stream = model.run_stream(PROMPT)
        texts = [(await anext(stream)).text for _ in range(2)]
        await stream.aclose()
        await asyncio.sleep(0.2)
        return texts

    assert len(asyncio.run(read_two_chunks())) == 2
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and "status=CANCELLED" not in caplog.text:
        time.sleep(0.02)
    assert re.search(r"Completion model=\S+ messages=1 chunks=[23] status=CANCELLED", caplog.text)
