"""The classifiers the local server hosts, their `cls://` URIs, the service's limits, and the
input tokens a classification counts.

Prompt-based classifiers (FewShotClassify) are the base models the cloud offers for it,
YandexGPT Pro and Lite (``cls://<folder>/yandexgpt[-lite]/<version>``). Classify answers only
tuned classifiers, and the only tuned one served here is the one the SDK's own recording talks
to (``cassettes/classifiers/test_text_classifiers_run``): it knows one class, ``оператор``. Any
other tuned URI is NOT_FOUND, as in a folder where no such classifier was tuned.

The limits are the documented ones (Yandex AI Studio, "Classifiers based on YandexGPT" and
"Tuning classification models"): 2 to 20 classes for FewShotClassify, a class name of at most
100 characters, at most 8,000 tokens of text to classify. A refusal is INVALID_ARGUMENT with the
limit in its message, so a client can tell its user which one was crossed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import tokenizer
from .errors import RequestError
from .models import VERSION_DATES, check_folder

#: the base models FewShotClassify runs
PROMPT_MODELS = ("yandexgpt", "yandexgpt-lite")
#: tuned classifiers, by ``<model>/<version>`` after the folder, with the classes they know
TUNED: dict[str, tuple[str, ...]] = {
    "yandexgpt-lite/rc@tamrap1sjscq6e9flit3p": ("оператор",),
}
MIN_LABELS, MAX_LABELS = 2, 20
MAX_LABEL_CHARS = 100
MAX_TEXT_TOKENS = 8000
#: What a prompt-based classifier reads besides the task, labels, samples and text it is given:
#: instructions of its own, 28 tokens and 10 more a sample. From the recorded FewShotClassify
#: (``cassettes/classifiers/test_text_classifiers_run_few_shot``): "foo" with labels foo, bar
#: and no task was billed 46, where its labels and text as one prompt count 18; with two
#: samples 72, where they count 24.
INSTRUCTIONS, PER_SAMPLE = 28, 10


@dataclass(frozen=True)
class Classifier:
    """One resolved classifier: ``path`` is its URI after the folder (``yandexgpt/latest``)."""

    path: str
    labels: tuple[str, ...] = ()


def path_of(uri: str) -> str:
    """``<model>/<version>`` of ``cls://<folder>/<model>[/<version>]`` (``latest`` if none)."""
    scheme, sep, rest = uri.partition("://")
    parts = rest.split("/") if sep else []
    if scheme != "cls" or len(parts) not in (2, 3) or not all(parts):
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The classifier URI {uri!r} is not of the form cls://<folder_id>/<model>[/<version>]. "
            "Pass a model name such as 'yandexgpt' to sdk.models.text_classifiers(), or a full URI of that form.")
    check_folder(uri, parts[0])
    return "/".join([*parts[1:], "latest"][:2])


def prompt_classifier(uri: str) -> Classifier:
    """The base model a FewShotClassify request names; NOT_FOUND for any other."""
    path = path_of(uri)
    name, version = path.split("/")
    if name not in PROMPT_MODELS or version not in VERSION_DATES:
        raise RequestError(
            "NOT_FOUND",
            f"The classifier model {path} is not served here. Few-shot and zero-shot classification runs on "
            f"{' or '.join(PROMPT_MODELS)} (versions: {', '.join(VERSION_DATES)}).")
    return Classifier(path)


def tuned_classifier(uri: str) -> Classifier:
    """The tuned classifier a Classify request names; NOT_FOUND for an unknown one."""
    path = path_of(uri)
    if path not in TUNED:
        raise RequestError(
            "NOT_FOUND",
            f"No tuned classifier {path} here: Classify answers only tuned classifiers (served here: "
            f"{', '.join(TUNED)}). For a base model such as yandexgpt, configure labels "
            "(task_description and labels, optionally samples) to classify with it.")
    return Classifier(path, labels=TUNED[path])


def check_text(text: str) -> None:
    """Refuse a text over the service's token limit."""
    if (tokens := tokenizer.count(text)) > MAX_TEXT_TOKENS:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The text to classify is {tokens} tokens long; a classifier takes at most {MAX_TEXT_TOKENS}. "
            "Classify a shorter text, or split it and classify the parts.")


def check_labels(labels: Sequence[str]) -> None:
    """Refuse too few, too many or too long class names, as FewShotClassify does."""
    if not MIN_LABELS <= len(labels) <= MAX_LABELS:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The request has {len(labels)} label{'' if len(labels) == 1 else 's'}; few-shot and zero-shot "
            f"classification takes {MIN_LABELS} to {MAX_LABELS} classes. Give between {MIN_LABELS} and "
            f"{MAX_LABELS} labels.")
    long = next((label for label in labels if len(label) > MAX_LABEL_CHARS), None)
    if long is not None:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"The label {long[:40]!r}... is {len(long)} characters long; a class name may have at most "
            f"{MAX_LABEL_CHARS}. Use a short, meaningful name for the class.")


def classify_tokens(text: str) -> int:
    """Input tokens of a Classify: the text after ``<s>``, as Tokenize counts it."""
    return 1 + tokenizer.count(text)


def few_shot_tokens(task: str, labels: Sequence[str], samples: Sequence[tuple[str, str]], text: str) -> int:
    """Input tokens of a FewShotClassify: the task, labels, samples and text as one user message
    of a base model's prompt (its template counted as a completion counts it), and the
    classifier's own :data:`INSTRUCTIONS` around them, so the recorded 46 and 72 count here too."""
    lines = [task, ", ".join(labels), *(f"{sample} → {label}" for sample, label in samples), text]
    return tokenizer.prompt_count([("user", "\n".join(lines))]) + INSTRUCTIONS + PER_SAMPLE * len(samples)
