"""Client: the only module that talks to the Yandex Cloud ML SDK.

Why it looks like this:
- The SDK is imported on the first request, not when the extension loads (`%load_ext` stays
  instant), with its deprecation warning silenced and its loggers kept off stderr.
- `AsyncYCloudML` runs on this client's own event-loop thread: grpc.aio objects must stay on one
  loop, and the caller's thread (the kernel's main thread) must stay free to take Ctrl-C. The
  main thread waits on a queue / future; an interrupt there cancels the RPC on the loop.
- Beside each request (after a pause) we open a plain TCP connection with a short timeout, so
  a dead endpoint fails in seconds instead of after the SDK's retries and 60–180 s deadlines
  (reach.py: beside, not before, so a working endpoint pays no round trip for it).
- Every SDK/gRPC failure becomes one errors.py type with a message built from the status code
  and details only (the SDK's exception text carries internals; see rpc_errors.py).
- A request with pictures goes over the SDK's chat API (chat_api.py) and comes back as the same
  answers (chat.values.Answer), so callers never ask which API answered.
- Many requests at once (``--map``, ``--labels``, embeddings) are jobs made by many_requests.py
  from this client's guard, models and translation; the methods callers use stay here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from ..chat.options import RequestOptions
from ..chat.values import Extras, Message
from ..errors import (
    CredentialMalformed,
    CredentialsMissing,
    FolderIsCredential,
    NoChatEndpoint,
    OptionError,
    YGptError,
)
from . import chat_api, guard, many_requests, message_size, operation, rpc_errors
from . import classify as classifiers
from .channels import SdkSlot
from .chunks import SdkAnswer, chat_chunk, grpc_chunk
from .credentials import (
    NO_CREDENTIAL,
    Credential,
    fetched_anew,
    find_credential,
    find_folder,
    header_safe,
    known_secrets,
)
from .endpoints import CLOUD_ENDPOINT, parse_endpoint, url_address
from .loop import LoopThread
from .models import configured
from .reach import Reachability, Target
from .settings import DEFAULTS, ClientSettings
from .stream import Stream
from .tools import configure_settings, sdk_messages

if TYPE_CHECKING:
    from .batch import BatchJobs
    from .many import ManyJob

_T = TypeVar("_T")


class Client:
    """Run / stream / deferred / tokenize against one endpoint with one credential."""

    def __init__(self, *, endpoint: str = "cloud", insecure: bool = False, auth: str | None = None,
                 folder_id: str | None = None, local: bool = False,
                 settings: ClientSettings = DEFAULTS, chat_url: str | None = None):
        """``chat_url``: the chat API's base URL (``http://HOST:PORT/v1/``) for requests with
        pictures; None is the SDK's own (right for the cloud only: a HOST:PORT target without
        one refuses pictures with NoChatEndpoint)."""
        self.endpoint = CLOUD_ENDPOINT if endpoint == "cloud" else endpoint
        self._address = parse_endpoint(self.endpoint)
        self.chat_url = chat_url
        self.insecure = insecure or local
        self.local = local
        self.settings = settings
        self._auth = auth
        self.credential: Credential = find_credential(auth, local=local)
        self.folder = find_folder(folder_id, local=local)
        self.folder_id = self.folder.id
        self._sdks = SdkSlot(self._build_sdk)
        # the cloud always speaks TLS: a hello there would only add a round trip to each check
        self._reach = Reachability(settings.connect_timeout, lost=self._sdks.drop,
                                   tls=not self.insecure and self.endpoint != CLOUD_ENDPOINT)
        self._clean = guard.CleanTexts()  # history texts already checked by _guard
        self._loop = LoopThread(name=f"ygpt-client-{self.endpoint}")

    def __repr__(self) -> str:
        return f"<Client {self.endpoint} credential={self.credential.source!r}>"

    # -- requests -----------------------------------------------------------------------------

    def stream(self, messages: list[Message], options: RequestOptions, *, slow: Callable[[], None] | None = None,
               due: Callable[[], float | None] | None = None, **extras: Any) -> Stream:
        """Start a streamed completion; iterate the result for answers (each the whole text so far).
        A stream silent for ``settings.stream_timeout`` seconds stops with StreamStalled;
        ``slow`` is called if the first chunk takes longer than ``loop.SLOW_AFTER`` (the caller
        draws its waiting line then); with ``due`` (the seconds until the caller's held text is
        due), the stream also yields None when that comes before the next chunk (stream.py).

        ``extras`` (every request method takes them): ``tools``, the declarations
        (``[{"name", "description", "parameters"}]``), and ``response_format``, a JSON schema
        (``{"name", "json_schema"}``); the tool choice is ``options.tool_choice``."""
        self._check_credentials()
        self._guard(messages, extras)
        return Stream(self, list(messages), options, extras, slow, due)

    def complete(self, messages: list[Message], options: RequestOptions, *, slow: Callable[[], None] | None = None,
                 **extras: Any) -> SdkAnswer:
        """One request, no streaming; ``slow`` is called if its answer takes longer than
        ``loop.SLOW_AFTER`` (the caller draws its waiting line then)."""
        self._guard(messages, extras)
        to_chunk = self._route(messages, extras)

        async def run() -> Any:  # the SDK's result
            model, payload, target = self._prepare(messages, options, extras, to_chunk)
            async with self._reach.beside(target):
                return await model.run(payload, timeout=self.settings.timeout)
        return to_chunk(self._call(run, options, messages, slow=slow, chat=to_chunk is chat_chunk), None)

    def deferred(self, messages: list[Message], options: RequestOptions,
                 on_wait: Callable[[float], None], **extras: Any) -> SdkAnswer:
        """Asynchronous mode: start an operation, poll it, call on_wait(seconds) between polls
        (operation.py: from the caller's thread, bounded by the request timeout). The chat API
        has no deferred mode, so pictures are refused here rather than dropped.
        """
        if chat_api.has_pictures(messages):
            raise OptionError("Pictures go through the chat API, which has no deferred mode: run the "
                              "cell without --deferred.")
        self._guard(messages, extras)
        message_size.check(messages, extras)

        async def start() -> Any:  # the SDK's operation
            await self._ensure_reachable()
            return await self._model(options, extras).run_deferred(sdk_messages(messages),
                                                                   timeout=self.settings.timeout)
        return operation.await_answer(self, self._call(start, options, messages), options, on_wait)

    @property
    def loop(self) -> LoopThread:
        """The loop thread every SDK call of this client runs on; client/stream.py streams on it
        and client/operation.py cancels an operation on it."""
        return self._loop

    def beside_reach(self, make_coro: Callable[[], Awaitable[_T]], options: RequestOptions | None, *,
                     connect_first: bool = False, grace: float = 0.0) -> _T:
        """``_call`` with the connect check beside the call (reach.py), as a streamed or unary
        request has: a server that stops while it holds the call sends neither an answer nor an
        error, and gRPC would wait for it to come back until the request timeout. A call
        answered within ``reach.QUIET_AFTER`` seconds costs no connect. ``connect_first``: ask
        before the call too, for calls the SDK would otherwise give its own 60 s deadline;
        ``grace``: as LoopThread.run takes it.
        The seam of the calls made outside this module: client/operation.py's polls of a
        deferred request and client/batch.py's dataset and batch-job calls."""
        async def reached() -> _T:
            if connect_first:
                await self._ensure_reachable(again=True)
            async with self._reach.beside(self._target(chat=False)):
                return await make_coro()
        return self._call(reached, options, grace=grace)

    def complete_many(self, requests: Iterable[tuple[Any, list[Message], RequestOptions]], *,
                      concurrency: int, on_result: many_requests.OnResult = None, **extras: Any) -> ManyJob:
        """Requests without streaming, at most ``concurrency`` in flight (fewer while the server
        says RESOURCE_EXHAUSTED): ``(tag, messages, options)`` in, ``(tag, Answer, None)`` or
        ``(tag, None, YGptError)`` out of the job's ``results()``, as they finish (and to
        ``on_result`` on the client's loop, before the next request is pulled); ``extras``
        (a schema) apply to every request (many_requests.py)."""
        return many_requests.completions(self, requests, concurrency, extras, on_result)

    def classify(self, classifier: classifiers.Classifier, text: str) -> classifiers.Classification:
        """One text's labels and confidences (client/classify.py), guarded and translated."""
        self._guard(classifier.messages(text), classifier.extras())

        async def run() -> Any:  # the SDK's classification
            await self._ensure_reachable()
            return await classifiers.sdk_model(self._get_sdk(), classifier).run(text, timeout=self.settings.timeout)
        return classifiers.classification(self._call(run, RequestOptions(model=classifier.model),
                                                     asked="classification"))

    def classify_many(self, classifier: classifiers.Classifier, texts: Iterable[tuple[Any, str]], *,
                      concurrency: int, on_result: many_requests.OnResult = None) -> ManyJob:
        """``(tag, text)`` in, ``(tag, Classification | None, error)`` out, as complete_many."""
        return many_requests.classifications(self, classifier, texts, concurrency, on_result)

    def embed_many(self, texts: Iterable[tuple[Any, str]], *, model: str, concurrency: int,
                   on_result: many_requests.OnResult = None) -> ManyJob:
        """Embeddings of many texts, at most ``concurrency`` in flight (embeddings.py):
        ``(tag, text)`` in, ``(tag, Vector, None)`` or ``(tag, None, YGptError)`` out (and to
        ``on_result`` on the client's loop, as complete_many); ``model`` is ``doc``, ``query``
        or an ``emb://`` URI (OptionError for anything else)."""
        return many_requests.embeddings(self, texts, model, concurrency, on_result)

    @property
    def batch(self) -> BatchJobs:
        """Batch Processing jobs on this endpoint (``client/batch.py``)."""
        from .batch import BatchJobs

        return BatchJobs(self)

    def count_tokens(self, messages: list[Message], options: RequestOptions, **extras: Any) -> int:
        """Tokens the model would read for these messages (the tokenizer API, not a guess); the
        text only: a picture's cost is the caller's to add (chat/pictures.py PICTURE_TOKENS).
        Counting sends the text too, so it passes the same guard."""
        self._guard(messages, extras)
        message_size.check(chat_api.text_messages(messages), extras)

        async def run() -> Any:  # the SDK's tokens
            await self._ensure_reachable()
            return await self._model(options, extras).tokenize(
                sdk_messages(chat_api.text_messages(messages)), timeout=self.settings.timeout)
        return len(self._call(run, options))

    def count_tokens_each(self, requests: Sequence[list[Message]], options: RequestOptions,
                          slow: Callable[[], None] | None = None, **extras: Any) -> list[int]:
        """:meth:`count_tokens` of each message list, asked all at once: the turns of a long chat
        that a model has not counted yet cost one round trip, not one each (98 of them were 11 s
        at the cloud's pace), and so do the rows a --map estimate samples. ``slow`` as in
        LoopThread.run (the cell's waiting line); ``extras`` as for :meth:`count_tokens` (a
        --schema), the same for every list. The kernel's secrets are read once for all of them,
        as a --map job reads them (many_requests.py), not once a list."""
        texts = [chat_api.text_messages(messages) for messages in requests]
        secrets = self._secrets()
        for messages in texts:
            self._guard(messages, extras, secrets)
            message_size.check(messages, extras)

        async def run() -> list[int]:  # the SDK's tokens, for every list
            await self._ensure_reachable()
            model = self._model(options, extras)
            found = await asyncio.gather(*(model.tokenize(sdk_messages(messages), timeout=self.settings.timeout)
                                           for messages in texts), return_exceptions=True)
            failed = [tokens for tokens in found if isinstance(tokens, BaseException)]
            if failed:   # the first failure is the answer; the others were waited for
                raise failed[0]
            return [len(tokens) for tokens in found if not isinstance(tokens, BaseException)]
        return self._call(run, options, slow=slow)

    def close(self) -> None:
        """Stop the loop thread, then close the SDK's channels (channels.SdkSlot.close)."""
        self._loop.stop()
        self._sdks.close()

    # -- internals ----------------------------------------------------------------------------

    def _call(self, make_coro: Callable[[], Coroutine[Any, Any, _T]], options: RequestOptions | None,
              messages: list[Message] | None = None, slow: Callable[[], None] | None = None,
              chat: bool = False, asked: str = "completion", grace: float = 0.0) -> _T:
        """Run a coroutine on the loop thread and wait for it here (``slow`` and ``grace`` as in
        LoopThread.run); errors come back mapped (``chat``: it went over the chat API; ``asked``:
        what the request was, rpc_errors.translate)."""
        self._check_credentials()
        started = time.monotonic()
        try:
            return self._loop.run(make_coro(), slow, grace)
        except (YGptError, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise self._translate(exc, model=options.model if options else None, started=started,
                                  messages=messages or (), chat=chat, asked=asked) from None

    def _translate(self, exc: BaseException, *, model: str | None, started: float,
                   messages: Sequence[Message] = (), chunks: int = 0, attempt: int = 1,
                   chat: bool = False, asked: str = "completion") -> YGptError:
        """Our error for ``exc``, raised by a request of ``messages`` (none: a classification,
        an embedding, as ``asked`` says), said of where it went: ``chat``, the chat API's
        address (its route, _route)."""
        # gRPC's connect failed while the connect beside the call got through, and the channels of
        # an SDK dropped before live on (channels.py): their reconnect delay, not the server's absence
        connect_failed = rpc_errors.connect_failed(exc)
        stale = connect_failed and self._sdks.stuck and self._reach.accepted_since(self.endpoint, started)
        if rpc_errors.is_unavailable(exc):
            self._reach.forget()
        if connect_failed or rpc_errors.speaks_http1(exc) or (
                rpc_errors.is_unauthenticated(exc) and fetched_anew(self.credential)):
            self._sdks.drop()   # fresh channels (closed at close); a fresh auth object, which fetches a new token
        return rpc_errors.translate(exc, endpoint=self._target(chat)[0], credential=self.credential,
                                    folder=self.folder_id, model=model, retries=self.settings.retries,
                                    timeout=self.settings.timeout, after_chunks=chunks, attempt=attempt,
                                    elapsed=time.monotonic() - started, history_turns=history_turns(messages),
                                    stale=stale, chat_api=chat, asked=asked,
                                    pictures=chat_api.picture_sizes(messages))

    def _guard(self, messages: Iterable[Message], extras: Extras,
               secrets: Sequence[Credential] | None = None) -> None:
        """CredentialInPrompt before anything is sent if this request carries a credential this
        kernel knows (guard.py): every request method calls it, whatever door it came from.
        ``secrets``: the kernel's, read once by a caller that guards many requests (a job's rows:
        the environment read per row was 20,000 reads), else read now."""
        guard.check_request(list(messages), extras, self._secrets() if secrets is None else secrets, self._clean)

    def _secrets(self) -> tuple[Credential, ...]:
        known = known_secrets(self._auth)
        own = self.credential
        return known if own.secret is None or own in known else (*known, own)

    def _check_credentials(self) -> None:
        if self.folder.looks_like:
            raise FolderIsCredential(self.folder.source, self.folder.looks_like)
        found = None if self.credential is NO_CREDENTIAL else self.credential.source
        if found is None or not self.folder_id:
            raise CredentialsMissing(found=found, folder=self.folder_id,
                                     server=None if self.endpoint == CLOUD_ENDPOINT else self.endpoint)
        if not header_safe(self.credential):
            raise CredentialMalformed(found)

    def check_reachable(self) -> None:
        """ServerUnavailable now, naming the endpoint, if nothing answers there (for
        `%ygpt connect`, so "connected" is never said of an address where nothing listens)."""
        self._loop.run(self._ensure_reachable())

    async def _ensure_reachable(self, *, again: bool = False) -> None:
        """ServerUnavailable within the connect timeout if nothing listens (reach.py), before
        requests that are not raced against it (deferred, tokenizer, batch, many); ``again``:
        connect even if the endpoint accepted a connection lately."""
        await self._reach.check(self._target(chat=False), again=again)

    def _target(self, chat: bool) -> Target:
        """Where a request goes: the chat API's own address when it has one, else the endpoint."""
        if chat and self.chat_url:
            return self.chat_url, url_address(self.chat_url)
        return self.endpoint, self._address

    def _route(self, messages: list[Message], extras: Extras) -> Callable[[Any, SdkAnswer | None], SdkAnswer]:
        """How this request's results become answers: over the chat API when it carries pictures
        (refused up front when this target has no chat API, or with tools or a schema, which
        this client sends over gRPC only), else gRPC (a request too big for one gRPC message is
        refused here). _prepare goes the same way: it takes
        the route rather than looking through the messages for pictures again."""
        if not chat_api.has_pictures(messages):
            message_size.check(messages, extras)
            return grpc_chunk
        if extras:
            raise OptionError("Pictures and --tools / --schema do not go together yet: pictures "
                              "travel by the chat API, tools and schemas by gRPC. Send the picture "
                              "in a cell of its own, then use the tools in the next cell.")
        if self.chat_url is None and self.endpoint != CLOUD_ENDPOINT:
            raise NoChatEndpoint(self.endpoint, insecure=self.insecure)
        return chat_chunk

    def _prepare(self, messages: list[Message], options: RequestOptions, extras: Extras,
                 route: Callable[[Any, SdkAnswer | None], SdkAnswer]) -> tuple[Any, list[Any], Target]:
        """The SDK model for this request, the messages as it takes them, and where it goes,
        by its ``route`` (see _route)."""
        if route is chat_chunk:
            return (chat_api.chat_model(self._get_sdk(), options, self._retry_policy), chat_api.chat_messages(messages),
                    self._target(chat=True))
        return self._model(options, extras), sdk_messages(messages), self._target(chat=False)

    def _model(self, options: RequestOptions, extras: Extras | None = None) -> Any:
        """The SDK model object for these options (short name, name/version, or gpt:// URI).

        ``options`` are a request's resolved options (``planning.resolve``; a Plan's are), so
        the model is always set; unset temperature and max_tokens are left to the model."""
        sdk = self._get_sdk()
        extras = extras or {}
        return configured(sdk.models.completions, options, reasoning_mode="ENABLED_HIDDEN",
                          extra=configure_settings(sdk, extras.get("tools", ()), options.tool_choice,
                                                   extras.get("response_format")))

    def _get_sdk(self) -> Any:
        """The SDK object; a new one, on fresh channels, after the server was found gone (channels.py)."""
        return self._sdks.get()

    @cached_property
    def _retry_policy(self) -> Any:
        """The SDK's retry policy, sized by this client's settings: made once, with the first SDK
        (it imports the SDK), and kept here beside it, since the SDK holds it only inside its gRPC
        interceptors and its chat API is retried by it too (chat_api.chat_model)."""
        from . import loader as sdk_loader

        return sdk_loader.make_policy(retries=self.settings.retries, retry_backoff=self.settings.retry_backoff)

    def _build_sdk(self) -> Any:
        from . import loader as sdk_loader  # the first request pays for the SDK import, not %load_ext

        return sdk_loader.make_sdk(
            endpoint=self.endpoint, insecure=self.insecure, credential=self.credential,
            folder_id=self.folder_id, retry_policy=self._retry_policy, chat_url=self.chat_url)


def history_turns(messages: Sequence[Message]) -> int:
    """Earlier turns sent with a request (one assistant message each), for error advice."""
    return sum(1 for message in messages if message.get("role") == "assistant")
