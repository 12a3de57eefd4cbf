"""`{price:.2f}`, `{x!r}`, `{ratio!s:>8}`: a reference formatted as an f-string would format it.

The f-string habit is strong, and `{price:.2f}` sent as written reads to the model as a template
nobody filled in. The rule stays one sentence: braces holding a reference to defined names (a
name, an attribute path or an expression whose every name the notebook defines), then `!r`, `!s`
or `!a` and/or `:` and a format spec with no space, are filled in with ``format(value, spec)``
after the conversion; anything else stays as written. The names must be defined, and the spec
must hold no space, so prose and dict literals are left alone: `{a: 1}` (a space after the
colon), `{key:value}` with no variable ``key``. A spec the value does not take (`{df:.2f}`), or a
conversion f-strings do not have (`{n!z}`), leaves the braces as written, with a note saying why:
both are the same slip, and either sent in silence reads to the model as an unfilled template.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import CodeType

from .expressions import compiled

_TAIL = re.compile(r"(?:!(?P<conversion>[^\s:{}!]*))?(?::(?P<spec>[^\s{}]*))?")
_CONVERSIONS: dict[str, Callable[[object], str]] = {"r": repr, "s": str, "a": ascii}


@dataclass(frozen=True)
class Formatted:
    """A reference with its f-string tail: ``code`` gives the value, then ``conversion`` and ``spec``."""

    code: CodeType
    conversion: str | None
    spec: str

    @property
    def unknown(self) -> str | None:
        """Why the tail cannot be applied, said before the value is computed: a conversion
        f-strings do not have (`{n!z}`); None when it can be."""
        if self.conversion is None or self.conversion in _CONVERSIONS:
            return None
        return f"!{self.conversion} is not a conversion (an f-string takes !r, !s or !a)"


def parse(content: str, namespace: Mapping[str, object]) -> Formatted | None:
    """``content`` as a reference and its tail (the first split, left to right, at a ``!`` or
    ``:`` whose left side is an expression of defined names), or None when it is not one."""
    for split in (index for index, char in enumerate(content) if char in "!:" and index):
        tail = _TAIL.fullmatch(content, split)
        if tail is None or not tail.group(0):
            continue
        code = compiled(content[:split])
        if code is not None and _defined(content[:split], namespace):
            return Formatted(code, tail.group("conversion"), tail.group("spec") or "")
    return None


def apply(value: object, formatted: Formatted) -> str:
    """``value`` converted and formatted; ValueError or TypeError when the spec does not fit it."""
    if formatted.conversion:
        value = _CONVERSIONS[formatted.conversion](value)
    return format(value, formatted.spec)


def _defined(source: str, namespace: Mapping[str, object]) -> bool:
    """Whether every name ``source`` (an expression that compiles) reads is a variable of the
    notebook or a builtin."""
    tree = ast.parse(source.strip(), mode="eval")
    return all(node.id in namespace or hasattr(builtins, node.id)
               for node in ast.walk(tree) if isinstance(node, ast.Name))
