"""Classifications through the SDK's public text classifiers (``sdk.models.text_classifiers``).

Why it looks like this:
- A :class:`Classifier` is the whole question but the text: the model, and for a base model its
  labels, task description and samples. It is one frozen value, so the many rows of a ``--map``
  share one SDK model object, configured once.
- A base model with labels is ``FewShotClassify`` (zero-shot without samples); a tuned
  classifier (a ``cls://`` URI or a versioned name such as ``yandexgpt-lite/rc@<tuning>``) is
  ``Classify``, with the labels it was tuned on. The SDK picks the method from what is configured,
  so this module only configures.
- Answers come back best first, as :class:`Classification`: a plain value the cache and the
  memo can keep as text (``as_text`` / ``from_text``) and the rows can put into columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..chat.values import Answer, Message, Usage
from ..modelname import model_name
from .models import named

#: the models Yandex Cloud's prompt-based classifiers run on (by name: any version of them)
BASES = ("yandexgpt", "yandexgpt-lite")
#: the base model a ``cls://`` classifier is counted as (Yandex Cloud tunes classifiers on it)
TUNED_ON = "yandexgpt-lite"
#: Tokens a prompt-based (zero- or few-shot) classifier reads besides what it is given, its own
#: instructions, which the tokenizer API cannot be shown: 28, and 10 more a sample. Measured on
#: the recorded FewShotClassify of "foo" with labels foo, bar and no task (the SDK's
#: ``test_text_classifiers_run_few_shot``): billed 46 input tokens where the tokenizer counts 18
#: for :meth:`Classifier.read`; with two samples 72, where it counts 24. A tuned classifier
#: reads only the text (the recorded Classify of "hello": 2).
INSTRUCTIONS, PER_SAMPLE = 28, 10


@dataclass(frozen=True)
class Classifier:
    """What every text of one cell is classified with."""

    model: str
    labels: tuple[str, ...] = ()
    task: str = ""
    samples: tuple[tuple[str, str], ...] = ()

    @property
    def tuned(self) -> bool:
        return is_tuned(self.model)

    @property
    def reader(self) -> str:
        """The model whose tokenizer counts what this classifier reads (:meth:`read`): itself,
        or a tuned classifier's base model, as the tokenizer API knows no tuned classifier (a
        ``cls://`` URI names none: it counts as yandexgpt-lite, the base classifiers are tuned on)."""
        read = model_name(self.model)
        return TUNED_ON if read.scheme == "cls" else read.base

    def messages(self, text: str) -> list[Message]:
        """What this request sends, as the credential guard and the reply cache read requests:
        the samples as example turns, then the text."""
        examples: list[Message] = [{"role": "user", "text": f"{label}: {sample}"} for sample, label in self.samples]
        return [*examples, {"role": "user", "text": text}]

    def read(self, text: str) -> list[Message]:
        """What the classifier reads of one text's request, as one message the tokenizer counts
        (a cap prices a run by it): a base model reads the task, the labels and the samples with
        every text, in one prompt; a tuned classifier only the text."""
        if self.tuned:
            return self.messages(text)
        samples = (f"{sample} → {label}" for sample, label in self.samples)
        return [{"role": "user", "text": "\n".join((self.task, ", ".join(self.labels), *samples, text))}]

    @property
    def unshown_tokens(self) -> int:
        """Tokens it reads of every text that :meth:`read` cannot show the tokenizer: a base
        model's own :data:`INSTRUCTIONS` around the task, labels and samples; none for a tuned
        one. Without them a cap's estimate was half the bill and let twice itself through."""
        return 0 if self.tuned else INSTRUCTIONS + PER_SAMPLE * len(self.samples)

    def extras(self) -> dict[str, Any]:
        """What besides the messages decides an answer and is sent with it (the reply cache's
        key holds it hashed; the credential guard checks it as it checks the messages)."""
        return {"classify": {"labels": list(self.labels), "task": self.task}}


@dataclass(frozen=True)
class Classification:
    """One text's answer: ``(label, confidence)`` best first, the version, the tokens read."""

    predictions: tuple[tuple[str, float], ...]
    model_version: str
    input_tokens: int

    @property
    def best(self) -> str:
        return self.predictions[0][0] if self.predictions else ""

    def as_text(self) -> str:
        """The predictions as JSON: what the reply cache and the rows' memo keep as its text."""
        return json.dumps([[label, value] for label, value in self.predictions], ensure_ascii=False)

    def answer(self) -> Answer:
        """This classification as the transport's answer (its text: :meth:`as_text`), so the
        reply cache and the ``--map`` machinery keep it as they keep any answer."""
        return Answer(self.as_text(), "FINAL", Usage.read_only(self.input_tokens), self.model_version)

    @classmethod
    def from_text(cls, text: str, model_version: str, input_tokens: int) -> Classification:
        """Back from :meth:`as_text` (ValueError for text that is not one)."""
        pairs = json.loads(text)
        if not isinstance(pairs, list):
            raise ValueError("a classification is a list of [label, confidence] pairs")
        return cls(tuple((str(label), float(value)) for label, value in pairs), model_version, input_tokens)


def is_tuned(model: str) -> bool:
    """A tuned classifier's URI: ``cls://…``, or a version with a tuning id after ``@``."""
    read = model_name(model)
    return read.scheme == "cls" or "@" in read.version


def can_classify(model: str) -> bool:
    """Whether ``model`` (a short name, ``name/version`` or a tuned URI) is a classifier: a
    tuned one, or a version of one of :data:`BASES`; a chat model such as llama is not."""
    return is_tuned(model) or model_name(model).name in BASES


def sdk_model(sdk: Any, classifier: Classifier) -> Any:
    """The SDK's classifier for ``classifier``, configured for few-shot unless it is tuned."""
    model = named(sdk.models.text_classifiers, classifier.model)
    if classifier.tuned:
        return model
    samples = [{"text": text, "label": label} for text, label in classifier.samples]
    return model.configure(task_description=classifier.task, labels=list(classifier.labels),
                           samples=samples or None)


def classification(result: Any) -> Classification:
    """The SDK's result as a :class:`Classification`, best first."""
    pairs = sorted(((p.label, float(p.confidence)) for p in result.predictions), key=lambda p: -p[1])
    return Classification(tuple(pairs), result.model_version, int(result.input_tokens))
