"""Ids of what the local server creates: 20 characters, like the cloud's (``fds...`` datasets,
``fbi...`` batch tasks and their operations), unique within one process."""

from __future__ import annotations

import itertools

_counter = itertools.count(1)


def new_id(prefix: str = "emu") -> str:
    return f"{prefix}{next(_counter):0{20 - len(prefix)}d}"
