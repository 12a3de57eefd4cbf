"""Fill `{name}` in a cell from the user's namespace, safely and predictably.

Rules, chosen so that pasting code or JSON just works:
- `{name}` and `{name.attr.attr}` are replaced by `str()` of the value; nothing else is
  evaluated (no calls, no indexing, no private `_attributes`).
- `{{` and `}}` are literal braces.
- Text inside fenced code blocks (``` or ~~~) is never touched.
- Braces around anything that is not a plain name (`{"a": 1}`, `{ x }`, `{i + 1}`) stay as they are.
- An unknown name is an InterpolationError naming it, never a silent empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import InterpolationError

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(r"\{\{|\}\}|\{(" + _IDENT + r"(?:\." + _IDENT + r")*)\}")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


def interpolate(text: str, namespace: Mapping[str, object]) -> str:
    """The cell text with `{name}` filled in (see the module docstring for the rules)."""
    out: list[str] = []
    for is_code, block in _split_fenced(text):
        out.append(block if is_code else _TOKEN.sub(lambda m: _value(m, namespace), block))
    return "".join(out)


def _value(match: re.Match, namespace: Mapping[str, object]) -> str:
    token = match.group(0)
    if token == "{{":
        return "{"
    if token == "}}":
        return "}"
    path = match.group(1)
    head, *attrs = path.split(".")
    if head not in namespace:
        raise InterpolationError(
            f"The cell uses {{{path}}} but there is no variable named '{head}'. Define it in a "
            f"code cell first, write {{{{{path}}}}} for literal braces, or run the cell with "
            f"--no-interpolate."
        )
    value = namespace[head]
    for depth, attr in enumerate(attrs, start=1):
        if attr.startswith("_"):
            raise InterpolationError(
                f"The cell uses {{{path}}}: only public attributes are filled in, not '{attr}'. "
                f"Put the value in a variable first, or run the cell with --no-interpolate."
            )
        try:
            value = getattr(value, attr)
        except AttributeError:
            owner = ".".join([head, *attrs[: depth - 1]])
            raise InterpolationError(
                f"The cell uses {{{path}}} but '{owner}' ({type(value).__name__}) has no "
                f"attribute '{attr}'. Check the name, or run the cell with --no-interpolate."
            ) from None
    return str(value)


def _split_fenced(text: str) -> list[tuple[bool, str]]:
    """[(is_code, chunk)] covering text; a fence runs to a closing fence of the same kind and
    at least the same length, or to the end of the text (as in CommonMark)."""
    parts: list[tuple[bool, str]] = []
    prose: list[str] = []
    code: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        marker = _FENCE.match(line)
        if fence is None:
            if marker:
                fence = marker.group(1)
                code = [line]
                if prose:
                    parts.append((False, "".join(prose)))
                    prose = []
            else:
                prose.append(line)
            continue
        code.append(line)
        if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence) \
                and not line.strip()[len(marker.group(1)):].strip():
            parts.append((True, "".join(code)))
            fence, code = None, []
    if fence is not None:
        parts.append((True, "".join(code)))
    if prose:
        parts.append((False, "".join(prose)))
    return parts
