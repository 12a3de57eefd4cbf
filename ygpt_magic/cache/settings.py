"""The reply cache's settings as the environment gives them before the kernel starts (CI sets
them): ``YGPT_CACHE``, the file, and ``YGPT_CACHE_MODE``, one of :data:`MODES`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

MODES = ("auto", "replay", "record", "off")


def path_from(environ: Mapping[str, str]) -> str | None:
    """``YGPT_CACHE``: the cache file, or None."""
    return environ.get("YGPT_CACHE", "").strip() or None


def mode_from(environ: Mapping[str, str]) -> str:
    """``YGPT_CACHE_MODE``, else ``auto``. A mistyped mode is said in one line and taken as
    ``replay``: a typo must not start sending (and paying for) what CI meant to replay."""
    mode = environ.get("YGPT_CACHE_MODE", "").strip().lower() or "auto"
    if mode not in MODES:
        print(f"YGPT_CACHE_MODE={mode!r} is not one of {', '.join(MODES)}; the cache is in replay "
              f"mode (nothing unrecorded is sent) until you choose one with %ygpt cache --mode M.",
              file=sys.stderr)
        mode = "replay"
    return mode
