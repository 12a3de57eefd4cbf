"""Pictures in a chat: what a cell sends (:class:`Picture`) and what the chat keeps (:class:`PictureInfo`).

A picture goes to the model once, with the cell that names it (``%%ygpt --image NAME``). The chat
records only a placeholder: name, format, pixel size, byte size and a short SHA-256, so history,
``%ygpt save`` / ``load`` and ``export`` stay small and a chat file never holds image bytes. Later
requests of the chat carry the placeholder as text in that turn's user message instead of the
picture (the chat API is stateless and the bytes are gone): the model still has its own earlier
answer about the picture, and a cell that wants the model to look again names it again.

Plain values only (no Pillow, no IPython): ``ygpt_magic.images`` makes them from notebook values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: the picture formats the chat API takes, by their name in a ``data:image/...`` URL
FORMATS = ("png", "jpeg")
#: input tokens a picture costs a multimodal model (a fixed budget per image, as Gemma 3's
#: vision encoder spends): the recorded Gemma picture request was billed 276 tokens, of which its
#: text is 16 by the real vocabulary (docs/local-server/index.md), for the budget and the cost
PICTURE_TOKENS = 260


@dataclass(frozen=True)
class PictureInfo:
    """The placeholder of one picture sent: enough to tell pictures apart, never the bytes."""

    name: str
    format: str
    width: int
    height: int
    size: int  # bytes
    sha256: str  # the first 16 hex digits

    def describe(self) -> str:
        """``'fig': PNG 800×500, 41,310 bytes, sha256 e9c19ca35ca827a9``."""
        return (f"{self.name!r}: {self.format.upper()} {self.width}×{self.height}, "
                f"{self.size:,} bytes, sha256 {self.sha256}")

    def caption(self) -> str:
        """The line under a prompt that sent this picture (the panel, ``%ygpt export``)."""
        return f"🖼 image {self.describe()}"

    def placeholder(self) -> str:
        """The text later requests carry instead of the picture."""
        return f"[image {self.describe()}; sent with this message earlier, not sent again]"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "format": self.format, "width": self.width,
                "height": self.height, "bytes": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Picture:
    """One picture a request sends: its bytes, its placeholder, and what was done to it."""

    info: PictureInfo
    data: bytes = field(repr=False)
    #: said above the reply when the picture is not sent as given (downscaled, converted)
    note: str | None = None

    @property
    def mime(self) -> str:
        return f"image/{self.info.format}"


def with_placeholders(prompt: str, pictures: tuple[PictureInfo, ...]) -> str:
    """A turn's user text as later requests send it: the prompt, then one placeholder a picture."""
    if not pictures:
        return prompt
    return "\n\n".join([prompt, *(info.placeholder() for info in pictures)])
