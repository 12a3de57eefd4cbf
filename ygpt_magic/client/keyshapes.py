"""Yandex credentials this kernel does not know, recognised by the shapes Yandex publishes.

The guard (client/guard.py) refuses a request carrying a secret the kernel knows (the
environment, ``%ygpt auth``). A key it does not know passes that check: one pasted into a cell
from elsewhere, a service account's key in a DataFrame or a ``--docs`` file, an ``Authorization:
Api-Key …`` header quoted by a traceback, a token a tool returns. Yandex Cloud publishes the
shapes of its secrets for secret scanning ("Scanning for Yandex Cloud secrets in public
sources", yandex.cloud/en/docs/security/operations/search-secrets, the regular expressions and
the partner program's list); :data:`SHAPES` holds them as published, each taken as a whole
token (nothing of the same alphabet just before or after it, but a JSON escape such as ``\\n``
before it), so ordinary text never trips them: ``t1.5``, ``AQVNx`` in prose, a SHA-256 digest, a
40-character environment variable name (a static key's secret also passes the CRC32-C check
Yandex publishes for it). Left out: the Lockbox shape (``(yc|YC)[!-~]{18,254}``), which Yandex
only uses to pick candidates for its own server-side check and which matches plain names such
as ``YC_API_KEY='...'``.

One compiled pattern, one pass over a text: a 10 kB cell of prose or code costs
about 0.15 ms (measured by tests/test_guard_shapes.py).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass

from .credentials import mask


@dataclass(frozen=True)
class Sighting:
    """A credential's shape found in a text: its ``kind`` ("a Yandex Cloud API key") and how it
    is shown (:func:`credentials.mask`: ``AQVN…x9Qz``), never the secret itself."""

    kind: str
    masked: str


def _always(_: str) -> bool:
    return True


def _crc32c_table() -> tuple[int, ...]:
    table = []
    for index in range(256):
        crc = index
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C = _crc32c_table()


def _crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _static_secret(text: str) -> bool:
    """Yandex's published validation of a static access key's secret: the whole token, read as
    unpadded base64url, ends with the big-endian CRC32-C of the bytes before."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return False
    return len(data) > 4 and _crc32c(data[:-4]) == int.from_bytes(data[-4:], "big")


def _key_id(text: str) -> str:
    """A service account key is shown by its key id, masked (the private key has no short form)."""
    found = re.search(r"ID (?:<|\\u003[cC])([0-9a-zA-Z+/=]*)", text)
    return f"key id {mask(found.group(1) if found else '')}"


@dataclass(frozen=True)
class Shape:
    """One published shape: what it is called, its pattern, and Yandex's extra validation."""

    kind: str
    pattern: str
    valid: Callable[[str], bool] = _always
    shown: Callable[[str], str] = mask


#: the published shapes (regular expressions as Yandex gives them; the SA key's whitespace may
#: also be a JSON escape, as in the key.json `yc iam key create` writes)
SHAPES: tuple[Shape, ...] = (
    Shape("a Yandex Cloud API key", r"AQVN[A-Za-z0-9_\-]{35,38}"),
    Shape("a Yandex Cloud IAM token", r"t1\.[A-Z0-9a-z_-]+[=]{0,2}\.[A-Z0-9a-z_-]{86}[=]{0,2}"),
    Shape("a Yandex Cloud refresh token", r"rt1\.[A-Z0-9a-z_-]+[=]{0,2}\.[A-Z0-9a-z_-]{86}[=]{0,2}"),
    Shape("a Yandex Cloud IAM cookie", r"c1\.[A-Z0-9a-z_-]+[=]{0,2}\.[A-Z0-9a-z_-]{86}[=]{0,2}"),
    Shape("a Yandex OAuth token", r"y[0-6]_[-_A-Za-z0-9]{55,199}"),
    Shape("the secret of a Yandex Cloud static access key", r"YC[a-zA-Z0-9_\-]{38}", _static_secret),
    Shape("a Yandex SmartCaptcha server key", r"ysc2_[a-zA-Z0-9]{40}[0-9a-f]{8}"),
    Shape("a Yandex Cloud OIDC app secret", r"yccs__[0-9a-f]{64}_[0-9a-f]{8}"),
    Shape("the private key of a Yandex Cloud service account",
          r"PLEASE DO NOT REMOVE THIS LINE\! Yandex\.Cloud SA Key ID (?:<|\\u003[cC])[0-9a-zA-Z+/=]*"
          r"(?:>|\\u003[eE])(?:\s|\\[nrt])+-----BEGIN PRIVATE KEY-----", shown=_key_id),
)
#: the first two characters of every shape: most positions of a text fail here, cheaply
_STARTS = r"(?=[AtrcyYP][Q1t0-6scCL])"
#: a token starts where no character of its alphabet is just before it, or after a JSON escape
_BEFORE = r"(?:(?<![A-Za-z0-9_-])|(?<=\\[nrtbf]))"
_AFTER = r"(?![A-Za-z0-9_-])"
_PATTERN = re.compile(
    _STARTS + _BEFORE + "(?:" + "|".join(f"(?P<s{n}>{shape.pattern})" for n, shape in enumerate(SHAPES)) + ")" + _AFTER
)


def sighted(text: str) -> Sighting | None:
    """The first credential-shaped token in ``text`` that passes its shape's validation."""
    for match in _PATTERN.finditer(text):
        shape = SHAPES[int((match.lastgroup or "s0")[1:])]
        if shape.valid(match.group()):
            return Sighting(shape.kind, shape.shown(match.group()))
    return None
