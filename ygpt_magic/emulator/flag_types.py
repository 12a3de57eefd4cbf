"""Value types of ``ygpt-magic serve``'s flags, so a value out of range is refused by argparse
with its usage line instead of misbehaving later.

Without them ``--port 70000`` listened on 4464 (gRPC takes the number modulo 65536),
``--http-port 99999`` ended in a traceback from the socket layer, and a NaN or negative delay
was accepted and then made every deferred operation or batch job hang or fail.
"""

from __future__ import annotations

import argparse
import math

#: the largest TCP port number
MAX_PORT = 65535


def port(text: str) -> int:
    """A TCP port, 0 (a free one, chosen by the system) to 65535."""
    return _whole(text, MAX_PORT, f"is not a port: use 0 (a free one) to {MAX_PORT}")


def seconds(text: str) -> float:
    """A finite number of seconds, zero or more."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number >= 0):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds: use a finite number, 0 or more")
    return number


def count(text: str) -> int:
    """A whole number, 0 or more (of calls, chunks or streams)."""
    return _whole(text, None, "is not a count: use a whole number, 0 or more")


def _whole(text: str, highest: int | None, says: str) -> int:
    """``text`` as a whole number from 0 to ``highest`` (None: no bound), else argparse's error
    with ``text`` and ``says``."""
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0 or highest is not None and number > highest:
        raise argparse.ArgumentTypeError(f"{text} {says}")
    return number
