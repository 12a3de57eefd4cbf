"""Batch Processing on the local server through the unmodified SDK: a job's statuses, its result
dataset aligned with the rows, listing, cancel and delete, failed rows, FAILED jobs, and a model
without batch support."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import grpc
import pytest
import requests
from yandex.cloud.ai.foundation_models.v1.text_generation.text_generation_service_pb2 import (
    BatchCompletionResponse,
)
from yandex.cloud.operation.operation_service_pb2 import GetOperationRequest
from yandex.cloud.operation.operation_service_pb2_grpc import OperationServiceStub

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML
    from yandex_cloud_ml_sdk.retry import NoRetryPolicy

from ygpt_magic.emulator.testing import sdk_kwargs

QUESTIONS = ["Capital of France?", "Colour of the sky?", "Two plus two?"]
FAST = 0.02   # poll interval of the tests (the SDK's default is 10 s)


@pytest.fixture
def sdk(ygpt_server):
    return YCloudML(**sdk_kwargs(ygpt_server.address))


def requests_file(path: Path, questions=QUESTIONS) -> Path:
    rows = [{"request": [{"role": "system", "text": "Be brief."}, {"role": "user", "text": q}]} for q in questions]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def dataset(sdk, tmp_path):
    draft = sdk.datasets.draft_from_path(requests_file(tmp_path / "rows.jsonl"), upload_format="jsonlines",
                                         task_type="TextToTextGenerationRequest", name="batch-test")
    uploaded = draft.upload()
    yield uploaded
    uploaded.delete()


def statuses_until_done(task) -> list[str]:
    seen = []
    while True:
        status = task.get_status().name
        if not seen or seen[-1] != status:
            seen.append(status)
        if status not in ("CREATED", "PENDING", "IN_PROGRESS"):
            return seen
        time.sleep(FAST / 4)


def test_a_job_answers_every_row_into_a_result_dataset_in_row_order(sdk, dataset, ygpt_server):
    task = sdk.models.completions("gemma-3-12b-it").batch.run_deferred(dataset)
    result = task.wait(poll_interval=FAST)
    assert result.task_type == "TextToTextGeneration"
    assert result.labels == {"foundation_models_batch_task_id": task.task_id,
                             "foundation_models_source_dataset": dataset.id}
    rows = list(result.read())
    assert [row["request"][-1]["text"] for row in rows] == QUESTIONS
    assert all(row["response"] for row in rows)
    sent = [r for r in ygpt_server.requests if r.method == "BatchRow"]
    assert [r.messages[-1]["text"] for r in sent] == QUESTIONS
    assert {r.model_uri for r in sent} == {"gpt://local-folder/gemma-3-12b-it/latest"}
    [asked] = [r for r in ygpt_server.requests if r.method == "BatchCompletion"]   # one job, as the cloud bills
    assert asked.model_uri == "gpt://local-folder/gemma-3-12b-it/latest" and asked.messages == []
    info = task.get_task_info()
    assert info.status.name == "COMPLETED" and info.result_dataset_id == result.id
    assert info.started_at <= info.finished_at
    result.delete()
    task.delete()


def test_the_job_goes_through_the_clouds_statuses(sdk, dataset, ygpt_server):
    ygpt_server.batch_row_delay = 0.15
    task = sdk.models.completions("qwen2.5-32b-instruct").batch.run_deferred(dataset)
    assert statuses_until_done(task) == ["CREATED", "PENDING", "IN_PROGRESS", "COMPLETED"]
    sdk.datasets.get(task.get_task_info().result_dataset_id).delete()
    task.delete()


def test_options_and_json_answers_reach_every_row(sdk, dataset, ygpt_server):
    model = sdk.models.completions("gemma-3-12b-it").configure(temperature=0.2, response_format="json")
    result = model.batch.run_deferred(dataset).wait(poll_interval=FAST)
    assert all(isinstance(json.loads(row["response"]), dict) for row in result.read())
    sent = [r for r in ygpt_server.requests if r.method in ("BatchCompletion", "BatchRow")]
    assert sent[0].method == "BatchCompletion" and len(sent) == 1 + len(QUESTIONS)
    assert {(r.options["temperature"], r.options["json"]) for r in sent} == {(0.2, True)}
    result.delete()


def test_an_answer_held_after_the_job_was_made_leaves_it_running_for_a_client_that_gave_up(dataset, ygpt_server):
    """hold_next(answered=True): the server has acted (the job exists, and runs) when the client
    stops waiting for its answer, as a cloud's may; a plain hold_next holds the call before that."""
    sdk = YCloudML(**sdk_kwargs(ygpt_server.address), retry_policy=NoRetryPolicy())
    held = ygpt_server.faults.hold_next(1, "BatchCompletion", seconds=30, answered=True)
    with pytest.raises(grpc.RpcError) as caught:
        sdk.models.completions("gemma-3-12b-it").batch.run_deferred(dataset, timeout=0.5)
    assert held.is_set() and caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    [job] = [info for info in sdk.batch.list_info() if info.source_dataset_id == dataset.id]
    result = sdk.batch.get(job.task_id).wait(poll_interval=FAST)
    assert [row["request"][-1]["text"] for row in result.read()] == QUESTIONS


def test_list_finds_the_task_by_status_and_pages(sdk, dataset, ygpt_server):
    ygpt_server.batch_row_delay = 0.5
    task = sdk.models.completions("gemma-3-12b-it").batch.run_deferred(dataset)
    assert task.task_id in [t.id for t in sdk.batch.list_operations(status="created")]
    assert task.task_id not in [t.id for t in sdk.batch.list_operations(status="completed")]
    assert task.task_id in [t.task_id for t in sdk.batch.list_info(page_size=1)]
    task.cancel()
    task.delete()


def test_cancel_stops_a_running_job_and_leaves_no_result(sdk, dataset, ygpt_server):
    ygpt_server.batch_row_delay = 0.2
    task = sdk.models.completions("gemma-3-12b-it").batch.run_deferred(dataset)
    task.cancel()
    info = task.get_task_info()
    assert info.status.name == "CANCELED"
    assert not info.result_dataset_id
    with pytest.raises(grpc.RpcError) as caught:
        task.cancel()
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "only a running task can be cancelled" in caught.value.details()
    task.delete()


def test_a_running_task_cannot_be_deleted_a_finished_one_is_gone(sdk, dataset, ygpt_server):
    ygpt_server.batch_row_delay = 0.2
    task = sdk.models.completions("gemma-3-12b-it").batch.run_deferred(dataset)
    with pytest.raises(grpc.RpcError, match="cancel it first"):
        task.delete()
    task.cancel()
    task.delete()
    with pytest.raises(grpc.RpcError) as caught:
        sdk.batch.get(task.task_id)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_row_that_fails_is_a_line_error_and_the_others_complete(sdk, dataset, ygpt_server):
    ygpt_server.faults.fail_next(1, "INTERNAL", "the model broke on this row", method="BatchRow")
    task = sdk.models.completions("gemma-3-12b-it").batch.run_deferred(dataset)
    result = task.wait(poll_interval=FAST)
    info = task.get_task_info()
    assert info.status.name == "COMPLETED"
    assert [(e.line_number, e.message) for e in info.errors.line_errors] == [(1, "the model broke on this row")]
    assert [row["request"][-1]["text"] for row in result.read()] == QUESTIONS[1:]
    result.delete()


def test_a_job_whose_rows_all_fail_is_failed(sdk, dataset, ygpt_server):
    ygpt_server.faults.fail_next(3, "INTERNAL", method="BatchRow")
    task = sdk.models.completions("gemma-3-12b-it").batch.run_deferred(dataset)
    assert statuses_until_done(task)[-1] == "FAILED"
    info = task.get_task_info()
    assert len(info.errors.line_errors) == 3
    assert "No row of the dataset could be answered" in info.errors.batch_errors[0].message
    with pytest.raises(RuntimeError, match="unset result_dataset_id"):   # the SDK's own words
        task.wait(poll_interval=FAST)


def test_a_job_the_server_fails_on_an_error_of_its_own_ends_failed_and_logs_one_line(sdk, dataset, ygpt_server,
                                                                                    caplog):
    """Before, an exception the job did not expect left it IN_PROGRESS: the SDK's wait polled it
    until its own timeout (72 h by default) and the user's cell never ended."""
    ygpt_server.faults.crash_next(1, "BatchJob")
    task = sdk.models.completions("gemma-3-12b-it").batch.run_deferred(dataset)
    with pytest.raises(RuntimeError, match="unset result_dataset_id"):   # the SDK's words for a FAILED job
        task.wait(poll_interval=FAST, poll_timeout=5)
    info = task.get_task_info()
    assert info.status.name == "FAILED" and not info.result_dataset_id
    (error,) = info.errors.batch_errors
    assert "The local server failed it on an error of its own, not of the rows or the model" in error.message
    assert "InjectedCrash" in error.message and (error.first_line, error.last_line) == (1, 3)
    [logged] = [r for r in caplog.records if r.name == "ygpt_magic.emulator" and r.levelname == "ERROR"]
    assert logged.getMessage() == (f"Batch task {task.task_id} FAILED on an error of the local server: "
                                   "InjectedCrash: injected in BatchJob by server.faults.crash_next")
    assert logged.exc_info is None


def test_a_model_without_batch_support_fails_the_job_and_says_which_models_can(sdk, dataset):
    task = sdk.models.completions("yandexgpt").batch.run_deferred(dataset)
    seen = statuses_until_done(task)
    assert seen[-1] == "FAILED" and not {"PENDING", "IN_PROGRESS"} & set(seen)   # it never starts
    (error,) = task.get_task_info().errors.batch_errors
    assert "yandexgpt/latest does not support Batch Processing" in error.message
    assert "gemma-3-12b-it" in error.message
    assert (error.first_line, error.last_line) == (1, 3)


def test_a_draft_or_unknown_dataset_cannot_be_run(sdk, tmp_path):
    model = sdk.models.completions("gemma-3-12b-it")
    with pytest.raises(grpc.RpcError) as caught:
        model.batch.run_deferred("fds-no-such-dataset")
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    bad = sdk.datasets.draft_from_path(requests_file(tmp_path / "rows.jsonl", []), upload_format="jsonlines",
                                       task_type="TextToTextGenerationRequest").upload(raise_on_validation_failure=False)
    with pytest.raises(grpc.RpcError, match="needs a READY dataset"):
        model.batch.run_deferred(bad)
    bad.delete()


@pytest.mark.slow
def test_without_pyarrow_serve_starts_paces_the_job_and_fails_it_saying_what_to_install(tmp_path):
    blocker = tmp_path / "site" / "pyarrow"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text('raise ImportError("No module named pyarrow")\n', encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(blocker.parent)}
    serve = [sys.executable, "-m", "ygpt_magic.cli", "serve", "--quiet", "--batch-row-delay", "0.2"]
    process = subprocess.Popen(serve, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = process.stdout.readline().split()
        assert ready[:1] == ["READY"], process.stderr.read()
        sdk = YCloudML(**sdk_kwargs(ready[1]))
        draft = sdk.datasets.draft_from_path(requests_file(tmp_path / "rows.jsonl"), upload_format="jsonlines",
                                             task_type="TextToTextGenerationRequest")
        task = sdk.models.completions("gemma-3-12b-it").batch.run_deferred(draft.upload())
        assert statuses_until_done(task)[-1] == "FAILED"
        info = task.get_task_info()
        assert "needs pyarrow" in info.errors.batch_errors[0].message
        assert "pip install pyarrow" in info.errors.batch_errors[0].message
        assert (info.finished_at - info.created_at).total_seconds() >= 5 * 0.2   # 2 status steps + 3 rows
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_the_jobs_operation_is_done_with_the_job_and_names_its_result(sdk, dataset, ygpt_server):
    task = sdk.models.completions("gemma-3-12b-it").batch.run_deferred(dataset)
    result = task.wait(poll_interval=FAST)
    channel = grpc.insecure_channel(ygpt_server.address)
    operation = OperationServiceStub(channel).Get(GetOperationRequest(operation_id=task.get_task_info().operation_id),
                                                  metadata=[("authorization", "Api-Key local-key")])
    channel.close()
    response = BatchCompletionResponse()
    assert operation.done and operation.response.Unpack(response)
    assert (response.task_id, response.result_dataset_id) == (task.task_id, result.id)
    result.delete()


@pytest.mark.parametrize("name, version", [("gemma-3-12b-it", "12.03.2025"), ("qwen2.5-32b-instruct", "19.09.2024")])
def test_the_batch_examples_models_answer_single_requests_and_tokenize_with_their_own_version(
        sdk, ygpt_server, name, version):
    assert sdk.models.completions(name).run("Hello").model_version.startswith("local server · ")
    body = {"modelUri": f"gpt://b1gexample/{name}", "text": "Hello"}
    answer = requests.post(ygpt_server.http_url + "/foundationModels/v1/tokenize", json=body,
                           headers={"Authorization": "Api-Key local-key"}, timeout=10).json()
    assert answer["modelVersion"] == version


@pytest.mark.slow
def test_a_refused_poll_is_the_sdks_error_and_its_retries_ride_it_out(sdk, dataset, ygpt_server):
    task = sdk.models.completions("gemma-3-12b-it").batch.run_deferred(dataset)
    strict = YCloudML(**sdk_kwargs(ygpt_server.address), retry_policy=NoRetryPolicy())
    ygpt_server.faults.fail_next(1, "UNAVAILABLE", method="DescribeBatchInference")
    with pytest.raises(grpc.RpcError) as caught:
        strict.batch.get(task.task_id)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    ygpt_server.faults.fail_next(1, "UNAVAILABLE", method="DescribeBatchInference")
    result = task.wait(poll_interval=FAST)   # the default retry policy repeats the refused poll
    assert len(list(result.read())) == 3
    result.delete()
