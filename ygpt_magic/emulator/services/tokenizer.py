"""TokenizerService: Tokenize (plain text) and TokenizeCompletion (a whole completion request).

TokenizeCompletion returns exactly as many tokens as a Completion of the same request reports in
usage.input_text_tokens, so a client can budget its context with it. It does not enforce the
model's context limit (counting a too-long history is how a client finds out it is too long).
Both answer off the event loop: a text of megabytes takes seconds to tokenize, and every other
client of the server would wait for it.
"""

from __future__ import annotations

from collections.abc import Iterable

from yandex.cloud.ai.foundation_models.v1.text_common_pb2 import Token
from yandex.cloud.ai.foundation_models.v1.text_generation import text_generation_service_pb2 as pb
from yandex.cloud.ai.foundation_models.v1.text_generation import text_generation_service_pb2_grpc as pb_grpc

from .. import prompt as prompts
from .. import templates, tokenizer
from ..models import resolve_model
from ..state import EmulatorState
from .call import CallContext, unary


def _response(pairs: Iterable[tuple[str, bool]], model_version: str) -> pb.TokenizeResponse:
    return pb.TokenizeResponse(
        tokens=[Token(id=tokenizer.token_id(text), text=text, special=special) for text, special in pairs],
        model_version=model_version,
    )


class TokenizerService(pb_grpc.TokenizerServiceServicer):
    def __init__(self, state: EmulatorState):
        self.state = state

    async def Tokenize(self, request: pb.TokenizeRequest, context: CallContext) -> pb.TokenizeResponse:
        def answer() -> pb.TokenizeResponse:
            model = resolve_model(request.model_uri)
            pieces = [(tokenizer.display(p), False) for p in tokenizer.split(request.text)]
            return _response([("<s>", True), *pieces], model.model_version)
        return await unary(self.state, context, "Tokenize", answer, request, off_loop=True)

    async def TokenizeCompletion(self, request: pb.CompletionRequest, context: CallContext) -> pb.TokenizeResponse:
        def answer() -> pb.TokenizeResponse:
            prompt = prompts.parse(request, check_limit=False)
            tokens = self.state.responders.tokens(prompt)
            if tokens is None:
                tokens = templates.for_model(prompt.model.name).tokens(prompt.turns, prompt.tools)
            return _response(tokens, prompt.model.model_version)
        return await unary(self.state, context, "TokenizeCompletion", answer, request, off_loop=True)
