"""What the service (or the way to it) said, after the SDK's own retries, as our errors.

How client/rpc_errors.py maps a gRPC status to these types:

=====================  ===================  ===========================================
gRPC status            exception            constructor
=====================  ===================  ===========================================
(no credentials)       CredentialsMissing   ``CredentialsMissing()``
UNAUTHENTICATED        AuthFailed           ``AuthFailed(endpoint, source=None)``
PERMISSION_DENIED      PermissionDenied     ``PermissionDenied(folder_id=None, detail=None)``
RESOURCE_EXHAUSTED     QuotaExceeded        ``QuotaExceeded(attempts=None, detail=None)``
NOT_FOUND              ModelNotFound        ``ModelNotFound(model, detail=None)``
UNAVAILABLE            ServerUnavailable    ``ServerUnavailable(endpoint, seconds=None, refused=False)``
 (gRPC's reconnect     ReconnectPending     ``ReconnectPending(endpoint)``
 delay, server back)
 (TLS handshake)       TlsFailed            ``TlsFailed(endpoint, details="", plaintext=False)``
INVALID_ARGUMENT       RequestRejected      ``RequestRejected(detail=None)``
DEADLINE_EXCEEDED      ServerTimeout        ``ServerTimeout(endpoint=None, seconds=None)``
 (before our timeout)  ServerGaveUp         ``ServerGaveUp(endpoint, elapsed, detail=None)``
stream went silent     StreamStalled        ``StreamStalled(endpoint, seconds, chat_api=False)``
INTERNAL and the rest  ServerFailed         ``ServerFailed(status, detail=None)``
stream ended early     StreamBroken         ``StreamBroken(chunks=0, detail=None, attempt=1)``
(chat API reply        ChatReplyUnreadable  ``ChatReplyUnreadable(url, what)``
 the SDK cannot read)
=====================  ===================  ===========================================

A server that stops answering while a ``--deferred`` operation is awaited is
``OperationUnreachable(lost, operation_id)``, a ServerUnavailable that names the operation.
A request or a reply over gRPC's message size (checked before sending; a reply as it arrives)
is ``MessageTooLarge(size, limit, part)``. A request that is too long for the context is
``ContextTooLong(needed, budget)``; the client also
raises it for an INVALID_ARGUMENT whose detail says so, with ``history_turns`` (the earlier turns
sent with it, so the advice fits).
"""

from __future__ import annotations

from ..words import counted
from .base import YGptError, _clean, _with_detail


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


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


class MessageTooLarge(YGptError):
    """A request (``part``: its largest part, named) or the reply (``part`` None) over the
    largest message gRPC carries: the server would refuse it as RESOURCE_EXHAUSTED, which the
    SDK retries as a quota error, so it is said for what it is, with the sizes."""

    def __init__(self, size: int, limit: int, part: tuple[str, int] | None = None) -> None:
        over = (f"{_megabytes(size)}, over the {_megabytes(limit)} a gRPC message may carry by "
                f"{_megabytes(size - limit)}")
        if part is None:
            text = (f"The reply is {over}, so it could not be received and nothing was added to "
                    f"the chat. Ask for a shorter answer: set --max-tokens N, or ask for less.")
        else:
            name, part_size = part
            text = (f"This request is {over}; the largest part is {name}, {_megabytes(part_size)}. "
                    f"Nothing was sent. Send less: split the text over several cells, pass a part "
                    f"of a large {{value}}, or use --map to send rows one at a time; a "
                    f"chat whose earlier turns are too big goes on with --once or %ygpt reset.")
        super().__init__(text)
        self.size, self.limit = size, limit


class CredentialsMissing(YGptError):
    """No credential (API key, IAM/OAuth token, yc profile) or no folder id was found.

    ``found`` names the credential's source when only the folder is missing, so the message
    asks for exactly the part that is missing instead of sending the user after both. ``server``:
    the HOST:PORT the user chose (not the cloud), whose user is told what a test server takes
    rather than sent to another server.
    """

    def __init__(self, *, found: str | None = None, folder: str | None = None,
                 server: str | None = None) -> None:
        where = f" for the server at {server}" if server else ""
        serve = " (a server started with `ygpt-magic serve` takes any value)" if server else ""
        tail = ("; each request reads them, so setting os.environ in a cell works too." if server
                else ", or run %ygpt connect local to use the local server that needs none.")
        if found and not folder:
            text = (f"A credential was found ({found}) but no folder id{where}. Set YC_FOLDER_ID "
                    f"in the environment (the folder the requests are billed to){serve}, or run "
                    f"%ygpt auth to enter it{tail}")
        elif folder:
            text = (f"A folder id was found but no API key or token{where}. Set YC_API_KEY (or "
                    f"YC_IAM_TOKEN / YC_OAUTH_TOKEN) in the environment{serve}, or run %ygpt auth "
                    f"to enter it without saving it in the notebook{tail}")
        else:
            head = (f"No API key or folder id was found{where}" if server
                    else "No Yandex Cloud credentials were found")
            text = (f"{head}. Set YC_API_KEY (or YC_IAM_TOKEN / YC_OAUTH_TOKEN) and YC_FOLDER_ID in "
                    f"the environment{serve}, or run %ygpt auth to enter them without saving them "
                    f"in the notebook{tail}")
        super().__init__(text)


class RefusedForEvery(YGptError):
    """The service refused what every request of a run carries alike: the credential
    (AuthFailed), the folder's permission (PermissionDenied), the model (ModelNotFound). A run
    over many rows (client/many.py) stops sending at the first one, since every other row would
    be refused the same way, and says this message once: sending again cannot help until it is
    fixed."""


class AuthFailed(RefusedForEvery):
    """UNAUTHENTICATED: the credential was sent and refused."""

    def __init__(self, endpoint: str, source: str | None = None) -> None:
        which = f" from {source}" if source else ""
        super().__init__(
            f"{endpoint} refused the credential{which} (UNAUTHENTICATED): the key or token is "
            f"wrong, revoked or expired. Run %ygpt auth to enter a new one, or check YC_API_KEY / "
            f"YC_IAM_TOKEN (IAM tokens expire after 12 hours); %ygpt whoami shows what is used."
        )
        self.endpoint = endpoint


class PermissionDenied(RefusedForEvery):
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


class ModelNotFound(RefusedForEvery):
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

    def __init__(self, endpoint: str, seconds: float | None = None, *, refused: bool = False) -> None:
        waited = f" within {seconds:g} s" if seconds is not None else ""
        why = ": nothing accepts connections there" if refused else f"{waited} (UNAVAILABLE)"
        super().__init__(
            f"Could not reach the server at {endpoint}{why}. Check the network "
            f"and the address, start the local server with %ygpt connect local, or try again in "
            f"a moment."
        )
        self.endpoint = endpoint


class ReconnectPending(ServerUnavailable):
    """UNAVAILABLE from gRPC's own failed connect while the endpoint accepts TCP connections:
    the server is back, but gRPC in this kernel waits out the reconnect delay it took while the
    server was away (client/channels.py), and fails requests unsent until then."""

    def __init__(self, endpoint: str) -> None:
        YGptError.__init__(
            self,
            f"The server at {endpoint} accepts connections again, but this kernel's gRPC "
            f"connection to it is still waiting out its reconnect delay from when the server was "
            f"away, so the request was not sent. Run the cell again in a few seconds (the delay "
            f"grows with the outage, up to two minutes); restarting the kernel ends it at once."
        )
        self.endpoint = endpoint


class TlsFailed(ServerUnavailable):
    """UNAVAILABLE because the TLS handshake failed: the server is there, so "could not reach"
    would send the user to check the network. ``details`` (gRPC's) say why: a server that speaks
    no TLS (a local server started without ``--tls``; ``plaintext``: the connect check saw it
    answer so), a certificate this machine does not trust, or anything else, which is then quoted."""

    def __init__(self, endpoint: str, details: str = "", *, plaintext: bool = False) -> None:
        if (plaintext or "WRONG_VERSION_NUMBER" in details) and endpoint.startswith("https://"):
            plain = "http://" + endpoint.removeprefix("https://")   # a chat API's address (--http)
            why = ("the server there does not speak TLS. For a local server's chat API, give its "
                   f"address with http: %ygpt connect HOST:PORT --http {plain}")
        elif plaintext or "WRONG_VERSION_NUMBER" in details:
            why = ("the server there does not speak TLS. For a local server, connect without it: "
                   f"%ygpt connect {endpoint} --insecure")
        elif "CERTIFICATE_VERIFY_FAILED" in details:
            why = ("its certificate is not one this machine trusts. For a server of your own, name "
                   "its certificate in GRPC_DEFAULT_SSL_ROOTS_FILE_PATH before the kernel starts "
                   "(ygpt-magic serve --tls prints the line); behind a proxy that inspects TLS, "
                   "that proxy's certificate")
        else:
            why = f"gRPC said: “{_clean(details)}”"
        YGptError.__init__(self, f"The TLS handshake with the server at {endpoint} failed: {why}.")
        self.endpoint = endpoint


class OperationUnreachable(ServerUnavailable):
    """The server stopped answering while a ``--deferred`` operation it had started was
    awaited: ``lost`` (the ServerUnavailable the connect check or gRPC gave) said of the
    operation too. It may still finish on the server, and in the cloud be billed, but the cell
    can neither wait for it nor cancel it: a user who runs the cell again starts another."""

    def __init__(self, lost: ServerUnavailable, operation_id: object) -> None:
        YGptError.__init__(
            self,
            f"{lost} The cell had started an operation there (id {_clean(operation_id)}); it may "
            f"still finish on the server, but this cell no longer waits for it and nothing was "
            f"added to the chat.",
        )
        self.endpoint = lost.endpoint


class ServerStoppedAnswering(YGptError):
    """The server went away in the middle of many requests (``--map``, ``%ygpt embed``,
    ``--labels``): the rows not yet answered end at once with this, rather than each after the
    request timeout with a timeout's advice (to raise the limit), which would blame the reply."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(
            f"The server at {endpoint} stopped answering during the run: nothing accepts "
            f"connections there now, so this row got no answer and no more rows were sent. "
            f"Answered rows are kept: run the cell again when the server is back (or after "
            f"%ygpt connect to another one) and only the rest are sent."
        )
        self.endpoint = endpoint


#: what to check when the server refuses a value, by what the request was
_CHECK = {
    "completion": "Check the options (temperature 0..1, max tokens, model) with %ygpt config, and the cell's text.",
    "embedding": "Check the text and the embedding model (--model doc, query or an emb:// URI).",
    "classification": "Check the text, the labels and samples, and the classifier's model.",
}


class RequestRejected(YGptError):
    """INVALID_ARGUMENT: the server refused a value in the request (``asked``: a completion, an
    embedding or a classification; the options to check differ)."""

    def __init__(self, detail: object = None, asked: str = "completion") -> None:
        super().__init__(
            _with_detail(f"The server rejected the request as invalid (INVALID_ARGUMENT). {_CHECK[asked]}", detail)
        )


class ServerTimeout(YGptError):
    """The request took longer than the request timeout (``YGptMagics.timeout``) and was stopped.

    The advice is the limit alone, in every mode: the timeout bounds a ``--deferred`` wait as it
    bounds a stream or a single request (the wait is cancelled with its operation), so
    ``--deferred`` would meet the same limit (it helps against a server's own deadline:
    ServerGaveUp, and against a stream's silences: StreamStalled)."""

    def __init__(self, endpoint: str | None = None, seconds: float | None = None) -> None:
        where = f" from {endpoint}" if endpoint else ""
        within = f" within {seconds:g} s (the request timeout)" if seconds is not None else " in time"
        raise_it = f"%config YGptMagics.timeout = {_twice(seconds, 360)}"
        super().__init__(
            f"No answer arrived{where}{within}, so the request was stopped. Run the cell again; "
            f"for long replies raise the limit with {raise_it}."
        )
        self.seconds = seconds


class StreamStalled(ServerTimeout):
    """A stream went silent (no new chunk) for longer than ``YGptMagics.stream_timeout``;
    ``chat_api``: the chat API's stream (pictures), which has no deferred mode, only one answer."""

    def __init__(self, endpoint: str, seconds: float, *, chat_api: bool = False) -> None:
        YGptError.__init__(
            self,
            f"The reply stream from {endpoint} went silent for {seconds:g} s (the stream "
            f"timeout), so the request was stopped; nothing was added to the chat. Run the cell "
            f"again; if the model pauses for longer, raise the limit with %config "
            f"YGptMagics.stream_timeout = {_twice(seconds, 120)}, or use "
            f"{'--no-stream' if chat_api else '--deferred'}.",
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


class ChatReplyUnreadable(YGptError):
    """The chat API (HTTP, for pictures) answered with something the SDK could not read: not an
    event stream, not JSON, or JSON without a chat reply's fields. Said of the address the
    request went to, and never as a bug of ours: it is what a server that is not a Yandex
    (OpenAI-compatible) chat API sends, e.g. a wrong ``--http`` address."""

    def __init__(self, url: str, what: str) -> None:
        super().__init__(
            f"The chat API at {url} answered with something the SDK could not read ({what}), so "
            f"nothing was recorded. Check that {url} is a Yandex (OpenAI-compatible) chat API: for "
            f"a HOST:PORT server, %ygpt connect HOST:PORT --http URL sets it (`ygpt-magic serve` "
            f"prints its own after READY). If it is, run the cell again; if it keeps failing, "
            f"report it with the traceback the 'ygpt_magic' logger writes at DEBUG level."
        )
        self.url = url


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

    def __init__(self, chunks: int = 0, detail: object = None, attempt: int = 1,
                 unavailable_at: str | None = None) -> None:
        after = f" after {counted(chunks, 'chunk')}" if chunks else ""
        if attempt > 1:
            after += f" of attempt {attempt} (the earlier ones broke off too)"
        # a server that went away is not helped by --no-stream (that is for a proxy that cuts
        # long streams): say where it went
        advice = (f"The server at {unavailable_at} became unavailable: run the cell again when it "
                  f"answers." if unavailable_at else "Run the cell again, or use --no-stream.")
        super().__init__(
            _with_detail(
                f"The reply stream broke off{after} before the answer was complete; nothing was "
                f"added to the chat. {advice}",
                detail,
            )
        )
