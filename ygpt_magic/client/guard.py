"""The credential guard: no request leaves this kernel carrying a credential.

A key pasted into a cell or the panel's boxes, kept in a variable a cell sends, printed in a
traceback that ``%ygpt fix`` sends, used as a tool parameter's default (``api_key: str =
os.environ["YC_API_KEY"]`` puts it into the declaration's JSON schema) or held in a chat loaded
from a file would otherwise reach the model, its logs and the tokenizer. Doors differ; requests
do not: every request method of the Client (stream, complete, deferred, complete_many,
count_tokens, batch jobs, classifications) calls :func:`check_request` over everything the
request carries before anything is sent, so no door can skip it. The notebook-side checks
(context/interpolate.py) call :func:`check` to name the reference that brought a key in, earlier
and more precisely.

A text carries a credential when it holds the whole secret or any run of :data:`FRAGMENT` of its
characters, or when it holds a token of a shape Yandex publishes for its credentials
(keyshapes.py): a key the kernel does not know (pasted from elsewhere, in a DataFrame, a
file, a traceback, a tool's result) is refused like its own.

A short secret is looked for less: one under :data:`SHORTEST` characters not at all, one of up to
:data:`FRAGMENT` only as a whole token (not inside a run of letters, digits, ``_`` or ``-``).
No Yandex credential is that short (an API key has about 40 characters, an IAM token hundreds),
so such a secret is a placeholder for a server that takes any value (``YC_API_KEY=test``, as
``ygpt-magic serve`` invites), and its letters are ordinary words: looked for as a substring,
``test`` refused "a unit test in pytest" as carrying "your api key", and ``x`` nearly every
prompt. A short real password is still found where it is written as itself. The refusal names the piece (the
prompt, the system message, tool ``search``'s declaration) and what was found, masked, never the
secret.

One exception, for the model's own words: the text of an assistant message in the history is not
searched for *unknown* shapes. That text came from the server; sending it back tells the server
nothing it did not write, and a model that gives an example ``.env`` writes a placeholder or a
made-up key of a published shape, which would otherwise refuse every later cell of its chat with
advice to edit a reply no one can edit and to rotate a key that never existed. The kernel's
*own* credentials are still refused there, for three reasons: "the server wrote it" is an
assumption a chat moved to another server with ``%ygpt connect`` does not keep; the kernel's key
found there is never a false alarm (it is certainly live), so refusing costs nothing a user would
want; and each request that carries it puts it into one more log, while the user must hear that
it leaked and rotate it. (A reply that quotes the key in use comes in masked, exchange.py
``_Requests.taken``, so the kernel's own key is found there when it became the key in use
after the reply came.) The model's tool calls are not plain text and keep the whole check
(CredentialInToolCall).

A reply read from a chat file is not the server's word: anyone can write a file. Its turn sends
it with key shapes masked, a :class:`~ygpt_magic.chat.FileText` (chat/filetext.py says why masked,
not refused), and the exception does not apply to that type: what the masking missed (a key
wrapped onto lines) is refused, and the kernel's own credentials are looked for in the text as
the file gave it, so one there is refused as before, even where the masking hid it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..chat import FileText
from ..errors import CredentialInPrompt, CredentialInReply, CredentialInToolCall, Found, YGptError
from ..keyshapes import sighted
from .credentials import Credential, looked_for

#: a run of this many characters of a secret counts as "a long token-looking part of it"
FRAGMENT = 12


def carries(text: str, secret: str) -> bool:
    """Whether ``text`` holds ``secret`` (one of up to FRAGMENT characters as a whole token: the
    module's docstring says why), or a FRAGMENT-long run of it when it is longer."""
    if len(secret) <= FRAGMENT:
        return secret in text and re.search(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", text) is not None
    for start in range(len(secret) - FRAGMENT + 1):
        if secret[start:start + FRAGMENT] in text:
            return True
    return False


#: how a door refuses a text: (where it was found, what was found) → the error to raise
Refusal = Callable[[str, Found], YGptError]


def check(where: str, text: str, credentials: Iterable[Credential],
          refusal: Refusal = CredentialInPrompt) -> None:
    """``refusal`` (CredentialInPrompt: a text a request carries) naming ``where`` if ``text``
    carries any of ``credentials`` or a token of a Yandex credential's shape."""
    found = credential_in(text, credentials)
    if found is not None:
        raise refusal(where, found)


def credential_in(text: str, credentials: Iterable[Credential]) -> Found | None:
    """One of ``credentials`` in ``text`` (named by its kind and source), else a credential's
    shape (named by its kind, masked), else None."""
    own = _own(text, credentials)
    if own is not None:
        return own
    sighting = sighted(text)
    if sighting is not None:
        return Found(sighting.named(), known=False)
    return None


def _own(text: str, credentials: Iterable[Credential]) -> Found | None:
    """One of ``credentials`` in ``text``, named by its kind and source; none under SHORTEST
    characters is looked for (looked_for: the module's docstring says why)."""
    for credential in credentials:
        if looked_for(credential.secret) and carries(text, credential.secret):
            return Found(f"{credential.kind.replace('_', ' ')} (from {credential.source})")
    return None


class CleanTexts:
    """The plain texts of messages already found clean against the credentials now known (and
    the credentials' shapes, which never change).

    A chat's history goes out again with every cell; its turns hand out the same text objects
    each time, so a text checked once is found here by identity instead of being searched for
    every fragment of every credential again (1,000 turns cost a cell 10 ms before: bench row
    4a). A different set of credentials (a new key in the environment) starts it afresh, and it
    holds at most ``LIMIT`` texts (each kept alive by it, as the chats keep them anyway).
    """

    LIMIT = 200_000

    def __init__(self) -> None:
        self._under: tuple[str | None, ...] = ()
        self._texts: set[str] = set()

    def under(self, credentials: Sequence[Credential]) -> set[str]:
        """The texts known clean against exactly ``credentials``."""
        secrets = tuple(credential.secret for credential in credentials)
        if secrets != self._under or len(self._texts) > self.LIMIT:
            self._under, self._texts = secrets, set()
        return self._texts


def check_request(messages: Sequence[Mapping[str, Any]], extras: Mapping[str, Any],
                  credentials: Sequence[Credential], clean: CleanTexts | None = None) -> None:
    """CredentialInPrompt, naming the piece, if anything this request would send carries one
    of ``credentials`` or a credential's shape (but an unknown shape in a model's reply: see the
    module's docstring): each message whole (text, tool calls and results, picture names), each
    tool declaration whole (name, description, every schema field, defaults and enums included)
    and the response format. With ``clean``, a plain message's text found clean before is not
    searched again, and one found clean now is remembered, but for the last (the prompt: a
    ``--map`` row's, which would only fill the memory, or a cell's, which is history next time)."""
    known = clean.under(credentials) if clean is not None else set()
    for index, message in enumerate(messages):
        text = message.get("text")
        plain = text if isinstance(text, str) and message.keys() <= PLAIN else None  # its text alone
        if isinstance(text, FileText):
            _check_file_text(messages, index, text, credentials)
            continue
        if plain is not None and plain in known:
            continue
        found = credential_in(_text(message) if plain is None else plain, credentials)
        if found is not None and not _written_back(message, found):
            raise _refusal(messages, index, found, credentials)
        if found is None and plain is not None and clean is not None and index < len(messages) - 1:
            known.add(plain)  # history only: a prompt is remembered once it is history
    for where, piece in _extras(extras):
        check(where, piece, credentials)


def _check_file_text(messages: Sequence[Mapping[str, Any]], index: int, text: FileText,
                     credentials: Sequence[Credential]) -> None:
    """The refusal of a reply read from a file (module docstring) when the text it sends holds
    anything, or the text the file gave holds one of ``credentials``. Never remembered as
    clean: equal words of the server's own may hide a different key in their file's text."""
    found = credential_in(text, credentials) or _own(text.original, credentials)
    if found is not None:
        raise _refusal(messages, index, found, credentials)


def _written_back(message: Mapping[str, Any], found: Found) -> bool:
    """Whether ``found`` is an unknown shape in the text of a model's reply, which goes back to
    the server that wrote it (the rule in this module's docstring). Such a text is not
    remembered as clean, so the same words in a user's message are still searched."""
    return not found.known and message.keys() <= PLAIN and message.get("role") == "assistant"


def _refusal(messages: Sequence[Mapping[str, Any]], index: int, found: Found,
             credentials: Sequence[Credential]) -> CredentialInPrompt:
    """The refusal of message ``index``: a reply of the model's says how to leave it behind (it
    cannot be edited); a tool call of the model's says what happened to it (it ran; in an earlier
    turn when a plain message follows it) and names the calls that hold it."""
    message = messages[index]
    if message.get("role") == "assistant" and message.keys() <= PLAIN:
        return CredentialInReply(_message_name(message, index, len(messages)), found)
    if "tool_calls" not in message:
        return CredentialInPrompt(_message_name(message, index, len(messages)), found)
    calls = message["tool_calls"]
    holding = [call for call in calls if credential_in(_text(call), credentials) is not None] or calls
    names = ", ".join(dict.fromkeys(str(call.get("name", "?")) for call in holding))
    earlier = any(later.keys() <= PLAIN for later in messages[index + 1:])
    return CredentialInToolCall(names, found, index + 1 if earlier else None)


#: the keys of a message that is its text alone (its role is one of a few fixed words)
PLAIN = {"role", "text"}


def _extras(extras: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(what a user calls it, all its text as JSON) for the tools, the response format and a
    classifier's labels and task (client/classify.py ``Classifier.extras``); the labels first,
    as the default task repeats them and the user typed them."""
    for tool in extras.get("tools") or ():
        yield f"the declaration of tool {tool.get('name', '?')!r}", _text(tool)
    if extras.get("response_format"):
        yield "the --schema response format", _text(extras["response_format"])
    classify = extras.get("classify") or {}
    if classify.get("labels"):
        yield "the --labels", _text(classify["labels"])
    if classify.get("task"):
        yield "the --task", _text(classify["task"])


def _message_name(message: Mapping[str, Any], index: int, count: int) -> str:
    if "tool_results" in message:
        names = ", ".join(result.get("name", "?") for result in message["tool_results"])
        return f"the result of {names}"
    if "tool_calls" in message:
        return "the model's tool calls"
    if message.get("role") == "system":
        return "the system message"
    if index == count - 1:
        return "the prompt"
    return f"an earlier {message.get('role', '')} message of the chat (message {index + 1})"


def _text(value: Any) -> str:
    """Every string in ``value``, as JSON; a picture counts by its description, not its bytes."""
    return json.dumps(value, ensure_ascii=False, default=_described)


def _described(value: Any) -> str:
    info = getattr(value, "info", None)
    return info.describe() if info is not None else str(value)
