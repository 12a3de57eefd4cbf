"""Reaching the server and getting its answer back, after the SDK's own retries, as our errors
(what the service said when it refused a request is errors/service.py's).

How client/rpc_errors.py maps a gRPC status or a broken exchange to these types:

=====================  ===================  ===========================================
gRPC status            exception            constructor
=====================  ===================  ===========================================
UNAVAILABLE            ServerUnavailable    ``ServerUnavailable(endpoint, seconds=None, refused=False)``
 (gRPC's reconnect     ReconnectPending     ``ReconnectPending(endpoint)``
 delay, server back)
 (TLS handshake)       TlsFailed            ``TlsFailed(endpoint, details="", plaintext=False)``
 (an HTTP/1 server)    HttpNotGrpc          ``HttpNotGrpc(endpoint, grpc_address=None)``
 (the server said so)  ServerBusy           ``ServerBusy(endpoint, detail=None, server=None)``
DEADLINE_EXCEEDED      ServerTimeout        ``ServerTimeout(endpoint=None, seconds=None)``
 (before our timeout)  ServerGaveUp         ``ServerGaveUp(endpoint, elapsed, detail=None, chat_api=False)``
stream went silent     StreamStalled        ``StreamStalled(endpoint, seconds, chat_api=False)``
stream ended early     StreamBroken         ``StreamBroken(chunks=0, detail=None, attempt=1)``
(chat API reply        ChatReplyUnreadable  ``ChatReplyUnreadable(url, what)``
 the SDK cannot read)
=====================  ===================  ===========================================

A server that stops answering while a ``--deferred`` operation is awaited is
``OperationUnreachable(lost, operation_id)``, a ServerUnavailable that names the operation, and
one that answers that it no longer knows the operation (NOT_FOUND) is
``OperationGone(operation_id, server=None)``; one
that stops during a run of many requests is ``ServerStoppedAnswering(endpoint)``, and one that
keeps answering UNAVAILABLE to every row of such a run is ``ServerStayedBusy(endpoint, rows)``.
A request or a reply over gRPC's message size (checked before sending; a reply as it arrives)
is ``MessageTooLarge(size, limit, part)``.
"""

from __future__ import annotations

from ..words import counted
from .base import YGptError, _clean, _with_detail, where_to_look
from .origin import Origin, capital


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


class MessageTooLarge(YGptError):
    """A request (``part``: its largest part, named) or the reply (``part`` None) over the
    largest message gRPC carries: the server would refuse it as RESOURCE_EXHAUSTED, which the
    SDK retries as a quota error, so it is said for what it is, with the sizes."""

    def __init__(self, size: int, limit: int, part: tuple[str, int] | None = None) -> None:
        over = (f"{_megabytes(size)}, over the {_megabytes(limit)} a gRPC message may carry by "
                f"{_megabytes(size - limit)}")
        def words(origin: Origin) -> str:
            if part is None:
                return (f"The reply is {over}, so it could not be received and nothing was added to "
                        f"the chat. Ask for a shorter answer: set "
                        f"{origin.flag('--max-tokens N', 'max tokens in the panel')}, or ask for less.")
            name, part_size = part
            return (f"This request is {over}; the largest part is {name}, {_megabytes(part_size)}. "
                    f"Nothing was sent. Send less: split the text over {origin.several}, pass a part "
                    f"of a large {{value}}{origin.flag(', or use --map to send rows one at a time')}; a "
                    f"chat whose earlier turns are too big goes on with "
                    f"{origin.flag('--once or ')}%ygpt reset.")
        super().__init__(words)
        self.size, self.limit = size, limit


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


class ServerBusy(ServerUnavailable):
    """UNAVAILABLE (or HTTP 503) that the server itself answered, after the SDK's retries: it was
    reached, so the network and the address are not in question; its own words are quoted.
    ``server``: the address of a server that is not Yandex Cloud's."""

    def __init__(self, endpoint: str, detail: object = None, *, server: str | None = None) -> None:
        YGptError.__init__(self, lambda origin: _with_detail(
            f"The server at {endpoint} answered that it cannot serve the request now (UNAVAILABLE), "
            f"also when asked again. {capital(origin.again)} in a moment; if it keeps answering so, "
            f"{where_to_look(server)}.", detail))
        self.endpoint, self.server = endpoint, server


class ServerStayedBusy(YGptError):
    """The server answered UNAVAILABLE (a ServerBusy, after the SDK's retries) to a window of
    rows in a row during a run of many requests (client/outage.py says how many and why): the
    run stopped sending, and every row not yet answered ends with this at once, rather than each
    after its own retries (hours over thousands of rows). ``server``: the address of a server
    that is not Yandex Cloud's, as for ServerBusy."""

    def __init__(self, endpoint: str, rows: int, server: str | None = None) -> None:
        self.endpoint, self.rows, self.server = endpoint, rows, server
        super().__init__(f"{self._head()}: this row got no answer. Answered rows are kept: run the "
                         f"cell again later and only the rest are sent; {self._tail()}.")

    def _head(self) -> str:
        return (f"The server at {self.endpoint} answered UNAVAILABLE (it cannot serve requests now) "
                f"to {self.rows:,} rows in a row, each also when asked again, so the run stopped sending")

    def _tail(self) -> str:
        return f"if it keeps answering so, {where_to_look(self.server)}"

    def advice(self, kept: int, left: int, again: str | None = None) -> str:
        """What the run's summary says under it, once for every row: how many rows are kept
        (``kept``: answered now or reused) and that a re-run sends only the ``left`` ones;
        ``again``: what running it again sends, where the cell cannot be run again (a headless
        run: rows/unattended.py)."""
        if again:
            return f"{self._head()}. Once it serves again, {again} If {self._tail().removeprefix('if ')}."
        answered = f"{counted(kept, 'row')} answered are kept" if kept else "No row was answered"
        return (f"{self._head()}. {answered}: run the cell again later (or after %ygpt connect to "
                f"another server) and only the {counted(left, 'row')} without an answer are sent; "
                f"{self._tail()}.")


class ReconnectPending(ServerUnavailable):
    """UNAVAILABLE from gRPC's own failed connect while the endpoint accepts TCP connections:
    the server is back, but gRPC in this kernel waits out the reconnect delay it took while the
    server was away (client/channels.py), and fails requests unsent until then."""

    def __init__(self, endpoint: str) -> None:
        YGptError.__init__(
            self,
            lambda origin: f"The server at {endpoint} accepts connections again, but this kernel's "
            f"gRPC connection to it is still waiting out its reconnect delay from when the server "
            f"was away, so the request was not sent. {capital(origin.again)} in a few seconds (the "
            f"delay grows with the outage, up to two minutes); restarting the kernel ends it at once."
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


class HttpNotGrpc(ServerUnavailable):
    """The address answers gRPC's first bytes in HTTP/1 (gRPC: "Trying to connect an http1.x
    server"): an HTTP address given where the gRPC one goes, most often the second address of
    `ygpt-magic serve`'s READY line. The server answered at once, so neither the network nor a
    retry is in question. gRPC meets it over plaintext only (over TLS the handshake fails
    first), so the advice keeps ``--insecure``. ``grpc_address``: the server's gRPC address,
    when its HTTP side named it (client/discovery.py); the advice is then the whole line, with
    this address as the chat API's (--http)."""

    def __init__(self, endpoint: str, grpc_address: str | None = None) -> None:
        head = f"The server at {endpoint} speaks HTTP/1, not gRPC, which cells use"
        if grpc_address:
            text = (f"{head}: {endpoint} is its HTTP address (the second one `ygpt-magic serve` "
                    f"prints after READY), and its gRPC address is {grpc_address}. Connect to that "
                    f"one, with this one for pictures: %ygpt connect {grpc_address} --insecure "
                    f"--http http://{endpoint}.")
        else:
            text = (f"{head}: it is an HTTP address, such as the second one `ygpt-magic serve` prints "
                    f"after READY. Connect to the server's gRPC address, the first one there: "
                    f"%ygpt connect HOST:PORT --insecure.")
        YGptError.__init__(self, text)
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


class OperationGone(YGptError):
    """A poll of a ``--deferred`` operation answered NOT_FOUND: the server no longer knows the
    operation (it was restarted, or expired or dropped it). Neither the model nor its name is to
    blame, whatever NOT_FOUND means for a request; there is nothing left to wait for or cancel,
    and a new request starts a new operation. ``server``: the address of a server that is not
    Yandex Cloud's."""

    def __init__(self, operation_id: object, server: str | None = None) -> None:
        who = f"The server at {server}" if server else "The server"
        super().__init__(lambda origin: (
            f"{who} no longer knows the deferred operation {origin.text} started (id "
            f"{_clean(operation_id)}; NOT_FOUND): it was restarted, or dropped the operation, "
            f"while the answer was awaited. Nothing was added to the chat: {origin.again}, which "
            f"starts a new operation."))


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
        super().__init__(lambda origin: (
            f"No answer arrived{where}{within}, so the request was stopped. "
            f"{capital(origin.again)}; for long replies raise the limit with {raise_it}."
        ))
        self.seconds = seconds


class StreamStalled(ServerTimeout):
    """A stream went silent (no new chunk) for longer than ``YGptMagics.stream_timeout``;
    ``chat_api``: the chat API's stream (pictures), which has no deferred mode, only one answer."""

    def __init__(self, endpoint: str, seconds: float, *, chat_api: bool = False) -> None:
        flag = "--no-stream" if chat_api else "--deferred"
        YGptError.__init__(
            self,
            lambda origin: f"The reply stream from {endpoint} went silent for {seconds:g} s (the "
            f"stream timeout), so the request was stopped; nothing was added to the chat. "
            f"{capital(origin.again)}; if the model pauses for longer, raise the limit with "
            f"%config YGptMagics.stream_timeout = {_twice(seconds, 120)}"
            f"{origin.flag(f', or use {flag}')}.",
        )
        self.seconds = seconds


class ServerGaveUp(ServerTimeout):
    """DEADLINE_EXCEEDED from the server itself, before our own timeout: its deadline, not ours.
    ``chat_api``: an HTTP 504 of the chat API (a picture cell), which a gateway in front of the
    model answers when it gave up waiting; that API has no deferred mode, so --deferred, which
    helps a gRPC request against the server's deadline, is not advised there."""

    def __init__(self, endpoint: str, elapsed: float, detail: object = None, *, chat_api: bool = False) -> None:
        if chat_api:
            after = f" after {elapsed:.1f} s" if elapsed >= 0.1 else ""
            head = (f"The chat API at {endpoint}, or a gateway in front of it, gave up waiting for the "
                    f"model's answer{after} (DEADLINE_EXCEEDED: a gateway timeout, HTTP 504). This is on "
                    f"the server's side")
            longer = "; for a long answer, ask for a shorter one with --max-tokens N"
        else:
            head = (f"{endpoint} gave up on the request after {elapsed:.1f} s, reporting that its "
                    f"own deadline was exceeded (DEADLINE_EXCEEDED). This is on the server's side")
            longer = "; for long replies use --deferred"
        YGptError.__init__(self, lambda origin: _with_detail(
            f"{head}: {origin.again} in a moment{origin.flag(longer)}.", detail))
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
        super().__init__(lambda origin: (
            f"The chat API at {url} answered with something the SDK could not read ({what}), so "
            f"nothing was recorded. Check that {url} is a Yandex (OpenAI-compatible) chat API: for "
            f"a HOST:PORT server, %ygpt connect HOST:PORT --http URL sets it (`ygpt-magic serve` "
            f"prints its own after READY). If it is, {origin.again}; if it keeps failing, "
            f"report it with the traceback the 'ygpt_magic' logger writes at DEBUG level."
        ))
        self.url = url


class StreamBroken(YGptError):
    """The stream ended before the final chunk and the SDK's retries did not recover it."""

    def __init__(self, chunks: int = 0, detail: object = None, attempt: int = 1,
                 unavailable_at: str | None = None) -> None:
        after = f" after {counted(chunks, 'chunk')}" if chunks else ""
        if attempt > 1:
            after += f" of attempt {attempt} (the earlier ones broke off too)"
        super().__init__(lambda origin: _with_detail(
            f"The reply stream broke off{after} before the answer was complete; nothing was "
            f"added to the chat. {_broken_advice(origin, unavailable_at)}",
            detail,
        ))


def _broken_advice(origin: Origin, unavailable_at: str | None) -> str:
    """What to do after a broken stream: wait for a server that went away (not helped by
    --no-stream, which is for a proxy that cuts long streams), else try again."""
    if unavailable_at:
        return f"The server at {unavailable_at} became unavailable: {origin.again} when it answers."
    return f"{capital(origin.again)}{origin.flag(', or use --no-stream')}."
