"""Turn a plain reply into valid JSON for json_object / json_schema requests.

The real service guarantees parseable JSON in these modes; clients rely on ``json.loads`` of the
reply succeeding, so the emulator builds an instance of the schema (or ``{"answer": ...}``).
"""

from __future__ import annotations

import json
from typing import Any


def json_reply(text: str, schema: dict | None) -> str:
    """A JSON document carrying ``text``, shaped like ``schema`` when one is given.

    A scripted reply that already is a JSON object (a script written for a JSON prompt) is kept.
    """
    if not schema and (parsed := _json_object(text)) is not None:
        return json.dumps(parsed, ensure_ascii=False, indent=2)
    value = {"answer": text} if not schema else _instance(schema, text, depth=0)
    return json.dumps(value, ensure_ascii=False, indent=2)


def _json_object(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _instance(schema: Any, text: str, depth: int) -> Any:
    if not isinstance(schema, dict) or depth > 8:
        return text
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if not props:
            return {"answer": text}
        return {name: _instance(sub, text, depth + 1) for name, sub in props.items()}
    if kind == "array":
        return [_instance(schema.get("items") or {}, text, depth + 1)]
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "number":
        return float(schema.get("minimum", 0))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return text
