"""``%ygpt embed NAME --dry-run``: how many texts and tokens the run would send, with nothing
embedded, and what it would cost (embeddings have no output tokens).

The count comes from the tokenizer API, asked for a bounded sample of texts (every text when
there are few) and extrapolated, as ``--map --dry-run`` does (dryrun.py); the output says which.
Every text is counted, also those a re-run would take from the memo or the reply cache.

An embedding is billed for its text's tokens, but the SDK offers a tokenizer only for chat
models (``TokenizeCompletion``: the text wrapped as a user message in the model's chat template,
some 14 tokens in the cloud's recording of "ping", more than a short text itself). So the
template is measured once, with a one-token text (``PROBE``), and taken off each count. An
embedding model adds marks of its own to each text (``ADDED_TOKENS``), which are billed too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..chat import RequestOptions
from ..chat.estimate import SYNC, Estimate, estimate
from ..chat.prices import PriceTable
from ..client import guard
from ..client.credentials import Credential
from ..client.embeddings import key_model
from ..errors import CredentialInText, YGptError
from ..render import inert
from ..words import counted
from .costs import sample_positions
from .dryrun import said_failing
from .progress import one_line
from .texts import Texts

#: a text of one token: its count is the chat template's tokens plus one
PROBE = "."
#: the tokens an embedding model adds to each text (a start and an end mark): the cloud's
#: recordings bill "hello", one token as a word, 3 tokens (tests/test_emulator_embeddings.py)
ADDED_TOKENS = 2


def texts_estimate(texts: list[str], model: str, client: Any, prices: PriceTable) -> tuple[Estimate, list[int]]:
    """The cost of embedding ``texts``, and the tokenizer's counts of the sample it is made from."""
    count = len(texts)
    template = _chat_tokens(client, PROBE) - 1
    counts = [max(_chat_tokens(client, texts[p]) - template, 1) + ADDED_TOKENS for p in sample_positions(count)]
    total = sum(counts) if len(counts) == count else round(sum(counts) / len(counts) * count)
    return estimate(prices, key_model(model), SYNC, requests=count, input_tokens=total), counts


def _chat_tokens(client: Any, text: str) -> int:
    """The tokens of ``text`` as a chat model's user message (the SDK's only tokenizer)."""
    tokens: int = client.count_tokens([{"role": "user", "text": text}], RequestOptions())
    return tokens


def dry_run(texts: Texts, model: str, client: Any, prices: PriceTable,
            secrets: Sequence[Credential]) -> dict[str, str]:
    """The bundle ``--dry-run`` shows for ``%ygpt embed``, its cost by ``prices``. A text that
    holds one of ``secrets`` is counted apart and its row named, as the run names it in
    ``_ygpt.errors`` (it refuses that text alone), not as a refusal of the whole command."""
    failing = _refused(texts, secrets)
    sending = [text for position, text in enumerate(texts.texts) if position not in failing]
    count = len(sending)
    cost, counts = texts_estimate(sending, model, client, prices)
    if len(counts) == count:
        tokens = f"{counted(cost.input_tokens, 'token')} in all by the tokenizer API"
    else:
        average = sum(counts) / len(counts)
        tokens = (f"about {cost.input_tokens:,} tokens in all: estimated from {len(counts)} "
                  f"texts spread over the {count:,}, counted by the tokenizer API "
                  f"({average:.1f} a text on average)")
    what = f"{counted(len(texts.texts), 'text')} to embed"
    if failing:
        what += f" ({count:,} to send, {len(failing):,} that would fail)"
    head = (f"Dry run (embed, model {model}): {what}, {tokens}. "
            f"Nothing was sent. {cost.sentence()}")
    if not failing:
        return inert.bundle(inert.bold(head), plain=head)
    said = said_failing({position: one_line(error) for position, error in failing.items()}, texts.labels)
    return inert.bundle(inert.bold(head), inert.text(said), plain=f"{head}\n{said}")


def _refused(texts: Texts, secrets: Sequence[Credential]) -> dict[int, YGptError]:
    """The texts the run would refuse before sending them, by position: those holding one of
    ``secrets`` (the client's guard refuses them there, each alone)."""
    failing: dict[int, YGptError] = {}
    for position, text in enumerate(texts.texts):
        try:
            guard.check(f"row {texts.labels[position]!r} of {texts.name}", text, secrets, CredentialInText)
        except YGptError as error:
            failing[position] = error
    return failing
