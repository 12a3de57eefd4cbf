"""Small Markdown helpers for replies: their code fences, and fences of our own.

Replies are Markdown written by a model, often cut short (max tokens, Ctrl-C), so a last code
block may be unclosed: it still counts as code. Each function is one pass over the text.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def _blocks(text: str) -> list[tuple[str, str]]:
    """Fenced blocks as (info, code); a block still open at the end counts."""
    blocks: list[tuple[str, str]] = []
    fence: str | None = None
    info = ""
    body: list[str] = []
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence is None:
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                fence, info, body = match.group(1), match.group(2).strip(), []
        elif match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) \
                and not match.group(2).strip():
            blocks.append((info, "\n".join(body)))
            fence = None
        else:
            body.append(line)
    if fence is not None:
        blocks.append((info, "\n".join(body)))
    return blocks


def code_blocks(text: str) -> list[tuple[str, str]]:
    """The fenced code blocks of a reply as (language, code); an unclosed last block counts."""
    return [(info.split()[0] if info else "", code) for info, code in _blocks(text)]


def extract_code(text: str) -> str:
    """The code in a reply: its fenced blocks joined, or "" if it has none. Prose is never
    taken for code: it would land in a new cell as a block of syntax errors."""
    return "\n\n".join(code for _, code in code_blocks(text))


#: how a fenced block of Python is tagged
PYTHON_TAGS = frozenset({"python", "py", "python3", "ipython", "ipython3"})


def corrected_cell(text: str) -> tuple[str, int]:
    """The corrected cell in a reply to ``%ygpt fix``, and how many code blocks the reply has:
    its last block tagged Python, else its last untagged block; "" when it has neither. A model
    often quotes the failing line in a block of its own before the corrected cell, or adds a
    shell line, or the output it expects in an untagged block after it: joined, or taken last,
    they gave a cell that failed as the old one did, or held no code at all. The fix instruction
    asks for a ```python block, so a tagged one is the corrected cell. A block of another
    language is never the cell, as ``--format code`` never puts one in (render/cell_code.py): a
    lone ```bash ``pip install x`` became a cell IPython's automagic runs as ``%pip``."""
    blocks = code_blocks(text)
    tagged = [code for language, code in blocks if language.lower() in PYTHON_TAGS]
    untagged = [code for language, code in blocks if not language]
    chosen = tagged or untagged
    return (chosen[-1] if chosen else ""), len(blocks)


def fenced(code: str, language: str = "") -> str:
    """``code`` in a fence longer than any backtick run inside it, so it cannot break out."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"

