"""The JSON schema pydantic writes for a tool's parameters (``--tools``) or an answer (``--schema``),
made a schema the service can read.

A request carries the schema as a protobuf Struct, which holds JSON values only. pydantic writes
what it is given: a parameter's ``np.float64`` default it cannot write at all (it leaves the
default out and prints a warning in the notebook), and a default of ``np.inf`` or NaN, ordinary in
data code (``high: float = np.inf``), it writes as ``Infinity``, which is no JSON: the service
cannot read the request, and the user would be told the server failed. So a default is first
made the JSON value it stands for (results.plain: a numpy scalar's value, a Timestamp's ISO
text), and a default JSON cannot write (NaN, ±infinity, anywhere in it) is left out of the
schema: the parameter or field stays optional, and the function (or the validated answer) still
gets the default itself; only what the model reads of it changes. NaN or infinity anywhere else
in a schema (``Field(le=np.inf)``) is the author's to change, so :func:`non_finite` finds it and
the caller refuses the cell before anything is sent.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from .results import plain


@functools.cache
def generator() -> type:
    """pydantic's JSON-schema generator, with defaults written as the module docstring says."""
    from pydantic.json_schema import GenerateJsonSchema

    class Declaring(GenerateJsonSchema):
        def encode_default(self, dft: Any) -> Any:
            return super().encode_default(plain(dft))

        def default_schema(self, schema: Any) -> Any:
            json_schema = super().default_schema(schema)
            if "default" in json_schema and non_finite(json_schema["default"]) is not None:
                del json_schema["default"]
            return json_schema

    return Declaring


def non_finite(value: Any, at: str = "") -> str | None:
    """Where in ``value`` (a JSON-kind value) the first NaN or infinity is, as a path of keys
    and indexes (``properties.high.maximum``; ``""`` for ``value`` itself), or None when there
    is none: such a number is no JSON, and a request carrying it cannot be read."""
    if isinstance(value, float):
        return None if math.isfinite(value) else at
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = non_finite(item, f"{at}.{key}" if at else str(key))
        if found is not None:
            return found
    return None
