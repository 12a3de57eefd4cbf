"""The models the local server pretends to host, and parsing of `gpt://` model URIs.

The SDK builds URIs like ``gpt://<folder>/yandexgpt/latest`` from a short name. A name or version
the cloud would not know is refused as the cloud refuses it: INVALID_ARGUMENT (HTTP 400) with its
words, ``invalid model_uri`` (AI Studio's error-codes page; the cloud answered a real typo so,
black-roland/homeassistant-yandexgpt#14), followed here by the models that are known; so a typo in a
notebook fails the same way locally as it would in Yandex Cloud, and a client meets the answer its
users will. A folder id that is blank or holds whitespace is refused as malformed (INVALID_ARGUMENT):
no folder of the cloud has such an id, and the cloud answers a URI it cannot use so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import RequestError

#: context length (tokens) of each known model; versions share their model's limit. The service's
#: list (AI Studio's models page, the SDK's examples), as chat/catalog.py's on the magic side (a
#: test holds the two together): yandexgpt-32k, listed there last as Deprecated only, is not served
CONTEXT_LIMITS: dict[str, int] = {
    "yandexgpt": 32768,
    "yandexgpt-lite": 32768,
    "aliceai-llm": 32768,
    "llama": 8192,
    "llama-lite": 8192,
    "qwen3-235b-a22b-fp8": 262144,
    "gpt-oss-120b": 131072,
    "gpt-oss-20b": 131072,
    "gemma-3-27b-it": 131072,
    "gemma-3-12b-it": 131072,
    "qwen2.5-32b-instruct": 32768,
}

#: models whose `latest` reports a version of its own (its release date) instead of VERSION_DATES'
OWN_VERSIONS: dict[str, str] = {
    "gemma-3-12b-it": "12.03.2025",
    "qwen2.5-32b-instruct": "19.09.2024",
}

#: the models Batch Processing runs (TextGenerationBatchService); a job for any other model is
#: accepted and then FAILED, as the cloud did for yandexgpt/latest (batch/ recording)
BATCH_MODELS: frozenset[str] = frozenset({
    "gemma-3-12b-it", "gemma-3-27b-it", "qwen2.5-32b-instruct", "qwen3-235b-a22b-fp8",
    "gpt-oss-120b", "gpt-oss-20b",
})

#: the cloud's words for a model URI that names no model it serves (AI Studio's error-codes page)
INVALID_MODEL_URI = "invalid model_uri"

#: what `model_version` the server reports for each version label
VERSION_DATES: dict[str, str] = {
    "latest": "23.10.2024",
    "rc": "07.04.2025",
    "deprecated": "07.03.2024",
}


@dataclass(frozen=True)
class ModelInfo:
    """One resolved model: its short name, version label, context limit and reported version."""

    name: str
    version: str
    context_limit: int

    @property
    def model_version(self) -> str:
        if self.version == "latest" and self.name in OWN_VERSIONS:
            return OWN_VERSIONS[self.name]
        return VERSION_DATES[self.version]

    @property
    def supports_batch(self) -> bool:
        return self.name in BATCH_MODELS

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}"


def resolve_model(uri: str) -> ModelInfo:
    """Parse ``gpt://<folder>/<name>[/<version>]``; raise RequestError like the cloud would."""
    scheme, sep, rest = uri.partition("://")
    parts = rest.split("/") if sep else []
    if scheme != "gpt" or len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The model URI {uri!r} is not of the form gpt://<folder_id>/<model>[/<version>]. "
            "Pass a short model name such as 'yandexgpt' to the SDK, or a full URI of that form.",
        )
    check_folder(uri, parts[0])
    name = parts[1]
    version = parts[2] if len(parts) == 3 and parts[2] else "latest"
    if name not in CONTEXT_LIMITS or version not in VERSION_DATES:
        raise unknown_model(f"the model {name}/{version}", f"Known models: {', '.join(CONTEXT_LIMITS)}")
    return ModelInfo(name=name, version=version, context_limit=CONTEXT_LIMITS[name])


def check_folder(uri: str, folder: str) -> None:
    """Refuse a model URI whose ``folder`` id is blank or holds whitespace, as malformed
    (INVALID_ARGUMENT): no folder has such an id, so a notebook whose folder id is one (a
    YC_FOLDER_ID of spaces) fails here as in the cloud, not only there."""
    if any(char.isspace() for char in folder) or not folder:
        wrong = "blank" if not folder.strip() else "not a folder id: it holds whitespace"
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The folder id in the model URI {uri!r} is {wrong}. Give the SDK your folder's id "
            f"(folder_id=..., or YC_FOLDER_ID).")


def unknown_model(what: str, known: str) -> RequestError:
    """The cloud's refusal of a model URI naming no model it serves (``what``: that model, as
    "the model yandexgtp/latest"), with the cloud's words first and then what is ``known`` here."""
    return RequestError(
        "INVALID_ARGUMENT",
        f"{INVALID_MODEL_URI}: {what} is not served here. {known}; versions: {', '.join(VERSION_DATES)}.")
