"""Yandex credentials by the shapes Yandex publishes: one list, for finding a key and for masking it.

Yandex Cloud publishes the shapes of its secrets for secret scanning ("Scanning for Yandex Cloud
secrets in public sources", yandex.cloud/en/docs/security/operations/search-secrets, the regular
expressions and the partner program's list); :data:`SHAPES` holds them as published, each taken
as a whole token (nothing of the same alphabet just before or after it, but a JSON escape such as
``\\n`` or a URL's percent escape such as ``%22`` before it: ``?cfg=%7B%22key%22%3A%22AQVN…``),
so ordinary text never trips them: ``t1.5``, ``AQVNx`` in prose, a SHA-256
digest, a 40-character environment variable name (a static key's secret also passes the CRC32-C
check Yandex publishes for it). Left out: the Lockbox shape (``(yc|YC)[!-~]{18,254}``), which
Yandex only uses to pick candidates for its own server-side check and which matches plain names
such as ``YC_API_KEY='...'``.

Two jobs read the list. :func:`sighted` finds: the guard (client/guard.py) refuses a request
carrying a key the kernel does not know (pasted from elsewhere, in a DataFrame, a ``--docs``
file, a traceback's ``Authorization`` header, a tool's result), and sources/library.py a file
holding one. :func:`mask_all` masks what we quote (a server's words, an exception's text:
errors/base.py), so whatever the guard would find is never shown either, and a token that only
starts like a key (a key cut short or run on, a padded token a looser pattern would cut in two)
is masked too: hiding a little too much costs nothing, refusing too much costs the user.
Both read a value that must be no credential at all (a folder id, a model URI, which whoami shows
and every request sends): :func:`looks_like` refuses what either would catch.

It sits at the package's top level and imports nothing of it, as words.py does, because the
errors, the sources and the client all use it.

A key wrapped onto two lines is found too. A PDF's table cell or narrow column wraps a long token
(pypdf gives ``API key: AQVNAb3d…nOp\\n5qRs…``), and so do terminals, e-mails and pages, which
also put a soft hyphen (U+00AD) or a zero-width space (U+200B) into long tokens so they can
wrap. So :func:`sighted` also reads each run of a token's characters broken only by such breaks
(a single newline or ``\\r\\n``, a soft hyphen, a zero-width space, with a token's character
directly on each side: never a blank line, nor a newline beside a space or punctuation) as two to
four of its lines joined, from a line that holds a shape's opening. Joined lines are taken as a
key only as a whole token of a published shape (an opening after a boundary, then exactly the
length of its alphabet, then a boundary), so ordinary text does not trip it: lines of prose and
code end and start at spaces, brackets and operators, and a column of digests has no opening.
This holds wherever the guard looks, not only in a ``--docs`` PDF (sources/library.py): a key
pasted from a wrapped terminal is the same key. :func:`mask_all` does not join lines: it masks the
first line of a wrapped key when that holds an opening and 15 more characters (8 after ``AQVN``).

Every token :func:`sighted` finds holds a shape's opening (``AQVN``, ``t1.``, ``y0_``, ``YC``, ...),
and so does the first line of every wrapped one it reads whole, so a text that holds none holds no
key: one search for the openings (:data:`_OPENING`, derived from :data:`SHAPES`) settles most texts,
a short ``--map`` row in about 0.3 µs and 10 kB of code or prose in about 0.07 ms. Only a text that
holds an opening is read further: one compiled pattern, one pass over the text, and one scan for a
break inside a token, about 0.5 ms for 10 kB (tests/test_guard_shapes.py and
tests/test_guard_openings.py hold the bounds, and that the openings' search changes no finding).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache


def mask(secret: str | None) -> str:
    """`AQVN…x9Qz`: enough to recognise a key, never enough to use it."""
    if not secret:
        return "(none)"
    if len(secret) < 16:
        return "…" * 3
    return f"{secret[:4]}…{secret[-4:]}"


@dataclass(frozen=True)
class Sighting:
    """A credential's shape found in a text: its ``kind`` ("a Yandex Cloud API key") and how it
    is shown (:func:`mask`: ``AQVN…x9Qz``), never the secret itself."""

    kind: str
    masked: str

    def named(self) -> str:
        """``a Yandex Cloud API key (AQVN…x9Qz)``: what a refusal says it found."""
        return f"{self.kind} ({self.masked})"


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
    """One published shape: what it is called, its pattern (``opening`` and the ``rest``), and
    Yandex's extra validation. ``near``: a token with this opening, in any case, and at least this
    many characters after it is masked too, whatever its length (None for the static key's ``YC``,
    which opens ordinary names such as ``YC_FOLDER_ID``). The minimums are never above what
    errors/base.py masked before this list (an opening and 16 characters of a token, a sentence's
    last full stop counted; ``AQVN`` and 8, as it opens nothing but a key)."""

    kind: str
    opening: str
    rest: str
    valid: Callable[[str], bool] = _always
    shown: Callable[[str], str] = mask
    near: int | None = 15

    @property
    def pattern(self) -> str:
        return self.opening + self.rest


_TOKEN = r"[A-Z0-9a-z_-]+[=]{0,2}\.[A-Z0-9a-z_-]{86}[=]{0,2}"
#: the published shapes (regular expressions as Yandex gives them; the SA key's whitespace may
#: also be a JSON escape, as in the key.json `yc iam key create` writes, and its match runs on
#: over the private key to its end line, so masking hides the key itself, not its header)
SHAPES: tuple[Shape, ...] = (
    Shape("a Yandex Cloud API key", "AQVN", r"[A-Za-z0-9_\-]{35,38}", near=8),
    Shape("a Yandex Cloud IAM token", r"t1\.", _TOKEN),
    Shape("a Yandex Cloud refresh token", r"rt1\.", _TOKEN),
    Shape("a Yandex Cloud IAM cookie", r"c1\.", _TOKEN),
    Shape("a Yandex OAuth token", "y[0-6]_", r"[-_A-Za-z0-9]{55,199}"),
    Shape("the secret of a Yandex Cloud static access key", "YC", r"[a-zA-Z0-9_\-]{38}", _static_secret, near=None),
    Shape("a Yandex SmartCaptcha server key", "ysc2_", r"[a-zA-Z0-9]{40}[0-9a-f]{8}"),
    Shape("a Yandex Cloud OIDC app secret", "yccs__", r"[0-9a-f]{64}_[0-9a-f]{8}"),
    Shape("the private key of a Yandex Cloud service account", r"PLEASE DO NOT REMOVE THIS LINE\! ",
          r"Yandex\.Cloud SA Key ID (?:<|\\u003[cC])[0-9a-zA-Z+/=]*(?:>|\\u003[eE])(?:\s|\\[nrt])+"
          r"-----BEGIN PRIVATE KEY-----(?:[A-Za-z0-9+/=\s]|\\[nrt])*(?:-----END PRIVATE KEY-----)?",
          shown=_key_id, near=None),
)
#: the first two characters of every shape: most positions of a text fail here, cheaply
_STARTS = r"(?=[AtrcyYP][Q1t0-6scCL])"
#: a token starts where no character of its alphabet is just before it, or after a JSON escape
#: (``\\n``) or a URL's percent escape (``%22``, ``%3A``: its hex digits are no part of the token)
_ESCAPED = r"|(?<=\\[nrtbf])|(?<=%[0-9A-Fa-f]{2})"
_BEFORE = r"(?:(?<![A-Za-z0-9_-])" + _ESCAPED + ")"
#: where a masked token may start: as :data:`_BEFORE`, or after a hyphen too (``key-AQVN…``)
_BEFORE_MASKED = r"(?:(?<![A-Za-z0-9_])" + _ESCAPED + ")"
_AFTER = r"(?![A-Za-z0-9_-])"
_SHAPED = "|".join(f"(?P<s{n}>{shape.pattern})" for n, shape in enumerate(SHAPES))
_PATTERN = _STARTS + _BEFORE + "(?:" + _SHAPED + ")" + _AFTER
#: masked beside the shapes: an opening in any case and its ``near`` characters or more of a
#: token (dots and padding too, not a sentence's last full stop), a key cut short or run on
_NEAR = "|".join(f"(?i:{shape.opening})[A-Za-z0-9_\\-.=]{{{shape.near - 1},}}[A-Za-z0-9_\\-=]"
                 for shape in SHAPES if shape.near)
_MASKED = f"(?i:{_STARTS}){_BEFORE_MASKED}(?:{_SHAPED}|(?P<near>{_NEAR})){_AFTER}"
#: what a masked token becomes
MASK = "***"
#: a run of a token's characters broken only where it was wrapped: by a newline, a soft hyphen or
#: a zero-width space, with a token's character directly on each side
_WRAPPED = re.compile(r"(?<![A-Za-z0-9_.=-])[A-Za-z0-9_.=-]+(?:(?:\r?\n|[\u00ad\u200b])[A-Za-z0-9_.=-]+)+")
_BREAK = re.compile(r"\r?\n|[\u00ad\u200b]")
#: a break between a token's characters, found break first (a scan three times faster than
#: :data:`_WRAPPED`'s, which most texts of code need alone: they have none)
_WRAP = (r"(?:[\n\u00ad\u200b](?<=[A-Za-z0-9_.=-][\n\u00ad\u200b])|\r\n(?<=[A-Za-z0-9_.=-]\r\n))"
         r"(?=[A-Za-z0-9_-])")
#: a shape's opening: every token found holds one, and so does the first line of a wrapped token
_OPENING = re.compile("|".join(shape.opening for shape in SHAPES))
#: no published shape is shorter (an API key: AQVN and 35 more)
_SHORTEST = 39
#: longer than any published shape (an IAM token is under 300 characters)
_LONGEST = 400
#: a character a key's token may hold (as the wrapped-token reading takes them)
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_.=-]")
#: the lines a wrapped token may span (a narrow column)
_WRAP_LINES = 4


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """One of the patterns above compiled on first use, not at import: together about 4 ms of
    ``%load_ext`` (errors and the guard import this module), paid once by the first cell."""
    return re.compile(pattern)


def sighted(text: str) -> Sighting | None:
    """The first credential-shaped token in ``text`` that passes its shape's validation, as
    written or wrapped onto several lines (:func:`_unwrapped`). A text without any shape's
    opening has none: most texts are settled by that one search (the module's docstring)."""
    return None if _OPENING.search(text) is None else _read(text)


def _read(text: str) -> Sighting | None:
    """What :func:`sighted` finds in a text that holds an opening: a token as written, else one
    wrapped onto several lines."""
    return _first(text) or next(filter(None, map(_first, _unwrapped(text))), None)


def _unwrapped(text: str) -> Iterator[str]:
    """Each way a wrapped token may read whole: two to ``_WRAP_LINES`` consecutive lines of a
    run broken only by wraps, joined. Not the whole run at once: the line after a key's last
    line may start with a word (``…A7bC`` then ``Rotate the key…``)."""
    if not _compiled(_WRAP).search(text):
        return
    for run in _WRAPPED.finditer(text):
        if len(run.group()) < _SHORTEST:
            continue
        lines = _BREAK.split(run.group())
        for first in (index for index, line in enumerate(lines[:-1]) if _OPENING.search(line)):
            for last in range(first + 2, min(first + _WRAP_LINES, len(lines)) + 1):
                yield "".join(lines[first:last])


def _first(text: str) -> Sighting | None:
    for match in _compiled(_PATTERN).finditer(text):
        shape = _shape(match)
        if shape.valid(match.group()):
            return Sighting(shape.kind, shape.shown(match.group()))
    return None


def looks_like(text: str) -> str | None:
    """What ``text`` looks like when it holds a credential: the kind :func:`sighted` finds, or a
    token :func:`mask_all` would mask (one that opens like a key and is most of one); None when
    it holds neither. For a value that must be no credential at all (a folder id), where a key
    cut short is as wrong as a whole one."""
    sighting = sighted(text)
    if sighting is not None:
        return sighting.kind
    return "a Yandex Cloud key or token" if mask_all(text) != text else None


def cut(text: str, at: int) -> str:
    """``text[:at]``, but a token cut short there that holds a shape's opening is left out from
    that opening on: a value cut to its first characters (a long string, a table's cell, a
    traceback) could end in a key's first 35 of 39 characters, which no published shape matches,
    so the guard would let most of someone's key go to the model. A token is at most a few
    hundred characters (an IAM token), so only that far back is read."""
    if at >= len(text) or not _TOKEN_CHAR.match(text, at):
        return text[:at]
    opening = _OPENING.search(text, _token_start(text, at), at)
    return text[:opening.start()] if opening else text[:at]


def _token_start(text: str, at: int) -> int:
    """Where the token running up to ``at`` starts, read back at most :data:`_LONGEST`."""
    start = at
    while start > max(0, at - _LONGEST) and _TOKEN_CHAR.match(text, start - 1):
        start -= 1
    return start


def cut_from(text: str, at: int) -> str:
    """``text[at:]``, but a token cut short there whose opening, before ``at``, is a shape's is
    left out to its end: the end of a text (a traceback's last lines) kept from the middle of
    someone's key would send its last characters, which no shape's opening marks."""
    if at <= 0 or not _TOKEN_CHAR.match(text, at - 1) or not _TOKEN_CHAR.match(text, at):
        return text[at:]
    if _OPENING.search(text, _token_start(text, at), at) is None:
        return text[at:]
    end = at
    while end < len(text) and _TOKEN_CHAR.match(text, end):
        end += 1
    return text[end:]


def mask_all(text: str) -> str:
    """``text`` with every token :func:`sighted` would find, and every token that opens like a
    key (but the static key's ``YC``) and is long enough to be most of one, replaced by
    :data:`MASK`: what we quote never shows what the guard would refuse to send."""
    return _compiled(_MASKED).sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    if match.lastgroup == "near" or _shape(match).valid(match.group()):
        return MASK
    return match.group()


def _shape(match: re.Match[str]) -> Shape:
    return SHAPES[int((match.lastgroup or "s0")[1:])]
