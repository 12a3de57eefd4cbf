"""Refuse a prompt that carries a credential, naming the reference that brought it in.

A key pasted into a cell, kept in a variable that `{config}` sends, or printed in a traceback that
`{Err[N]}` or `%ygpt fix` sends would leave the notebook inside a prompt. The client's guard
(client/guard.py) refuses any request that carries one, whatever its door; this check runs
earlier, on each piece of a prompt as it is expanded (the cell's text, --system, each value), so
the error can say which reference carried it (``{config}``), never the secret.
"""

from __future__ import annotations

from ..client.guard import FRAGMENT, check

__all__ = ["FRAGMENT", "check"]
