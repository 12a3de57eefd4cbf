"""REST completions per second with 8 concurrent clients, against the gRPC side in the same run.

One ``ygpt-magic serve`` process answers both; the gRPC clients are 8 ``AsyncYCloudML`` (the
unmodified SDK, as in server_throughput.py), the REST clients 8 aiohttp sessions posting the
prompt-mode guide's body to ``/foundationModels/v1/completion`` (keep-alive, as ``requests``
sessions and curl loops do). Rounds alternate gRPC and REST; each REST round is compared with
the gRPC round next to it (so a burst of load from elsewhere hits both), and the median of those
ratios is the result. Target: REST ≥ 0.5 × gRPC.

    .venv/bin/python bench/rest_throughput.py [--quick]
"""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp
from benchlib import Row, interleaved, median, run_main, server_endpoints
from server_throughput import PROMPT, _rate

TARGET_RATIO = 0.5
CLIENTS = 8
BODY = {"modelUri": "gpt://local-folder/yandexgpt/latest",
        "completionOptions": {"stream": False, "temperature": 0.1, "maxTokens": "1000"}, "messages": PROMPT}
HEADERS = {"Authorization": "Api-Key local-bench-key"}


async def _rest_client(session: aiohttp.ClientSession, url: str, stop_at: float) -> int:
    done = 0
    while time.perf_counter() < stop_at:
        async with session.post(url, json=BODY, headers=HEADERS) as answer:
            answer.raise_for_status()
            await answer.json()
        done += 1
    return done


async def _rest_rate(http_url: str, clients: int, seconds: float) -> float:
    url = http_url + "/foundationModels/v1/completion"
    sessions = [aiohttp.ClientSession() for _ in range(clients)]
    try:
        for session in sessions:   # connection set-up is not what we measure
            async with session.post(url, json=BODY, headers=HEADERS) as answer:
                await answer.read()
        started = time.perf_counter()
        counts = await asyncio.gather(*(_rest_client(s, url, started + seconds) for s in sessions))
        return sum(counts) / (time.perf_counter() - started)
    finally:
        await asyncio.gather(*(session.close() for session in sessions))


def measure(quick: bool) -> list[Row]:
    seconds, runs, warmup = (0.2, 1, 0) if quick else (1.5, 7, 1)   # quick: one round of each, short
    with server_endpoints() as (address, http_url):
        rest, grpc_rates = interleaved(lambda: asyncio.run(_rest_rate(http_url, CLIENTS, seconds)),
                                       lambda: asyncio.run(_rate(address, CLIENTS, seconds)),
                                       runs, warmup)
    ratio = median([r / g for r, g in zip(rest, grpc_rates)])
    return [Row(f"7. REST completions/s, {CLIENTS} clients", f"≥ {TARGET_RATIO}× gRPC",
                f"{median(rest):.0f}/s ({ratio:.2f}×)", f"gRPC {median(grpc_rates):.0f}/s", ratio >= TARGET_RATIO,
                {"runs": f"{runs} interleaved rounds of {seconds} s; REST {[round(r) for r in rest]}, "
                         f"gRPC {[round(r) for r in grpc_rates]}"})]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
