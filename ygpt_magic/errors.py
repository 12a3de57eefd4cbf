"""Every exception a ygpt_magic user can see, with its message.

A notebook user needs to know what happened and what to do next, not where in our code it was
noticed, so IPython must print the message alone, without a traceback. One mechanism does that:
the magic boundary (``magics.YGptMagics.ygpt``, the one entry of every cell and subcommand) turns a
YGptError into a plain ``UsageError`` carrying it as ``.error``. Not subclassing: IPython hides the
traceback only for ``UsageError`` itself (``etype is UsageError`` in ``showtraceback``,
ipython/ipython#14024), and a subclass here would tie every layer, the chat layer included, to
IPython. The panel shows these messages in its status line; Python callers get ordinary
exceptions. Each message is one paragraph. Messages never contain a credential: details that
come from a server go through :func:`_clean`, which masks anything shaped like a key or token.

How client/rpc_errors.py maps a gRPC status (after the SDK's own retries) to these types:

=====================  ===================  ===========================================
gRPC status            exception            constructor
=====================  ===================  ===========================================
(no credentials)       CredentialsMissing   ``CredentialsMissing()``
UNAUTHENTICATED        AuthFailed           ``AuthFailed(endpoint, source=None)``
PERMISSION_DENIED      PermissionDenied     ``PermissionDenied(folder_id=None, detail=None)``
RESOURCE_EXHAUSTED     QuotaExceeded        ``QuotaExceeded(attempts=None, detail=None)``
NOT_FOUND              ModelNotFound        ``ModelNotFound(model, detail=None)``
UNAVAILABLE            ServerUnavailable    ``ServerUnavailable(endpoint, seconds=None)``
INVALID_ARGUMENT       RequestRejected      ``RequestRejected(detail=None)``
DEADLINE_EXCEEDED      ServerTimeout        ``ServerTimeout(endpoint=None, seconds=None)``
 (before our timeout)  ServerGaveUp         ``ServerGaveUp(endpoint, elapsed, detail=None)``
stream went silent     StreamStalled        ``StreamStalled(endpoint, seconds)``
INTERNAL and the rest  ServerFailed         ``ServerFailed(status, detail=None)``
stream ended early     StreamBroken         ``StreamBroken(chunks=0, detail=None, attempt=1)``
=====================  ===================  ===========================================

A request that is too long for the context is ``ContextTooLong(needed, budget)``; the client also
raises it for an INVALID_ARGUMENT whose detail says so, with ``history_turns`` (the earlier turns
sent with it, so the advice fits).
"""

from __future__ import annotations

import re

from .words import counted

_SECRET_SHAPES = re.compile(
    r"(?i)(?:(?:api-key|bearer)\s+\S+)"  # an Authorization header value
    r"|\bAQVN[\w\-]{8,}"  # Yandex Cloud API keys
    r"|\bt1\.[\w\-.]{16,}"  # IAM tokens
    r"|\by[0-3]_[\w\-]{16,}"  # OAuth tokens
)
_DETAIL_LIMIT = 300


def _clean(detail: object) -> str:
    """A server's detail as one short line with anything key-shaped masked."""
    text = " ".join(str(detail or "").split())
    text = _SECRET_SHAPES.sub("***", text)
    if len(text) > _DETAIL_LIMIT:
        text = text[: _DETAIL_LIMIT - 1] + "…"
    return text


def _with_detail(message: str, detail: object) -> str:
    """Append the server's own words, when it gave any, as a quoted sentence."""
    cleaned = _clean(detail)
    return f"{message} The server said: “{cleaned}”." if cleaned else message


class YGptError(Exception):
    """Base of all user-facing errors: ``str(e)`` is one paragraph, what happened + what to do."""


class OptionError(YGptError):
    """A flag or option has a value we cannot use (raised when it is set, before any request)."""


class InterpolationError(YGptError):
    """A ``{name}`` in the cell could not be filled in."""


class UnknownChat(YGptError):
    """A command named a chat that does not exist."""

    def __init__(self, name: str, known: list[str] | tuple[str, ...] = ()) -> None:
        names = ", ".join(f"'{n}'" for n in known) or "none"
        super().__init__(
            f"There is no chat named '{name}'. Existing chats: {names}. Check the name, or start "
            f"it with a %%ygpt cell using --chat {name}."
        )
        self.name = name


class ChatBusy(YGptError):
    """One request in flight per chat: a second one is refused instead of interleaving turns."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"A reply is still streaming into chat '{name}'; wait for it to finish, or press Stop "
            f"in the panel / interrupt the kernel, then run this again."
        )
        self.name = name


class ChatChanged(YGptError):
    """A request was prepared, then another cell or panel changed the chat's turns before it
    was sent; sending it anyway would drop or interleave their turn."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"Chat '{name}' changed while this request was being prepared (another cell or the "
            f"panel added a turn or reset it), so nothing was sent. Run it again to send it with "
            f"the chat as it is now."
        )
        self.name = name


class ChatFileError(YGptError):
    """A chat file could not be saved or loaded; the chats in memory are unchanged."""

    def __init__(self, path: object, problem: str) -> None:
        what = f"the chat file {str(path)!r}" if path is not None else "the chat data"
        super().__init__(
            f"Could not use {what}: {problem.rstrip('.')}. Your current chats are unchanged; "
            f"check the path, or use a file written by %ygpt save."
        )
        self.path = path


class ContextTooLong(YGptError):
    """The request does not fit the context: the prompt alone (found while planning), or the
    whole request as the server counted it (``history_turns``: earlier turns sent with it)."""

    def __init__(self, needed: int | None, budget: int | None, detail: object = None, *,
                 history_turns: int | None = None) -> None:
        numbers = needed is not None and budget is not None
        shorten = "Shorten the cell or the system message, or split the text into several cells"
        if history_turns is None:  # found while planning: only the prompt was counted
            head = (f"This request needs {needed} tokens but the context budget is {budget}, "
                    f"even with no chat history." if numbers
                    else _with_detail("The request is too long for the model's context.", detail))
            todo = f"{shorten}, or raise the budget with %config YGptMagics.context_budget = N."
        else:
            size = f" ({needed} tokens; the model's context holds {budget})" if numbers else ""
            alone = "" if history_turns else ", even with no chat history"
            head = _with_detail(f"The server refused the request as too long for the model's "
                                f"context{size}{alone}.", None if numbers else detail)
            todo = (f"It carried {counted(history_turns, 'earlier turn')}"
                    f" of the chat: set a smaller budget with %config YGptMagics.context_budget "
                    f"= N so older turns are left out, start over with %ygpt reset, or use --once."
                    if history_turns else f"{shorten}.")
        super().__init__(f"{head} {todo}")
        self.needed, self.budget = needed, budget


class CredentialsMissing(YGptError):
    """No credential (API key, IAM/OAuth token, yc profile) or no folder id was found.

    ``found`` names the credential's source when only the folder is missing, so the message
    asks for exactly the part that is missing instead of sending the user after both.
    """

    def __init__(self, *, found: str | None = None, folder: str | None = None) -> None:
        local = "or run %ygpt connect local to use the local server that needs none."
        if found and not folder:
            text = (f"A credential was found ({found}) but no folder id. Set YC_FOLDER_ID in "
                    f"the environment (the folder the requests are billed to), or run "
                    f"%ygpt auth to enter it, {local}")
        elif folder:
            text = ("A folder id was found but no API key or token. Set YC_API_KEY (or "
                    "YC_IAM_TOKEN / YC_OAUTH_TOKEN) in the environment, or run %ygpt auth to "
                    f"enter it without saving it in the notebook, {local}")
        else:
            text = ("No Yandex Cloud credentials were found. Set YC_API_KEY (or YC_IAM_TOKEN / "
                    "YC_OAUTH_TOKEN) and YC_FOLDER_ID in the environment, or run %ygpt auth to "
                    f"enter them without saving them in the notebook, {local}")
        super().__init__(text)


class AuthFailed(YGptError):
    """UNAUTHENTICATED: the credential was sent and refused."""

    def __init__(self, endpoint: str, source: str | None = None) -> None:
        which = f" from {source}" if source else ""
        super().__init__(
            f"{endpoint} refused the credential{which} (UNAUTHENTICATED): the key or token is "
            f"wrong, revoked or expired. Run %ygpt auth to enter a new one, or check YC_API_KEY / "
            f"YC_IAM_TOKEN (IAM tokens expire after 12 hours); %ygpt whoami shows what is used."
        )
        self.endpoint = endpoint


class PermissionDenied(YGptError):
    """PERMISSION_DENIED: the identity is valid but may not use the model in this folder."""

    def __init__(self, folder_id: str | None = None, detail: object = None) -> None:
        folder = f"folder {folder_id}" if folder_id else "the folder"
        super().__init__(
            _with_detail(
                f"The credential is valid but has no permission to use YandexGPT in {folder} "
                f"(PERMISSION_DENIED). Grant the service account the ai.languageModels.user role "
                f"on that folder, or set YC_FOLDER_ID to a folder it can use.",
                detail,
            )
        )


class QuotaExceeded(YGptError):
    """RESOURCE_EXHAUSTED after the SDK's retries."""

    def __init__(self, attempts: int | None = None, detail: object = None) -> None:
        tries = f" after {attempts} attempts" if attempts else ""
        super().__init__(
            _with_detail(
                f"Yandex Cloud's quota or rate limit was exceeded{tries} (RESOURCE_EXHAUSTED). "
                f"Wait a minute and run the cell again, send fewer requests at once, or ask for a "
                f"higher quota in the cloud console.",
                detail,
            )
        )


class ModelNotFound(YGptError):
    """NOT_FOUND: the model URI does not name a model this folder can use."""

    def __init__(self, model: str, detail: object = None) -> None:
        super().__init__(
            _with_detail(
                f"The model '{model}' was not found (NOT_FOUND). Use a short name such as "
                f"yandexgpt or yandexgpt-lite, name/version such as yandexgpt/rc, or a full "
                f"gpt://<folder_id>/<model>/<version> URI; %ygpt models lists them.",
                detail,
            )
        )
        self.model = model


class ServerUnavailable(YGptError):
    """UNAVAILABLE, or nothing listening: names the endpoint so the user can check it."""

    def __init__(self, endpoint: str, seconds: float | None = None) -> None:
        waited = f" within {seconds:g} s" if seconds is not None else ""
        super().__init__(
            f"Could not reach the server at {endpoint}{waited} (UNAVAILABLE). Check the network "
            f"and the address, start the local server with %ygpt connect local, or try again in "
            f"a moment."
        )
        self.endpoint = endpoint


class RequestRejected(YGptError):
    """INVALID_ARGUMENT: the server refused a value in the request."""

    def __init__(self, detail: object = None) -> None:
        super().__init__(
            _with_detail(
                "The server rejected the request as invalid (INVALID_ARGUMENT). Check the options "
                "(temperature 0..1, max tokens, model) with %ygpt config, and the cell's text.",
                detail,
            )
        )


class ServerTimeout(YGptError):
    """The request took longer than the request timeout (``YGptMagics.timeout``) and was stopped."""

    def __init__(self, endpoint: str | None = None, seconds: float | None = None) -> None:
        where = f" from {endpoint}" if endpoint else ""
        within = f" within {seconds:g} s (the request timeout)" if seconds is not None else " in time"
        raise_it = f"%config YGptMagics.timeout = {_twice(seconds, 360)}"
        super().__init__(
            f"No answer arrived{where}{within}, so the request was stopped. Run the cell again; "
            f"for long replies raise the limit with {raise_it}, or use --deferred."
        )
        self.seconds = seconds


class StreamStalled(ServerTimeout):
    """A stream went silent (no new chunk) for longer than ``YGptMagics.stream_timeout``."""

    def __init__(self, endpoint: str, seconds: float) -> None:
        YGptError.__init__(
            self,
            f"The reply stream from {endpoint} went silent for {seconds:g} s (the stream "
            f"timeout), so the request was stopped; nothing was added to the chat. Run the cell "
            f"again; if the model pauses for longer, raise the limit with %config "
            f"YGptMagics.stream_timeout = {_twice(seconds, 120)}, or use --deferred.",
        )
        self.seconds = seconds


class ServerGaveUp(ServerTimeout):
    """DEADLINE_EXCEEDED from the server itself, before our own timeout: its deadline, not ours."""

    def __init__(self, endpoint: str, elapsed: float, detail: object = None) -> None:
        YGptError.__init__(
            self,
            _with_detail(
                f"{endpoint} gave up on the request after {elapsed:.1f} s, reporting that its "
                f"own deadline was exceeded (DEADLINE_EXCEEDED). This is on the server's side: "
                f"run the cell again in a moment; for long replies use --deferred.",
                detail,
            ),
        )
        self.seconds = elapsed


def _twice(seconds: float | None, fallback: int) -> str:
    """A suggested new limit: double the current one."""
    return f"{seconds * 2:g}" if seconds else str(fallback)


class ServerFailed(YGptError):
    """INTERNAL and every other status without a better type."""

    def __init__(self, status: str, detail: object = None) -> None:
        super().__init__(
            _with_detail(
                f"The server failed to answer ({status}). This is on the server's side: run the "
                f"cell again in a moment; if it keeps failing, check the Yandex Cloud status page.",
                detail,
            )
        )
        self.status = status


class StreamBroken(YGptError):
    """The stream ended before the final chunk and the SDK's retries did not recover it."""

    def __init__(self, chunks: int = 0, detail: object = None, attempt: int = 1) -> None:
        after = f" after {counted(chunks, 'chunk')}" if chunks else ""
        if attempt > 1:
            after += f" of attempt {attempt} (the earlier ones broke off too)"
        super().__init__(
            _with_detail(
                f"The reply stream broke off{after} before the answer was complete; nothing was "
                f"added to the chat. Run the cell again, or use --no-stream.",
                detail,
            )
        )


class CacheUnusable(YGptError):
    """The reply cache file cannot be used (not a cache, damaged, from a newer version,
    read-only, disk full). Outside replay mode the cell runs uncached and says so in one line;
    in replay mode it is refused with this message."""

    def __init__(self, path: object, problem: str) -> None:
        self.path, self.problem = path, problem.rstrip(".")
        super().__init__(
            f"The reply cache {str(path)!r} cannot be used: {self.problem}. In replay mode nothing "
            f"is sent without it: fix the path (%ygpt cache PATH), record a new cache with "
            f"%ygpt cache --mode auto against a server, or switch the cache off with "
            f"%ygpt cache --mode off."
        )

    def line(self) -> str:
        """The one line a cell shows when it ran uncached because of this."""
        return f"ygpt cache: {str(self.path)!r} was not used ({self.problem}); this reply was not cached."


class CacheMiss(YGptError):
    """Replay mode (``YGPT_CACHE_MODE=replay``, for CI) found no recording for a request."""

    def __init__(self, path: object, cell: str) -> None:
        super().__init__(
            f"No recorded reply for {cell} in the reply cache {str(path)!r}, and the cache is in "
            f"replay mode, so nothing was sent. The cell, its flags, the model or an earlier turn "
            f"of its chat changed since the cache was recorded: record it again against a server "
            f"(YGPT_CACHE_MODE=auto, or %ygpt cache --mode auto) and commit the cache file."
        )
        self.cell = cell


class ToolError(YGptError):
    """A ``--tools`` function cannot be offered to the model (raised before any request), or
    the tool loop had to stop; the chat is unchanged either way."""


class SchemaError(ToolError):
    """A ``--schema`` value is not a schema pydantic or JSON Schema can describe."""


class ReplyNotValid(YGptError):
    """A typed answer did not validate against its schema; the reply itself was kept."""

    def __init__(self, schema: str, problem: str) -> None:
        super().__init__(
            f"The answer does not fit the schema {schema}: {problem}. The raw text is in "
            f"_ygpt.text and the turn is in the chat; run the cell again, or loosen the schema "
            f"(Optional fields, plainer types)."
        )
        self.schema = schema


class ToolRoundsExceeded(ToolError):
    """The model kept asking for tools after the allowed number of rounds."""

    def __init__(self, rounds: int) -> None:
        super().__init__(
            f"The model still asked for tools after {counted(rounds, 'round')} of calls, so the "
            f"loop stopped and nothing was added to the chat. Ask more precisely, use "
            f"--tool-choice auto rather than required, or raise YGptMagics.max_tool_rounds."
        )
        self.rounds = rounds


class DataExtraMissing(YGptError):
    """Batch jobs read and write datasets as parquet, which needs pyarrow (the ``data`` extra)."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} needs pyarrow, which is not installed in this environment. Install the data "
            f"extra (pip install 'ygpt-magic[data]'), restart the kernel and run the cell again."
        )


class DatasetRejected(YGptError):
    """The service refused the uploaded rows (dataset validation): nothing was started."""

    def __init__(self, problems: list[str]) -> None:
        shown = "; ".join(_clean(p) for p in problems[:3]) or "no reason given"
        more = f" (and {counted(len(problems) - 3, 'more problem')})" if len(problems) > 3 else ""
        super().__init__(f"The batch service rejected the uploaded rows, so no job was started: "
                         f"{shown}{more}. Fix those rows and run the cell again, or drop --batch.")


class BatchFailed(YGptError):
    """A batch job ended FAILED (or CANCELED) with no answers: the reason is the service's."""

    def __init__(self, task_id: str, status: str, reason: str) -> None:
        super().__init__(
            f"The batch job {task_id} ended {status}: {_clean(reason).rstrip('.') or 'no reason given'}. "
            f"Nothing was answered; use a model that supports Batch Processing (e.g. --model "
            f"gemma-3-12b-it or qwen2.5-32b-instruct), or run the cell without --batch.")
        self.task_id, self.status = task_id, status


class BatchUnknown(YGptError):
    """A `%ygpt batch` subcommand named a job the service does not know."""

    def __init__(self, task_id: str) -> None:
        super().__init__(f"There is no batch job {task_id!r} in this folder; %ygpt batch list "
                         f"shows the jobs there are.")


class CredentialInPrompt(YGptError):
    """The prompt would carry a credential (or a long part of one): refused before sending."""

    def __init__(self, where: str, credential: str) -> None:
        super().__init__(
            f"Nothing was sent: {where} contains your {credential} (or a long part of it), and a "
            f"credential must never go to a model inside a prompt. Remove it from there (or "
            f"leave that reference out of the cell), then run the cell again."
        )
        self.where = where


class NothingToFix(YGptError):
    """`%ygpt fix` found no failed cell to work on."""


class ImageError(YGptError):
    """``--image NAME`` names nothing usable as a picture (unknown, not an image, a type that is
    none, a library missing); found before anything is sent."""


class ImagesNotTaken(YGptError):
    """The request's model takes no pictures (the catalogue says which do)."""

    def __init__(self, model: str, image_models: tuple[str, ...]) -> None:
        which = ", ".join(image_models) or "none listed"
        super().__init__(
            f"The model '{model}' does not take images, so nothing was sent. Run the cell with "
            f"--model {image_models[0] if image_models else 'NAME'} (models that take images: "
            f"{which}; %ygpt models marks them), or without pictures (--image, {{Out[N]}} of "
            f"a picture)."
        )
        self.model = model


class NoChatEndpoint(YGptError):
    """Pictures go over the chat API (HTTP), and the HOST:PORT target has no HTTP address."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(
            f"Pictures go through the chat API over HTTP, and {endpoint} has no HTTP address "
            f"set, so nothing was sent. Give it with %ygpt connect {endpoint} --http "
            f"http://HOST:HTTP_PORT (the address `ygpt-magic serve` prints after READY), or "
            f"set YGPT_HTTP_ENDPOINT."
        )
        self.endpoint = endpoint
