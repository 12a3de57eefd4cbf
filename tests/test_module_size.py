"""Small modules with one job (STYLE.md): no module of the package over 400 lines. Merges of
separate fixes pushed modules over the line more than once, noticed only by a reviewer; a module
that grows past it is split by job, not trimmed."""

from __future__ import annotations

from pathlib import Path

import ygpt_magic

LIMIT = 400


def test_no_module_is_over_the_limit():
    root = Path(ygpt_magic.__file__).parent
    long = {str(path.relative_to(root)): lines for path in root.rglob("*.py")
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert not long, f"modules over {LIMIT} lines: {long}"
