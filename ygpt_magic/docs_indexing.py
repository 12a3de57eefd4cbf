"""The files' side of a ``--docs`` cell: their new chunks embedded into the index under a progress
bar, and the note saying what that cost.

Why it is said in every run, not only a dry run: indexing is the expensive part of a first
``--docs`` cell (a 1.7 MB CSV is 845 chunks, ≈7 ₽, where the answer costs ≈4 ₽), and the reply's
footer prices only the answer. So a line above the reply gives the chunks embedded, their tokens
and roubles, beside the footer's cost of the answer: the two add up to the cell. A file that
needed hundreds of chunks embedded in the cell (:data:`LARGE`) is named, since leaving it out of
PATHS is the saving; one that changed by a row re-embeds a chunk, and is not.

Why a bar only past one batch (:data:`BAR_FROM`): the index embeds :data:`~.sources.pending.BATCH`
texts a call, and a batch is answered in about the time of one request; a bar that appears and
closes within a second is noise. It is the ``--map`` bar (rows/progress.py), counting chunks.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from . import cost_cap
from .chat.accounts import EMBEDDINGS, Spent
from .chat.budget import Budget
from .chat.prices import roubles
from .chat.values import Usage
from .docs_vectors import embedder, unsent
from .kernel import Kernel
from .request import tokenizer
from .sources import Library
from .sources.library import Survey
from .sources.pending import BATCH
from .words import counted

if TYPE_CHECKING:
    import numpy as np

    from .cache.replies import Front
    from .chat.estimate import Estimate
    from .rows.progress_bar import Progress

#: ``answer(survey)``: the most the cell's answer can cost, its longest chunks in place of the
#: sources (docs_cell.py), asked by the cap before the files are indexed
Answer = Callable[[Survey], "Estimate"]

#: more chunks to embed than one call of the embed function takes: a bar shows
BAR_FROM = BATCH + 1
#: a file this many of whose chunks or more were embedded in the cell is named in the indexing note
LARGE = 100


def embedding_spent(kernel: Kernel) -> Spent:
    """This kernel's embeddings so far (the index's and the questions'), sent and replayed."""
    return kernel.session.accounts.by_source.get(EMBEDDINGS, Spent())


class Indexing:
    """What ``sources.gather`` is given to embed a cell's new chunks: ``admit`` (the cost cap, and
    the bar when there are many), ``embed`` (the ``doc`` model through the reply cache, stopped
    at the cap by its running budget). Used as a context manager, so the bar closes however the
    cell ends. ``answer``: what the cap adds for the answer to the chunks' cost."""

    def __init__(self, kernel: Kernel, args: argparse.Namespace, cache: Front | None, answer: Answer) -> None:
        self.kernel = kernel
        self.before = embedding_spent(kernel)
        self._cap = _cap(kernel, args, cache, answer)
        self._names: dict[str, str] = {}   # a chunk's text → its file and lines, for a replay miss
        self._embed = embedder(kernel, "doc", cache, self._names)
        self._budget: Budget | None = None
        self._progress: Progress | None = None

    def admit(self, texts: list[str], found: Survey) -> None:
        """Refuse ``texts`` (of the files ``found``) when they and the answer are over the cap,
        before any is sent, else keep the budget that stops them at it; start the bar when they
        are many."""
        self._names.update((chunk.text, f"{found.shown(file.digest)}{chunk.where}")
                           for file in found.pending for chunk in file.chunks)
        if self._cap is not None:
            self._budget = self._cap(texts, found)
        if len(texts) >= BAR_FROM:
            from .rows.progress import Tally
            from .rows.progress_bar import Progress

            self._progress = Progress(Tally(total=len(texts)), desc=f"index {len(texts):,} chunks")

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = self._embed(texts, self._budget)
        progress = self._progress
        if progress is not None:
            progress.tally.usage = _less(embedding_spent(self.kernel).usage, self.before.usage)
            for _ in texts:
                progress.advance()
        return vectors

    def __enter__(self) -> Indexing:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.close()


def _cap(kernel: Kernel, args: argparse.Namespace, cache: Front | None,
         answer: Answer) -> Callable[[list[str], Survey], Budget | None] | None:
    """The cost cap over the chunks about to be embedded and the ``answer`` after them (None: no
    check, when the reply cache only replays: nothing is sent then). Only the chunks that will
    be sent are priced: those the reply cache holds are replayed (a fresh checkout whose index
    is gone), and those the kernel's memo holds were bought by a run stopped part way, as a
    ``--map`` cap prices only the rows it will send."""
    if cache is not None and cache.cache.mode == "replay":
        return None

    def check(texts: list[str], found: Survey) -> Budget | None:
        return cost_cap.check_sources(kernel, args.max_cost, unsent(kernel, "doc", cache, texts),
                                      tokenizer(kernel, cache), lambda: answer(found))
    return check


def _less(now: Usage, before: Usage) -> Usage:
    return Usage(now.input_tokens - before.input_tokens, 0, 0, now.total_tokens - before.total_tokens)


def replaying(kernel: Kernel) -> bool:
    """Whether the reply cache only replays (CI): nothing is embedded, written or spent then, so
    what a ``--docs`` cell says of its index must not depend on whether the index file was
    there; its output is what was stored, whatever the checkout holds."""
    return kernel.cache.active and kernel.cache.mode == "replay"


def indexed_note(kernel: Kernel, library: Library, before: Spent) -> str | None:
    """``Indexed 845 new chunks of 2 files: 721,724 tokens, ≈7.22 ₽ …`` (``before``: the
    embeddings when the cell began, so call it before the question is embedded), or None when
    this cell embedded no chunk of the files, or replays (:func:`replaying`): a checkout without
    the index file would rebuild it from the cache and say so, where the stored output,
    replayed beside the index, does not."""
    if not library.embedded or replaying(kernel):
        return None
    now = embedding_spent(kernel)
    sent = now.requests - before.requests
    tokens = now.usage.input_tokens - before.usage.input_tokens
    cost = (f"{counted(tokens, 'token')}, {roubles(now.cost.amount - before.cost.amount)}" if sent
            else "every vector replayed from the reply cache, nothing spent")
    return (f"Indexed {counted(library.embedded, 'new chunk')} of {_files(library)}: {cost} "
            f"(the footer prices the answer alone). The index keeps them, so the next run embeds "
            f"only what changed.{_large(library)}")


def _files(library: Library) -> str:
    names = sorted(library.new, key=lambda path: -library.new[path])
    if len(names) == 1:
        return names[0]
    return f"{counted(len(names), 'file')}" if names else "the files"


def _large(library: Library) -> str:
    """The files hundreds of whose chunks were embedded now, most first: leaving them out is the
    saving."""
    large = sorted((path for path, chunks in library.new.items() if chunks >= LARGE),
                   key=lambda path: -library.new[path])
    if not large:
        return ""
    named = ", ".join(f"{path} ({counted(library.new[path], 'chunk')})" for path in large)
    one = len(large) == 1
    return (f" The largest: {named}; leave {'it' if one else 'them'} out of PATHS if "
            f"{'it does' if one else 'they do'} not hold the answers.")
