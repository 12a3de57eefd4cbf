"""The base of every user-facing error, the cleaning of what a server said, and the error a bug
of ours becomes.

Messages never contain a credential: details that come from a server go through
:func:`_clean`, which masks every Yandex key's shape the guard would refuse to send (keyshapes.py)
and a few things that hold a secret in any shape.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable

from ..keyshapes import MASK, mask_all
from .origin import CELL, Origin

#: a message worded for where the request came from (errors/origin.py)
Worded = Callable[[Origin], str]

#: masked beside the Yandex key shapes: what is a secret by where it stands, whatever its shape
#: (a test key, another service's token, a password), which no list of shapes can know
_SECRET_PLACES = re.compile(
    r"(?i)(?:(?:api-key|bearer)\s+\S+)"  # an Authorization header value
    r"|(?<=://)[^\s/@]+:[^\s@]*(?=@)"  # a URL's user:password (a proxy's, a gateway's)
)
_DETAIL_LIMIT = 300


def _clean(detail: object) -> str:
    """A server's detail as one short line with anything key-shaped masked."""
    text = " ".join(str(detail or "").split())
    text = _SECRET_PLACES.sub(MASK, mask_all(text))
    if len(text) > _DETAIL_LIMIT:
        text = text[: _DETAIL_LIMIT - 1] + "…"
    return text


def _with_detail(message: str, detail: object) -> str:
    """Append the server's own words, when it gave any, as a quoted sentence (ended by their
    own full stop when they have one: “… deprecated.”, not “… deprecated.”.)."""
    cleaned = _clean(detail)
    end = "" if cleaned.endswith((".", "!", "?", "…")) else "."
    return f"{message} The server said: “{cleaned}”{end}" if cleaned else message


def where_to_look(server: str | None) -> str:
    """Where to look when a server keeps failing: ``server`` names one that is not Yandex
    Cloud's, whose status page says nothing about it."""
    return "look at that server (its log, or whoever runs it)" if server else "check the Yandex Cloud status page"


class YGptError(Exception):
    """Base of all user-facing errors: ``str(e)`` is one paragraph, what happened + what to do.

    ``message`` may be a function of the request's :class:`~ygpt_magic.errors.origin.Origin`
    when its advice names what only a cell has (a flag, "run the cell again"): ``str(e)`` is
    then its words for a cell, and ``e.words(PANEL)`` what the panel shows."""

    _worded: Worded | None = None

    def __init__(self, message: str | Worded = "") -> None:
        if callable(message):
            self._worded = message
            message = message(CELL)
        super().__init__(message)

    def words(self, origin: Origin) -> str:
        """This error's paragraph with advice that can be followed where ``origin`` is."""
        return str(self) if self._worded is None else self._worded(origin)

    def said_for(self, origin: Origin) -> YGptError:
        """This error, of the same type and fields, with ``str()`` worded for ``origin``: for a
        door that shows errors as a cell does but takes other advice (``%ygpt fix``)."""
        if self._worded is None:
            return self
        said = copy.copy(self)
        said.args = (self._worded(origin),)
        return said


class InternalError(YGptError):
    """An exception from ygpt_magic's own code (or from the SDK given something it does not
    take): a bug of ours, said as such, so it is never taken for the server's failure nor the
    user's. ``secrets``: the credentials this kernel knows, masked out of the summary (the
    exception's text may hold anything)."""

    def __init__(self, exc: BaseException, secrets: Iterable[str | None] = ()) -> None:
        summary = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        for secret in secrets:
            if secret:
                summary = summary.replace(secret, "***")
        super().__init__(
            f"This is an error in ygpt_magic itself, not in the server or the cell ({_clean(summary)}). "
            f"Please report it to the ygpt_magic maintainers with this message and the steps that "
            f"led to it; trying again will likely fail the same way.")
        self.original = exc
