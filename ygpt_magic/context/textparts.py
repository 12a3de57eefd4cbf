"""A prompt's text in parts: where references are read (prose) and where they never are.

`{name}` is read only in prose. Three kinds of text are sent as written, braces and all:

- code: a fenced block (``` or ~~~, to a closing fence of the same kind and at least the same
  length, or to the end, as CommonMark reads it) and an inline code span (a run of backticks to
  the next run of the same length, within a paragraph);
- math: ``$…$``, ``$$…$$``, ``\\(…\\)`` and ``\\[…\\]`` within a paragraph. In TeX a brace is a
  group (``\\frac{1}{n}``, ``\\hat{y}_{i}``), never a reference: filling it in sent
  ``\\frac{1}200`` and a 20-row table in place of ``\\hat{y}``, and a name the notebook lacked
  (``\\sum_{j}``) refused the cell. ``$…$`` follows the rule the replies are rendered by
  (render/inert.py: mdit-py-plugins' dollarmath without spaces or digits), so money is not math:
  no space after the opening dollar nor before the closing one, no digit after the closing one,
  and the opening one follows no letter, digit, ``}`` or backslash (``5$``, ``{price}$`` and
  ``\\$`` are dollar signs). So "$5 on {item} and $10" fills in ``{item}``.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_SPAN = re.compile(r"(?<!`)(`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)\1(?!`)", re.DOTALL)
#: any character but one that starts a blank line: math, like a code span, stays in its paragraph
_IN_PARAGRAPH = r"(?:(?!\n[ \t]*\n).)"
_MATH = re.compile(
    rf"\$\${_IN_PARAGRAPH}+?\$\$"
    rf"|\\\[{_IN_PARAGRAPH}+?\\\]"
    rf"|\\\({_IN_PARAGRAPH}+?\\\)"
    rf"|(?<![\\$\w}}])\$(?=[^\s$])(?:(?!\n[ \t]*\n)[^$])+?(?<![\s\\])\$(?!\d)",
    re.DOTALL)


def parts(text: str) -> list[tuple[str, str]]:
    """[(kind, chunk)] covering ``text`` in order, kind being "fence", "span" (inline code),
    "math" or "prose" (module docstring)."""
    found: list[tuple[str, str]] = []
    for is_code, block in _split_fenced(text):
        if is_code:
            found.append(("fence", block))
            continue
        start = 0
        for span in _SPAN.finditer(block):
            found += _math_apart(block[start:span.start()]) + [("span", span.group(0))]
            start = span.end()
        found += _math_apart(block[start:])
    return found


def _math_apart(prose: str) -> list[tuple[str, str]]:
    """``prose`` as ("prose", …) and ("math", …) chunks."""
    found: list[tuple[str, str]] = []
    start = 0
    for math in _MATH.finditer(prose):
        found += [("prose", prose[start:math.start()]), ("math", math.group(0))]
        start = math.end()
    return [*found, ("prose", prose[start:])]


def _split_fenced(text: str) -> list[tuple[bool, str]]:
    """[(is_code, chunk)] covering text; a fence runs to a closing fence of the same kind and
    at least the same length, or to the end of the text (as in CommonMark)."""
    found: list[tuple[bool, str]] = []
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
                    found.append((False, "".join(prose)))
                    prose = []
            else:
                prose.append(line)
            continue
        code.append(line)
        if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence) \
                and not line.strip()[len(marker.group(1)):].strip():
            found.append((True, "".join(code)))
            fence, code = None, []
    if fence is not None:
        found.append((True, "".join(code)))
    if prose:
        found.append((False, "".join(prose)))
    return found
