"""A job over many rows (client/many.py) that a refusal every row would get ends at once, whatever
the other rows are doing: the rows in flight are cancelled and the job is over within about a
second, not when the server answers them (through the real Client, the unmodified SDK and the
local server, which holds the rows' requests as a slow server would)."""

from __future__ import annotations

import asyncio
import time

import pytest

from ygpt_magic.chat import BUILTIN
from ygpt_magic.client import Client
from ygpt_magic.client.many import AdaptiveLimit, ManyJob
from ygpt_magic.client.settings import ClientSettings
from ygpt_magic.errors import CancelledInFlight, PermissionDenied

#: rows sent beside the refused one, each held by the server longer than the test waits
ROWS = 8
HELD = 5.0


@pytest.fixture
def client(ygpt_server, clean_env):
    client = Client(endpoint=ygpt_server.address, insecure=True,
                    settings=ClientSettings(retries=2, retry_backoff=0.05, timeout=HELD * 2))
    yield client
    client.close()


def test_a_refusal_while_rows_are_being_sent_ends_the_job_at_once(client, ygpt_server):
    """The SDK's logging interceptor, cancelled in the first moments of a request, awaits the
    call's status in a ``finally`` (the server's answer, or the request's deadline: 180 s), so a
    row cancelled just as it was sent kept the job, and the cell, waiting that long after the
    refusal (once in a full test run: test_map_stops' refused key took 180 s). Here every row is
    refused just as it starts: a stand-in for a row the server refused at that moment, as
    nothing on the wire can time a refusal to the millisecond."""
    model = client._model(BUILTIN, {})
    model_run = model.run  # the SDK's own request, as many_requests.completions sends it
    client.loop.run(model_run("warm up the channel", timeout=10))
    ygpt_server.faults.hold_next(100, "Completion", seconds=HELD)

    async def refused() -> None:
        await asyncio.sleep(0)   # the other rows take their first step: they are being sent
        raise PermissionDenied("b1gtestfolder")

    def row(i: int):
        return i, lambda: model_run(f"row {i}", timeout=HELD * 2)

    for attempt in range(3):
        requests = iter([("refused", refused), *(row(i) for i in range(ROWS))])
        started = time.monotonic()
        job = ManyJob(client.loop, requests, AdaptiveLimit(ROWS + 1), exhausted=lambda error: False)
        results = {tag: error for tag, _, error in filter(None, job.results())}
        took = time.monotonic() - started
        assert took < 1.5, f"attempt {attempt}: the job ended {took:.1f} s after the refusal"
        assert isinstance(results.pop("refused"), PermissionDenied)
        assert len(results) == ROWS and all(isinstance(e, CancelledInFlight) for e in results.values())
