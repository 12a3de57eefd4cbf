"""`%%ygpt --docs PATHS [--top-k N]`: answer the cell from the user's files, with sources.

The door's own part, between parsing and the one request path: gather the files into the
kernel's index (embedding with ``doc`` only what it lacks), embed the question with ``query``
(every text embedded is fronted by the reply cache, docs_vectors.py, so the cell replays with
no server), take the best chunks that fit the context budget, and write them into the prompt
as numbered sources after ``YGptMagics.docs_instruction``. Why in the prompt (the user's
message) and not the system text: the chat then records exactly what was sent, so ``%ygpt history`` and
``--dry-run`` show it, a chat's own system message stays the user's, and each turn of a chat
carries the sources of its own question. The request then goes down the normal ``send`` path
(stream, cache, accounts, guard, chat); the sources go below the reply and into
``_ygpt.sources``. When no chunk is related to the question at all, the request is still sent,
saying in place of the sources that there are none, and a line above the reply says so
(``_ygpt.sources`` is then empty): the instruction asks the model to say when the sources do
not hold the answer, a chat goes on, and a notebook run all the way through is not stopped by
a question its files happen not to cover. A ``--dry-run`` embeds nothing: it shows the sources it
would send when every vector is held already, else what embedding them would cost and the
request with a stand-in for them (docs_dryrun.py).

The cost cap (``--max-cost``, ``YGptMagics.max_cost_per_cell``) covers the whole cell: the chunks
neither the index nor the reply cache holds are priced by the tokenizer's count of a sample of
them before the first of them is embedded, and the request is then checked against what the embeddings left of the cap
(cost_cap.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import weakref
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from . import render
from .cache.key import endpoint_kind
from .chat import planning
from .chat.options import RequestOptions
from .chat.values import Message, Reply
from .client import guard
from .docs_dryrun import STAND_IN, Ahead, ahead, longest
from .docs_indexing import Answer, Indexing, embedding_spent, indexed_note, replaying
from .docs_vectors import embedder
from .errors import CredentialInSource, SourcesTooLong, StoppedBeforeAsking, TextTooLongToEmbed, stopping
from .kernel import Kernel
from .render import inert
from .sources import Fitted, Hit, Index, Library, fit, gather, index_path, source_lines, sources_block
from .sources.library import Survey
from .sources.search import Size, Standing, retrieve, utf8_size

if TYPE_CHECKING:
    from .cache.replies import Front
    from .chat.estimate import Estimate

#: ``price(prompt, unchosen)``: what sending ``prompt`` as the cell would cost, ``unchosen`` tokens
#: more for sources not chosen yet (request.py wires it to cell_price.answer_estimate)
Price = Callable[[str, int], "Estimate"]
#: chunks sent when the cell gives no --top-k
TOP_K = 5
#: the index's model: vectors of the ``doc``/``query`` pair of models (by server: :func:`index_of`)
MODEL = "text-search-doc"
#: tokens left for sources when the model's context size is unknown (no trimming then)
UNBOUNDED = 10**9
#: what the request carries in place of the sources when no chunk is related to the question
NO_SOURCES = "(No source: no passage of the files is related to the question.)"
#: what a dry run that chose its sources says of their vectors (one that would embed any shows
#: the request with a stand-in instead: docs_dryrun.py)
HELD = ("Choosing the sources sent no embedding request: every vector it needed was held already "
        "(the index, the reply cache). The question itself was not sent to the model: the request "
        "below is only shown.")


class Source(TypedDict):
    """One source of a reply, as ``_ygpt.sources`` lists it."""

    number: int
    path: str
    where: str
    score: float
    text: str


@dataclasses.dataclass(frozen=True)
class SourcedReply(Reply):
    """A reply answered from files: the sources it was given, numbered as it cites them."""

    sources: tuple[Source, ...] = ()


def index_of(kernel: Kernel) -> Index:
    """The kernel's index for the server it is connected to (``text-search-doc@local``: the
    local server's vectors and the cloud's are unrelated, so each server's are searched with its
    own question vectors, as the reply cache and ``%ygpt embed``'s memo key theirs by server):
    beside the reply cache, in memory without one, or when its file cannot be created, opened or
    written there (a read-only checkout, whose committed index is then read into memory): the
    cells go on, and :func:`_in_memory` says so when it matters."""
    server = endpoint_kind(kernel.connection.target)
    index = kernel.sources.get(server)
    if index is None:
        path = kernel.cache.path  # absolute: resolved when the path was set
        index = kernel.sources[server] = Index(index_path(path) if path else None, f"{MODEL}@{server}",
                                               shown=kernel.cache.beside(index_path(path)) if path else "")
    return index


#: the indexes whose move into memory a cell's output has said: once for the kernel's index
_TOLD: weakref.WeakSet[Index] = weakref.WeakSet()


def _in_memory(kernel: Kernel) -> tuple[str, ...]:
    """The note, above the reply, that the index is kept in memory: once for the kernel, in the
    cell's own output (never a stray stderr line, which nbval fails). None in replay mode: it
    embeds and writes nothing, so an index that cannot be written loses nothing (it is only
    read), and a read-only CI checkout shows exactly the output that was stored."""
    index = index_of(kernel)
    if index.unused is None or index in _TOLD or replaying(kernel):
        return ()
    _TOLD.add(index)
    return (index.unused.line(),)


def answer(kernel: Kernel, args: argparse.Namespace, question: str,
           send: Callable[[str, tuple[str, ...], Decimal, int], None], price: Price) -> None:
    """Retrieve for the cell's ``question`` (expanded), then ``send(prompt, notes, spent,
    unchosen)`` down the normal path (``spent``: what choosing the sources cost, for the cap;
    ``unchosen``: the tokens a dry run's estimate adds for sources it could not choose); the
    sources of the new reply go below it and into ``_ygpt.sources``. What indexing the files
    cost is said above the reply in every run (docs_indexing.py); a dry run embeds nothing
    (docs_dryrun.py). ``price(prompt, unchosen)``: what sending such a request would cost, which
    the cap asks for the answer before the files are indexed (:func:`_most`)."""
    spent = embedding_spent(kernel)
    cache = _front(kernel, args, question)
    if args.dry_run:
        with stopping(_stopped_pricing):
            found = ahead(kernel, args, question, index_of(kernel), cache)
        if found is not None:
            return _stand_in(kernel, args, question, found, cache, send)
    with stopping(_stopped_embedding):
        library = _gather(kernel, args, cache, lambda found: _most(kernel, args, question, found, cache, price))
        indexed = None if args.dry_run else indexed_note(kernel, library, spent)
        fitted, standing = _retrieve(kernel, args, library, question, cache)
    before = kernel.namespace.get("_ygpt")
    notes = (*_in_memory(kernel), *_notes(library, fitted, standing), *([indexed] if indexed else []))
    if args.dry_run:
        notes = (*notes, HELD)
    paid = embedding_spent(kernel).cost.amount - spent.cost.amount
    try:
        send(prompt(kernel.settings.docs_instruction, fitted.hits, question), notes, paid, 0)
    finally:   # a reply stopped with Ctrl-C raises Interrupted with _ygpt set: it drew on them too
        reply = kernel.namespace.get("_ygpt")
        if isinstance(reply, Reply) and reply is not before:
            _attach(kernel, reply, fitted.hits)


def _stopped_pricing() -> StoppedBeforeAsking:
    return StoppedBeforeAsking("the chunks' tokens were counted for --dry-run, which sends nothing")


def _stopped_embedding() -> StoppedBeforeAsking:
    """Ctrl-C while the files or the question were embedded: every vector that came back is
    kept (the index keeps each call's, the kernel's memo those of the call stopped part way:
    docs_vectors.py), so a re-run sends only the chunks still missing."""
    return StoppedBeforeAsking("the files and the question were embedded for --docs",
                               kept="Every chunk embedded so far is kept.",
                               again="run the cell again: it embeds only the rest")


def _stand_in(kernel: Kernel, args: argparse.Namespace, question: str, found: Ahead, cache: Front | None,
              send: Callable[[str, tuple[str, ...], Decimal, int], None]) -> None:
    """A dry run's request with a stand-in where the sources go, which it cannot choose without
    embedding (docs_dryrun.py): its estimate counts the longest chunks the cell could send in
    their place, as many as --top-k, within the tokens the budget leaves for sources."""
    stood_in, extra = _longest(kernel, args, question, found.survey, cache)
    skipped = (f"Skipped: {line}" for line in found.survey.skipped_lines())
    notes = (*_in_memory(kernel), *skipped, found.note(stood_in, extra))
    send(_framed(kernel.settings.docs_instruction, STAND_IN, question), notes, Decimal(0), extra)


def _longest(kernel: Kernel, args: argparse.Namespace, question: str, found: Survey,
             cache: Front | None) -> tuple[int, int]:
    """How many of the files' longest chunks stand in for the sources not chosen yet, and the
    tokens they add over the stand-in, within what the budget leaves for sources."""
    space = _space(kernel, args, question, args.system or _chat_system(kernel, args))
    left, size = _counted(kernel, space, cache)
    hits = longest(index_of(kernel), found, args.top_k or TOP_K)
    return len(hits), max(0, min(left, size(sources_block(hits))) - size(STAND_IN))


def _most(kernel: Kernel, args: argparse.Namespace, question: str, found: Survey, cache: Front | None,
          price: Price) -> Estimate:
    """The most the answer can cost, priced before the files ``found`` are indexed: the request
    with the longest chunks in place of its sources, as its ``--dry-run`` counts it."""
    _, extra = _longest(kernel, args, question, found, cache)
    return price(_framed(kernel.settings.docs_instruction, STAND_IN, question), extra)


def prompt(instruction: str, hits: list[Hit], question: str) -> str:
    """What the request carries: the instruction, the numbered sources (or that there are
    none), the question."""
    return _framed(instruction, sources_block(hits) or NO_SOURCES, question)


def _framed(instruction: str, sources: str, question: str) -> str:
    return f"{instruction}\n\n{sources}\n\nQuestion: {question}"


def _gather(kernel: Kernel, args: argparse.Namespace, cache: Front | None, most: Answer) -> Library:
    secrets = kernel.connection.known_secrets()
    with Indexing(kernel, args, cache, most) as indexing:
        return gather(args.docs, index_of(kernel), indexing.embed, base=Path.cwd(),
                      guard=lambda where, text: guard.check(where, text, secrets, CredentialInSource),
                      admit=indexing.admit)


def _retrieve(kernel: Kernel, args: argparse.Namespace, library: Library, question: str,
              cache: Front | None) -> tuple[Fitted, Standing | None]:
    """The best chunks for ``question`` that fit what the budget leaves after it, and how the
    best stands against every chunk searched."""
    try:
        vector = embedder(kernel, "query", cache)([question])[0]
    except TextTooLongToEmbed as refused:   # the question's, not a text the user embeds
        raise refused.of_question() from None
    hits, standing = retrieve(index_of(kernel), library.documents, vector, args.top_k or TOP_K)
    chat_system = _chat_system(kernel, args)
    space = _space(kernel, args, question, args.system or chat_system)
    left, size = _sizing(kernel, space, hits, cache)
    try:
        fitted = fit(hits, left, size, chat_system=bool(chat_system))
    except SourcesTooLong as refused:   # its advice fitted to what the model holds
        if space.budget is None:
            raise
        raise refused.within(planning.room(space.options, space.budget, refused.needed + space.rest)) from None
    return fitted, standing


def _sizing(kernel: Kernel, space: _Space, hits: list[Hit], cache: Front | None) -> tuple[int, Size]:
    """The tokens left for sources and how a sources block is measured, by the planner's rule
    (chat/planning.py): UTF-8 bytes, a bound no tokenizer exceeds, when every hit fits by it;
    else the tokenizer's counts, as the request will carry them (a Russian letter is 2 bytes,
    a Russian token 5 to 10: by bytes most Russian sources that fit were left out)."""
    if space.budget is None or space.rest + utf8_size(sources_block(hits)) <= space.budget:
        return space.left, utf8_size
    return _counted(kernel, space, cache)


def _counted(kernel: Kernel, space: _Space, cache: Front | None) -> tuple[int, Size]:
    """The tokens left for sources and a sources block's tokens, by the tokenizer."""
    from .request import tokenizer

    count = planning.Tokenizer(tokenizer(kernel, cache), space.options)

    def framed(sources: str) -> list[Message]:
        return [{"role": "user", "text": _framed(kernel.settings.docs_instruction, sources, space.question)}]

    bare = count(framed(""))
    system = count([{"role": "system", "text": space.system}]) if space.system else 0
    left = UNBOUNDED if space.budget is None else max(0, space.budget - system - bare)
    return left, lambda block: count(framed(block)) - bare


def _chat_system(kernel: Kernel, args: argparse.Namespace) -> str | None:
    """The chat's own system message when this cell sends it (not --once, no --system)."""
    if args.system or args.once:
        return None
    return kernel.session.state(args.chat, kernel.cell_id).system


@dataclasses.dataclass(frozen=True)
class _Space:
    """What the context ``budget`` (None: a model of unknown size, no trimming) of a request
    with ``options`` leaves for sources (``left``) after ``rest``: an upper bound of everything
    but the sources."""

    options: RequestOptions
    budget: int | None
    rest: int
    question: str
    system: str | None

    @property
    def left(self) -> int:
        return UNBOUNDED if self.budget is None else max(0, self.budget - self.rest)


def _space(kernel: Kernel, args: argparse.Namespace, question: str, system: str | None) -> _Space:
    """The room for sources (the chat's older turns are then trimmed to fit, as for any cell)."""
    session, settings = kernel.session, kernel.settings
    options = planning.request_options(session, args.chat, _flags(args), settings)
    rest = planning.upper_bound_tokens(system, (), _framed(settings.docs_instruction, "", question))
    return _Space(options, planning.context_budget(options, settings), rest, question, system)


def _front(kernel: Kernel, args: argparse.Namespace, question: str) -> Front | None:
    """The reply cache in front of this cell's embeddings, as in front of its request."""
    from .request import front

    return front(kernel, question, no_cache=args.no_cache)


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    from .request import flags

    return flags(args)


def _notes(library: Library, fitted: Fitted, standing: Standing | None) -> tuple[str, ...]:
    """What was skipped or left out, shown above the reply (nothing is cut silently), and
    when nothing in the files is related to the question, or the best does not stand out."""
    skipped = [f"Skipped: {line}" for line in library.skipped_lines()]
    note = fitted.note() if fitted.found else _unrelated(library)
    weak = _weak(standing) if fitted.hits and standing is not None else None
    return (*skipped, *(line for line in (weak, note) if line))


def _weak(standing: Standing) -> str | None:
    """The line for sources that score no better than the folder's unrelated chunks (search.py:
    ``standing``), or None."""
    if standing.stands_out():
        return None
    return (f"The closest sources score {standing.best:.2f}, about what any of the "
            f"{standing.count:,} chunks searched scores for this question (median "
            f"{standing.median:.2f}): the files may hold nothing related to the question, so the "
            f"reply may not be from them.")


def _unrelated(library: Library) -> str:
    paths = sorted(set(library.documents.values()))
    searched = paths[0] if len(paths) == 1 else f"the {len(paths)} files searched"
    return (f"No part of {searched} is related to the question (no chunk scored above 0), so the "
            f"model was asked with no sources: its reply is not from your files.")


def _attach(kernel: Kernel, reply: Reply, hits: list[Hit]) -> None:
    """``_ygpt`` as a SourcedReply (its sources empty when none was sent), and the source lines
    below the reply."""
    sources = tuple(Source(number=number, path=hit.path, where=hit.where.lstrip(": "),
                           score=round(hit.score, 4), text=hit.text)
                    for number, hit in enumerate(hits, start=1))
    values = {field.name: getattr(reply, field.name) for field in dataclasses.fields(reply)}
    kernel.namespace["_ygpt"] = SourcedReply(**{**values, "sources": sources})
    if not hits:
        return
    lines = source_lines(hits)
    render.show(inert.bundle(inert.quiet("Sources:"), *map(inert.quiet, lines.splitlines()),
                             plain=f"Sources:\n{lines}"))
