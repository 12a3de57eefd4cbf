"""A ``--map`` cell's texts as written are checked once for the cell; each row's own values,
filled-in texts and request are checked per row.

The template and ``--system`` are the same for every row: a key written in either refuses the
cell in one paragraph, as it refuses the same ``--once`` cell, instead of failing each of 100,000
rows alike with "_ygpt.errors says what is wrong with each one's data". Searching them once a row
found nothing new either: the kernel's thread now scans a row twice (its value, then the filled-in
text, which catches a key split between the template and a value), not three times.
"""

from __future__ import annotations

import sys
import threading
from types import FrameType
from typing import Any

import pandas as pd
import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import cell
from test_guard_shapes import API_KEY

from ygpt_magic import errors

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


@pytest.mark.parametrize("flags", ["", "--labels good,bad"], ids=["--map", "--labels --map"])
def test_a_key_in_the_template_refuses_the_cell_once(shell, ygpt_server, flags):
    shell.user_ns["notes"] = pd.DataFrame({"note": ["fine weather", "rain", "snow"]})
    result = cell(shell, f"%%ygpt --map notes {flags}\nWith key {API_KEY}, summarise: {{note}}")
    assert_clear_error(result, "the cell's text", "a Yandex Cloud API key (AQVN…kM9x)", "rotate it",
                       error_type=errors.CredentialInPrompt)
    assert "failed" not in result.shown, "no row is said to have failed for its data"
    assert ygpt_server.requests == []


def test_a_key_split_between_the_template_and_a_value_fails_its_row(shell, ygpt_server):
    shell.user_ns["notes"] = pd.DataFrame({"note": ["fine weather", API_KEY[4:]]})
    result = cell(shell, f"%%ygpt --map notes\nSummarise: {API_KEY[:4]}{{note}}")
    assert "1 answered" in result.shown and "1 failed (1 credential in prompt)" in result.shown, result.shown
    assert "the expanded prompt contains what looks like a Yandex Cloud API key" in shell.user_ns["_ygpt"].errors[1]
    assert API_KEY[8:-8] not in repr(list(ygpt_server.requests))


class Scans:
    """The kernel's thread's calls of the shape scan (keyshapes.sighted)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, frame: FrameType, event: str, _arg: Any) -> None:
        code, module = frame.f_code.co_name, frame.f_globals.get("__name__")
        if event == "call" and code == "sighted" and module == "ygpt_magic.keyshapes":
            self.count += 1


def test_a_row_is_scanned_twice_on_the_kernels_thread(shell, ygpt_server):
    shell.user_ns["notes"] = [f"note {n}" for n in range(50)]
    assert cell(shell, "%%ygpt --map notes\nwarm {item}").ok
    scans = Scans()
    assert threading.current_thread() is threading.main_thread()
    sys.setprofile(scans)
    try:
        assert cell(shell, "%%ygpt --map notes\nSummarise: {item}").ok
    finally:
        sys.setprofile(None)
    assert scans.count <= 2 * 50 + 2, f"{scans.count} scans for 50 rows"
