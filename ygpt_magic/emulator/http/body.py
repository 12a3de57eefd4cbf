"""Reading a request body the way the cloud's gateway does: JSON into a protobuf message.

Refusals say what to fix: a body that is not JSON (with where it breaks), a content type that
cannot hold JSON, a field the API does not have. curl's ``-d @body.json`` without a
``Content-Type`` header sends ``application/x-www-form-urlencoded``; the cloud reads that body
as JSON all the same, so this server does too.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn, TypeVar

from aiohttp import web
from google.protobuf.json_format import ParseDict, ParseError
from google.protobuf.message import Message

from ..errors import RequestError

#: content types whose body is read as JSON
JSON_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream")
#: the deepest nesting of objects and arrays a body may have: protobuf's own parsing limit
#: (``ParseDict``'s ``max_recursion_depth``), so whatever passes here also converts. Deeper JSON
#: overflowed Python's stack while decoding or converting it: an error page instead of a 400.
MAX_BODY_DEPTH = 100
M = TypeVar("M", bound=Message)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; RequestError(INVALID_ARGUMENT) when it is not one."""
    kind = request.content_type
    if request.headers.get("Content-Type") and kind not in JSON_TYPES and not kind.endswith("+json"):
        raise RequestError("INVALID_ARGUMENT", f"The request body is {kind}; send JSON with the header "
                                               "'Content-Type: application/json'.")
    text = (await request.read()).decode("utf-8", errors="replace")
    if not text.strip():
        raise RequestError("INVALID_ARGUMENT", "The request has no body; send the request as a JSON object.")
    try:
        body = json.loads(text, parse_constant=_no_constant)
        too_deep = _nests_deeper(body, MAX_BODY_DEPTH)
    except json.JSONDecodeError as error:
        raise RequestError("INVALID_ARGUMENT", f"The request body is not valid JSON: {error.msg} at line "
                                               f"{error.lineno}, column {error.colno}.") from None
    except RecursionError:   # deeper than the decoder's own stack allows
        too_deep = True
    if too_deep:
        raise RequestError("INVALID_ARGUMENT", f"The request body is JSON nested more than {MAX_BODY_DEPTH} "
                                               "levels deep; no field of the API needs that. Send a flatter body.")
    if not isinstance(body, dict):
        raise RequestError("INVALID_ARGUMENT", f"The request body is a JSON {type(body).__name__}; "
                                               "send a JSON object ({...}).")
    return body


def _no_constant(name: str) -> NoReturn:
    """Python's json reads ``NaN``, ``Infinity`` and ``-Infinity``; JSON, and the cloud's gateway,
    do not: refused as the body's other mistakes are, not failed later as the server's own."""
    raise RequestError("INVALID_ARGUMENT", f"The request body is not valid JSON: {name} is no JSON "
                                           f"number. Send finite numbers (or null) only.")


def _nests_deeper(value: object, levels: int) -> bool:
    """Whether objects and arrays nest more than ``levels`` deep (walked level by level, not
    recursively, so the walk itself cannot overflow the stack)."""
    level = [value]
    for _ in range(levels):
        level = [child for item in level for child in _containers_in(item)]
        if not level:
            return False
    return True


def _containers_in(value: object) -> list[object]:
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [item for item in items if isinstance(item, (dict, list))]


def parse_message(body: dict[str, Any], message: M) -> M:
    """Fill ``message`` from protobuf JSON (camelCase or snake_case names, int64 as strings or numbers)."""
    try:
        parsed: M = ParseDict(body, message)
        return parsed
    except ParseError as error:
        raise RequestError("INVALID_ARGUMENT", f"The request body does not fit "
                                               f"{message.DESCRIPTOR.name}: {error}") from None
