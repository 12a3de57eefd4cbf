"""Deterministic confidences for the classifiers, from what a text has in common with each label.

No model runs here. A text and a label (or a sample's text) are compared as sets of word pieces:
the three-letter runs of each word, so ``переведи`` and ``перевод`` share ``пер``, ``ере``,
``рев``, and word forms of one stem meet. Words of one or two letters (``на``, ``в``, ``a``,
``of``) are mostly prepositions and articles: they count only in a text that has no longer word.

A label scores the share of its pieces that the text holds (the text names the class); each of
its samples scores the share of the text's pieces that the sample holds (the text reads like the
sample), and the best sample counts ``SAMPLE_WEIGHT`` times as much as the name, so a sample
pulls similar texts towards its label as the cloud's few-shot classifier does (recording
``test_text_classifiers_run_few_shot``: a sample ``foo`` → ``bar`` turns ``foo`` into a bar).
A label that names a leaning (``positive``, ``negative``, ``neutral``, ``негатив``...) also scores
when the text leans its way by the word list the unscripted answers classify by
(``sentiment.py``), more for a clearer lean: "Arrived broken, box crushed" is negative, as a
reader expects, though it names no label.
A softmax over the scores gives confidences that sum to 1; equal evidence gives equal shares.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from . import sentiment

_WORD = re.compile(r"\w+")
#: a piece is this many letters of a word
PIECE = 3
#: how much more the best sample of a label counts than the label's own name
SAMPLE_WEIGHT = 10.0
#: what each sentiment word of the text's leaning adds to a label of that leaning (two at most),
#: and what a neutral label gets from a text that leans neither way
LEAN_WEIGHT, NEUTRAL_WEIGHT = 0.25, 0.15
#: how sharply a better score wins: a lead of 0.4 (a whole label named against a part of one)
#: gives about 0.99 against 0.01
SHARPNESS = 12.0


def pieces(text: str) -> frozenset[str]:
    """The word pieces of a text (lower-cased); short words only when it has no longer one."""
    words = _WORD.findall(text.lower())
    long_words = [word for word in words if len(word) >= PIECE]
    if not long_words:
        return frozenset(words)
    return frozenset(word[i:i + PIECE] for word in long_words for i in range(len(word) - PIECE + 1))


def _share(part: frozenset[str], whole: frozenset[str]) -> float:
    """The share of ``part``'s pieces found in ``whole`` (0 for an empty ``part``)."""
    return len(part & whole) / len(part) if part else 0.0


def label_scores(text: str, labels: Sequence[str], samples: Sequence[tuple[str, str]] = ()) -> list[float]:
    """One score per label: its name's share in the text, plus its best sample's cover of the
    text times ``SAMPLE_WEIGHT``. ``samples`` are ``(text, label)`` pairs."""
    seen = pieces(text)
    lean = sentiment.polarity(text)
    sample_pieces = [(pieces(sample), label) for sample, label in samples]
    return [_share(pieces(label), seen) + _leaning(lean, label)
            + SAMPLE_WEIGHT * max((_share(seen, known) for known, owner in sample_pieces if owner == label),
                                  default=0.0)
            for label in labels]


def _leaning(polarity: int, label: str) -> float:
    """What the text's leaning (``sentiment.polarity``) adds to ``label``: nothing unless the
    label names a leaning and the text leans that way."""
    named = sentiment.label_of(label)
    if named is None or (polarity > 0) - (polarity < 0) != named:
        return 0.0
    return NEUTRAL_WEIGHT if named == 0 else LEAN_WEIGHT * min(abs(polarity), 2)


def confidences(text: str, labels: Sequence[str], samples: Sequence[tuple[str, str]] = ()) -> list[float]:
    """One confidence per label, in the labels' order, summing to 1 (multi-class)."""
    scores = label_scores(text, labels, samples)
    top = max(scores, default=0.0)
    weights = [math.exp(SHARPNESS * (score - top)) for score in scores]
    total = sum(weights)
    return [weight / total for weight in weights]


def binary_confidence(text: str, label: str) -> float:
    """How likely the text is of one class (a binary tuned classifier): even odds when the text
    holds half of the label's pieces."""
    return 1.0 / (1.0 + math.exp(-SHARPNESS * (label_scores(text, [label])[0] - 0.5)))
