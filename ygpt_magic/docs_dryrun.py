"""A ``--docs`` cell's ``--dry-run`` when choosing its sources would send embeddings: what they
would cost, with nothing embedded.

Why a dry run embeds nothing: it is how a user learns what a cell costs before paying, and the
first cell over a folder pays most of its cost for indexing (a 2 MB CSV is about 680 chunks,
≈5.60 ₽, where the answer costs ≈4 ₽). So when any chunk of the files or the question has no
vector yet (the index, this kernel's memo and the reply cache hold none), the files are read,
checked and chunked as the run would, the vectors it would send are priced by the tokenizer
(free: it counts, as ``--max-cost`` does, docs_indexing.py), and the request is shown with a
stand-in where the sources go. The answer's estimate counts in their place the longest chunks
the cell could send (:func:`longest`), the most the sources can add. When every vector is held,
the dry run chooses the real sources with nothing sent (docs_cell.py).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from .chat.prices import roubles
from .client import guard
from .docs_vectors import unsent
from .errors import CredentialInSource
from .kernel import Kernel
from .request import tokenizer
from .rows.embed_dryrun import Priced, listed, priced
from .sources import Hit, Index
from .sources.library import Survey, survey
from .words import counted

if TYPE_CHECKING:
    from .cache.replies import Front

#: what the request of such a dry run carries where the sources go
STAND_IN = ("(The sources go here: the passages of the files closest to the question, chosen once "
            "the files and the question are embedded. A dry run embeds nothing.)")


@dataclass(frozen=True)
class Ahead:
    """What choosing the sources would send: the ``survey`` of the files, the chunk ``texts`` to
    embed, and what embedding them (``chunks``) and the question would cost (None: none sent)."""

    survey: Survey
    texts: list[str]
    chunks: Priced | None
    question: Priced | None

    def note(self, stood_in: int, extra: int) -> str:
        """The line above the request: what is not embedded and its cost, and how the answer's
        estimate counts the ``stood_in`` longest chunks (``extra`` tokens) for the sources."""
        texts = [part for part in (self._chunks(), self._question()) if part]
        return (f"Not embedded: choosing the sources needs {' and '.join(texts)} embedded first, "
                f"{self._cost()}. A dry run sends nothing that costs money, so the request below "
                f"holds a stand-in where the sources go; its estimate counts the "
                f"{counted(stood_in, 'longest chunk')} of the files in their place ({counted(extra, 'token')} "
                f"more), the most the sources can add. Run the cell without --dry-run to embed them and "
                f"ask (--max-cost N caps what the cell may spend).")

    def _chunks(self) -> str:
        if self.chunks is None:
            return ""
        tokens = self.chunks.tokens
        return f"{counted(tokens.rows, 'new chunk')} of {self._files()} ({tokens.said('chunk')})"

    def _question(self) -> str:
        return "" if self.question is None else f"the question ({counted(self.question.tokens.total, 'token')})"

    def _files(self) -> str:
        texts = set(self.texts)
        paths = sorted({self.survey.shown(file.digest) for file in self.survey.pending
                        if any(chunk.text in texts for chunk in file.chunks)})
        return paths[0] if len(paths) == 1 else counted(len(paths), "file")

    def _cost(self) -> str:
        estimates = [found.cost for found in (self.chunks, self.question) if found is not None]
        unpriced = next((estimate for estimate in estimates if estimate.cost is None), None)
        if unpriced is not None:
            return f"at no known price ({unpriced.sentence()})"
        return f"estimated at {roubles(sum((e.cost or Decimal(0) for e in estimates), Decimal(0)))}"


def ahead(kernel: Kernel, args: argparse.Namespace, question: str, index: Index, cache: Front | None) -> Ahead | None:
    """What choosing the sources of a dry run would send (None: nothing, every vector is held),
    priced; the files are read and checked for credentials as the run reads them."""
    secrets = kernel.connection.known_secrets()
    found = survey(args.docs, index, base=Path.cwd(),
                   guard=lambda where, text: guard.check(where, text, secrets, CredentialInSource))
    chunks = unsent(kernel, "doc", cache, index.unembedded(found.pending))
    asked = unsent(kernel, "query", cache, [question])
    if not chunks and not asked:
        return None
    client, prices = tokenizer(kernel, cache)(), kernel.session.accounts.prices
    return Ahead(found, chunks, priced(listed("the chunks", chunks), "doc", client, prices) if chunks else None,
                 priced(listed("the question", asked), "query", client, prices) if asked else None)


def longest(index: Index, found: Survey, count: int) -> list[Hit]:
    """The ``count`` longest chunks of the files (held or new), as sources: the most a request
    can carry of them."""
    held = [digest for digest in found.documents if index.has(digest)]
    stored = [Hit(found.shown(chunk.digest), chunk.where, chunk.text, 0.0) for chunk in index.longest(held, count)]
    new = [Hit(found.shown(file.digest), chunk.where, chunk.text, 0.0)
           for file in found.pending for chunk in file.chunks]
    return sorted([*stored, *new], key=lambda hit: -len(hit.text.encode()))[:count]
