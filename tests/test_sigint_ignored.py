"""The Ctrl-C tests press Ctrl-C whatever SIGINT's disposition was when the test run started.

A shell starts a background job (``make test &``) with SIGINT ignored, and Python then leaves it
ignored instead of installing its KeyboardInterrupt handler: the Ctrl-C tests' runs went on to
the end (100 of 100 rows, no "Stopped") in both workers of one CI run. conftest.py puts the
handler back for every test, as a Jupyter kernel does around each cell.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent

IGNORED_THEN_PYTEST = ("import signal, sys, pytest; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                       "sys.exit(pytest.main(sys.argv[1:]))")


@pytest.mark.slow
def test_ctrl_c_is_obeyed_in_a_test_run_that_started_with_sigint_ignored():
    run = subprocess.run(
        [sys.executable, "-c", IGNORED_THEN_PYTEST, "-q", "-p", "no:randomly", "-p", "no:xdist",
         str(TESTS / "test_embed.py"), "-k", "ctrl_c"],
        cwd=TESTS.parent, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "1 passed" in run.stdout
