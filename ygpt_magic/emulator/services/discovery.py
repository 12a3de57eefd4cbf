"""ApiEndpointService.List: endpoint discovery, pointing every service the SDK needs at us.

The SDK asks this first when it is given ``endpoint="HOST:PORT"``; like the cloud, the call needs
no credentials. Injected faults never apply to it: a test that fails "the next call" means the
next model call, whichever way the SDK was pointed at the server.
"""

from __future__ import annotations

import grpc
from yandex.cloud.endpoint import api_endpoint_service_pb2 as pb  # pylint: disable=no-name-in-module
from yandex.cloud.endpoint import api_endpoint_service_pb2_grpc as pb_grpc
from yandex.cloud.endpoint.api_endpoint_pb2 import ApiEndpoint  # pylint: disable=no-name-in-module

from ..state import EmulatorState
from .call import Call

#: the service ids the SDK looks up for completions, tokenizer and operations
SERVICE_IDS = ("ai-foundation-models", "ai-llm", "operation")


class ApiEndpointService(pb_grpc.ApiEndpointServiceServicer):
    def __init__(self, state: EmulatorState):
        self.state = state

    async def List(self, request, context):  # noqa: N802 (gRPC method name)
        call = Call(self.state, context, "List")
        try:
            await call.admit(auth=False, record=False, faults=False)
            return pb.ListApiEndpointsResponse(
                endpoints=[ApiEndpoint(id=sid, address=self.state.address) for sid in SERVICE_IDS]
            )
        finally:
            call.log()

    async def Get(self, request, context):  # noqa: N802
        call = Call(self.state, context, "GetEndpoint")
        try:
            await call.admit(auth=False, record=False, faults=False)
            if request.api_endpoint_id not in SERVICE_IDS:
                await call.abort(
                    grpc.StatusCode.NOT_FOUND, f"The endpoint {request.api_endpoint_id!r} is not served here; "
                    f"known: {', '.join(SERVICE_IDS)}."
                )
            return ApiEndpoint(id=request.api_endpoint_id, address=self.state.address)
        finally:
            call.log()

