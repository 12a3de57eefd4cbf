"""EmbeddingsService.TextEmbedding: what the SDK's ``sdk.models.text_embeddings`` calls.

The vector comes from ``vectors.embed``, the rule the REST and chat-API doors share, so a text
gets one vector whichever way it is asked. The call goes through the shared life of a unary RPC
(auth, the request log, faults injected under the method name ``TextEmbedding``, one log line).
"""

from __future__ import annotations

from yandex.cloud.ai.foundation_models.v1.embedding import embedding_service_pb2 as pb
from yandex.cloud.ai.foundation_models.v1.embedding import embedding_service_pb2_grpc as pb_grpc

from ..state import EmulatorState
from ..vectors import DIMENSIONS, embed, embedding_model
from .call import CallContext, unary


def text_embedding(request: pb.TextEmbeddingRequest) -> pb.TextEmbeddingResponse:
    """The answer to one request: its model checked, its ``dim`` (if set) applied."""
    dimensions = request.dim.value if request.HasField("dim") else DIMENSIONS
    answer = embed(embedding_model(request.model_uri), request.text, dimensions)
    return pb.TextEmbeddingResponse(embedding=answer.vector, num_tokens=answer.tokens,
                                    model_version=answer.model_version)


class EmbeddingsService(pb_grpc.EmbeddingsServiceServicer):
    def __init__(self, state: EmulatorState):
        self.state = state

    async def TextEmbedding(self, request: pb.TextEmbeddingRequest, context: CallContext) -> pb.TextEmbeddingResponse:
        return await unary(self.state, context, "TextEmbedding", lambda: text_embedding(request), request,
                           model=True)
