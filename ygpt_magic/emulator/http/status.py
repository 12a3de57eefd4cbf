"""gRPC status → HTTP status, and the error JSON the cloud's REST gateway sends.

The cloud transcodes its gRPC API to REST; a refused request comes back as
``{"error": {"grpcCode": 3, "httpCode": 400, "message": ..., "httpStatus": "Bad Request",
"details": []}}`` with the HTTP code from the table in the Foundation Models guide
("Troubleshooting → Error codes"). Clients that branch on either code work the same locally.
"""

from __future__ import annotations

import json
from functools import partial
from http import HTTPStatus
from typing import Any

import grpc
from aiohttp import web

#: the guide's table, completed with the usual transcoding for the codes it does not list
HTTP_CODES: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}
#: the other way, for errors aiohttp itself raises (404 route, 413 body, 405 method)
GRPC_CODES: dict[int, grpc.StatusCode] = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    405: grpc.StatusCode.UNIMPLEMENTED,
    413: grpc.StatusCode.INVALID_ARGUMENT,
    415: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    503: grpc.StatusCode.UNAVAILABLE,
}


#: JSON as the cloud writes it: compact, UTF-8 (Cyrillic as is, not \u-escaped)
dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def http_code(code: grpc.StatusCode) -> int:
    return HTTP_CODES.get(code, 500)


def error_body(code: grpc.StatusCode, message: str, status: int | None = None) -> dict[str, Any]:
    """The cloud's error JSON for a gRPC status (``status`` overrides the mapped HTTP code)."""
    status = status or http_code(code)
    return {"error": {
        "grpcCode": code.value[0],
        "httpCode": status,
        "message": message,
        "httpStatus": _reason(status),
        "details": [],
    }}


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=dumps)


def cloud_error(code: grpc.StatusCode, message: str, status: int | None = None) -> web.Response:
    """A JSON response with the cloud's error body and the matching HTTP status."""
    status = status or http_code(code)
    return json_response(error_body(code, message, status), status=status)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:   # 499: nginx's "client closed request" has no stdlib phrase
        return "Client Closed Request"
