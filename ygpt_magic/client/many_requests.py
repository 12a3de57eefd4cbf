"""Many requests of one kind at once: ``--map`` rows, ``--labels`` rows, embeddings of many texts.

Kept apart from the Client (sdk.py), which lends this module its loop, credential guard, models,
connect check and error translation, as it lends them to a Stream (stream.py) and to BatchJobs
(batch.py). Each kind becomes a :class:`~.many.ManyJob` on the client's loop the same way:
- The credentials are checked once, before anything runs; each request passes the guard on its
  own, inside its coroutine, so a row that carries a credential fails alone and is never sent.
- What every request shares (the SDK model for one set of options, a classifier's samples and
  labels, the kernel's secrets) is made or read once per job, not once per row.
- A failure is translated where it happens, said of the request's model and of what was asked
  (a completion, a classification, an embedding), since the row's error is all its user sees.
- The job backs off while the server says RESOURCE_EXHAUSTED and asks after the server
  (watch.py) when rows fail as a dead server would make them fail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..chat.options import RequestOptions
from ..chat.values import Extras, Message
from ..errors import QuotaExceeded, YGptError
from . import classify as classifiers
from . import guard, message_size
from .chunks import SdkAnswer, grpc_chunk
from .many import AdaptiveLimit, ManyJob, Result
from .models import named
from .tools import sdk_messages
from .watch import Watch

if TYPE_CHECKING:
    from .sdk import Client

#: called on the client's loop with each result as it ends, before the next request starts
OnResult = Callable[[Result], None] | None


def completions(client: Client, requests: Iterable[tuple[Any, list[Message], RequestOptions]],
                concurrency: int, extras: Extras, on_result: OnResult = None) -> ManyJob:
    """``Client.complete_many``: one SDK model per distinct options, made on first use."""
    client._check_credentials()
    models: dict[RequestOptions, Any] = {}
    secrets = client._secrets()   # read once per job: one cell's rows, not one read per row

    def request(tag: Any, messages: list[Message],
                options: RequestOptions) -> tuple[Any, Callable[[], Coroutine[Any, Any, SdkAnswer]]]:
        model = models.get(options)
        if model is None:
            model = models[options] = client._model(options, extras)

        async def run() -> SdkAnswer:
            started = time.monotonic()
            client._guard(messages, extras, secrets)  # a row's credential fails it alone
            message_size.check(messages, extras)
            try:
                return grpc_chunk(await model.run(sdk_messages(messages), timeout=client.settings.timeout), None)
            except (YGptError, asyncio.CancelledError):
                raise
            except Exception as exc:
                raise client._translate(exc, model=options.model, started=started, messages=messages) from None
        return tag, run

    return _job(client, (request(*item) for item in requests), concurrency, on_result)


def classifications(client: Client, classifier: classifiers.Classifier, texts: Iterable[tuple[Any, str]],
                    concurrency: int, on_result: OnResult = None) -> ManyJob:
    """``Client.classify_many``: the classifier's extras guarded once, each text on its own."""
    client._check_credentials()
    client._guard(classifier.messages(""), classifier.extras())  # samples, labels, task: every row sends them
    model = classifiers.sdk_model(client._get_sdk(), classifier)
    secrets = client._secrets()   # read once per job, as for completions

    async def run(text: str) -> classifiers.Classification:
        started = time.monotonic()
        client._guard([{"role": "user", "text": text}], {}, secrets)  # fails it alone
        try:
            return classifiers.classification(await model.run(text, timeout=client.settings.timeout))
        except Exception as exc:
            raise client._translate(exc, model=classifier.model, started=started,
                                    asked="classification") from None
    return _job(client, ((tag, lambda text=text: run(text)) for tag, text in texts), concurrency, on_result)


def embeddings(client: Client, texts: Iterable[tuple[Any, str]], model: str, concurrency: int,
               on_result: OnResult = None) -> ManyJob:
    """``Client.embed_many``: the model name checked before anything is sent (embeddings.py)."""
    from .embeddings import embed_many, embedding_model

    client._check_credentials()
    name = embedding_model(model)
    sdk_model = named(client._get_sdk().models.text_embeddings, name)
    secrets = client._secrets()   # read once per call: one cell's texts, not one read per text
    return embed_many(
        client.loop, sdk_model, texts, concurrency=concurrency, timeout=client.settings.timeout,
        guard=lambda text: guard.check("the text", text, secrets), secrets=secrets,
        translate=lambda exc, started: client._translate(exc, model=name, started=started, asked="embedding"),
        prepare=client._ensure_reachable, watch=_watch(client), on_result=on_result)


def _job(client: Client, requests: Iterator[Any], concurrency: int, on_result: OnResult) -> ManyJob:
    """A ManyJob on the client's loop that backs off while the server is out of quota; each
    result also goes to ``on_result`` on the loop as it ends (a cost cap settles it there)."""
    return ManyJob(client.loop, requests, AdaptiveLimit(concurrency),
                   exhausted=lambda error: isinstance(error, QuotaExceeded),
                   prepare=client._ensure_reachable, watch=_watch(client), on_result=on_result)


def _watch(client: Client) -> Watch:
    """How a many-request job asks whether the client's endpoint still listens (watch.py)."""
    return Watch(client.endpoint, probe=lambda: client._ensure_reachable(again=True))
