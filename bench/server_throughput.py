"""Completions per second the local server sustains, with 1 and 8 concurrent SDK clients.

Each client is its own ``AsyncYCloudML`` (own channels) calling ``.run()`` in a loop over
loopback, through the unmodified SDK. The server runs as ``ygpt-magic serve`` in its own process
(as a user or CI runs it), so the clients' Python does not share the server's interpreter lock;
``--in-process`` measures the server on a thread of the benchmark's own process instead, the way
``%ygpt connect local`` runs it. Target: >= 500 completions/s with 8 clients.

    .venv/bin/python bench/server_throughput.py [--seconds 3] [--in-process]

``measure()`` returns the numbers as a dict for ``bench/run_all.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import AsyncYCloudML

from benchlib import server_process

from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.testing import sdk_kwargs

TARGET = 500.0
PROMPT = [{"role": "system", "text": "Translate the text"},
          {"role": "user", "text": "To be, or not to be: that is the question."}]


@contextmanager
def _server(in_process: bool) -> Iterator[str]:
    """The address of a running server, stopped on exit."""
    if in_process:
        with start_local_server() as server:
            yield server.address
        return
    with server_process() as address:
        yield address


async def _client(address: str, stop_at: float) -> int:
    model = AsyncYCloudML(**sdk_kwargs(address)).models.completions("yandexgpt")
    await model.run(PROMPT)          # discovery and channel set-up are not what we measure
    done = 0
    while time.perf_counter() < stop_at:
        await model.run(PROMPT)
        done += 1
    return done


async def _rate(address: str, clients: int, seconds: float) -> float:
    started = time.perf_counter()
    counts = await asyncio.gather(*(_client(address, started + seconds) for _ in range(clients)))
    return sum(counts) / (time.perf_counter() - started)


def measure(seconds: float = 3.0, in_process: bool = False) -> dict:
    """Completions/s with 1 and 8 clients: {"clients_1": ..., "clients_8": ..., "target": 500, "passed": bool}."""
    with _server(in_process) as address:
        one = asyncio.run(_rate(address, 1, seconds))
        eight = asyncio.run(_rate(address, 8, seconds))
    return {"server": "thread" if in_process else "process", "clients_1": round(one), "clients_8": round(eight),
            "target": TARGET, "passed": eight >= TARGET}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per client count")
    parser.add_argument("--in-process", action="store_true", help="run the server on a thread of this process")
    args = parser.parse_args()
    result = measure(args.seconds, args.in_process)
    print(f"server_throughput: server={result['server']} clients=1 rate={result['clients_1']}/s")
    print(f"server_throughput: clients=8 rate={result['clients_8']}/s target>={TARGET:.0f} "
          f"{'PASS' if result['passed'] else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
