"""Translate what the SDK raises into the errors.py type a user should see.

Only the gRPC status code and the server's `details()` are used: the SDK's own exception text
(`str(AioRpcError)`) carries debug strings and the auth provider object, so it never reaches a
message, and callers raise our error `from None` so IPython does not print the original either.
No SDK import here: exceptions are recognised by their gRPC interface or class name. The chat
API's failures (httpx, for requests with pictures) get the gRPC status the cloud's HTTP code
stands for, so both APIs end in the same messages; a chat-API reply the SDK cannot read is
ChatReplyUnreadable (:func:`unreadable_reply`). An exception that is none of these, a bug of
ours (or the SDK refusing what we gave it), is InternalError: never the server's.
"""

from __future__ import annotations

import logging
import re
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..errors import (
    AuthFailed,
    ChatApiRedirects,
    ChatReplyUnreadable,
    CredentialsMissing,
    HttpNotGrpc,
    InternalError,
    ModelNotFound,
    OAuthNotExchanged,
    PermissionDenied,
    PictureModelNotFound,
    ProxyFailed,
    QuotaExceeded,
    ReconnectPending,
    RequestTooLarge,
    ServerBusy,
    ServerFailed,
    ServerGaveUp,
    ServerTimeout,
    ServerUnavailable,
    ServiceRefused,
    StreamBroken,
    TlsFailed,
    YGptError,
)
from . import invalid_argument, message_size, proxies
from .credentials import PLACEHOLDER, Credential, fetched_anew, known_secrets, masked_in
from .endpoints import in_cloud

log = logging.getLogger(__name__)

#: how gRPC's UNAVAILABLE begins when it sent nothing: its connect failed, now or, during its
#: reconnect delay, before (the detail then repeats that old error)
GRPC_CONNECT_FAILED = "failed to connect to all addresses"
#: words of gRPC's own UNAVAILABLE, when the connection failed rather than the server answering
#: (matched in any case): its connect and resolver, its transport's and endpoint's phrases as
#: grpc's core (cygrpc) writes them, and the system's socket errors it quotes (recvmsg: …). A
#: server-sent UNAVAILABLE carries no mark of its own, so an unlisted one is taken as the server's
GRPC_TRANSPORT_WORDS = (GRPC_CONNECT_FAILED, "Socket closed", "Connection reset", "Broken pipe",
                        "DNS resolution failed", "handshake failed", "End of TCP stream",
                        "connections to all backends failing", "Connection refused", "GOAWAY",
                        "errors resolving", "Failed to parse port",
                        "Stream removed", "Endpoint read failed", "Endpoint closed", "Endpoint closing",
                        "Endpoint already shutdown", "Transport closed", "Transport destroyed",
                        "Cancelling all calls", "Channel shutdown", "Connection going away",
                        "Connection cancelled", "Failed to connect to remote host", "keepalive",
                        "Too many pings", "Secure read failed", "Handshake read failed",
                        "Handshake write failed", "Handshake timed out", "Write failed",
                        "Delayed close", "Closed on fork", "recvmsg", "sendmsg", "timed out",
                        "Network is unreachable", "No route to host", "Connection aborted")
#: gRPC's words for a server that answered its first bytes in HTTP/1 (an HTTP address)
GRPC_HTTP1 = "Trying to connect an http1.x server"
#: how gRPC quotes a proxy's HTTP error answer to its CONNECT
_GRPC_PROXY_SAID = re.compile(r"HTTP proxy returned response code (\d{3})\b")
#: a DEADLINE_EXCEEDED before this share of our timeout was the server's deadline, not ours
OUR_DEADLINE = 0.9
#: the gRPC status behind each HTTP code of the cloud's error table
HTTP_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
               404: "NOT_FOUND", 413: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED",
               499: "CANCELLED", 500: "INTERNAL", 501: "UNIMPLEMENTED", 503: "UNAVAILABLE",
               504: "DEADLINE_EXCEEDED"}
#: the longest wait a Retry-After is quoted with (a larger one is a server's mistake)
RETRY_AFTER_MAX = 3600
#: how the SDK's UnknownEndpointError names the service it found no address for
_SERVICE_NAME = re.compile(r"service_name='([\w.-]+)'")
#: the attribute in which an exception of the chat API carries the requests made before it
#: (client/retries.RetriedChat, which retries what the SDK sends once)
ATTEMPTS_MADE = "ygpt_magic_attempts"
#: httpx's transport failures (by class name, in their class hierarchy) as gRPC statuses
HTTP_TRANSPORT = {"ConnectError": "UNAVAILABLE", "ConnectTimeout": "UNAVAILABLE",
                  "TimeoutException": "DEADLINE_EXCEEDED", "TransportError": "UNAVAILABLE"}
#: packages whose own exceptions are failures on the way to the server or of its reply
TRANSPORT_PACKAGES = frozenset({"grpc", "httpx", "httpcore", "h11", "h2", "google",
                                "yandex_ai_studio_sdk", "yandex_cloud_ml_sdk"})
#: what code raises when it is wrong, wherever it is raised: in our code, or in the SDK
#: given something it does not take; never a failure of the server
PROGRAMMING_ERRORS = (TypeError, ValueError, AttributeError, LookupError, NameError,
                      AssertionError, ArithmeticError, RecursionError)
_OUR_CODE = str(Path(__file__).resolve().parent.parent)
_EMULATOR = str(Path(_OUR_CODE, "emulator"))


def status_of(exc: BaseException) -> tuple[str | None, str]:
    """(gRPC status name, server details) of an SDK/gRPC failure; (None, "") for anything else.

    Covers grpc.aio.AioRpcError (and the SDK's subclass) and the SDK's RunError, which a failed
    deferred operation raises with a numeric google.rpc code.
    """
    code = getattr(exc, "code", None)
    if callable(code):  # grpc.RpcError / grpc.aio.AioRpcError
        status = code()
        details = getattr(exc, "details", None)
        details = details() if callable(details) else ""
        return getattr(status, "name", str(status)), details or ""
    if type(exc).__name__ == "RunError" and isinstance(code, int):
        import grpc  # already loaded with the SDK

        names = {c.value[0]: c.name for c in grpc.StatusCode}
        return names.get(code, f"code {code}"), getattr(exc, "message", "") or ""
    return _http_status(exc)


def _http_status(exc: BaseException) -> tuple[str | None, str]:
    """(gRPC status, details) of an httpx failure of the chat API; (None, "") for others."""
    status_code = http_code(exc)
    if status_code is not None:
        return HTTP_STATUS.get(status_code, f"HTTP {status_code}"), _http_details(getattr(exc, "response", None))
    if type(exc).__name__ == "HttpSseError":  # an error event inside the stream
        # The SDK keeps the event's error object and message in private fields only.
        error = getattr(exc, "_error", None)
        code = error.get("httpCode") if isinstance(error, dict) else None
        status = HTTP_STATUS.get(code, "INTERNAL") if isinstance(code, int) else "INTERNAL"
        return status, str(getattr(exc, "_message", "") or "")
    for kind in type(exc).__mro__:
        if kind.__name__ in HTTP_TRANSPORT:
            return HTTP_TRANSPORT[kind.__name__], ""
    return None, ""


def http_code(exc: BaseException) -> int | None:
    """The HTTP status of a chat API answer that was an error; None for anything else."""
    status_code = getattr(getattr(exc, "response", None), "status_code", None)
    return status_code if type(exc).__name__ == "HTTPStatusError" and isinstance(status_code, int) else None


def _http_details(response: Any) -> str:
    """The message of the cloud's error JSON; "" when there is none (a streamed answer's body
    is not read before the SDK raises)."""
    try:
        error = response.json().get("error")
    except Exception:
        return ""
    return str(error.get("message", "")) if isinstance(error, dict) else ""


def retry_after(exc: BaseException) -> int | None:
    """The seconds an HTTP answer's Retry-After asks for (up to RETRY_AFTER_MAX), if it gives
    a number of them."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    value = str(headers.get("retry-after", "")).strip() if headers is not None else ""
    return min(int(value), RETRY_AFTER_MAX) if value.isdigit() else None


def attempts_made(exc: BaseException, *, chat_api: bool, retries: int) -> int:
    """The requests made before ``exc`` ended them: as many as the chat API's retry marked on it
    (one when unmarked: the SDK sends it once), or all the gRPC policy's, since the SDK's
    interceptor gives up on a status it retries only when they are used up."""
    if not chat_api:
        return retries + 1
    made = getattr(exc, ATTEMPTS_MADE, None)
    return made if isinstance(made, int) else 1


def redirect_of(exc: BaseException, base: str) -> tuple[int, str] | None:
    """(HTTP status, where to) of a chat API answer that redirects; None for anything else.
    Where to is the base URL to give with --http when the redirect keeps the request's path
    below ``base`` (else the whole address), without a user part or query, which may hold
    anything."""
    status = http_code(exc)
    if status is None or not 300 <= status < 400:
        return None
    response: Any = getattr(exc, "response", None)   # an HTTPStatusError carries its response
    asked = str(response.request.url)
    parts = urlsplit(urljoin(asked, response.headers.get("location", "")))
    location = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
    below = asked.split("?")[0][len(base):] if asked.startswith(base) else ""
    return status, location[:-len(below)] if below and location.endswith(below) else location


def elsewhere(endpoint: str) -> str | None:
    """``endpoint`` (HOST:PORT or the chat API's URL) if the server there is not Yandex Cloud's."""
    host = urlsplit(endpoint).hostname if "://" in endpoint else endpoint.rpartition(":")[0]
    return None if in_cloud(host or "") else endpoint


def is_ours(exc: BaseException) -> bool:
    """A bug of ours: not an exception of the SDK, gRPC or the HTTP client, and either a
    programming error or raised by ygpt_magic's own code (the SDK's own RuntimeErrors about
    a reply stay the server's)."""
    if type(exc).__module__.partition(".")[0] in TRANSPORT_PACKAGES:
        return False
    return isinstance(exc, PROGRAMMING_ERRORS) or _raised_by_us(exc)


def unreadable_reply(exc: BaseException) -> str | None:
    """What was wrong with a chat-API reply the SDK failed on (None: not such a failure).

    The chat API answers JSON, which the SDK reads without a schema: a reply that is not an
    event stream (httpx_sse's SSEError), not JSON, or JSON without a chat reply's fields fails
    in the SDK as a programming error. The request it failed on is plain data of ours
    (chat_api.py: text, pictures, and options the SDK's ``configure`` took before anything was
    sent; tools and schemas never take this API), so a programming error raised outside our
    code here is the reply's. Only the class is said: the reply's text may hold anything.
    """
    if type(exc).__name__ == "SSEError":  # a subclass of httpx's TransportError: reached, not lost
        return "not a stream of events"
    if not isinstance(exc, PROGRAMMING_ERRORS) or _raised_by_us(exc):
        return None
    return "not JSON" if type(exc).__name__ == "JSONDecodeError" else f"{type(exc).__name__} reading it"


def _raised_by_us(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    where = frames[-1].filename if frames else ""
    return where.startswith(_OUR_CODE) and not where.startswith(_EMULATOR)


def internal_error(exc: BaseException, *secrets: str | None) -> InternalError:
    """The InternalError for a bug of ours, with ``secrets`` and every credential this kernel
    knows masked out; its traceback goes to the DEBUG log, for whoever reports it."""
    log.debug("an error in ygpt_magic", exc_info=exc)
    return InternalError(exc, (*secrets, *(known.secret for known in known_secrets())))


def is_unavailable(exc: BaseException) -> bool:
    return status_of(exc)[0] == "UNAVAILABLE"


def is_unauthenticated(exc: BaseException) -> bool:
    """The credential sent was refused (UNAUTHENTICATED; an HTTP 401 of the chat API)."""
    return status_of(exc)[0] == "UNAUTHENTICATED"


def connect_failed(exc: BaseException) -> bool:
    """An UNAVAILABLE of gRPC's own: it could not connect (now, or during its reconnect delay,
    when the details repeat the old failure), as against one the server sent."""
    status, details = status_of(exc)
    return status == "UNAVAILABLE" and GRPC_CONNECT_FAILED in details


def speaks_http1(exc: BaseException) -> bool:
    """gRPC's UNAVAILABLE for a server that answered in HTTP/1, which no retry mends."""
    status, details = status_of(exc)
    return status == "UNAVAILABLE" and GRPC_HTTP1 in details


def answered(exc: BaseException) -> bool:
    """An UNAVAILABLE the server sent (an HTTP 503 response, or a gRPC status whose details are
    not gRPC's own words about its transport), as against one of a connection that failed."""
    if type(exc).__name__ == "HTTPStatusError":
        return True
    status, details = status_of(exc)
    lowered = details.lower()
    return status == "UNAVAILABLE" and not any(words.lower() in lowered for words in GRPC_TRANSPORT_WORDS)


def proxy_refusal(exc: BaseException, endpoint: str) -> ProxyFailed | None:
    """ProxyFailed when the proxy requests to ``endpoint`` go through answered with an HTTP error
    instead of passing the request on. Not the server, the network nor the local server: the
    proxy's own answer, most often to an expired password."""
    code = _proxy_code(exc)
    proxy = proxies.of(endpoint) if code is not None else None
    if proxy is None:
        return None
    return ProxyFailed(endpoint, proxy.shown, proxy.variable, proxy.exempt, status=code)


def _proxy_code(exc: BaseException) -> int | None:
    """The HTTP status a proxy answered with: httpx gets a 407 as the reply to a request for an
    http:// chat API, and raises ProxyError ("407 Proxy Authentication Required") for an https://
    one's CONNECT; gRPC says so in its UNAVAILABLE's details."""
    if http_code(exc) == 407:
        return 407
    if type(exc).__name__ == "ProxyError":
        said = re.match(r"\s*(\d{3})\b", str(exc))
    else:
        said = _GRPC_PROXY_SAID.search(status_of(exc)[1])
    return int(said.group(1)) if said else None


def translate(exc: BaseException, *, endpoint: str, credential: Credential,
              folder: str | None, model: str | None, retries: int, timeout: float,
              after_chunks: int = 0, attempt: int = 1, elapsed: float | None = None,
              history_turns: int = 0, stale: bool = False, chat_api: bool = False,
              asked: str = "completion", pictures: tuple[int, ...] = ()) -> YGptError:
    """The YGptError for an exception from an SDK call (the caller raises it `from None`).

    What the call knew lets the message say what happened: `after_chunks` of stream `attempt`
    had arrived, `elapsed` seconds had passed (a DEADLINE_EXCEEDED well before our `timeout`
    is the server's own deadline), `history_turns` earlier turns were sent; `stale`: gRPC's own
    connect failed while the endpoint accepted a TCP connection during the call and channels of an
    SDK dropped after an outage live on, so the UNAVAILABLE is their leftover reconnect delay;
    ``chat_api``: the request went over the chat API (``endpoint`` is then its address), with
    ``pictures`` of these sizes in bytes (what a 413 says to shrink);
    ``asked``: what the request was (a completion, an embedding, a classification), for advice
    that fits it.
    A stream broken by gRPC's own failed connect (the SDK retried it after the server went) is
    said to have lost the server, without gRPC's words: they are not the server's.
    """
    moved = redirect_of(exc, endpoint) if chat_api else None
    if moved is not None:
        return ChatApiRedirects(endpoint, *moved)
    unreadable = unreadable_reply(exc) if chat_api else None
    if unreadable is not None:
        log.debug("a chat API reply the SDK could not read", exc_info=exc)
        return ChatReplyUnreadable(endpoint, unreadable)
    status, details = status_of(exc)
    details = masked_in(details, (credential, *known_secrets()))   # a server may echo what it got
    if status is None and is_ours(exc):
        return internal_error(exc, credential.secret)
    if status is None:
        return _non_grpc(exc, endpoint=endpoint, credential=credential, timeout=timeout,
                         after_chunks=after_chunks, attempt=attempt)
    too_large = message_size.reply_over_limit(details) if status == "RESOURCE_EXHAUSTED" else None
    if too_large is not None:
        return too_large
    if after_chunks and status not in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return StreamBroken(after_chunks, None if connect_failed(exc) else f"{status}: {details}", attempt,
                            unavailable_at=endpoint if status == "UNAVAILABLE" else None)
    if status == "UNAUTHENTICATED":
        return AuthFailed(endpoint, credential.source, details, cli=fetched_anew(credential),
                          placeholder=credential.secret if credential == PLACEHOLDER else None)
    if status == "PERMISSION_DENIED":
        return PermissionDenied(folder, details, server=elsewhere(endpoint))
    if status == "RESOURCE_EXHAUSTED":
        return QuotaExceeded(attempts_made(exc, chat_api=chat_api, retries=retries), details, retry_after(exc),
                             server=elsewhere(endpoint))
    if status == "NOT_FOUND" and chat_api:
        return PictureModelNotFound(model or "(unknown)", endpoint, details)
    if status == "NOT_FOUND":
        return ModelNotFound(model or "(unknown)", details, asked)
    if http_code(exc) == 413:
        return RequestTooLarge(endpoint, pictures, details)
    if status == "INVALID_ARGUMENT":   # what was wrong, by the server's words (invalid_argument.py)
        return invalid_argument.refusal(details, model=model, folder=folder, asked=asked,
                                        history_turns=history_turns)
    if status == "UNAVAILABLE" or http_code(exc) == 407:
        refused_by = proxy_refusal(exc, endpoint)
        if refused_by is not None:
            return refused_by
    if status == "UNAVAILABLE":
        if GRPC_HTTP1 in details:
            return HttpNotGrpc(endpoint)
        if "handshake failed" in details.lower():
            return TlsFailed(endpoint, details)
        if stale:
            return ReconnectPending(endpoint)
        if answered(exc):
            return ServerBusy(endpoint, details, server=elsewhere(endpoint))
        return ServerUnavailable(endpoint)
    if status == "DEADLINE_EXCEEDED":
        if elapsed is not None and elapsed < timeout * OUR_DEADLINE:
            return ServerGaveUp(endpoint, elapsed, details, chat_api=chat_api)
        return ServerTimeout(endpoint, timeout)
    if status in ("FAILED_PRECONDITION", "UNIMPLEMENTED"):
        return ServiceRefused(status, details, server=elsewhere(endpoint))
    return ServerFailed(status, details, server=elsewhere(endpoint))


def _non_grpc(exc: BaseException, *, endpoint: str, credential: Credential, timeout: float,
              after_chunks: int, attempt: int) -> YGptError:
    """Failures that are not a gRPC status nor ours: missing auth, timeouts, discovery, the
    unexpected."""
    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, RuntimeError) and "authorization data" in text:
        return CredentialsMissing()
    if isinstance(exc, TimeoutError):
        return ServerTimeout(endpoint, timeout)
    if name == "UnknownEndpointError":
        return _unlisted(text, endpoint, credential)
    if after_chunks:
        return StreamBroken(after_chunks, name, attempt)
    # An unexpected exception: its class name only, its text may hold anything.
    return ServerFailed(f"unexpected {name} talking to {endpoint}", None, server=elsewhere(endpoint))


def _unlisted(text: str, endpoint: str, credential: Credential) -> YGptError:
    """The SDK found no address for a service it needs among those the endpoint lists (its
    UnknownEndpointError names it, ``service_name='…'``). Only an OAuth token needs 'iam', to be
    exchanged for an IAM token before anything is sent: then the credential is the cause."""
    service = _SERVICE_NAME.search(text)
    if service is not None and service[1] == "iam":
        return OAuthNotExchanged(endpoint, credential.source)
    missing = repr(service[1]) if service is not None else "text generation"
    return ServerFailed(f"no {missing} service listed by the endpoint", None, server=elsewhere(endpoint))
