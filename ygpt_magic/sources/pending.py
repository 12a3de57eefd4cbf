"""What one update of the sources index embeds: the chunk texts of new files that no vector is
held for, each text once, in batches, and which files have all their vectors as each batch comes
back (index.py writes a file as soon as it does, so a fault keeps every finished file).

Why each text once and in file order: two files sharing a chunk text (a copied notebook, a
licence header) pay for it once, and files complete early, one after another, so a fault keeps
every file finished before it. No SQLite here: where the vectors are kept is index.py's job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InternalError
from .chunks import Chunk

#: texts per call of the embed function
BATCH = 32

#: texts → one vector per text, shape (len(texts), dimensions); the caller's model (``doc``)
Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Pending:
    """A file the index does not hold yet: its content hash and its chunks."""

    digest: str
    chunks: list[Chunk]


class Run:
    """One update's bookkeeping: which chunk texts still need a vector (each text once, in
    file order, so files complete early), which files have them all, and how many texts were
    embedded for each file."""

    def __init__(self, pending: Sequence[Pending], known: Callable[[Sequence[str]], set[str]]) -> None:
        self.files = {file.digest: file for file in pending}
        hashes = {digest: [hashed(chunk.text) for chunk in file.chunks] for digest, file in self.files.items()}
        found = known(sorted({h for each in hashes.values() for h in each}))
        self.missing: dict[str, list[str]] = {}   # text hash → the files waiting for it, once a chunk
        self.texts: dict[str, str] = {}
        for digest, each in hashes.items():
            for position, h in enumerate(each):
                if h not in found:
                    self.missing.setdefault(h, []).append(digest)
                    self.texts.setdefault(h, self.files[digest].chunks[position].text)
        self.left = {digest: sum(h not in found for h in each) for digest, each in hashes.items()}
        self.embedded: dict[str, int] = {}

    def batches(self, size: int) -> Iterator[list[str]]:
        todo = list(self.texts.values())
        for start in range(0, len(todo), size):
            yield todo[start:start + size]

    def take(self, texts: list[str]) -> None:
        """``texts`` have their vectors now: counted for the first file that waited for each."""
        for text in texts:
            waiting = self.missing.pop(hashed(text), [])
            for digest in waiting:
                self.left[digest] -= 1
            if waiting:
                self.embedded[waiting[0]] = self.embedded.get(waiting[0], 0) + 1

    def complete(self) -> Iterator[Pending]:
        """Files whose vectors are all there, each once."""
        done = [digest for digest, left in self.left.items() if left == 0]
        for digest in done:
            del self.left[digest]
            yield self.files[digest]


def hashed(text: str) -> str:
    """The SHA-256 of ``text``, in hex: a chunk text's key (its vector is found by it, whichever
    file holds the text), and a path's (Index.refer)."""
    return hashlib.sha256(text.encode()).hexdigest()


def unit_rows(vectors: np.ndarray, count: int) -> np.ndarray:
    """The embed function's answer for ``count`` texts as a (count, dimensions) float32 matrix,
    each row scaled to length 1 (a zero row stays zero), so cosine is a dot product. Any other
    shape is a bug of the caller's wiring, said as ours."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != count:
        raise InternalError(ValueError(f"the embed function gave shape {matrix.shape} for {count} texts"))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)
