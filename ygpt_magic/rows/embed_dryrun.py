"""``%ygpt embed NAME --dry-run``: how many texts and tokens the run would send, with nothing
embedded, and what it would cost (embeddings have no output tokens).

The run sends each distinct text once, so the dry run prices each distinct text once. The count
comes from the tokenizer API, asked for a bounded sample of them (every text when there are few),
the others scaled by their length, as ``--map --dry-run`` does (rows/scaled.py); the output says
which. The texts the run would take from the memo or the reply cache are said apart and priced at
nothing, as the run and its cost cap take them (Embedder.unsent): one estimate for all three.
A text the run would fail is counted apart and named: one holding a credential (refused before
sending), and one over the tokens an embedding model takes (:data:`LIMIT`, refused by the
server): the texts whose length puts them near it are counted by the tokenizer, so that is a
count, not a guess, for up to :data:`TAIL` of them.

An embedding is billed for its text's tokens, but the SDK offers a tokenizer only for chat
models (``TokenizeCompletion``: the text wrapped as a user message in the model's chat template,
some 14 tokens in the cloud's recording of "ping", more than a short text itself). So the
template is measured once, with a one-token text (``PROBE``), and taken off each count. An
embedding model adds marks of its own to each text (``ADDED_TOKENS``), which are billed too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..chat import Message, RequestOptions
from ..chat.counting import Tokenizes
from ..chat.estimate import SYNC, Estimate, estimate
from ..chat.prices import PriceTable
from ..client import guard
from ..client.credentials import Credential
from ..client.embeddings import key_model
from ..errors import CacheMiss, CredentialInText, YGptError
from ..modelname import model_name
from ..render import inert
from ..words import counted
from .dryrun import said_failing
from .progress import one_line
from .scaled import CountEach, Scaled, scaled
from .texts import Texts

if TYPE_CHECKING:
    from .embed import Embedder

#: a text of one token: its count is the chat template's tokens plus one
PROBE = "."
#: the tokens an embedding model adds to each text (a start and an end mark): the cloud's
#: recordings bill "hello", one token as a word, 3 tokens (tests/test_emulator_embeddings.py)
ADDED_TOKENS = 2
#: the tokens an embedding model takes of one text, Yandex Cloud's limit for text vectorization
#: (the local server refuses a longer text as the cloud does)
LIMIT = 2000
#: texts near the limit by their length counted by the tokenizer at most, the longest first
TAIL = 100
#: what "near the limit" is: a text whose tokens, guessed from its length, are at least this
#: share of LIMIT. A guess rests on the sample's tokens per character, and a text unlike the
#: sample (another script, digits, code) can take about twice as many a character, so a text
#: guessed at half the limit may be over it: counted, it is named or priced by its count
NEAR = 0.5


@dataclass(frozen=True)
class Priced:
    """What embedding some texts would cost (``cost``, on the ``tokens`` of the texts sent), and
    the texts the run would fail, by position (``failing``: their one-line reasons), which cost
    nothing: the guard refuses a text holding a credential before it is sent, the server one
    too long (``too_long``: some were) unbilled."""

    cost: Estimate
    tokens: Scaled
    failing: dict[int, str]
    too_long: bool


def priced(texts: Texts, model: str, client: Tokenizes, prices: PriceTable,
           secrets: Sequence[Credential] = ()) -> Priced:
    """The one estimate of embedding ``texts`` by ``model``, which ``--dry-run`` shows and
    ``--max-cost`` checks: each distinct text priced once, as the run sends it, and those the
    run would fail (holding one of ``secrets``, or too long to embed) left out and named."""
    failing = _refused(texts, secrets)
    distinct = list(dict.fromkeys(text for position, text in enumerate(texts.texts) if position not in failing))
    rows = first_rows(texts)
    count = billed(client, distinct, [rows[text] for text in distinct])
    tokens = scaled([len(text) for text in distinct], count)
    tokens = tokens.counting(_near_limit(tokens), count)
    too_long = {i: tokens.tokens_of(i) for i in range(len(distinct)) if tokens.tokens_of(i) > LIMIT}
    failing |= _too_long(texts, {distinct[i]: (n, i in tokens.counts) for i, n in too_long.items()})
    tokens = tokens.without(too_long, count)
    cost = estimate(prices, key_model(model), SYNC, requests=tokens.rows, input_tokens=tokens.total)
    return Priced(cost, tokens, failing, bool(too_long))


def listed(name: str, texts: list[str], rows: Mapping[str, Any] | None = None) -> Texts:
    """``texts`` as :func:`priced` takes them: the texts a cap prices (those not yet embedded,
    each once), labelled by the row of a notebook value each comes from (``rows``: text →
    label), None for a text of no row (a --docs chunk, the query of ``%ygpt similar``)."""
    return Texts(name, texts, [(rows or {}).get(text) for text in texts], texts)


def first_rows(texts: Texts) -> dict[str, Any]:
    """Each text of ``texts`` → the label of the first row holding it (a run sends it once)."""
    return {text: label for label, text in reversed(list(zip(texts.labels, texts.texts)))}


def billed(client: Tokenizes, texts: Sequence[str], rows: Sequence[Any]) -> CountEach:
    """The tokens an embedding of the texts at some positions of ``texts`` is billed, by the
    tokenizer, asked for them at once (one round trip: the sample and the texts near the limit
    were one each, 21 to 121 of them at the cloud's ~100 ms before a dry run or a capped run
    said anything). ``rows``: the row label of each text (None: no row), which a replay-mode
    miss of its count names, as the run's own miss of its vector does (rows/embed.py)."""
    template = _chat_tokens(client, PROBE) - 1

    def tokens(positions: Sequence[int]) -> list[int]:
        try:
            found = client.count_tokens_each([_user(texts[p]) for p in positions], RequestOptions())
        except CacheMiss:
            _missed_row(client, texts, rows, positions)
            raise
        return [max(count - template, 1) + ADDED_TOKENS for count in found]

    return tokens


def _missed_row(client: Tokenizes, texts: Sequence[str], rows: Sequence[Any], positions: Sequence[int]) -> None:
    """Raise the replay-mode miss of the first text at ``positions`` the cache has no count of,
    naming its row: asked together, the miss does not say which text it was (a replay sends
    nothing, so asking again one by one costs no request)."""
    for position in positions:
        try:
            _chat_tokens(client, texts[position])
        except CacheMiss as miss:
            raise miss if rows[position] is None else miss.at_row(rows[position]) from None


def _chat_tokens(client: Tokenizes, text: str) -> int:
    """The tokens of ``text`` as a chat model's user message (the SDK's only tokenizer)."""
    return client.count_tokens(_user(text), RequestOptions())


def _user(text: str) -> list[Message]:
    return [{"role": "user", "text": text}]


def dry_run(texts: Texts, model: str, embedder: Embedder, client: Tokenizes, prices: PriceTable,
            secrets: Sequence[Credential]) -> dict[str, str]:
    """The bundle ``--dry-run`` shows for ``%ygpt embed``, its cost by ``prices``: the texts the
    run would send (``embedder``'s memo and reply cache hold the others, said apart and priced
    at nothing, as the run and its cost cap take them: Embedder.unsent). A text that holds one
    of ``secrets`` or is too long to embed is counted apart and its row named, as the run names
    it in ``_ygpt.errors`` (it fails that text alone), not as a refusal of the whole command."""
    unsent = set(embedder.unsent(texts.texts, model))
    sending = [position for position, text in enumerate(texts.texts) if text in unsent]
    held, where = _held(texts, model, embedder, sending)
    start = f"Dry run (embed, model {model_name(model).short}): {counted(len(texts.texts), 'text')}"
    if not sending:
        head = f"{start}, all already embedded{where}: the run would send none of them. Nothing was sent."
        return inert.bundle(inert.bold(head), plain=head)
    pending = Texts(texts.name, [texts.texts[p] for p in sending], [texts.labels[p] for p in sending], texts.source)
    found = priced(pending, model, client, prices, secrets)
    tokens, failing = found.tokens, found.failing
    kept = f"{held:,} already embedded{where}: nothing is sent for them" if held else ""
    what = _what(len(texts.texts), kept, len(sending), tokens.rows, len(failing))
    head = f"{start} to embed{what}, {tokens.said('text')}. Nothing was sent. {found.cost.sentence()}"
    if not failing:
        return inert.bundle(inert.bold(head), plain=head)
    said = said_failing(dict(sorted(failing.items())), pending.labels, unsent=not found.too_long)
    return inert.bundle(inert.bold(head), inert.text(said), plain=f"{head}\n{said}")


def _what(total: int, kept: str, sending: int, distinct: int, failing: int) -> str:
    """What becomes of the ``total`` texts, when not all are sent as they are: `` (3 already
    embedded …: nothing is sent for them; 2 distinct to send, 1 that would fail)``. ``kept``
    says the texts held, ``sending`` the rest, ``distinct`` of which are sent and ``failing``
    would fail."""
    parts = [kept] if kept else []
    if failing or distinct < total:
        send = f"{distinct:,} {'distinct ' if distinct < sending - failing else ''}to send"
        parts.append(f"{send}, {failing:,} that would fail" if failing else send)
    return f" ({'; '.join(parts)})" if parts else ""


def _held(texts: Texts, model: str, embedder: Embedder, sending: Sequence[int]) -> tuple[int, str]:
    """How many rows of ``texts`` are not at ``sending`` (their vectors are held), and where
    from, as the run's summary says it: `` by this kernel's earlier runs``, `` in the reply
    cache``, or `` (3 by this kernel's earlier runs, 2 in the reply cache)``."""
    sent = set(sending)
    held = [text for position, text in enumerate(texts.texts) if position not in sent]
    kept = sum(embedder.remembered(text, model) is not None for text in held)
    if kept and len(held) > kept:
        return len(held), f" ({kept:,} by this kernel's earlier runs, {len(held) - kept:,} in the reply cache)"
    return len(held), " by this kernel's earlier runs" if kept else " in the reply cache"


def _near_limit(tokens: Scaled) -> list[int]:
    """The texts whose length puts them at :data:`NEAR` the limit or more, not yet counted: the
    longest :data:`TAIL` of them, to count."""
    near = [p for p in range(len(tokens.lengths)) if p not in tokens.counts and tokens.tokens_of(p) >= LIMIT * NEAR]
    return sorted(near, key=tokens.lengths.__getitem__, reverse=True)[:TAIL]


def _too_long(texts: Texts, over: dict[str, tuple[float, bool]]) -> dict[int, str]:
    """The reasons of the texts the server would refuse as too long to embed, by position:
    ``over`` holds each such text's tokens and whether the tokenizer counted them."""
    reasons: dict[int, str] = {}
    for position, text in enumerate(texts.texts):
        if text in over:
            tokens, exact = over[text]
            said = f"{round(tokens):,} tokens" if exact else f"about {round(tokens):,} tokens by its length"
            reasons[position] = (f"row {texts.labels[position]!r} of {texts.name} is {said}, over the "
                                 f"{LIMIT:,} an embedding model takes: the server would refuse it. Split "
                                 f"it into shorter pieces and embed each.")
    return reasons


def _refused(texts: Texts, secrets: Sequence[Credential]) -> dict[int, str]:
    """The texts the run would refuse before sending them, by position: those holding one of
    ``secrets`` (the client's guard refuses them there, each alone), with their reasons."""
    failing: dict[int, str] = {}
    for position, text in enumerate(texts.texts):
        try:
            guard.check(f"row {texts.labels[position]!r} of {texts.name}", text, secrets, CredentialInText)
        except YGptError as error:
            failing[position] = one_line(error)
    return failing
