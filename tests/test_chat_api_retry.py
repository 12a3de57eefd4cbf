"""A 429 or 503 of the chat API is retried as gRPC's RESOURCE_EXHAUSTED and UNAVAILABLE are
(cloudfaults F5: the SDK sends the chat API's request once, so a picture cell failed at the
first 429 that a gRPC cell would have ridden out).

The retries are the gRPC policy's (the shell's 2: three requests in all), a streamed cell says
it waits as a retried gRPC stream does, the server's Retry-After is waited for up to the
policy's longest backoff (10 × retry_backoff), the message says the requests really made, and
Ctrl-C during a wait sends nothing more. Through the real shell, the unmodified SDK, the local
server's injected faults (its chat API answers them with their HTTP codes) and a canned chat API
for Retry-After.
"""

from __future__ import annotations

import ast
import signal
import threading
import time
from pathlib import Path

import pytest
from cellrun import assert_clear_error
from conftest import cell
from pictures import MODEL, canned_chat_api, cloud_error, pics, png_bytes, turns  # noqa: F401 (fixtures)
from visible import visible

import ygpt_magic.client
from ygpt_magic.errors import QuotaExceeded
from ygpt_magic.render.terminal import BROKE_OFF

PICTURE = f"%%ygpt {{flag}} --image png --model {MODEL}\nWhat colour is it?"
FLAGS = {"unary": "--no-stream", "streamed": ""}


def chat_requests(server) -> int:
    """The chat API requests the local server received (its picture requests)."""
    return sum(1 for request in server.requests if request.method == "Completion" and request.images)


@pytest.mark.parametrize("status", ["RESOURCE_EXHAUSTED", "UNAVAILABLE"])
@pytest.mark.parametrize("mode", FLAGS)
def test_a_429_or_503_of_the_chat_api_is_retried_and_the_cell_is_answered(pics, magics, ygpt_server, status, mode):
    pics.user_ns["png"] = png_bytes()
    ygpt_server.faults.fail_next(2, status, message="Too many requests for now")
    run = cell(pics, PICTURE.format(flag=FLAGS[mode]))
    assert run.ok, run.message
    assert chat_requests(ygpt_server) == 3, "two refused, the third answered"
    assert len(turns(magics)) == 1
    if mode == "streamed":   # the wait is said as a gRPC refusal's is: nothing broke off, the server said no
        frames = [" ".join(visible(output["data"].get("text/html", "")).split()) for output in run.outputs]
        said = {"RESOURCE_EXHAUSTED": "busy (429)", "UNAVAILABLE": "unavailable (503)"}[status]
        assert sum(frame.startswith(f"↻ the server is {said}; trying again in ") for frame in frames) == 2, frames
        assert BROKE_OFF not in run.shown and f"↻ the server was {said}; the request was retried 2 times" in run.final


@pytest.mark.parametrize("status", [401, 400, 500])
def test_what_grpc_does_not_retry_is_sent_once_over_the_chat_api_too(pics, ygpt_server, canned_chat_api, status):
    canned_chat_api.answer(status, "application/json", cloud_error(status, "No"))
    _connected(pics, ygpt_server, canned_chat_api)
    assert not cell(pics, PICTURE.format(flag="--no-stream")).ok
    assert canned_chat_api.posts == 1


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_the_servers_retry_after_is_waited_for(pics, ygpt_server, canned_chat_api):
    """retry_backoff 0.2: backoffs of 0.3 s and 0.45 s (+ up to 0.2 s), a cap of 2 s; the server asks 1 s."""
    pics.run_line_magic("config", "YGptMagics.retry_backoff = 0.2")
    canned_chat_api.answer(429, "application/json", cloud_error(429, "Too many requests"), Retry_After="1")
    _connected(pics, ygpt_server, canned_chat_api)
    started = time.monotonic()
    run = cell(pics, PICTURE.format(flag="--no-stream"))
    took = time.monotonic() - started
    assert_clear_error(run, "after 3 attempts ", "wait 1 s", error_type=QuotaExceeded)
    assert canned_chat_api.posts == 3 and took >= 2.0, f"{canned_chat_api.posts} requests in {took:.2f} s"


@pytest.mark.parametrize("mode", FLAGS)
def test_a_retry_after_longer_than_the_cap_is_cut_to_it(pics, ygpt_server, canned_chat_api, mode):
    """retry_backoff 0.02: the longest wait is 0.2 s, whatever the server asks."""
    pics.run_line_magic("config", "YGptMagics.retry_backoff = 0.02")
    canned_chat_api.answer(429, "application/json", cloud_error(429, "Too many requests"), Retry_After="3600")
    _connected(pics, ygpt_server, canned_chat_api)
    started = time.monotonic()
    run = cell(pics, PICTURE.format(flag=FLAGS[mode]))
    took = time.monotonic() - started
    assert_clear_error(run, "after 3 attempts ", "wait 3600 s", error_type=QuotaExceeded)
    assert canned_chat_api.posts == 3 and took < 3.0, f"{canned_chat_api.posts} requests in {took:.2f} s"


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
@pytest.mark.parametrize("mode", FLAGS)
def test_ctrl_c_while_a_retry_waits_sends_nothing_more(pics, magics, ygpt_server, canned_chat_api, mode):
    pics.run_line_magic("config", "YGptMagics.retry_backoff = 0.5")   # a cap of 5 s: the server's 1 s is waited
    canned_chat_api.answer(429, "application/json", cloud_error(429, "Too many requests"), Retry_After="1")
    _connected(pics, ygpt_server, canned_chat_api)
    before = len(turns(magics))
    done, first_post = threading.Event(), []
    presser = _ctrl_c_after_the_first_post(canned_chat_api, done, first_post)
    run = cell(pics, PICTURE.format(flag=FLAGS[mode]))
    done.set()
    presser.join()
    assert run.final.endswith("⏹ interrupted — not added to the chat"), run.shown
    assert "Traceback" not in run.shown and "KeyboardInterrupt" not in run.shown
    time.sleep(max(0.0, first_post[0] + 1.2 - time.monotonic()))   # past the wait the server asked for
    assert canned_chat_api.posts == 1, "a request was sent after Ctrl-C"
    assert len(turns(magics)) == before


def _connected(pics, ygpt_server, canned_chat_api) -> None:
    """Reconnected with the canned server as the chat API, and a picture to send it."""
    pics.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {canned_chat_api.url}")
    pics.user_ns["png"] = png_bytes()


def _ctrl_c_after_the_first_post(api, done: threading.Event, seen: list[float]) -> threading.Thread:
    """Ctrl-C on the kernel's thread 0.3 s after the chat API got its first request (in the
    wait), unless the cell is ``done`` by then (the signal would stop the test run instead);
    when the request was seen goes into ``seen`` (the wait the server asked for counts from it)."""
    def press() -> None:
        deadline = time.monotonic() + 10
        while api.posts < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(time.monotonic())
        if not done.wait(0.3):
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    presser = threading.Thread(target=press)
    presser.start()
    return presser


def test_the_chat_apis_retry_policy_is_passed_down_not_kept_in_a_module():
    """The policy comes from the Client that made it with the SDK (issue #23, state in one
    object): a module-level registry keyed by the SDK was hidden state that outlived its Client
    and that no reader of chat_api.chat_model could see."""
    for module in ("retries", "chat_api"):
        source = Path(ygpt_magic.client.__file__).with_name(f"{module}.py")
        registries = [ast.unparse(node) for node in ast.parse(source.read_text(encoding="utf-8")).body
                      if isinstance(node, (ast.Assign, ast.AnnAssign)) and _mutable(node.value)]
        assert not registries, f"client/{module}.py keeps state at module level: {registries}"


def _mutable(value: ast.expr | None) -> bool:
    """A container made at import that code can fill: a dict, list or set, or a weak mapping."""
    if isinstance(value, (ast.Dict, ast.List, ast.Set)):
        return True
    return isinstance(value, ast.Call) and ast.unparse(value.func).rpartition(".")[2] in MUTABLE


MUTABLE = frozenset({"dict", "list", "set", "WeakKeyDictionary", "WeakValueDictionary", "WeakSet",
                     "defaultdict", "OrderedDict"})
