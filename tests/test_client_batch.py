"""client.batch: rows through a Batch Processing job on the local server, answers back in row order."""

from __future__ import annotations

import asyncio
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import AsyncYCloudML

from ygpt_magic.client import batch as client_batch
from ygpt_magic.emulator.testing import sdk_kwargs

SYSTEM = {"role": "system", "text": "Classify the review as positive or negative."}
REVIEWS = ["Great phone.", "Broke in a week.", "Great phone.", "Fine for the price."]
ROWS = [[SYSTEM, {"role": "user", "text": review}] for review in REVIEWS]


def run_job(server, model_name: str, rows=ROWS, statuses=None):
    async def job():
        sdk = AsyncYCloudML(**sdk_kwargs(server.address))
        model = sdk.models.completions(model_name)
        outcome = await client_batch.run(sdk, model, rows, poll_interval=0.02, on_status=statuses)
        singles = [(await model.run(messages)).text for messages in rows]
        return outcome, singles
    return asyncio.run(job())


def test_answers_come_back_in_row_order_and_a_failed_row_is_a_hole_with_its_reason(ygpt_server):
    ygpt_server.faults.fail_next(1, "INTERNAL", "the model broke on this row", method="BatchRow")
    statuses: list[str] = []
    outcome, singles = run_job(ygpt_server, "gemma-3-12b-it", statuses=statuses.append)
    assert outcome.status == "COMPLETED"
    order = ["CREATED", "PENDING", "IN_PROGRESS", "COMPLETED"]   # each heard once, in order (fast ones may be missed)
    assert statuses[-1] == "COMPLETED" and statuses == sorted(set(statuses), key=order.index)
    assert outcome.answers == [None, *singles[1:]]   # each row's answer is what a single run says
    assert outcome.errors == {0: "the model broke on this row"}
    assert outcome.answered == 3


def test_a_model_without_batch_support_leaves_every_row_with_the_reason(ygpt_server):
    outcome, _ = run_job(ygpt_server, "yandexgpt", rows=ROWS[:2])
    assert outcome.status == "FAILED"
    assert outcome.answers == [None, None]
    assert all("does not support Batch Processing" in reason for reason in outcome.errors.values())


def test_align_matches_by_request_not_by_position():
    a, b = [{"role": "user", "text": "a"}], [{"role": "user", "text": "b"}]
    result = [{"request": b, "response": "B"}, {"request": a, "response": "A1"}, {"request": a, "response": "A2"}]
    assert client_batch.align([a, b, a, [{"role": "user", "text": "c"}]], result) == ["A1", "B", "A2", None]
    assert client_batch.align([a, a, b], result[:2], failed=[0]) == [None, "A1", "B"]


def test_a_job_attached_by_id_alone_reads_its_rows_back_from_the_source_dataset(ygpt_server):
    async def job():
        sdk = AsyncYCloudML(**sdk_kwargs(ygpt_server.address))
        started = await client_batch.start(sdk.models.completions("gemma-3-12b-it"),
                                           await client_batch.upload_requests(sdk, ROWS))
        fresh = AsyncYCloudML(**sdk_kwargs(ygpt_server.address))   # as after a kernel restart
        task = await client_batch.attach(fresh, started.task_id)
        await client_batch.wait(task, poll_interval=0.02)
        return await client_batch.collect(fresh, task), await client_batch.collect(fresh, task, ROWS)
    attached, known = asyncio.run(job())
    assert attached.answers == known.answers and all(attached.answers)
    assert attached.task_id == known.task_id

