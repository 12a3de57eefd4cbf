"""A Batch Processing job on the local server: wall time of 1,000 rows against the pace it was set.

One ``ygpt-magic serve --batch-row-delay 0.01`` process; the rows go through the unmodified async
SDK the way ``ygpt_magic.client.batch.run`` sends them (upload, validate, ``run_deferred``, poll,
read the parquet result back, align). The job's time from ``run_deferred`` to COMPLETED is compared
with the ideal, rows × row delay. Target: ≤ 1.3 × the ideal (the server's own cost per row is small).

    .venv/bin/python bench/batch_job.py [--quick]
"""

from __future__ import annotations

import asyncio
import sys
import time
import warnings

from benchlib import Row, run_main, server_process

ROW_DELAY = 0.01
TARGET_RATIO = 1.3


async def _job(address: str, rows: int) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from yandex_cloud_ml_sdk import AsyncYCloudML

    from ygpt_magic.client import batch as client_batch
    from ygpt_magic.emulator.testing import sdk_kwargs

    requests = [[{"role": "user", "text": f"Classify review {i}: it was fine, nothing more."}] for i in range(rows)]
    sdk = AsyncYCloudML(**sdk_kwargs(address))
    model = sdk.models.completions("gemma-3-12b-it")
    started = time.perf_counter()
    dataset = await client_batch.upload_requests(sdk, requests)
    uploaded = time.perf_counter()
    task = await client_batch.start(model, dataset)
    await client_batch.wait(task, poll_interval=0.05)
    finished = time.perf_counter()
    outcome = await client_batch.collect(sdk, task, requests)
    read = time.perf_counter()
    if outcome.answered != rows:
        raise RuntimeError(f"only {outcome.answered} of {rows} rows were answered")
    return {"upload": uploaded - started, "job": finished - uploaded, "read": read - finished}


def measure(quick: bool) -> list[Row]:
    rows = 16 if quick else 1000
    with server_process("--batch-row-delay", str(ROW_DELAY)) as address:
        times = asyncio.run(_job(address, rows))
    ideal = rows * ROW_DELAY
    ratio = times["job"] / ideal
    return [Row(f"8. batch job, {rows} rows at {ROW_DELAY} s/row", f"≤ {TARGET_RATIO}× ideal",
                f"{times['job']:.2f} s ({ratio:.2f}×)", f"ideal {ideal:.2f} s", ratio <= TARGET_RATIO,
                {"upload and validate": f"{times['upload']:.2f} s", "read and align": f"{times['read']:.2f} s"})]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
