"""The cache key: everything that decides a reply, and nothing that names who asked.

A reply depends on where it was asked (the cloud, the bundled local server, another server),
the model and its version, the options, the exact messages (with a tool exchange's calls and
results so far, and each picture as the SHA-256 of its bytes and its media type), and the tool
declarations and response schema a request adds (``extra``). The folder id is part of a model
URI but not of the answer, so it is normalised out: a cache recorded by one user replays for
another. The key is a SHA-256 of a canonical JSON document, so the cache file holds no prompt
text, picture, folder or credential.

A request with no tools, schema or pictures keeps the document of the first cache format (no
``tool_choice``, an empty ``extra``, messages of role and text), so caches recorded before go on
replaying.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..chat import RequestOptions
from ..modelname import model_name

#: Bumped when the meaning of a key changes, so old entries simply stop matching.
KEY_VERSION = 1


def endpoint_kind(target: str) -> str:
    """``cloud`` / ``local`` / ``other`` (any HOST:PORT): the address of another server is
    left out, because the same server on another port answers the same."""
    return target if target in ("cloud", "local") else "other"


def request_key(*, kind: str, endpoint: str, options: RequestOptions, messages: Sequence[Mapping[str, Any]],
                extra: Mapping[str, Any] | None = None) -> str:
    """The key of one request: ``kind`` is ``reply`` (a completion) or ``tokens`` (a count);
    ``extra``: what the request adds to its messages (``tools``, ``response_format``)."""
    return _digest(_document(kind, endpoint, options, messages, extra))


#: the parts of a request a replay-mode miss names when no recording holds it, most telling
#: first: a recording of the same text made with another model is nearer than another text.
#: ``text`` is what was asked in the last turn (its words alone); what else that turn carries
#: has a part of its own, so a changed picture, tool result or --docs source is not blamed on
#: a cell the user did not touch. ``written`` is the cell as written, before its {…} were
#: filled in (a value that fills in differently is not an edited cell), ``framing`` the
#: instruction the package wraps the question in (--docs: a reworded one is no edited file)
PARTS = ("text", "written", "earlier", "instruction", "framing", "pictures", "results", "sources",
         "tools", "model", "options", "server")

#: the parts added to :data:`PARTS` since entries were first cut into parts, and the part whose
#: cut they changed (``sources`` held the --docs instruction too): an entry recorded before
#: them lacks them, and a miss compares it on the others
ADDED = ("written", "framing")
RECUT = ("sources",)


@dataclass(frozen=True)
class Asked:
    """What the user asked, for the reply cache's parts: ``text``, as the request's text holds
    it (the whole text, or a --docs question inside its instruction and sources); ``written``,
    the cell's words before its {…} references were filled in; ``framing``, the instruction the
    package puts around it (--docs). Digested apart, they let a replay-mode miss say that a value
    filled in differently, or that the instruction was reworded (a setting, or an upgrade of the
    package), instead of blaming the cell or the user's files."""

    text: str = ""
    written: str = ""
    framing: str = ""


#: a request that wraps nothing the user asked (a count, a row, an embedding)
NOTHING_ASKED = Asked()


def request_parts(*, kind: str, endpoint: str, options: RequestOptions, messages: Sequence[Mapping[str, Any]],
                  extra: Mapping[str, Any] | None = None, asked: Asked = NOTHING_ASKED) -> dict[str, str]:
    """The ``kind`` and a short digest of each of :data:`PARTS` of one request, kept in its
    entry so that a replay-mode miss can say which part differs from the nearest recording.
    ``asked``: what the user asked and what it was made of (:class:`Asked`); its text may be
    wrapped in more (a --docs cell's question, inside its instruction and sources: the rest is
    the ``framing`` and ``sources`` parts). Digests,
    as the key is: the file still holds no prompt text, folder or credential."""
    return _parts(kind, _document(kind, endpoint, options, messages, extra), asked)


def request_entry(*, kind: str, endpoint: str, options: RequestOptions, messages: Sequence[Mapping[str, Any]],
                  extra: Mapping[str, Any] | None = None, asked: Asked = NOTHING_ASKED) -> tuple[str, dict[str, str]]:
    """The key and the parts (:func:`request_parts`) of a request being recorded, from one
    document: making it dumps the whole history and hashes every picture's bytes."""
    document = _document(kind, endpoint, options, messages, extra)
    return _digest(document), _parts(kind, document, asked)


def _parts(kind: str, document: Mapping[str, Any], asked: Asked) -> dict[str, str]:
    said = [m for m in document["messages"] if m.get("role") != "system"]
    start = max((i for i, m in enumerate(said) if "text" in m), default=0)
    turn = said[start:]
    text = turn[0].get("text", "") if turn else ""
    question = asked.text
    wrapped = bool(question) and question != text and question in text
    framing, sources = _framing(asked.framing, text.replace(question, "", 1) if wrapped else "")
    parts = {"text": [turn[0].get("role"), question if wrapped else text] if turn else [],
             "written": _written(asked, text, wrapped),
             "earlier": said[:start],
             "instruction": [m for m in document["messages"] if m.get("role") == "system"],
             "framing": framing,
             "pictures": [m.get("images") for m in turn],
             "results": [[m.get("tool_calls"), m.get("tool_results")] for m in turn],
             "sources": sources,
             "tools": document["extra"], "model": document["model"], "options": document["options"],
             "server": document["endpoint"]}
    return {"kind": kind, **{name: _digest(value)[:16] for name, value in parts.items()}}


def _written(asked: Asked, text: str, wrapped: bool) -> list[str]:
    """The cell as written, for a request whose text is what the cell asked (or wraps it);
    else (another turn's count, a row) the text itself, so the two parts differ together."""
    kept = asked.written and (wrapped or asked.text == text)
    return ["written", asked.written if kept else text]


def _framing(framing: str, around: str) -> tuple[str, str]:
    """The instruction the package put around the question (``framing``, when ``around``
    starts with it), and the rest of ``around`` (the text around it in the request): the
    --docs sources."""
    if framing and around.startswith(framing):
        return framing, around[len(framing):]
    return "", around


#: what ``endpoint_kind`` makes of any server
SERVERS = ("cloud", "local", "other")


def server_of(part: str) -> str | None:
    """Which of :data:`SERVERS` a ``server`` part (``request_parts``) digests, so a miss can
    name the server a recording was made against; None for a part that is none of them."""
    return next((kind for kind in SERVERS if _digest(kind)[:16] == part), None)


def _document(kind: str, endpoint: str, options: RequestOptions, messages: Sequence[Mapping[str, Any]],
              extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """Everything that decides the reply to one request, as plain JSON values."""
    import hashlib  # ~3 ms of OpenSSL set-up: paid by the first cached request, not %load_ext

    chosen: dict[str, object] = {"temperature": options.temperature, "max_tokens": options.max_tokens,
              "reasoning": options.reasoning, "json": options.json}
    if options.tool_choice is not None:
        chosen["tool_choice"] = options.tool_choice
    return {
        "v": KEY_VERSION,
        "kind": kind,
        "endpoint": endpoint,
        "model": model_name(options.model).cache_key,
        "options": chosen,
        "messages": [_message(m, hashlib.sha256) for m in messages],
        "extra": dict(extra or {}),
    }


def _digest(value: Any) -> str:
    """The SHA-256 of ``value``'s canonical JSON, in hex."""
    import hashlib

    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _message(message: Mapping[str, Any], sha256: Any) -> dict[str, Any]:
    """What of a message decides a reply: its role and text, or its tool calls or results, and
    its pictures by digest (the bytes never reach the key's document, let alone the file)."""
    kept = {name: message[name] for name in ("role", "text", "tool_calls", "tool_results")
            if name in message}
    if message.get("images"):
        kept["images"] = [{"sha256": sha256(picture.data).hexdigest(), "mime": picture.mime}
                          for picture in message["images"]]
    return kept
