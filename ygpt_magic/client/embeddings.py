"""Text embeddings through the SDK's public API: many texts at once on the client's loop.

Why it looks like this:
- One text is one ``TextEmbedding`` call (the service takes no batches), so a list of 10,000 texts
  is 10,000 small requests: they run as a :class:`~.many.ManyJob` on the client's own loop, the
  way ``--map`` rows do, with the same adaptive limit backing off on RESOURCE_EXHAUSTED.
- Each text passes the client's credential guard before it is sent: a text that carries a
  credential fails alone, as its row's error, and is never sent.
- The model is one of the two the service has (``doc`` for the texts searched, ``query`` for what
  is searched for) or an ``emb://`` URI (a tuned model); anything else is refused before a request.
- One path for every embedding: ``%ygpt embed``/``similar`` read the job row by row (a failed text
  is its row's error); ``--docs`` needs all of a batch or nothing, so :func:`every_vector` reads
  the same job and, at the first error, cancels the rest and waits for them before raising.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..chat.options import refuse_credential
from ..errors import OptionError, QuotaExceeded, YGptError
from ..modelname import EMBEDDINGS, model_name
from .credentials import Credential, masked_in
from .loop import LoopThread
from .many import AdaptiveLimit, ManyJob, Result
from .watch import Watch


@dataclass(frozen=True, slots=True)
class Vector:
    """One text's embedding as the service answered it."""

    values: tuple[float, ...]
    tokens: int
    model_version: str


def embedding_model(name: str) -> str:
    """``doc``, ``query``, their full names or an ``emb://`` URI, as the SDK takes it (the short
    name with the version given, or the URI); OptionError for a name that holds a credential,
    and for anything else (a completion model above all)."""
    refuse_credential(name)
    read = model_name(name)
    if read.scheme == "emb":
        return read.text
    short = {full: short for short, full in EMBEDDINGS.items()}.get(read.name, read.name)
    if not read.scheme and short in EMBEDDINGS:
        return f"{short}/{read.version}" if read.version else short
    raise OptionError(
        f"--model {name!r} is not an embedding model. Use doc (for the texts you search in), query "
        f"(for what you search for) or an emb://<folder>/<model>/<version> URI of a tuned model; "
        f"completion models such as yandexgpt do not make embeddings.")


Guard = Callable[[str], None]
Translate = Callable[[BaseException, float], YGptError]


def embed_many(loop: LoopThread, model: Any, texts: Iterable[tuple[Any, str]], *, concurrency: int,
               timeout: float, guard: Guard, secrets: Sequence[Credential], translate: Translate,
               prepare: Callable[[], Awaitable[None]], watch: Watch | None = None,
               on_result: Callable[[Result], None] | None = None) -> ManyJob:
    """``(tag, text)`` in, ``(tag, Vector, None)`` or ``(tag, None, YGptError)`` out of the job's
    ``results()``; ``model`` is the SDK's async embeddings model, ``guard`` refuses a text that
    carries a credential, ``translate`` maps an SDK or gRPC error to ours, ``watch`` ends the
    rest at once when the server is gone (watch.py), ``on_result`` sees each result on the
    loop as it ends (a cost cap settles it there: chat/budget.py). ``secrets``: the kernel's
    credentials, masked in each vector's model version (credentials.masked_in, the rule a
    reply's version passes), as a server may echo the key it was sent: here, where every
    embedding's answer comes in, so neither ``%ygpt embed``/``similar`` nor ``--docs`` indexing
    keeps it in the reply cache."""

    def request(tag: Any, text: str) -> tuple[Any, Callable[[], Awaitable[Vector]]]:
        async def run() -> Vector:
            started = time.monotonic()
            guard(text)   # a text that carries a credential fails alone, before it is sent
            try:
                result = await model.run(text, timeout=timeout)
            except (YGptError, asyncio.CancelledError):
                raise
            except Exception as exc:
                raise translate(exc, started) from None
            return Vector(tuple(result.embedding), int(result.num_tokens),
                          masked_in(str(result.model_version), secrets))
        return tag, run

    return ManyJob(loop, (request(*item) for item in texts), AdaptiveLimit(concurrency),
                   exhausted=lambda error: isinstance(error, QuotaExceeded), prepare=prepare,
                   watch=watch, on_result=on_result)


def every_vector(job: ManyJob, count: int, answered: Callable[[int, Vector], object]) -> list[Vector]:
    """The vectors of a job over tags ``0 .. count-1``, in tag order, each told to ``answered``
    with its tag as it arrives (the caller pays for it and keeps it: an answer is paid for, and
    worth keeping, even if the call then fails); at
    the first error (or Ctrl-C) the job is cancelled and drained, so no request of it is still
    going, and the error is raised."""
    vectors: list[Vector | None] = [None] * count

    def take(items: Iterable[Any], fail: bool) -> None:
        for item in items:
            if item is None:
                continue
            tag, vector, error = item
            if error is not None:
                if fail:
                    raise error
                continue
            vectors[tag] = vector
            answered(tag, vector)
    try:
        take(job.results(), fail=True)
    except BaseException:
        job.cancel()
        take(job.results(), fail=False)
        raise
    return [vector for vector in vectors if vector is not None]


def key_model(name: str) -> str:
    """The model as the reply cache and the memo key it: ``doc``, ``text-search-doc`` and
    ``emb://<folder>/text-search-doc/latest`` are one ``text-search-doc/latest`` (the folder is
    not part of the answer), so a vector recorded by one user replays for another; OptionError
    for a name that is no embedding model's (:func:`embedding_model`)."""
    return model_name(embedding_model(name)).versioned
