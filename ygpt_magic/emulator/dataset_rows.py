"""The rows of text-generation datasets: validation of an upload, upload schemas, parquet output.

The cloud checks an uploaded dataset before anything uses it and reports bad rows by line number,
grouped by what is wrong with them; a dataset is then READY or INVALID. Downloads are parquet
(a ``request`` list of ``{role, text}`` structs and, for TextToTextGeneration, a ``response``
string), the shape the recording ``datasets_test_simple_read.yaml`` holds and the SDK's
``dataset.read()`` parses. pyarrow is needed only to write parquet, so the server runs without it.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from yandex.cloud.ai.dataset.v1.dataset_pb2 import ValidationError

from .errors import RequestError

#: the request rows Batch Processing reads, and request + response rows (what a job writes)
REQUEST_TASK = "TextToTextGenerationRequest"
GENERATION_TASK = "TextToTextGeneration"
TASK_TYPES = (GENERATION_TASK, REQUEST_TASK)
UPLOAD_FORMATS = ("jsonlines",)
_ROLES = ("system", "user", "assistant")
_MESSAGES_SCHEMA = {
    "type": "array", "minItems": 1,
    "items": {"type": "object", "required": ["role", "text"],
              "properties": {"role": {"type": "string", "enum": list(_ROLES)}, "text": {"type": "string"}}},
}
#: per task type: (JSON schema of one row, what a row needs, in words)
SCHEMAS: dict[str, tuple[dict[str, Any], str]] = {
    REQUEST_TASK: (
        {"type": "object", "required": ["request"], "properties": {"request": _MESSAGES_SCHEMA}},
        'each line is {"request": [{"role": "system"|"user"|"assistant", "text": "..."}, ...]}',
    ),
    GENERATION_TASK: (
        {"type": "object", "required": ["request", "response"],
         "properties": {"request": _MESSAGES_SCHEMA, "response": {"type": "string"}}},
        'each line is {"request": [{"role": ..., "text": ...}, ...], "response": "..."}',
    ),
}


class MissingPyarrow(RuntimeError):
    """Parquet output was asked for and pyarrow is not installed where the server runs."""

    def __init__(self) -> None:
        super().__init__(
            "The local server writes datasets as parquet and needs pyarrow for it: install it "
            "where the server runs (pip install pyarrow, or pip install -e '.[data]' in a clone) and "
            "start the server again."
        )


def check_kept(task_type: str) -> None:
    """Refuse a task type the local server keeps no datasets of, saying which it keeps.

    Its upload formats and schemas are refused the same way: an empty list would read as "the
    cloud has none" where the cloud has some.
    """
    if task_type not in SCHEMAS:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The local server keeps datasets of the task types {', '.join(TASK_TYPES)} (Batch "
            f"Processing and reading them back); {task_type!r} is not one of them.",
        )


def check_task_type(task_type: str, upload_format: str) -> None:
    """Refuse datasets the local server cannot hold, saying which it can."""
    check_kept(task_type)
    if upload_format not in UPLOAD_FORMATS:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The upload format {upload_format!r} is not supported; use {', '.join(UPLOAD_FORMATS)}.",
        )


@dataclass(frozen=True)
class Validation:
    """The outcome of validating one upload."""

    valid: int
    total: int
    errors: tuple[ValidationError, ...]

    @property
    def is_valid(self) -> bool:
        return not self.errors


def validate(task_type: str, data: bytes) -> Validation:
    """Check jsonlines rows; group the bad ones by problem, with 1-based line numbers."""
    needs_response = task_type == GENERATION_TASK
    hint = SCHEMAS[task_type][1]
    valid = total = 0
    problems: dict[str, list[int]] = {}
    for number, line in _lines(data):
        total += 1
        problem = _row(line, needs_response)[1]
        if problem:
            problems.setdefault(problem, []).append(number)
        else:
            valid += 1
    if not total:
        problems["The dataset is empty"] = []
    errors = tuple(
        ValidationError(error=problem, error_description=f"In a {task_type} dataset {hint}.", row_numbers=numbers)
        for problem, numbers in problems.items()
    )
    return Validation(valid=valid, total=total, errors=errors)


def rows_of(task_type: str, data: bytes) -> Iterator[dict[str, Any]]:
    """The rows of validated jsonlines, one at a time: a dataset is kept as its bytes (parsed,
    its rows take about twice the memory) and parsed when a job or a download reads it."""
    needs_response = task_type == GENERATION_TASK
    for _, line in _lines(data):
        yield _row(line, needs_response)[0]


def to_jsonlines(rows: Iterable[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def _lines(data: bytes) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) of every non-blank line, decoded one at a time (no copy of
    the whole upload as text)."""
    for number, raw in enumerate(io.BytesIO(data), start=1):
        line = raw.decode("utf-8", errors="replace")
        if line.strip():
            yield number, line


def _row(line: str, needs_response: bool) -> tuple[dict[str, Any], str]:
    """One parsed row, or the problem with it."""
    try:
        value = json.loads(line)
    except ValueError:
        return {}, "The line is not valid JSON"
    if not isinstance(value, dict):
        return {}, "The line is not a JSON object"
    request = value.get("request")
    if not isinstance(request, list) or not request:
        return {}, "The row has no 'request' list of messages"
    messages = []
    for message in request:
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            return {}, f"A message has no 'role' among {', '.join(_ROLES)}"
        if not isinstance(message.get("text"), str) or not message["text"].strip():
            return {}, "A message has no 'text' (or an empty one)"
        messages.append({"role": message["role"], "text": message["text"]})
    row: dict[str, Any] = {"request": messages}
    if needs_response:
        if not isinstance(value.get("response"), str):
            return {}, "The row has no 'response' string"
        row["response"] = value["response"]
    return row, ""


def schema_text(task_type: str) -> str:
    """The schema as the cloud sends it: a string the SDK parses with ``ast.literal_eval``."""
    return json.dumps(SCHEMAS[task_type][0])


_warming = threading.Lock()
_warmed = False


def warm_up() -> None:
    """Write one empty parquet file on a thread, once: pyarrow's import and first write cost
    0.7-1.5 s here, which a dataset's creation can hide instead of its first download or batch
    result (without pyarrow: nothing)."""
    global _warmed  # once per process
    with _warming:
        if _warmed:
            return
        _warmed = True
    threading.Thread(target=_first_write, name="ygpt-pyarrow-warm-up", daemon=True).start()


def _first_write() -> None:
    try:
        to_parquet((), with_response=True)
    except MissingPyarrow:
        pass


def to_parquet(rows: Iterable[dict[str, Any]], *, with_response: bool) -> bytes:
    """The rows as one parquet file, with the recorded column types."""
    try:
        import pyarrow as pa  # lazy: an optional extra
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingPyarrow() from None
    message = pa.struct([("role", pa.string()), ("text", pa.string())])
    fields = [("request", pa.list_(message))] + ([("response", pa.string())] if with_response else [])
    table = pa.Table.from_pylist(list(rows), schema=pa.schema(fields))
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()
