"""The answer to a call of a service this server does not have (tuning, image generation, search, ...).

Without it gRPC answers such a call with a bare ``UNIMPLEMENTED "Method not found!"``, which reads
like a fault of the SDK or of the cloud. The status stays UNIMPLEMENTED (the SDK and the magic
treat it as "not available here"); the message says that it is the local server that lacks the
service, and what it serves instead. It is registered after every served service, so gRPC asks
it only about methods no servicer has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NoReturn

import grpc

from ..state import EmulatorState
from .call import Call, CallContext

#: what the local server serves, in the words of docs/local-server/ (kept with server.serve's list)
SERVED = ("text generation (streamed, deferred and batch), the tokenizer, embeddings, text classifiers, "
          "datasets, batch inference and operations over gRPC, the same over REST, and the OpenAI-compatible "
          "chat API")


def unserved_message(method: str) -> str:
    """What a caller of ``method`` (``/package.Service/Method``, as gRPC names it) is told."""
    service, _, name = method.strip("/").rpartition("/")
    return (f"The local server (ygpt-magic serve) does not serve {service or method} (called: {name}); it "
            f"serves {SERVED}. Call that service in Yandex Cloud instead (see docs/local-server/).")


class UnservedServices(grpc.GenericRpcHandler):
    """Takes every method no registered servicer has, and refuses it in words."""

    def __init__(self, state: EmulatorState):
        self.state = state

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method: str = handler_call_details.method

        async def refuse(requests: AsyncIterator[bytes], context: CallContext) -> NoReturn:
            call = Call(self.state, context, method.strip("/").rpartition(".")[2])
            try:
                await call.abort(grpc.StatusCode.UNIMPLEMENTED, unserved_message(method))
            finally:
                call.log()
        # streaming both ways fits a call of every kind: the refusal reads no request
        return grpc.stream_stream_rpc_method_handler(refuse)
