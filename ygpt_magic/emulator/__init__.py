"""A local server that speaks the Yandex Cloud Foundation Models gRPC API, and over HTTP the
REST API of the guides and the OpenAI-compatible chat API (``http/``).

The unmodified ``yandex-cloud-ml-sdk`` talks to it over loopback, so notebooks, tests and demos
run with no cloud account. Start it with ``start_local_server()`` (in-process, own thread),
``ygpt-magic serve`` (a process) or the ``ygpt_server`` pytest fixture.
"""

from .prompt import ReceivedRequest
from .server import LocalServer, start_local_server

__all__ = ["LocalServer", "ReceivedRequest", "start_local_server"]
