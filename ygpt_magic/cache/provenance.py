"""Provenance: what produced each reply, saved with the notebook.

Every reply's final display carries ``{"ygpt": {...}}`` in its output metadata (the ``metadata``
of ``display`` / ``update_display``, which Jupyter writes into the .ipynb): the model without
the folder, the model version, the options, the usage, the status, and whether it was replayed
from the reply cache (and when it was recorded). A reader of the saved notebook can tell which
answers came from which model, and ``%ygpt provenance NOTEBOOK.ipynb`` lists them. It holds no
credential, folder id or prompt text: nbval ignores output metadata, so it never makes a
notebook check fail.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any

from ..chat import Reply, Usage
from .key import model_key

KEY = "ygpt"
#: replies this kernel remembers for ``%ygpt provenance`` without a notebook
KEPT = 1000


def metadata(reply: Reply) -> dict[str, Any]:
    """The output metadata of a finished reply."""
    options = reply.options
    record: dict[str, Any] = {
        "model": model_key(reply.model),
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


def _usage(usage: Usage) -> dict[str, int]:
    return {"input_tokens": usage.input_tokens, "completion_tokens": usage.completion_tokens,
            "reasoning_tokens": usage.reasoning_tokens, "total_tokens": usage.total_tokens}


class Log:
    """The provenance of the replies shown in this kernel, by execution count (newest kept)."""

    def __init__(self) -> None:
        self.entries: deque[tuple[str, dict[str, Any]]] = deque(maxlen=KEPT)

    def add(self, cell: str, reply: Reply) -> None:
        self.entries.append((cell, metadata(reply)[KEY]))


def from_notebook(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """(cell, provenance) for every output of a saved notebook that carries it; cells are
    named by their position and execution count, as Jupyter shows them."""
    notebook = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    found = []
    for index, cell in enumerate(notebook.get("cells", []), start=1):
        for output in cell.get("outputs", []) or []:
            record = (output.get("metadata") or {}).get(KEY)
            if isinstance(record, dict):
                count = cell.get("execution_count")
                found.append((f"cell {index}" + (f" (In [{count}])" if count else ""), record))
    return found


def row(cell: str, record: dict[str, Any]) -> list[str]:
    """One table row: cell, model, version, options set, tokens, cached (and when recorded)."""
    options = ", ".join(f"{k}={v}" for k, v in (record.get("options") or {}).items()
                        if v not in (None, False))
    usage = record.get("usage") or {}
    tokens = f"{usage.get('input_tokens', 0)} → {usage.get('completion_tokens', 0)}"
    cached = f"yes, recorded {str(record.get('recorded', ''))[:10]}" if record.get("cached") else "no"
    return [cell, str(record.get("model", "")), str(record.get("model_version", "")),
            options or "-", tokens, cached]


HEADERS = ["cell", "model", "version", "options", "tokens", "cached"]
