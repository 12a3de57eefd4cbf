"""What a chat-API request carries that the gRPC CompletionRequest has no field for: images and
extra parameters; how images are checked; how both join the Prompt and the request log.

The OpenAI-compatible API sends pictures as ``image_url`` content parts holding a ``data:`` URL.
The server decodes them and checks that each is a picture (PNG or JPEG by its first bytes) under
a size limit, so a client that sends the wrong bytes learns it from the server as it would from
the cloud. Responders see ``Prompt.images``; tests see ``ReceivedRequest.images`` (format, bytes,
a hash prefix), never the bytes themselves.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import RequestError
from .prompt import Prompt, ReceivedRequest

#: the largest picture accepted, decoded (the request body limit bounds it anyway)
MAX_IMAGE_BYTES = 10 * 1024 * 1024
#: models that take pictures; the others refuse a request with one
IMAGE_MODELS = ("gemma-3-27b-it",)
#: input tokens one picture counts for: Gemma 3's 256 soft tokens, between "\n\n<start_of_image>" and
#: "<end_of_image>\n\n" (2 tokens each); the recorded picture request was billed 276, its text 16
IMAGE_TOKENS = 260
_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg"}


@dataclass(frozen=True)
class Image:
    """One picture of a request: its format, size in bytes and SHA-256 (hex)."""

    format: str
    size: int
    sha256: str
    message: int = 0   # the index of the message it came with

    def record(self) -> dict[str, Any]:
        return {"message": self.message, "format": self.format, "bytes": self.size, "sha256": self.sha256[:16]}


@dataclass(frozen=True)
class Extras:
    """The chat API's additions to one request."""

    images: tuple[Image, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)   # e.g. top_k sent as extra_query


def decode_image(url: str, message: int, part: int) -> Image:
    """The picture of an ``image_url`` part; RequestError(INVALID_ARGUMENT) saying what is wrong."""
    where = f"Message {message}, part {part}"
    if not url.startswith("data:"):
        raise RequestError("INVALID_ARGUMENT", f"{where}: the image URL is not a data: URL. The local server "
                                               "cannot fetch images; send it inline as data:image/png;base64,...")
    header, comma, payload = url.partition(",")
    if not comma or not header.endswith(";base64"):
        raise RequestError("INVALID_ARGUMENT", f"{where}: the image is not base64 data; send "
                                               "data:image/png;base64,<the bytes in base64>.")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise RequestError("INVALID_ARGUMENT", f"{where}: the image data is not valid base64.") from None
    kind = next((name for signature, name in _SIGNATURES.items() if data.startswith(signature)), None)
    if kind is None:
        raise RequestError("INVALID_ARGUMENT", f"{where}: the data is not a PNG or JPEG image "
                                               f"(it starts with {data[:8]!r}). Send a PNG or JPEG picture.")
    if len(data) > MAX_IMAGE_BYTES:
        raise RequestError("INVALID_ARGUMENT", f"{where}: the image is {len(data) / 2**20:.1f} MiB, over the "
                                               f"{MAX_IMAGE_BYTES // 2**20} MiB limit. Downscale it or save it "
                                               "as JPEG.")
    return Image(kind, len(data), hashlib.sha256(data).hexdigest(), message)


def attach(prompt: Prompt, extras: Extras | None) -> Prompt:
    """A chat-API prompt: marked as such, with its pictures; refused when the model takes none."""
    if extras is None:
        return prompt
    prompt = replace(prompt, api="chat")
    if not extras.images:
        return prompt
    if prompt.model.name not in IMAGE_MODELS:
        raise RequestError("INVALID_ARGUMENT", f"The model {prompt.model.label} does not take images; send "
                                               f"them to {', '.join(IMAGE_MODELS)}, or send text only.")
    return replace(prompt, images=extras.images, input_tokens=prompt.input_tokens + IMAGE_TOKENS * len(extras.images))


def recorded(request: ReceivedRequest, extras: Extras | None) -> ReceivedRequest:
    """The request log's entry with the pictures (as records) and the extra parameters."""
    if extras is None:
        return request
    options = {**request.options, "extra": dict(extras.parameters)} if extras.parameters else request.options
    return replace(request, images=[image.record() for image in extras.images], options=options)
