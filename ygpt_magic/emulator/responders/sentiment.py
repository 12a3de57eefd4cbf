"""Which way a text leans, from its words: what the local server's unscripted answers classify by.

Classifying reviews is the first thing people do with ``--map --schema``; an answer that calls
"Broke after a week, refund please" positive looks broken, even from a stand-in. A small word list
is enough to get the clear cases right (English and Russian), deterministically: each positive
stem counts +1, each negative one -1, and a negation just before a word ("not good", "не
работает") turns it round. Mixed or unclear texts come out near 0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_POSITIVE = (
    "good great excellent love loved lovely perfect amazing awesome fantastic wonderful best nice "
    "happy pleased recommend worth works comfortable easy fast quick quiet bright sturdy reliable "
    "beautiful helpful friendly superb solid impressed enjoy favourite favorite "
    "отличн хорош прекрасн люблю нравится рекомендую удобн быстр надёжн надежн доволен довольна супер"
).split()
_NEGATIVE = (
    "worthless bad terrible awful horrible worst poor broke broken break breaks cracked crack stopped refund "
    "return returned disappointed disappointing useless waste defective faulty flimsy cheap hate "
    "slow late leak leaks leaked rude missing damaged dead fails failed failure junk never noisy "
    "overpriced unhappy problem problems issue issues complaint "
    "плох ужасн сломал сломан треснул возврат брак разочарован медленн верните жалоб отвратительн"
).split()
_NEGATION = frozenset("not no never don't doesn't didn't isn't wasn't won't can't cannot hardly не нет".split())
_WORD = re.compile(r"[\w']+")

#: how enum members that name a leaning are spelled (a member is matched by its first word)
_LABELS = {
    1: ("positive", "pos", "good", "happy", "satisfied", "praise", "like", "позитив", "положительн"),
    -1: ("negative", "neg", "bad", "unhappy", "dissatisfied", "complaint", "dislike", "негатив",
         "отрицательн"),
    0: ("mixed", "neutral", "neither", "ambivalent", "unclear", "нейтральн", "смешан"),
}


def _lean(word: str) -> int:
    if any(word.startswith(stem) for stem in _NEGATIVE):
        return -1
    return 1 if any(word.startswith(stem) for stem in _POSITIVE) else 0


def polarity(text: str) -> int:
    """Positive words minus negative ones (a negation just before a word turns it round)."""
    words = [w.casefold() for w in _WORD.findall(text)]
    score = 0
    for i, word in enumerate(words):
        lean = _lean(word)
        score += -lean if any(w in _NEGATION for w in words[max(0, i - 2):i]) else lean
    return score


def label_of(option: str) -> int | None:
    """1, -1 or 0 when ``option`` names a leaning ("Negative", "neutral"), else None."""
    folded = option.casefold().strip()
    for lean, spellings in _LABELS.items():
        if any(folded.startswith(s) for s in spellings):
            return lean
    return None


def word(text: str) -> str:
    """``positive``, ``negative`` or ``neutral``: a free-text sentiment field's answer."""
    score = polarity(text)
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def name_lean(parts: frozenset[str]) -> int:
    """Which way a yes/no field's name leans: ``would_recommend`` +1, ``is_complaint`` -1, 0."""
    leans = [label_of(part) or _lean(part) for part in parts]
    return (sum(leans) > 0) - (sum(leans) < 0)


def classify(options: Sequence[object], text: str) -> object | None:
    """The member of ``options`` for the way ``text`` leans, when the options are a scale of
    leanings (at least a positive and a negative one); None for any other enum."""
    labelled = {label_of(o): o for o in reversed(options) if isinstance(o, str) and label_of(o) is not None}
    if 1 not in labelled or -1 not in labelled:
        return None
    score = polarity(text)
    lean = (score > 0) - (score < 0)
    return labelled.get(lean) or labelled[1 if score >= 0 else -1]
