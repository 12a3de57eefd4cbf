"""The files of one ``--docs`` cell, indexed: find them, read each, refuse a file holding a
credential, embed only what the index lacks.

Why the order: every new or changed file is read and checked before the first embedding
request, so a file holding a key stops the cell with nothing of any file sent; an unchanged
file is only read and hashed (its content hash is its key), never decoded or embedded again.
The texts about to be embedded are then shown to ``admit`` (the caller's cost cap) before the
first request, so a cell refused for its cost has sent nothing either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CredentialInSource, Found, NoSources
from ..keyshapes import sighted
from .chunks import chunk
from .files import Skipped, find, summary
from .index import Index, digest_of
from .pending import BATCH, Embed, Pending
from .reading import SIZE_LIMIT, parts, read

#: ``guard(where, text)`` raises when ``text`` carries one of this kernel's credentials or a
#: Yandex key's published shape (the caller wires it to client/guard.check); without one, the
#: shapes alone (keyshapes.py) still keep anyone's Yandex Cloud keys out
Guard = Callable[[str, str], None]
#: ``admit(texts, survey)`` raises to stop the cell before ``texts`` (every chunk text the index
#: lacks) are embedded; the caller wires it to the cell's cost cap, which prices the answer from
#: the ``survey`` (its longest chunks) too
Admit = Callable[[list[str], "Survey"], None]


@dataclass(frozen=True)
class Library:
    """What a cell may search: ``documents`` (content hash → the path shown, the first path
    with that content), what was skipped and why, how many chunk texts this run embedded, and
    the files it embedded chunks of, with how many (``new``: path shown → chunks embedded now),
    so the cell can name a file that made most of the cost."""

    documents: dict[str, str]
    skipped: tuple[Skipped, ...]
    embedded: int
    new: dict[str, int] = field(default_factory=dict)

    def skipped_lines(self) -> list[str]:
        return summary(self.skipped)


@dataclass(frozen=True)
class Survey:
    """The files of ``paths`` read, checked and chunked, before anything is embedded:
    ``documents`` and ``skipped`` as in :class:`Library`, ``pending`` the versions the index
    lacks, ``held`` each file read → its content hash."""

    documents: dict[str, str]
    skipped: tuple[Skipped, ...]
    pending: list[Pending]
    held: dict[Path, str]

    def shown(self, digest: str) -> str:
        return self.documents[digest]

    def skipped_lines(self) -> list[str]:
        return summary(self.skipped)


def survey(paths: str, index: Index, *, guard: Guard | None = None, base: Path | None = None,
           limit: int = SIZE_LIMIT) -> Survey:
    """Find and read the files ``paths`` names. NoSources when none can be read;
    CredentialInSource when a new file holds a credential. Nothing is embedded."""
    found = find(paths, base)
    documents: dict[str, str] = {}
    skipped = list(found.skipped)
    pending: list[Pending] = []
    held: dict[Path, str] = {}
    for file in found.files:
        data = read(file, limit)
        if isinstance(data, Skipped):
            skipped.append(data)
            continue
        digest = digest_of(data)
        if digest not in documents and not index.has(digest):
            text = parts(file, data)
            if isinstance(text, Skipped):
                skipped.append(text)
                continue
            for part in text:
                _refuse_credentials(file.shown, part.text, guard)
            pending.append(Pending(digest, chunk(text)))
        documents.setdefault(digest, file.shown)
        held[file.path] = digest
    if not documents:
        raise NoSources(paths, summary(skipped))
    return Survey(documents, tuple(skipped), pending, held)


def gather(paths: str, index: Index, embed: Embed, *, guard: Guard | None = None,
           admit: Admit | None = None, base: Path | None = None, limit: int = SIZE_LIMIT,
           batch: int = BATCH) -> Library:
    """Index the files ``paths`` names and say which to search (:func:`survey`, then embed what
    the index lacks); what ``admit`` raises, before any embedding, for the texts to embed. The
    versions the files replaced are dropped from the index (Index.refer)."""
    found = survey(paths, index, guard=guard, base=base, limit=limit)
    if admit is not None:
        admit(index.unembedded(found.pending), found)
    embedded = index.update(found.pending, embed, batch)
    index.refer(found.held)
    new = {found.shown(digest): count for digest, count in sorted(embedded.items(), key=lambda item: -item[1])}
    return Library(found.documents, found.skipped, sum(embedded.values()), new)


def _refuse_credentials(path: str, text: str, guard: Guard | None) -> None:
    """The guard first: it names the kernel's own key as such ("your api key (from
    YC_API_KEY)"), which is of a published shape too; it looks for the shapes after it."""
    where = f"the file {path}"
    if guard is not None:
        guard(where, text)
        return
    sighting = sighted(text)
    if sighting is not None:
        raise CredentialInSource(where, Found(sighting.named(), known=False))
