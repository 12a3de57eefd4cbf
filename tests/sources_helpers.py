"""What the sources tests share: a deterministic embed function that counts its calls (our own
boundary: sources/ takes any ``texts → vectors`` callable; the SDK's ``doc`` model is wired in
above it), a writer of small real PDFs, a kernel without pypdf.
"""

from __future__ import annotations

import hashlib
import re
import sys

import numpy as np
import pytest

DIMENSIONS = 256


def word_vector(text: str) -> np.ndarray:
    """A bag of hashed words: texts sharing words point the same way."""
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    for word in re.findall(r"\w+", text.lower()):
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIMENSIONS] += 1
    return vector


class CountingEmbed:
    """texts → word vectors, keeping every text it was given; ``fail_after`` calls, it raises
    (a killed server, a RESOURCE_EXHAUSTED burst)."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls: list[list[str]] = []
        self.fail_after = fail_after

    def __call__(self, texts: list[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise ConnectionError("the embedding server went away")
        self.calls.append(list(texts))
        return np.stack([word_vector(text) for text in texts])

    @property
    def texts(self) -> list[str]:
        return [text for call in self.calls for text in call]


def without_pypdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on in the test, ``import pypdf`` fails as where it is not installed."""
    monkeypatch.setitem(sys.modules, "pypdf", None)


def pdf_bytes(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page."""
    count = len(pages)
    objects = ["<< /Type /Catalog /Pages 2 0 R >>",
               "<< /Type /Pages /Kids [" + " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
               + f"] /Count {count} >>",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for index, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {5 + 2 * index} 0 R >>")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode()}\nendstream")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
