"""`%%ygpt --image` with a decompression bomb: a small file that would decode to more pixels than
Pillow opens safely is refused with its pixel count and the limit, and Pillow's warning never
reaches the notebook; nothing is sent and the chat is unchanged."""

from __future__ import annotations

import io

import pytest
from cellrun import assert_clear_error
from conftest import cell
from pictures import MODEL, pics, turns  # noqa: F401 (pics: a fixture)
from PIL import Image

from ygpt_magic.errors import ImageError


def bomb(side: int) -> bytes:
    """A black square PNG of ``side``² pixels: a few hundred kB on disk."""
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG")
    return buffer.getvalue()


# 10,000² is over Pillow's limit (it warns and decodes it); 14,000² is over twice it (it raises)
@pytest.mark.parametrize("side", [10_000, 14_000], ids=["over-the-limit", "over-twice-the-limit"])
@pytest.mark.slow
def test_a_decompression_bomb_is_refused_with_its_pixels_and_the_limit(pics, magics, ygpt_server, side):
    pics.user_ns["photo"] = bomb(side)
    cell(pics, "%%ygpt\nhello")
    before, kept = len(ygpt_server.requests), list(turns(magics))
    run = cell(pics, f"%%ygpt --image photo --model {MODEL}\nWhat is this?")
    assert_clear_error(run, "--image photo", f"{side * side:,} pixels",
                       f"limit of {Image.MAX_IMAGE_PIXELS:,} pixels", error_type=ImageError)
    assert "DecompressionBomb" not in run.shown and "Warning" not in run.shown
    assert len(ygpt_server.requests) == before and list(turns(magics)) == kept
