"""Provenance: what produced each reply, saved with the notebook.

Every reply's final display carries ``{"ygpt": {...}}`` in its output metadata (the ``metadata``
of ``display`` / ``update_display``, which Jupyter writes into the .ipynb): the model without
the scheme and folder of its URI, whatever its kind (``ModelName.versioned``: a tuned
classifier's ``cls://`` URI too, which the reply cache's key keeps whole), the model version,
the options, the usage, the status, and whether it was replayed from the reply cache (and when
it was recorded). A reader of the saved notebook can tell which answers came from which model,
and ``%ygpt provenance NOTEBOOK.ipynb`` lists them. A run over rows (``--map``, ``%ygpt embed``)
carries one record in its summary's output: the model, how many rows were sent and replayed, and
when it ran (docs/guide/reproducible.md). It holds no credential, folder id or prompt text:
nbval ignores output metadata, so it never makes a notebook check fail.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..chat import Reply, Usage, files
from ..errors import NotebookError
from ..modelname import model_name

KEY = "ygpt"
#: replies this kernel remembers for ``%ygpt provenance`` without a notebook
KEPT = 1000
#: the largest notebook ``%ygpt provenance NOTEBOOK`` reads (plots make notebooks big)
MAX_BYTES = 64 * 1024 * 1024


def metadata(reply: Reply) -> dict[str, Any]:
    """The output metadata of a finished reply."""
    options = reply.options
    record: dict[str, Any] = {
        "model": model_name(reply.model).versioned,
        "model_version": reply.model_version,
        "options": {} if options is None else {
            "temperature": options.temperature, "max_tokens": options.max_tokens,
            "reasoning": options.reasoning, "json": options.json},
        "usage": _usage(reply.usage),
        "status": reply.status,
        "cached": reply.cached,
    }
    if reply.cached:
        record["recorded"] = reply.recorded
    return {KEY: record}


def run_metadata(model: str, *, rows: int, sent: int, replayed: int, failed: int, usage: Usage,
                 stopped: bool, repeated: int = 0) -> dict[str, Any]:
    """The output metadata of a run over rows (``--map``, ``--batch``, ``%ygpt embed``): one
    record for the run, since its rows share a model and options; ``sent``: rows answered by
    requests of this run, ``repeated``: rows answered by an earlier row's request (the same
    prompt, sent once), ``replayed``: rows taken from the reply cache or this kernel's memo.
    ``when``: the time it finished, as a reader of the saved notebook asks which day it ran."""
    return {KEY: {
        "model": model_name(model).versioned if model else "", "model_version": "", "options": {},
        "usage": _usage(usage), "status": "STOPPED" if stopped else "FINAL",
        "cached": replayed > 0, "rows": rows, "sent": sent, "replayed": replayed, "failed": failed,
        **({"repeated": repeated} if repeated else {}),
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }}


def _usage(usage: Usage) -> dict[str, int]:
    return {"input_tokens": usage.input_tokens, "completion_tokens": usage.completion_tokens,
            "reasoning_tokens": usage.reasoning_tokens, "total_tokens": usage.total_tokens}


class Log:
    """The provenance of the replies shown in this kernel, by execution count (newest kept)."""

    def __init__(self) -> None:
        self.entries: deque[tuple[str, dict[str, Any]]] = deque(maxlen=KEPT)

    def add(self, cell: str, reply: Reply) -> None:
        self.entries.append((cell, metadata(reply)[KEY]))

    def add_run(self, cell: str, record: dict[str, Any]) -> None:
        """A run over rows, its :func:`run_metadata` (an empty one, a run shown nowhere, is left out)."""
        if record:
            self.entries.append((cell, record[KEY]))


def from_notebook(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """(cell, provenance) for every output of a saved notebook that carries it; cells are
    named by their position and execution count, as Jupyter shows them. A notebook may come
    from anyone, so it is read bounded and a shape other than nbformat's is refused
    (NotebookError), never half-read."""
    notebook = files.read_json(path, MAX_BYTES, lambda problem: NotebookError(path, problem))
    found = []
    for index, cell in enumerate(_objects(notebook, "cells", "the notebook", path), start=1):
        for output in _objects(cell, "outputs", f"cell {index}", path):
            record = _record(output, f"an output of cell {index}", path)
            if record is not None:
                count = cell.get("execution_count")
                found.append((f"cell {index}" + (f" (In [{count}])" if count else ""), record))
    return found


def _objects(data: Any, key: str, where: str, path: str | Path) -> list[dict[str, Any]]:
    """The list of JSON objects at ``data[key]`` (none when it is missing), or NotebookError."""
    if not isinstance(data, dict):
        raise NotebookError(path, f"{where} is not a JSON object")
    items = data.get(key)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise NotebookError(path, f"the {key!r} of {where} is not a list of JSON objects")
    return items


def _record(output: dict[str, Any], where: str, path: str | Path) -> dict[str, Any] | None:
    """The provenance an output's metadata carries, None when it carries none."""
    metadata = output.get("metadata")
    record = metadata.get(KEY) if isinstance(metadata, dict) else None
    if metadata is not None and not isinstance(metadata, dict) or record is not None and not (
            isinstance(record, dict) and all(isinstance(record.get(k) or {}, dict) for k in ("options", "usage"))):
        raise NotebookError(path, f"{where} has metadata of an unknown shape (not what ygpt_magic writes)")
    return record


def row(cell: str, record: dict[str, Any]) -> list[str]:
    """One table row: cell, model, version, options set, tokens, cached (and when recorded)."""
    options = ", ".join(f"{k}={v}" for k, v in (record.get("options") or {}).items()
                        if v not in (None, False))
    usage = record.get("usage") or {}
    tokens = f"{_grouped(usage.get('input_tokens', 0))} → {_grouped(usage.get('completion_tokens', 0))}"
    cached = f"yes, recorded {str(record.get('recorded', ''))[:10]}" if record.get("cached") else "no"
    if "rows" in record:   # a run over rows: how many of them were replayed, and when it ran
        cached = (f"{record.get('replayed', 0)} of {record.get('rows', 0)} rows replayed, "
                  f"{record.get('sent', 0)} sent{_repeated(record)}, ran {str(record.get('when', ''))[:10]}")
    return [cell, str(record.get("model", "")), str(record.get("model_version", "")),
            options or "-", tokens, cached]


def _repeated(record: dict[str, Any]) -> str:
    """``, 40 repeating a row sent`` for a run whose rows repeat prompts; '' for one without."""
    repeated = record.get("repeated")
    return f", {_grouped(repeated)} repeating a row sent" if repeated else ""


def _grouped(count: Any) -> str:
    """A token count with its thousands grouped, as every other count the package shows; a
    notebook's metadata is not ours to trust, so anything but a whole number is shown as it is."""
    return f"{count:,}" if isinstance(count, int) and not isinstance(count, bool) else str(count)


HEADERS = ["cell", "model", "version", "options", "tokens", "cached"]
