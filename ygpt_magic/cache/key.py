"""The cache key: everything that decides a reply, and nothing that names who asked.

A reply depends on where it was asked (the cloud, the bundled local server, another server),
the model and its version, the options, the exact messages and, later, tools and a response
schema (passed as ``extra``). The folder id is part of a model URI but not of the answer, so it
is normalised out: a cache recorded by one user replays for another. The key is a SHA-256 of a
canonical JSON document, so the cache file holds no prompt text, folder or credential.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..chat import Options

#: Bumped when the meaning of a key changes, so old entries simply stop matching.
KEY_VERSION = 1
ENDPOINT_KINDS = ("cloud", "local", "other")


def endpoint_kind(target: str) -> str:
    """``cloud`` / ``local`` / ``other`` (any HOST:PORT): the address of another server is
    left out, because the same server on another port answers the same."""
    return target if target in ("cloud", "local") else "other"


def model_key(model: str) -> str:
    """``gpt://<folder>/yandexgpt/latest``, ``yandexgpt/latest`` and ``yandexgpt`` → the same
    ``yandexgpt/latest`` (the client asks for ``latest`` when no version is given)."""
    name = model.strip()
    if name.startswith("gpt://"):
        name = name[len("gpt://"):].partition("/")[2] or name
    elif "://" in name:
        return name
    base, _, version = name.partition("/")
    return f"{base}/{version or 'latest'}"


def request_key(*, kind: str, endpoint: str, options: Options, messages: Sequence[Mapping[str, str]],
                extra: Mapping[str, Any] | None = None) -> str:
    """The key of one request: ``kind`` is ``reply`` (a completion) or ``tokens`` (a count)."""
    document = {
        "v": KEY_VERSION,
        "kind": kind,
        "endpoint": endpoint,
        "model": model_key(options.model or ""),
        "options": {"temperature": options.temperature, "max_tokens": options.max_tokens,
                    "reasoning": options.reasoning, "json": options.json},
        "messages": [{"role": m["role"], "text": m["text"]} for m in messages],
        "extra": dict(extra or {}),
    }
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    import hashlib  # ~3 ms of OpenSSL set-up: paid by the first cached request, not %load_ext

    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
