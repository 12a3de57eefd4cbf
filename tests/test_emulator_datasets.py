"""Datasets on the local server through the unmodified SDK: upload (single and multipart), the
validation operation, bad rows, listing with filters, reading back as parquet, deletion."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import grpc
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML
    from yandex_cloud_ml_sdk.exceptions import DatasetValidationError

from ygpt_magic.emulator.datasets import DatasetStore
from ygpt_magic.emulator.errors import RequestError
from ygpt_magic.emulator.testing import sdk_kwargs

SYSTEM = {"role": "system", "text": "Answer in one word."}
QUESTIONS = ["Capital of France?", "Colour of the sky?", "Two plus two?"]
#: the column types of the recorded download (datasets_test_simple_read.yaml, a real parquet file)
RECORDED_SCHEMA = pa.schema([("request", pa.list_(pa.struct([("role", pa.string()), ("text", pa.string())]))),
                             ("response", pa.string())])


def write_rows(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def generation_rows():
    return [{"request": [SYSTEM, {"role": "user", "text": q}], "response": f"answer {i}"}
            for i, q in enumerate(QUESTIONS)]


@pytest.fixture
def sdk(ygpt_server):
    return YCloudML(**sdk_kwargs(ygpt_server.address))


def upload(sdk, path: Path, task_type: str = "TextToTextGeneration", name: str = "test-dataset", **options):
    draft = sdk.datasets.draft_from_path(path, task_type=task_type, upload_format="jsonlines", name=name)
    return draft.upload(**options)


def test_an_uploaded_dataset_is_validated_ready_and_reads_back_row_for_row(sdk, tmp_path):
    rows = generation_rows()
    dataset = upload(sdk, write_rows(tmp_path / "rows.jsonl", rows))
    assert dataset.status.name == "READY"
    assert dataset.rows == 3
    assert dataset.task_type == "TextToTextGeneration"
    assert sdk.datasets.get(dataset.id).name == "test-dataset"
    assert list(dataset.read()) == rows
    dataset.delete()


def test_download_is_one_parquet_file_with_the_recorded_column_types(sdk, tmp_path):
    dataset = upload(sdk, write_rows(tmp_path / "rows.jsonl", generation_rows()))
    out = tmp_path / "out"
    out.mkdir()
    (path,) = dataset.download(download_path=out)
    table = pq.read_table(path)
    assert table.schema.remove_metadata() == RECORDED_SCHEMA
    assert table.column("response").to_pylist() == ["answer 0", "answer 1", "answer 2"]
    dataset.delete()


def test_bad_rows_fail_validation_with_their_line_numbers(sdk, tmp_path):
    rows = [generation_rows()[0], {"response": "no request"}, "not an object",
            {"request": [{"role": "robot", "text": "hi"}], "response": "x"}, generation_rows()[1]]
    path = tmp_path / "bad.jsonl"
    write_rows(path, rows)
    path.write_text(path.read_text(encoding="utf-8") + "{broken json\n", encoding="utf-8")
    with pytest.raises(DatasetValidationError) as caught:
        upload(sdk, path)
    by_problem = {error.error: error.rows for error in caught.value.errors}
    assert by_problem == {
        "The row has no 'request' list of messages": (2,),
        "The line is not a JSON object": (3,),
        "A message has no 'role' among system, user, assistant": (4,),
        "The line is not valid JSON": (6,),
    }
    assert all("TextToTextGeneration" in error.description for error in caught.value.errors)
    bad = sdk.datasets.get(caught.value.dataset_id)
    assert bad.status.name == "INVALID"
    assert {e.rows for e in bad.validation_errors} == set(by_problem.values())
    bad.delete()


def test_without_raising_the_invalid_dataset_comes_back_with_its_status(sdk, tmp_path):
    dataset = upload(sdk, write_rows(tmp_path / "bad.jsonl", [{"request": []}]), raise_on_validation_failure=False)
    assert dataset.status.name == "INVALID"
    assert dataset.validation_errors[0].rows == (1,)
    dataset.delete()


def test_request_datasets_need_no_response(sdk, tmp_path):
    rows = [{"request": [{"role": "user", "text": q}]} for q in QUESTIONS]
    dataset = upload(sdk, write_rows(tmp_path / "requests.jsonl", rows), task_type="TextToTextGenerationRequest")
    assert dataset.status.name == "READY"
    assert list(dataset.read()) == rows
    dataset.delete()


def test_list_filters_by_name_pattern_and_status(sdk, tmp_path):
    good = upload(sdk, write_rows(tmp_path / "good.jsonl", generation_rows()), name="list-good")
    bad = upload(sdk, write_rows(tmp_path / "bad.jsonl", [{"x": 1}]), name="list-bad",
                 raise_on_validation_failure=False)
    try:
        assert {d.id for d in sdk.datasets.list(name_pattern="list-")} == {good.id, bad.id}
        assert [d.id for d in sdk.datasets.list(name_pattern="list-", status="READY")] == [good.id]
        assert [d.id for d in sdk.datasets.list(name_pattern="list-*", status=["INVALID"])] == [bad.id]
        assert [d.id for d in sdk.datasets.list(name_pattern="nothing-like-it")] == []
    finally:
        good.delete()
        bad.delete()


def test_a_deleted_dataset_is_not_found(sdk, tmp_path):
    dataset = upload(sdk, write_rows(tmp_path / "rows.jsonl", generation_rows()))
    dataset.delete()
    with pytest.raises(grpc.RpcError) as caught:
        sdk.datasets.get(dataset.id)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert "not on this server" in caught.value.details()


def test_a_big_file_goes_up_in_parts_and_validates_whole(sdk, tmp_path, ygpt_server):
    row = {"request": [{"role": "user", "text": "x" * 1000}], "response": "y"}
    path = write_rows(tmp_path / "big.jsonl", [row] * 11_000)   # ~11 MB: two 5.5 MB parts
    ygpt_server.faults.fail_next(1, "FAILED_PRECONDITION", method="StartMultipartUploadDraft")
    with pytest.raises(grpc.RpcError, match="Injected fault"):   # proof that it goes in parts
        upload(sdk, path, chunk_size=5 * 1024 * 1024)
    dataset = upload(sdk, path, chunk_size=5 * 1024 * 1024)
    assert dataset.status.name == "READY"
    assert dataset.rows == 11_000
    dataset.delete()


def test_unknown_task_types_are_refused_with_the_ones_served(sdk, tmp_path):
    with pytest.raises(grpc.RpcError) as caught:
        upload(sdk, write_rows(tmp_path / "rows.jsonl", generation_rows()), task_type="TextEmbeddingsPair")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "TextToTextGenerationRequest" in caught.value.details()


def test_upload_schemas_parse_as_the_sdk_expects(sdk):
    (schema,) = sdk.datasets.list_upload_schemas("TextToTextGenerationRequest")
    assert schema.upload_format == "jsonlines"
    assert schema.json["required"] == ["request"]
    assert sdk.datasets.list_upload_formats("TextToTextGeneration") == ("jsonlines",)


@pytest.mark.parametrize("task_type", ["ImageTextToTextGenerationRequest", "TextEmbeddingsPair",
                                       "TextEmbeddingsTriplet", "TextClassificationMultilabel",
                                       "TextClassificationMulticlass"])
def test_upload_schemas_of_an_unkept_task_type_are_not_silently_empty(sdk, task_type):
    for listing in (sdk.datasets.list_upload_schemas, sdk.datasets.list_upload_formats):
        with pytest.raises(grpc.RpcError) as caught:
            listing(task_type)
        details = caught.value.details()
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "keeps datasets of the task types TextToTextGeneration, TextToTextGenerationRequest" in details
        assert repr(task_type) in details


def test_storage_urls_need_their_token(sdk, tmp_path, ygpt_server):
    dataset = upload(sdk, write_rows(tmp_path / "rows.jsonl", generation_rows()))
    url = f"{ygpt_server.http_url}/storage/datasets/{dataset.id}/main?token=wrong"
    reply = httpx.get(url)
    assert reply.status_code == 403
    assert "token" in reply.json()["error"]["message"]
    dataset.delete()


def test_the_store_is_bounded_and_says_how_to_make_room():
    store = DatasetStore(max_datasets=1, max_bytes=10)
    store.create("fds1", folder_id="f", task_type="TextToTextGeneration", upload_format="jsonlines")
    with pytest.raises(RequestError, match="Delete some"):
        store.create("fds2", folder_id="f", task_type="TextToTextGeneration", upload_format="jsonlines")
    with pytest.raises(RequestError, match="does not fit"):
        store.reserve(11)


def test_update_renames_and_relabels(sdk, tmp_path):
    dataset = upload(sdk, write_rows(tmp_path / "rows.jsonl", generation_rows()))
    dataset.update(name="renamed", labels={"project": "reviews"})
    again = sdk.datasets.get(dataset.id)
    assert (again.name, again.labels) == ("renamed", {"project": "reviews"})
    assert again.updated_at >= again.created_at
    dataset.delete()


def dataset_token_shape(message: str) -> bool:
    """A query string in a logged path would carry the URL's token."""
    return "?" in message


def test_storage_requests_are_logged_without_their_token(sdk, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="ygpt_magic.emulator")
    dataset = upload(sdk, write_rows(tmp_path / "rows.jsonl", generation_rows()))
    list(dataset.read())
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("storage ")]
    assert [line.split()[1] for line in lines] == ["PUT", "GET"]
    assert all("status=200" in line and dataset.id in line for line in lines)
    assert not any("token" in r.getMessage() or dataset_token_shape(r.getMessage())
                   for r in caplog.records if r.name.startswith("ygpt_magic.emulator"))
    dataset.delete()
