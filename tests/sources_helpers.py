"""What the sources tests share: a deterministic embed function that counts its calls (our own
boundary: sources/ takes any ``texts → vectors`` callable; the SDK's ``doc`` model is wired in
above it), a writer of small real PDFs, a kernel without pypdf, a read-only checkout and a
small disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def read_only_checkout(folder: Path) -> Iterator[Path]:
    """``folder`` as a read-only checkout (CI's): its modes made read-only, or for root (whom
    modes do not stop) a read-only bind mount of it; the test is skipped where neither works."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in (folder, *folder.iterdir())}
        for path in modes:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield folder
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    view = folder.with_name(folder.name + "-checkout")
    view.mkdir()
    if subprocess.run(["mount", "--bind", str(folder), str(view)], capture_output=True).returncode:
        pytest.skip("cannot make a read-only checkout here (root without mount)")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], check=True, capture_output=True)
        yield view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=True)  # lazy: a connection left open is no matter


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """``folder``: a disk of ``size`` (a tmpfs, e.g. "128k") that fills up; skipped where this
    process cannot mount one (not root)."""
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a small disk here (not root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)
