"""Valid JSON for json_object / json_schema requests.

The real service guarantees parseable JSON in these modes; clients rely on ``json.loads`` of the
reply succeeding. With a schema the answer is an instance of it whose values come from the
request's text (``values.fill``: integers are integers, enums members, arrays arrays); without
one it is ``{"answer": ...}``. A scripted reply that already is a JSON object is kept as written.
"""

from __future__ import annotations

import json
from typing import Any

from .values import fill


def json_reply(text: str, schema: dict[str, Any] | None, source: str) -> str:
    """A JSON document: ``text`` if it is a JSON object, else an instance of ``schema`` filled
    from ``source`` (the text the answer is about), else ``{"answer": text}``."""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        value = parsed
    elif schema:
        value = fill(schema, source)
    else:
        value = {"answer": text}
    return json.dumps(value, ensure_ascii=False, indent=2)
