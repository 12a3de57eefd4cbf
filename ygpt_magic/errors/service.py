"""What the service said when it refused a request, after the SDK's own retries, as our errors
(reaching it, and its answer arriving, are errors/reach.py's).

How client/rpc_errors.py maps a gRPC status to these types:

=====================  ===================  ===========================================
gRPC status            exception            constructor
=====================  ===================  ===========================================
(no credentials)       CredentialsMissing   ``CredentialsMissing()``
(a key as the folder)  FolderIsCredential   ``FolderIsCredential(source, kind)``
UNAUTHENTICATED        AuthFailed           ``AuthFailed(endpoint, source=None, detail=None, cli=, placeholder=)``
PERMISSION_DENIED      PermissionDenied     ``PermissionDenied(folder_id=None, detail=None, server=None)``
RESOURCE_EXHAUSTED     QuotaExceeded        ``QuotaExceeded(attempts=None, detail=None, wait=None, server=None)``
(an OAuth token, and   OAuthNotExchanged    ``OAuthNotExchanged(endpoint, source)``
 no IAM service listed)
NOT_FOUND              ModelNotFound        ``ModelNotFound(model, detail=None)``
INVALID_ARGUMENT       RequestRejected      ``RequestRejected(detail=None)``
FAILED_PRECONDITION,   ServiceRefused       ``ServiceRefused(status, detail=None, server=None)``
 UNIMPLEMENTED
INTERNAL and the rest  ServerFailed         ``ServerFailed(status, detail=None, server=None)``
(chat API HTTP 3xx)    ChatApiRedirects     ``ChatApiRedirects(address, status, location)``
(chat API HTTP 413)    RequestTooLarge      ``RequestTooLarge(url, pictures, detail=None)``
=====================  ===================  ===========================================

An INVALID_ARGUMENT that says the request is too long is one of errors/too_long.py's. Two others
of the cloud name what to fix: "invalid model_uri" is ``ModelNotFound(model, detail, asked,
status)``, and "Specified folder ID does not match with service account" is
``FolderMismatch(folder_id, detail)``.
A NOT_FOUND of the chat API (a request with pictures) is
``PictureModelNotFound(model, url)``, a ModelNotFound whose advice fits pictures.
"""

from __future__ import annotations

from ..modelname import model_name
from ..words import counted, in_latin, look_alike
from .base import YGptError, _clean, _with_detail, where_to_look
from .origin import Origin


class CredentialsMissing(YGptError):
    """No credential (API key, IAM/OAuth token, yc profile) or no folder id was found.

    ``found`` names the credential's source when only the folder is missing, so the message
    asks for exactly the part that is missing instead of sending the user after both. ``server``:
    the HOST:PORT the user chose (not the cloud), whose user is told what a test server takes
    rather than sent to another server, and is not offered YC_OAUTH_TOKEN: the SDK exchanges an
    OAuth token at an IAM service the server lists, and `ygpt-magic serve` lists none
    (OAuthNotExchanged).
    """

    def __init__(self, *, found: str | None = None, folder: str | None = None,
                 server: str | None = None) -> None:
        where = f" for the server at {server}" if server else ""
        any_value = "a server started with `ygpt-magic serve` takes any value"
        serve = f" ({any_value})" if server else ""
        tokens = "YC_IAM_TOKEN" if server else "YC_IAM_TOKEN / YC_OAUTH_TOKEN"
        billed = f"the folder the requests are billed to{f'; {any_value}' if server else ''}"
        tail = ("; each request reads them, so setting os.environ in a cell works too." if server
                else ", or run %ygpt connect local to use the local server that needs none.")
        if found and not folder:
            text = (f"A credential was found ({found}) but no folder id{where}. Set YC_FOLDER_ID "
                    f"in the environment ({billed}), or run %ygpt auth to enter it{tail}")
        elif folder:
            text = (f"A folder id was found but no API key or token{where}. Set YC_API_KEY (or "
                    f"{tokens}) in the environment{serve}, or run %ygpt auth "
                    f"to enter it without saving it in the notebook{tail}")
        else:
            head = (f"No API key or folder id was found{where}" if server
                    else "No Yandex Cloud credentials were found")
            text = (f"{head}. Set YC_API_KEY (or {tokens}) and YC_FOLDER_ID in "
                    f"the environment{serve}, or run %ygpt auth to enter them without saving them "
                    f"in the notebook{tail}")
        super().__init__(text)


class FolderIsCredential(YGptError):
    """The folder id looks like a credential (keyshapes.looks_like): a key pasted at the folder
    prompt of %ygpt auth, or put in YC_FOLDER_ID. It is never taken, shown or sent (the folder is
    shown by whoami, named in errors and sent in every model URI), so this says what it looks
    like and where it was found (``source``), never the value or a part of it."""

    def __init__(self, source: str, kind: str) -> None:
        shape = "not a folder id (20 letters and digits, b1g…)"
        console = "the console shows the id beside the folder's name"
        if source == "%ygpt auth":
            text = (f"The folder id entered at %ygpt auth looks like {kind}, {shape}, so nothing "
                    f"was changed and it is not shown here. Run %ygpt auth again: the API key or "
                    f"IAM token goes at the first prompt, the folder id at the second ({console}).")
        else:
            where, fix = (("The yc CLI's folder-id", "run yc config set folder-id FOLDER_ID")
                          if source == "yc CLI config" else (source, f"set {source} to the folder's id"))
            text = (f"{where} holds what looks like {kind}, {shape}, so it is not used or shown, "
                    f"and nothing was sent. Put the key in YC_API_KEY (or YC_IAM_TOKEN) and {fix} "
                    f"({console}), or run %ygpt auth to enter both.")
        super().__init__(text)
        self.source = source


class RefusedForEvery(YGptError):
    """The service refused what every request of a run carries alike: the credential
    (AuthFailed), the folder's permission (PermissionDenied), the model (ModelNotFound). A run
    over many rows (client/many.py) stops sending at the first one, since every other row would
    be refused the same way, and says this message once: sending again cannot help until it is
    fixed."""


class AuthFailed(RefusedForEvery):
    """UNAUTHENTICATED: the credential was sent and refused. ``detail``: the server's own words,
    quoted since they often say exactly what is wrong ("The token is expired", "Unknown api key",
    a folder not found); client/rpc_errors.py masks the kernel's credentials in them first, and
    ``_clean`` anything key-shaped, since a server may echo what it was sent. ``cli``: it was a
    token the `yc` CLI gave (YC_API_KEY / YC_IAM_TOKEN are then not in use, and not what to
    check); the client asks the CLI for a new one for the next request, since the one refused may
    have been revoked or the CLI's account switched (`yc init`) since it was fetched.
    ``placeholder``: what was sent was that placeholder key, not the user's own (sent on purpose
    with %ygpt auth)."""

    def __init__(self, endpoint: str, source: str | None = None, detail: object = None, *,
                 cli: bool = False, placeholder: str | None = None) -> None:
        if placeholder:
            YGptError.__init__(self, _with_detail(_placeholder_refused(endpoint, placeholder), detail))
            self.endpoint = endpoint
            return
        which = f" from {source}" if source else ""
        if cli:
            todo = ("The next request asks the CLI for a new token; if that is refused too, check "
                    "that `yc iam create-token` works in a terminal and which profile and folder "
                    "`yc config list` shows, sign in again with `yc init`, or run %ygpt auth to "
                    "enter a key")
        else:
            todo = ("Run %ygpt auth to enter a new one, or check YC_API_KEY / YC_IAM_TOKEN (IAM "
                    "tokens expire after 12 hours)")
        super().__init__(_with_detail(
            f"{endpoint} refused the credential{which} (UNAUTHENTICATED): the key or token is "
            f"wrong, revoked or expired. {todo}; %ygpt whoami shows what is used.", detail))
        self.endpoint = endpoint


class OAuthNotExchanged(RefusedForEvery):
    """The credential is an OAuth token, which the SDK exchanges for an IAM token at the IAM
    service the endpoint lists before it sends anything, and the server at ``endpoint`` lists
    none (`ygpt-magic serve` has none; the SDK's UnknownEndpointError for 'iam'). The kind of
    credential is the cause, not the server's health, so the advice is one that needs no
    exchange, where it is given (``source``: the credential's)."""

    def __init__(self, endpoint: str, source: str) -> None:
        if source == "%ygpt auth":
            todo = "Run %ygpt auth again and enter an API key or an IAM token instead"
        else:
            todo = "Set YC_API_KEY or YC_IAM_TOKEN instead, or enter one with %ygpt auth"
        super().__init__(
            f"The credential is an OAuth token ({source}), which has to be exchanged for an IAM "
            f"token first, and the server at {endpoint} offers no IAM service to do it, so nothing "
            f"was sent. {todo} (a server started with `ygpt-magic serve` takes any value), or use "
            f"%ygpt connect local, which needs none.")


def _placeholder_refused(endpoint: str, placeholder: str) -> str:
    """A server that wants a real key refused the placeholder it got (client/connection.py): the
    user's own key was never sent, so it is not wrong, revoked nor expired."""
    return (f"{endpoint} refused the placeholder key {placeholder} (UNAUTHENTICATED): it wants "
            f"a real key. Your own key is not sent in the clear (no TLS) to a server that is not "
            f"Yandex's, so it got the placeholder instead. To send a key there on purpose, run "
            f"%ygpt auth; or give the server TLS and connect without --insecure (and without "
            f"YGPT_INSECURE). %ygpt whoami shows what is used.")


class PermissionDenied(RefusedForEvery):
    """PERMISSION_DENIED: the identity is valid but may not use the model in this folder.
    ``server``: the address of a server that is not Yandex Cloud's, whose refusal is its own
    (its setup, or the cloud's behind it if it passes requests on): not said to be the cloud's."""

    def __init__(self, folder_id: str | None = None, detail: object = None, server: str | None = None) -> None:
        folder = f"folder {folder_id}" if folder_id else "the folder"
        if server:
            text = (f"The server at {server} answered that the credential has no permission to use "
                    f"YandexGPT in {folder} (PERMISSION_DENIED). Check the folder (YC_FOLDER_ID) and "
                    f"the credential that server takes with whoever runs it; if it passes requests on "
                    f"to Yandex Cloud, the service account needs the ai.languageModels.user role on "
                    f"that folder.")
        else:
            text = (f"The credential is valid but has no permission to use YandexGPT in {folder} "
                    f"(PERMISSION_DENIED). Grant the service account the ai.languageModels.user role "
                    f"on that folder, or set YC_FOLDER_ID to a folder it can use.")
        super().__init__(_with_detail(text, detail))


class FolderMismatch(RefusedForEvery):
    """The cloud's INVALID_ARGUMENT "Specified folder ID does not match with service account":
    the folder id sent is not the folder of the service account the key or token belongs to (AI
    Studio's error-codes page). A key works in its service account's folder, so the fix is the
    folder id, not an option of the request."""

    def __init__(self, folder_id: str | None = None, detail: object = None) -> None:
        folder = f"The folder {folder_id}" if folder_id else "The folder id"
        super().__init__(_with_detail(
            f"{folder} is not the folder of the service account your API key or token belongs to "
            f"(INVALID_ARGUMENT). Set YC_FOLDER_ID (or the folder in %ygpt auth) to the id of the folder "
            f"that service account was created in, or use a key of a service account in this folder; "
            f"%ygpt whoami shows the folder used and where it comes from.", detail))


class QuotaExceeded(YGptError):
    """RESOURCE_EXHAUSTED after the requests really made (``attempts``: the SDK's gRPC retries,
    or one over the chat API, which it does not retry); ``wait``: the seconds the server's
    Retry-After asked for, if it said. ``server``: the address of a server that is not Yandex
    Cloud's (the local server, a proxy), whose limit it is: no cloud quota nor console to ask."""

    def __init__(self, attempts: int | None = None, detail: object = None, wait: int | None = None,
                 server: str | None = None) -> None:
        tries = f" after {counted(attempts, 'attempt')}" if attempts else ""
        pause = f"The server asks to wait {wait} s: wait that long" if wait is not None else "Wait a minute"

        def words(origin: Origin) -> str:
            if server:
                return (f"The server at {server} answered that a quota or rate limit was exceeded{tries} "
                        f"(RESOURCE_EXHAUSTED). {pause} and {origin.again}, or send fewer requests at "
                        f"once; if it keeps answering so, {where_to_look(server)}.")
            return (f"Yandex Cloud's quota or rate limit was exceeded{tries} (RESOURCE_EXHAUSTED). "
                    f"{pause} and {origin.again}, send fewer requests at once, or ask for a "
                    f"higher quota in the cloud console.")
        super().__init__(lambda origin: _with_detail(words(origin), detail))


#: how to name a model that was not found, by what the request was: a classifier is no chat model
_NAMING = {
    "completion": ("The model", "Use a short name such as yandexgpt or yandexgpt-lite, name/version such "
                                "as yandexgpt/rc, or a full gpt://<folder_id>/<model>/<version> URI; "
                                "%ygpt models lists them."),
    "embedding": ("The embedding model", "Use --model doc (for the texts searched) or query (for what is "
                                         "searched for), or an emb://<folder_id>/<model>/<version> URI of a "
                                         "model tuned in a folder your credentials reach (YC_FOLDER_ID)."),
    "classification": ("The classifier", "Classifiers run on yandexgpt or yandexgpt-lite (name/version "
                                         "such as yandexgpt-lite/rc), or are tuned ones named by a "
                                         "cls://<folder_id>/<name>/<version> URI: check its name, its "
                                         "version and that its folder is the one your credentials "
                                         "reach (YC_FOLDER_ID)."),
}


class ModelNotFound(RefusedForEvery):
    """The model URI does not name a model this folder can use: NOT_FOUND, or the cloud's own
    answer to a model it does not know, INVALID_ARGUMENT "invalid model_uri" (``status``; AI
    Studio's error-codes page), whose URI also holds the folder id, which the page says to check
    too. ``asked``: a completion, an embedding or a classification, whose models are named
    differently. The model is named without a URI's folder id (modelname's ``short``), which a
    saved notebook would keep; a URI the user gave is then said to name a folder to check."""

    def __init__(self, model: str, detail: object = None, asked: str = "completion",
                 status: str = "NOT_FOUND") -> None:
        what, advice = _NAMING.get(asked, _NAMING["completion"])
        name = model_name(model)
        folder = (" The URI names a folder too: if the name is right, check the folder id in it." if name.folder
                  else "" if status == "NOT_FOUND" else
                  " A model URI holds the folder id too: if the name is right, check the folder "
                  "(YC_FOLDER_ID, or the one entered with %ygpt auth; %ygpt whoami shows it).")
        meant = _latin_twin(name.short)
        super().__init__(_with_detail(f"{what} '{name.short}' was not found ({status}). {meant}{advice}{folder}",
                                      detail))
        self.model = model


def _latin_twin(model: str) -> str:
    """"did you mean" for a model name typed with a Cyrillic look-alike letter (yаndexgpt): every
    model name and URI is written in Latin letters, so its Latin spelling is the name meant
    ('' when the name has no such letter, or letters that have no Latin twin)."""
    latin = in_latin(model)
    twin = look_alike(model, [latin]) if latin.isascii() else None
    return f"{twin.question(model)} " if twin else ""


class PictureModelNotFound(ModelNotFound):
    """NOT_FOUND from the chat API, which only a request with pictures takes, and only for a
    model the catalogue says takes them (chat/planning.py refuses the others before sending): the
    advice is the ``--http`` address, which answers 404 for every model when it is not a chat
    API's, and the folder, never a text model that ``--image`` refuses."""

    def __init__(self, model: str, url: str, detail: object = None) -> None:
        RefusedForEvery.__init__(self, _with_detail(
            f"The chat API at {url} did not find the model '{model_name(model).short}' (NOT_FOUND). "
            f"Check that {url} is the chat API's address (%ygpt connect HOST:PORT --http URL; "
            f"`ygpt-magic serve` prints its own after READY) and that the folder (YC_FOLDER_ID) can "
            f"use the model; %ygpt models marks the models that take images.", detail))
        self.model = model


#: what to check when the server refuses a value, by what the request was
_CHECK = {
    "completion": "Check the options (temperature 0..1, max tokens, model) with %ygpt config, and {written}.",
    "embedding": "Check the text and the embedding model (--model doc, query or an emb:// URI).",
    "classification": "Check the text, the labels and samples, and the classifier's model.",
}


class RequestRejected(YGptError):
    """INVALID_ARGUMENT: the server refused a value in the request (``asked``: a completion, an
    embedding or a classification; the options to check differ)."""

    def __init__(self, detail: object = None, asked: str = "completion") -> None:
        super().__init__(lambda origin: _with_detail(
            f"The server rejected the request as invalid (INVALID_ARGUMENT). "
            f"{_CHECK[asked].format(written=origin.written)}", detail))


class RequestTooLarge(YGptError):
    """HTTP 413 from the chat API: the request's body, which is its pictures (as base64) above
    all, is over what that server takes. ``pictures``: the bytes of each picture sent, so the
    message says what to shrink; the options a RequestRejected would list are not in question."""

    def __init__(self, url: str, pictures: tuple[int, ...], detail: object = None) -> None:
        carried = (f": it carried {counted(len(pictures), 'picture')}, {sum(pictures) / 1e6:.1f} MB "
                   f"in all" if pictures else "")
        super().__init__(lambda origin: _with_detail(
            f"The chat API at {url} refused the request as too large (HTTP 413){carried}; nothing "
            f"was added to the chat. Send smaller pictures, or fewer at once: crop or resize a "
            f"picture (a figure: a smaller figsize or dpi), save a photo as JPEG rather than PNG"
            f"{origin.flag(', or give one picture per cell (--image NAME)')}, then {origin.again}.",
            detail))


#: what a status other than the common ones means, in words that do not blame the server when
#: it is not the server's fault; a status not listed is the server's failure (ServerFailed's default)
_STATUS_WORDS = {
    "CANCELLED": "The request was cancelled before it completed (CANCELLED), by the server or on the "
                 "way. Nothing was added to the chat: {again}.",
    "ABORTED": "The server aborted the request, which ran into another operation (ABORTED). Nothing "
               "was added to the chat: {again}.",
    "OUT_OF_RANGE": "The server refused a value in the request as out of range (OUT_OF_RANGE). Check "
                    "the options (max tokens, temperature 0..1) with %ygpt config, then {again}.",
    "ALREADY_EXISTS": "The server says what the request would create already exists (ALREADY_EXISTS). "
                      "Check for a dataset or batch job of the same name, then {again}.",
}


class ServerFailed(YGptError):
    """INTERNAL and every other status without a better type; ``server``: the address of a
    server that is not Yandex Cloud's (its status page says nothing about that one). A status
    of _STATUS_WORDS is said in its own words, with no blame on the server."""

    def __init__(self, status: str, detail: object = None, server: str | None = None) -> None:
        def words(origin: Origin) -> str:
            if status in _STATUS_WORDS:
                head = _STATUS_WORDS[status].format(again=origin.again)
            else:
                who, whose = (f"The server at {server}", "that") if server else ("The server", "the")
                head = (f"{who} failed to answer ({status}). This is on {whose} server's side: "
                        f"{origin.again} in a moment; if it keeps failing, {where_to_look(server)}.")
            return _with_detail(head, detail)
        super().__init__(words)
        self.status = status


class ServiceRefused(RefusedForEvery):
    """FAILED_PRECONDITION (the account's or folder's state: billing, a service not enabled) or
    UNIMPLEMENTED (the model or the server does not offer what was asked). gRPC says neither is
    to be retried until something changes, so the advice is what to change, never "run again"
    (``server``: the address of a server that is not Yandex Cloud's)."""

    def __init__(self, status: str, detail: object = None, server: str | None = None) -> None:
        super().__init__(lambda origin: _with_detail(self._text(status, server, origin), detail))
        self.status = status

    @staticmethod
    def _text(status: str, server: str | None, origin: Origin) -> str:
        if status == "FAILED_PRECONDITION":
            where = (f"the server at {server}: look at its setup" if server else
                     "the cloud console: the folder's billing account must be active, and the service "
                     "enabled for the folder (YC_FOLDER_ID)")
            return (f"The request was refused because of the state of the account or folder "
                    f"(FAILED_PRECONDITION), so running it again will not help until that changes. "
                    f"Check it in {where}.")
        other = f"; the server at {server} may offer only part of the API" if server else ""
        return (f"The server does not offer what was asked (UNIMPLEMENTED{other}): this model "
                f"or service lacks that method or option, so {origin.retrying} will not help. "
                f"Choose another model (%ygpt models lists them), or leave out the option it lacks.")


class ChatApiRedirects(YGptError):
    """HTTP 3xx from the chat API: it answers at another address, and the redirect is not
    followed (the request, and the key in it, would go to a server nobody named). ``location``
    is the redirect's target, whose path a gateway may fill with a token: shown as a server's
    words are (``_clean``), with anything key-shaped masked."""

    def __init__(self, address: str, status: int, location: str) -> None:
        location = _clean(location)
        super().__init__(lambda origin: (
            f"The chat API at {address} redirects (HTTP {status}) to {location}: give that address "
            f"{origin.flag('with --http', 'to %ygpt connect')} (%ygpt connect HOST:PORT --http "
            f"{location}). The redirect is not "
            f"followed, so nothing was sent there, and {origin.retrying} will not help."))
