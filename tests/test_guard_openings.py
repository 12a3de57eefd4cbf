"""The shape guard's first step: a text that holds no shape's opening holds no key.

keyshapes.sighted searches a text for the published shapes' openings (``AQVN``, ``t1.``,
``y0_``, ``YC``, ...) before anything else and reads it further only when one is there; that one
search is what every ``--map`` row and every cell pays. It must never change what is found: every
key of every shape, written whole, in JSON, after a URL's escape or wrapped over lines at any
point, is found exactly as the full reading finds it, and so are the near misses it leaves
alone. And it must keep the cost down: 10 kB of prose, which has line breaks between words
everywhere, is settled by the openings alone.
"""

from __future__ import annotations

import random
import statistics
import time

import pytest
from test_guard_shapes import API_KEY, IAM_TOKEN, OAUTH_TOKEN, STATIC_SECRET

from ygpt_magic.keyshapes import SHAPES, _read, sighted

#: a key of every shape (the SA key's private key aside: below), each OAuth prefix y0_ to y6_
KEYS = [API_KEY, IAM_TOKEN, "r" + IAM_TOKEN, "c" + IAM_TOKEN[1:], STATIC_SECRET,
        "ysc2_" + "D0ur60kwXTL7rM52UzJ7" * 2 + "0a1b2c3d", "yccs__" + "0123456789abcdef" * 4 + "_0a1b2c3d",
        *(f"y{digit}_{OAUTH_TOKEN[3:]}" for digit in range(7))]
SA_KEY = ("PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajeq1v2k3l4m5n6o7p8r>\n"
          "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n")
BREAKS = ["\n", "\r\n", "\u00ad", "\u200b"]
#: what the generated texts are made of: words, openings alone, near misses, breaks, escapes
PIECES = ["the key ", "AQVN", "t1.", "t1.5 ", "YC_API_KEY=", "y0_", "ysc2_", "c1.", "%22", "\\n",
          "abc", "Xy9_-", ".", "=", " ", "\n", "\r\n", "\u00ad", "\u200b", "{", '"', "AQVNx "]


def wrapped(key: str, at: int, wrap: str) -> str:
    return f"API key: {key[:at]}{wrap}{key[at:]}\nRotate it every 90 days."


def texts() -> list[str]:
    """Keys whole and wrapped at every point, the service account's key, and random texts made
    of openings, near misses and breaks (seeded: the same texts every run)."""
    found = [SA_KEY, SA_KEY.replace("\n", "\\n")]
    for key in KEYS:
        found += [key, f'{{"key": "{key}"}}', f"?cfg=%22{key}%22", f"x{key}", key[:-1]]
        found += [wrapped(key, at, wrap) for at in range(1, len(key)) for wrap in BREAKS]
    chance = random.Random(20240611)
    found += ["".join(chance.choices(PIECES + KEYS[:3], k=chance.randint(1, 40))) for _ in range(3000)]
    return found


@pytest.mark.slow
def test_the_openings_never_change_what_is_found():
    corpus = texts()
    differ = [text for text in corpus if sighted(text) != _read(text)]
    assert differ == [], f"{len(differ)} of {len(corpus)} texts, first {differ[0]!r}"
    assert sum(sighted(text) is not None for text in corpus) > 2000, "the corpus holds keys to find"


@pytest.mark.parametrize("key", KEYS, ids=lambda key: key[:6])
def test_every_token_shape_is_found_whole_and_wrapped(key):
    assert sighted(key) is not None and sighted(wrapped(key, 12, "\n")) is not None


def test_the_keys_here_are_of_every_shape():
    """So the corpus above tries every opening (each OAuth prefix too)."""
    assert {shape.kind for shape in SHAPES} == {found.kind for found in map(sighted, KEYS + [SA_KEY]) if found}


def test_10kb_of_prose_without_an_opening_is_settled_by_them_alone():
    """Prose breaks lines between words, so the wrapped-key reading would go over all of it
    (about 0.5 ms for 10 kB); the openings' search alone takes about 0.07 ms."""
    paragraph = ("The model reads the prompt, then it answers in a few lines; each line is\n"
                 "wrapped at eighty characters so that the answer reads well on a page\n")
    text = (paragraph * (10_000 // len(paragraph) + 1))[:10_000]
    times = []
    for _ in range(50):
        start = time.perf_counter()
        assert sighted(text) is None
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.0003, f"median {statistics.median(times) * 1000:.2f} ms"
