"""ApiEndpointService.List: endpoint discovery, pointing every service the SDK needs at us.

The SDK asks this first when it is given ``endpoint="HOST:PORT"``; like the cloud, the call needs
no credentials. A server listening on every interface (``serve --host 0.0.0.0``) gives each
client the host it reached the server on (addresses.handed_out), so the SDK on another machine
is not sent to its own loopback. Injected faults never apply to it: a test that fails "the next call" means the
next model call, whichever way the SDK was pointed at the server.
"""

from __future__ import annotations

import grpc
from yandex.cloud.endpoint import api_endpoint_service_pb2 as pb
from yandex.cloud.endpoint import api_endpoint_service_pb2_grpc as pb_grpc
from yandex.cloud.endpoint.api_endpoint_pb2 import ApiEndpoint

from ..addresses import handed_out, toward
from ..errors import RequestError
from ..state import EmulatorState
from .call import CallContext, unary

#: the service ids the SDK looks up for completions, tokenizer and operations
SERVICE_IDS = ("ai-foundation-models", "ai-llm", "operation")
#: the SDK's other AI service ids: listed at this address too, so their calls reach the server and
#: hear that it does not serve them (services/unserved.py) instead of the SDK's "failed to find
#: endpoint for service_name='ai-files'", which reads like a broken setup
UNSERVED_IDS = ("ai-assistants", "ai-files", "ai-vision-ocr", "ai-stt-v3", "ai-translate", "ai-tts-v3", "ai-vision",
                "searchapi")
#: discovery needs no credentials, is not recorded, and never takes an injected fault
_OPEN = {"auth": False, "record": False, "faults": False}


class ApiEndpointService(pb_grpc.ApiEndpointServiceServicer):
    def __init__(self, state: EmulatorState):
        self.state = state

    async def List(self, request: pb.ListApiEndpointsRequest,
                   context: grpc.aio.ServicerContext) -> pb.ListApiEndpointsResponse:
        return await self.listed(context, toward(context.peer()))

    async def Get(self, request: pb.GetApiEndpointRequest, context: grpc.aio.ServicerContext) -> ApiEndpoint:
        return await self.got(request, context, toward(context.peer()))

    def _address(self, used: str | None) -> str:
        """Where the services are, for a client that reached this server at host ``used``."""
        return handed_out(self.state.listening, self.state.address, used)

    async def listed(self, context: CallContext, used: str | None) -> pb.ListApiEndpointsResponse:
        """List's answer for a client that reached the server at host ``used`` (gRPC's route
        to its peer; the HTTP side's Host)."""
        def answer() -> pb.ListApiEndpointsResponse:
            address = self._address(used)
            return pb.ListApiEndpointsResponse(
                endpoints=[ApiEndpoint(id=sid, address=address) for sid in SERVICE_IDS + UNSERVED_IDS]
            )
        return await unary(self.state, context, "List", answer, **_OPEN)

    async def got(self, request: pb.GetApiEndpointRequest, context: CallContext, used: str | None) -> ApiEndpoint:
        """Get's answer for a client that reached the server at host ``used``, as ``listed``."""
        def answer() -> ApiEndpoint:
            if request.api_endpoint_id not in SERVICE_IDS:
                raise RequestError(
                    grpc.StatusCode.NOT_FOUND, f"The endpoint {request.api_endpoint_id!r} is not served "
                    f"here; known: {', '.join(SERVICE_IDS)}."
                )
            return ApiEndpoint(id=request.api_endpoint_id, address=self._address(used))
        return await unary(self.state, context, "GetEndpoint", answer, **_OPEN)
