"""The local server's HTTP side: the REST API of the Yandex guides and the OpenAI-compatible chat API.

It runs on the same event loop as the gRPC server and answers through the same services, so
both protocols share one implementation (validation, responders, faults, the request log).
"""

from .app import ROUTE_MODULES, HttpServer, build_app, start_http

__all__ = ["ROUTE_MODULES", "HttpServer", "build_app", "start_http"]
