"""The door a panel Send goes through: the cell's rules, given to the panel by the kernel side.

A Send is a request like a `%%ygpt` cell's (DESIGN.md, "The spine"): its text is filled in by
the cell's rule, the reply cache fronts it, the chat's tools run through the tool loop, the cost
cap is asked before each request the cache does not replay, and its reply goes into the
provenance log. Those rules
are the kernel's; the kernel gives the panel ONE object that applies them (commands/panel.py, on
the functions a cell uses), so the panel cannot skip one or drift from the cell. A panel built
without a kernel (tests, a session of its own) gets :class:`Plain`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..cache import Front
    from ..chat import Picture, Plan, Reply
    from ..protocols import Cap
    from ..tools.loop import ToolLoop


class Door(Protocol):
    """What the panel asks, in this order, for each Send (each may raise a YGptError: the panel
    shows it as one line and sends nothing)."""

    def prepare(self, text: str) -> tuple[str, Sequence[str], tuple[Picture, ...]]:
        """The Send's text → (prompt, notes, pictures): references filled in, bounded, noted."""

    def front(self, prompt: str) -> Front | None:
        """The reply cache's front for the Send (None: no cache)."""

    def tools(self, plan: Plan) -> ToolLoop | None:
        """The tool loop of the plan's tools (the chat's own), or None."""

    def cap(self, plan: Plan, front: Front | None) -> Cap | None:
        """The cost cap its exchange asks before each request it sends (None: no cap)."""

    def answered(self, plan: Plan, reply: Reply) -> None:
        """The Send's reply (whatever its status): logged for ``%ygpt provenance`` as a cell's."""


class Plain:
    """The door of a panel without a kernel: the text as typed, no cache, tools, cap or log."""

    def prepare(self, text: str) -> tuple[str, Sequence[str], tuple[Picture, ...]]:
        return text, (), ()

    def front(self, prompt: str) -> Front | None:
        return None

    def tools(self, plan: Plan) -> ToolLoop | None:
        return None

    def cap(self, plan: Plan, front: Front | None) -> Cap | None:
        return None

    def answered(self, plan: Plan, reply: Reply) -> None:
        return None
