"""Limits: how much of one value a prompt may carry, apart from the code that renders values
(values.py), so the kernel's settings can take their defaults from here at ``%load_ext`` without
loading the renderer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """How much of one value may be sent (the YGptMagics settings of the same names)."""

    max_rows: int = 20
    max_columns: int = 20
    max_chars: int = 8000
    timeout: float = 5.0  # seconds a value's repr may take; 0: no limit
