"""What the picture tests share: the shell with the local server's chat API, and small pictures."""

from __future__ import annotations

import hashlib
import io

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from PIL import Image

MODEL = "gemma-3-27b-it"


@pytest.fixture
def pics(shell, ygpt_server):
    """The test shell with the local server's chat API given, as a user of `ygpt-magic serve` would."""
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {ygpt_server.http_url}")
    yield shell
    for name in ("fig", "ax", "photo", "png", "jpeg", "path", "shown", "notes"):
        shell.user_ns.pop(name, None)
    plt.close("all")


def png_bytes(width: int = 64, height: int = 48, color=(30, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def chart():
    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([1, 3, 2, 5])
    return fig, ax


def turns(magics):
    return magics.kernel.session.chat().turns
