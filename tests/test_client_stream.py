"""A streamed reply read by a caller slower than the server: the newest answer, never a backlog.

Each answer holds the whole text so far, so a caller that falls behind (the kernel's main thread
rendering a big reply) must get the newest one next, complete with what only the last one
carries (status, usage), and not every answer the server sent meanwhile, each with its whole
text, held in memory until it is read. Through the unmodified SDK against the local server.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest

from ygpt_magic.chat import BUILTIN
from ygpt_magic.client import Client
from ygpt_magic.client.loop import LoopThread, Stalled
from ygpt_magic.client.settings import ClientSettings
from ygpt_magic.emulator import start_local_server

PROMPT = [{"role": "user", "text": "Count the words."}]
REPLY = " ".join(f"word{i}" for i in range(600))  # a couple of hundred chunks
#: longer than the local server takes to send all of them (it sends them at once)
SLOW_RENDER = 2.0


@pytest.fixture
def counting_client(tmp_path, clean_env) -> Iterator[Client]:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": [{"user": PROMPT[0]["text"], "reply": REPLY}]}), encoding="utf-8")
    with start_local_server(scripts=[script]) as server:
        client = Client(endpoint=server.address, insecure=True, settings=ClientSettings(retries=0))
        yield client
        client.close()


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_a_caller_that_falls_behind_reads_the_newest_answer_next(counting_client):
    read = []
    for answer in counting_client.stream(PROMPT, BUILTIN):
        read.append(answer)
        if len(read) == 1:
            time.sleep(SLOW_RENDER)  # the first render of a big reply: the server sends the rest
    assert [answer.status for answer in read] == ["PARTIAL", "FINAL"], [a.text[-20:] for a in read]
    assert read[-1].text == REPLY
    assert read[-1].usage.completion_tokens > 100 and read[-1].model_version


def test_an_error_after_answers_is_raised_after_the_newest_of_them():
    """An error is never coalesced away: it comes after the newest answer before it."""

    async def failing():
        for index in range(50):
            yield index
        raise RuntimeError("broken")

    loop = LoopThread(name="test-error-order")
    job = loop.stream(lambda _job: failing())
    read = []
    with pytest.raises(RuntimeError):
        for item in job.results(5.0):
            read.append(item)
            time.sleep(0.5)  # long enough for the rest to arrive
    loop.stop()
    assert read[-1] == 49 and len(read) < 50


def test_the_stall_clock_runs_on_while_held_text_is_drawn():
    """A caller with held text wakes up to draw it; those wake-ups do not restart the clock
    that stops a silent stream."""

    async def silent():
        yield "first"
        await asyncio.Event().wait()  # silent for good

    loop = LoopThread(name="test-stall-clock")
    wakes = []
    started = time.monotonic()
    with pytest.raises(Stalled):
        for item in loop.stream(lambda _job: silent()).results(0.5, due=lambda: 0.05):
            wakes.append(item)
            assert len(wakes) < 100, "the stall clock restarted at every wake-up"
    loop.stop()
    assert time.monotonic() - started < 5
    assert wakes[0] == "first" and None in wakes
