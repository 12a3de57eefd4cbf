"""The vector of a text: the one rule behind every embedding door of the local server.

gRPC ``EmbeddingsService.TextEmbedding``, REST ``POST /foundationModels/v1/textEmbedding`` and
the chat API's ``POST /v1/embeddings`` all call ``embed``, so a text gets the same vector however
it is asked for. A text the cloud was recorded answering (``cassettes/embeddings/``) gets the
recorded vector and token count, from either model: a recorded vector lives in the cloud's space,
a made one in this module's, and a query made in one space and compared with a document from the
other would rank by noise (``similar hello`` over ``hello`` and ``world`` put ``world`` first).
Any other text gets a deterministic 256-number unit vector made
from hashed features of its lower-cased words (Cyrillic and Latin alike): the word, its first
five letters (a crude stem, so ``Пушкина`` meets ``Пушкин``, and ``broke``, its own stem, meets
``broken``) and its letter trigrams. Each
feature adds its weight, with a hashed sign, to one hashed dimension; so texts that share words
and word pieces point the same way (cosine well above 0), unrelated ones are near 0 (typically
within ±0.15, the collision noise of 256 dimensions), and doc and query models share one space,
which is what semantic search needs. The numbers are float32 values, as the real service's are.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from array import array
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import tokenizer
from .errors import RequestError
from .models import VERSION_DATES, check_folder, unknown_model
from .stream import SERVER

MODELS = ("text-search-doc", "text-search-query")
DIMENSIONS = 256
#: the most input tokens a text to embed may have: the cloud's limit for text vectorization ("Quotas
#: and limits in Yandex Foundation Models", yandex.cloud/en/docs/foundation-models/concepts/limits:
#: Limits, Text vectorization, Number of input tokens 2,000; a limit, which cannot be raised)
MAX_INPUT_TOKENS = 2000
#: the tokens an embedding model adds to every text (a start and an end mark): the cloud bills
#: "hello", one token as a word, 3 tokens in every recording (cassettes/embeddings/, gRPC and HTTP)
ADDED_TOKENS = 2
RECORDINGS = Path(__file__).resolve().parent / "cassettes" / "embeddings"
#: how a vector not recorded from the cloud is made (its model version says so)
HASHED = "hashed words and word pieces"
_WORD = re.compile(r"\w+")
_STEM = 5
_WORD_WEIGHT, _STEM_WEIGHT, _TRIGRAM_WEIGHT = 1.0, 1.0, 0.2
#: words of one or two letters (prepositions, articles) weigh this much of a word
_SHORT_WORD = 0.2


@dataclass(frozen=True)
class Embedding:
    """One text's answer: the vector, the input tokens, and how it was made."""

    vector: list[float]
    tokens: int
    origin: str

    @property
    def model_version(self) -> str:
        """``local server · <origin>``, like every reply of this server."""
        return f"{SERVER} · {self.origin}"


def embedding_model(uri: str) -> str:
    """The model name of ``emb://<folder>/<model>[/<version>]``; RequestError like the cloud's
    for a URI that is not of that form, has no usable folder id, or names a model that does not
    embed (INVALID_ARGUMENT "invalid model_uri", as the cloud answered a text-embeddings-v2 URI)."""
    scheme, sep, rest = uri.partition("://")
    parts = rest.split("/") if sep else []
    if scheme != "emb" or len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The model URI {uri!r} is not an embedding model's: use emb://<folder_id>/<model>[/latest] "
            f"with one of {', '.join(MODELS)} (the SDK builds it from 'doc' or 'query').")
    check_folder(uri, parts[0])
    version = parts[2] if len(parts) == 3 and parts[2] else "latest"
    if parts[1] not in MODELS or version not in VERSION_DATES:
        raise unknown_model(f"the embedding model {parts[1]}/{version}", f"Models: {', '.join(MODELS)}")
    return parts[1]


def embed(model: str, text: str, dimensions: int = DIMENSIONS) -> Embedding:
    """The answer for ``text`` from ``model`` (a name ``embedding_model`` returned), cut to
    ``dimensions`` (the first ones, made unit length again)."""
    if not text.strip():
        raise RequestError("INVALID_ARGUMENT", "The text is empty; send the text to embed.")
    if not 1 <= dimensions <= DIMENSIONS:
        raise RequestError("INVALID_ARGUMENT",
                           f"The dimension is {dimensions}; it must be a whole number from 1 to {DIMENSIONS}.")
    tokens = _within_limit(input_tokens(text))
    recorded = _recorded()
    found = recorded.get((model, text)) or next((recorded[other, text] for other in MODELS
                                                 if (other, text) in recorded), None)
    if found is None:
        found = Embedding(hashed(text), tokens, HASHED)
    if dimensions == DIMENSIONS:
        return found
    return Embedding(_unit(found.vector[:dimensions]), found.tokens, found.origin)


def input_tokens(text: str) -> int:
    """The tokens an embedding of ``text`` is billed: its words' tokens and the marks the model adds."""
    return tokenizer.count(text) + ADDED_TOKENS


def _within_limit(tokens: int) -> int:
    """``tokens``, the input tokens of a text; RequestError over the cloud's limit, so a pipeline
    whose chunks are too long fails here as it would in the cloud, not only there."""
    if tokens > MAX_INPUT_TOKENS:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The text to embed is {tokens:,} tokens long; an embedding model takes at most {MAX_INPUT_TOKENS:,} "
            "(Yandex Cloud's limit for text vectorization). Split the text into shorter pieces and embed each.")
    return tokens


def hashed(text: str) -> list[float]:
    """The deterministic vector of a text (see the module's docstring)."""
    vector = [0.0] * DIMENSIONS
    for feature, weight in features(text).items():
        code = zlib.crc32(feature.encode())
        vector[code % DIMENSIONS] += weight if code & 0x100 else -weight
    return _unit(vector)


def features(text: str) -> dict[str, float]:
    """The weighted features of a text: its words, their stems and letter trigrams; a text
    without letters or digits (``?!``) counts its characters instead."""
    normal = text.lower().replace("ё", "е")
    words = _WORD.findall(normal) or normal.split()
    found: defaultdict[str, float] = defaultdict(float)
    for word in words:
        scale = _SHORT_WORD if len(word) < 3 else 1.0
        found["w " + word] += _WORD_WEIGHT * scale
        if len(word) >= _STEM:
            found["s " + word[:_STEM]] += _STEM_WEIGHT
        padded = f"<{word}>"
        for start in range(len(padded) - 2):
            found["g " + padded[start:start + 3]] += _TRIGRAM_WEIGHT * scale
    return found


def _unit(vector: list[float]) -> list[float]:
    """Unit length, each number a float32 (what the service sends, exactly representable)."""
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return array("f", [value / norm for value in vector]).tolist()


@cache
def _recorded() -> dict[tuple[str, str], Embedding]:
    """(model, text) → the cloud's recorded answer, from the gRPC recordings."""
    found: dict[tuple[str, str], Embedding] = {}
    for path in sorted(RECORDINGS.glob("*.gprc.json")):
        for interaction in json.loads(path.read_text(encoding="utf-8")).get("interactions", ()):
            request, response = interaction["request"], interaction.get("response") or {}
            if request["cls"] != "TextEmbeddingRequest" or response.get("cls") != "TextEmbeddingResponse":
                continue
            asked, answer = request["message"], response["message"]
            model = asked["modelUri"].partition("://")[2].split("/")[1]
            found.setdefault((model, asked["text"]), Embedding(
                [float(value) for value in answer["embedding"]], int(answer.get("numTokens", 0)),
                f"replay of {answer.get('modelVersion', 'a recording')}"))
    return found
